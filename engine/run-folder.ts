/**
 * The run folder (design.md §7): graph as run, metrics.jsonl + metrics.csv (one row per
 * iteration), checkpoints/, summary.json. Every whole-file write is atomic; metric rows are
 * appended a full line at a time, and a resumed run first truncates rows past its checkpoint.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stableStringify, writeFileAtomic } from './atomic.ts';
import type { ExecutorState } from './executor.ts';
import { serializeGraph } from './graph/io.ts';
import type { GraphFile } from './graph/schema.ts';

export type MetricsRow = Record<string, number | null>;

export interface CheckpointFile {
  format: 'rl-composer/checkpoint';
  version: 1;
  iteration: number;
  globalStep: number;
  wallSeconds: number;
  firstStepReaching: Record<string, number | null>;
  secondsReaching: Record<string, number | null>;
  state: ExecutorState;
}

export class RunFolder {
  readonly dir: string;
  private csvColumns: string[] | undefined;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Creates the folder; called once the graph compiled and the backend started. */
  create(): void {
    mkdirSync(join(this.dir, 'checkpoints'), { recursive: true });
  }

  /** Whether the folder already holds a run (a graph or checkpoints). */
  holdsRun(): boolean {
    return existsSync(join(this.dir, 'graph.rlgraph.json')) || this.checkpoints().length > 0;
  }

  /** Removes the files of an earlier run (for a fresh run into the same folder). */
  clear(): void {
    for (const name of ['graph.rlgraph.json', 'metrics.jsonl', 'metrics.csv', 'summary.json']) rmSync(join(this.dir, name), { force: true });
    rmSync(join(this.dir, 'checkpoints'), { recursive: true, force: true });
  }

  get metricsJsonl(): string {
    return join(this.dir, 'metrics.jsonl');
  }
  get metricsCsv(): string {
    return join(this.dir, 'metrics.csv');
  }

  writeGraph(graph: GraphFile): void {
    writeFileAtomic(join(this.dir, 'graph.rlgraph.json'), serializeGraph(graph));
  }

  /** Starts fresh metric files (new run). */
  resetMetrics(): void {
    writeFileAtomic(this.metricsJsonl, '');
    rmSync(this.metricsCsv, { force: true });
    this.csvColumns = undefined;
  }

  /** Keeps only the rows up to `iteration` (resume after a checkpoint). */
  truncateMetrics(iteration: number): void {
    const rows = existsSync(this.metricsJsonl)
      ? readFileSync(this.metricsJsonl, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as MetricsRow)
          .filter((row) => (row.iteration ?? 0) <= iteration)
      : [];
    writeFileAtomic(this.metricsJsonl, rows.map((r) => JSON.stringify(r) + '\n').join(''));
    rmSync(this.metricsCsv, { force: true });
    this.csvColumns = undefined;
    for (const row of rows) this.appendCsv(row);
  }

  appendMetrics(row: MetricsRow): void {
    appendFileSync(this.metricsJsonl, JSON.stringify(row) + '\n');
    this.appendCsv(row);
  }

  private appendCsv(row: MetricsRow): void {
    if (!this.csvColumns) {
      this.csvColumns = Object.keys(row);
      writeFileAtomic(this.metricsCsv, this.csvColumns.join(',') + '\n');
    }
    const cells = this.csvColumns.map((c) => {
      const v = row[c];
      return v === null || v === undefined || !Number.isFinite(v) ? '' : String(v);
    });
    appendFileSync(this.metricsCsv, cells.join(',') + '\n');
  }

  writeCheckpoint(checkpoint: CheckpointFile, keep: number): string {
    const name = `ckpt-${String(checkpoint.iteration).padStart(7, '0')}.json`;
    const path = join(this.dir, 'checkpoints', name);
    writeFileAtomic(path, JSON.stringify(checkpoint));
    const all = this.checkpoints();
    for (const old of all.slice(0, Math.max(0, all.length - keep))) rmSync(join(this.dir, 'checkpoints', old), { force: true });
    return path;
  }

  /** Checkpoint file names, oldest first. */
  checkpoints(): string[] {
    const dir = join(this.dir, 'checkpoints');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => /^ckpt-\d+\.json$/.test(f))
      .sort();
  }

  latestCheckpoint(): CheckpointFile | undefined {
    const all = this.checkpoints();
    if (!all.length) return undefined;
    return JSON.parse(readFileSync(join(this.dir, 'checkpoints', all[all.length - 1]), 'utf8')) as CheckpointFile;
  }

  writeSummary(summary: Record<string, unknown>): void {
    writeFileAtomic(join(this.dir, 'summary.json'), stableStringify(summary));
  }
}
