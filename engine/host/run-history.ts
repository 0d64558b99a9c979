/**
 * The workspace's past runs, read from their folders (`<workspace>/runs/<name>/`): the listing of
 * the Runs tab and the return curve of one run. Shared by the HTTP routes of `rlc serve` and the
 * engine protocol (`runs.history`, `runs.curve`), so the desktop app reads them the same way.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunCurvePoint, RunListing } from './protocol.ts';

/** A run folder directly under <workspace>/runs/; null for names with separators or '..'. */
export function runFolderPath(workspace: string, name: string): string | null {
  if (!name || name.includes('/') || name.includes('\\') || name.includes('..') || name.includes('\0')) return null;
  return join(resolve(workspace), 'runs', name);
}

export type Row = Record<string, number | null>;

export function readMetricsRows(dir: string): Row[] {
  const file = join(dir, 'metrics.jsonl');
  if (!existsSync(file)) return [];
  const rows: Row[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      rows.push(JSON.parse(line) as Row);
    } catch {
      // a half-written last line of a running run
    }
  }
  return rows;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function pickCurve(row: Row): RunCurvePoint {
  return { iteration: num(row.iteration), step: num(row.step), returnMean: num(row.returnMean), returnMeanLast20: num(row.returnMeanLast20) };
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The run folders under <workspace>/runs/, newest first. */
export function listRuns(workspace: string): RunListing[] {
  const root = join(resolve(workspace), 'runs');
  if (!existsSync(root)) return [];
  const out: { run: RunListing; mtime: number }[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dir = join(root, entry.name);
    if (!existsSync(join(dir, 'graph.rlgraph.json')) && !existsSync(join(dir, 'metrics.jsonl'))) continue;
    const graph = readJson(join(dir, 'graph.rlgraph.json')) as { meta?: { name?: string; template?: string }; run?: { seed?: number } } | undefined;
    const summary = readJson(join(dir, 'summary.json'));
    const rows = readMetricsRows(dir);
    const last = rows[rows.length - 1];
    const evaluation = summary?.eval as { meanReturn?: unknown } | undefined;
    const mtime = statSync(dir).mtimeMs;
    out.push({
      mtime,
      run: {
      name: entry.name,
      template: graph?.meta?.template ?? graph?.meta?.name ?? entry.name,
      seed: num(summary?.seed) ?? num(graph?.run?.seed),
      steps: num(summary?.steps) ?? num(last?.step),
      meanReturnLast20: summary ? num(summary.meanReturnLast20) : num(last?.returnMeanLast20),
      evalMeanReturn: num(evaluation?.meanReturn),
      finished: summary !== undefined,
      startedAt: new Date(mtime).toISOString(),
      },
    });
  }
  out.sort((a, b) => b.mtime - a.mtime || a.run.name.localeCompare(b.run.name));
  return out.map((o) => o.run);
}
