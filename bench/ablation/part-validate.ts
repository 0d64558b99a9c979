/**
 * Bench part: compiles graph files (what `rlc validate` does) in one process and reports, per file,
 * the compile errors; also lists the registered block types, so that the driver can name a block
 * that is missing (e.g. the KL-penalty block of the KL rows) instead of printing 22 compile errors.
 *
 *   node --import tsx bench/ablation/part-validate.ts [--json] FILE...
 */
import { compile } from '../../engine/compiler.ts';
import { GraphErrors } from '../../engine/errors.ts';
import { loadGraph } from '../../engine/graph/io.ts';
import { blockRegistry } from '../../engine/registry.ts';
import { emitPartResult } from '../harness.ts';

export interface ValidateResult {
  blockTypes: string[];
  files: { file: string; ok: boolean; errors: string[] }[];
}

const args = process.argv.slice(2);
const json = args.includes('--json');
const files = args.filter((a) => a !== '--json');
const registry = blockRegistry();
const result: ValidateResult = {
  blockTypes: registry.catalogue().map((b) => b.type).sort(),
  files: files.map((file) => {
    try {
      compile(loadGraph(file), registry);
      return { file, ok: true, errors: [] };
    } catch (error) {
      const list = error instanceof GraphErrors ? error.errors : [error];
      return { file, ok: false, errors: list.map((e) => (e instanceof Error ? e.message : String(e))) };
    }
  }),
};
if (json) emitPartResult({ result, tfjsBackend: null });
for (const f of result.files) console.log(`${f.file}: ${f.ok ? 'valid' : f.errors.join('; ')}`);
