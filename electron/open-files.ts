/**
 * Graph files handed to the app from outside: on the command line (`rl-composer a.rlgraph.json`,
 * which is also how Windows and Linux open an associated file), by macOS's `open-file` event
 * (which can fire before the app is ready), and by a second instance that found the
 * single-instance lock taken and forwards its files to this one.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const GRAPH_EXT = '.rlgraph.json';

/**
 * The graph files among command-line arguments, resolved against `cwd`. Skips the executable,
 * flags (`--inspect=9229`, Chromium switches Electron may add, `-psn_...` on old macOS), the app
 * path in development (`electron .`) and any file that is not a `.rlgraph.json`; after `--` every
 * argument is a file. `file://` URLs (some Linux launchers pass %u) are turned into paths.
 */
export function graphPathsFromArgv(argv: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  let flagsOver = false;
  for (const arg of argv.slice(1)) {
    if (!flagsOver && arg === '--') {
      flagsOver = true;
      continue;
    }
    if (!flagsOver && arg.startsWith('-')) continue;
    let path = arg;
    if (/^file:\/\//i.test(arg)) {
      try {
        path = fileURLToPath(arg);
      } catch {
        continue;
      }
    }
    if (path.includes('\0') || !path.toLowerCase().endsWith(GRAPH_EXT)) continue;
    const full = isAbsolute(path) ? resolve(path) : resolve(cwd, path);
    if (!out.includes(full)) out.push(full);
  }
  return out;
}

/** What a second instance sends through `requestSingleInstanceLock(additionalData)`. */
export const secondInstanceDataSchema = z.object({ files: z.array(z.string().max(4096)).max(100) });
export type SecondInstanceData = z.infer<typeof secondInstanceDataSchema>;

export function secondInstanceData(argv: readonly string[], cwd: string): SecondInstanceData {
  return { files: graphPathsFromArgv(argv, cwd) };
}

/**
 * The files a second instance asked for. Its own resolved list (additionalData) is preferred:
 * on Windows Electron may reorder argv and add switches. argv and its working directory are the
 * fallback. Only absolute `.rlgraph.json` paths are accepted either way.
 */
export function filesFromSecondInstance(argv: readonly string[], workingDirectory: string, additionalData: unknown): string[] {
  const data = secondInstanceDataSchema.safeParse(additionalData);
  if (data.success) {
    return data.data.files.filter((p) => isAbsolute(p) && !p.includes('\0') && p.toLowerCase().endsWith(GRAPH_EXT)).map((p) => resolve(p));
  }
  return graphPathsFromArgv(argv, workingDirectory);
}

/**
 * Files arriving before the app can show them (macOS `open-file` before `ready`, argv at start)
 * wait here; once `ready()` is called each is delivered at once, in order, each path once.
 */
export class OpenFileQueue {
  private queue: string[] = [];
  private open = false;

  constructor(private readonly deliver: (path: string) => void) {}

  push(path: string): void {
    const full = resolve(path);
    if (!this.open) {
      if (!this.queue.includes(full)) this.queue.push(full);
      return;
    }
    this.deliver(full);
  }

  /** The files waiting so far (to decide how many windows the start needs). */
  get pending(): readonly string[] {
    return this.queue;
  }

  ready(): void {
    if (this.open) return;
    this.open = true;
    for (const path of this.queue.splice(0)) this.deliver(path);
  }
}
