/** The block catalogue: every block definition by type, and its JSON form for the editor. */
import type { AnyBlockDef } from './block.ts';
import { describeRange, type ParamSpec } from './params.ts';
import { PORT_COLORS } from './ports.ts';
import { ALL_BLOCKS } from '../nodes/index.ts';

export class BlockRegistry {
  private readonly byType = new Map<string, AnyBlockDef>();

  constructor(blocks: readonly AnyBlockDef[]) {
    for (const block of blocks) {
      if (this.byType.has(block.type)) throw new Error(`duplicate block type ${block.type}`);
      this.byType.set(block.type, block);
    }
  }

  get(type: string): AnyBlockDef | undefined {
    return this.byType.get(type);
  }

  all(): AnyBlockDef[] {
    return [...this.byType.values()].sort((a, b) =>
      a.category === b.category ? (a.type < b.type ? -1 : 1) : a.category < b.category ? -1 : 1,
    );
  }

  /** What `rlc blocks --json` prints and the editor's palette/inspector renders. */
  catalogue(): CatalogueEntry[] {
    return this.all().map((block) => ({
      type: block.type,
      category: block.category,
      title: block.title,
      role: block.role,
      doc: block.doc,
      params: Object.fromEntries(
        Object.entries(block.params as Record<string, ParamSpec>).map(([name, spec]) => [
          name,
          { ...spec, range: describeRange(spec) },
        ]),
      ),
      inputs: block.inputs.map((p) => ({ ...p, color: PORT_COLORS[p.type] })),
      outputs: block.outputs.map((p) => ({ ...p, color: PORT_COLORS[p.type] })),
    }));
  }
}

export interface CatalogueEntry {
  type: string;
  category: string;
  title: string;
  role: string;
  doc: AnyBlockDef['doc'];
  params: Record<string, ParamSpec & { range: string }>;
  inputs: (AnyBlockDef['inputs'][number] & { color: string })[];
  outputs: (AnyBlockDef['outputs'][number] & { color: string })[];
}

let defaultRegistry: BlockRegistry | undefined;

/** The registry of every block shipped under nodes/. */
export function blockRegistry(): BlockRegistry {
  defaultRegistry ??= new BlockRegistry(ALL_BLOCKS);
  return defaultRegistry;
}
