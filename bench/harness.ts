/**
 * Plumbing for `npm run bench` (bench/run.ts): running a bench part or an `rlc run` in its own
 * process, machine info, the dated results file, and plain-text tables. Imports no TensorFlow.js:
 * the parent process stays light, so each child starts from a clean tfjs/wasm state and RSS.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../engine/atomic.ts';
import type { Summary } from '../engine/session.ts';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(BENCH_DIR, '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

/** Prefix of the one stdout line a part script prints with `--json` (anything else is ignored). */
export const RESULT_MARKER = 'BENCH_RESULT ';

// ---------------------------------------------------------------------------------------------
// Part scripts (bench/part-*.ts)

export interface PartEnvelope<T> {
  result: T;
  /** tfjs backend the part ran on (tf.getBackend()), or null when it does not load tfjs. */
  tfjsBackend: string | null;
  /** Peak resident set of the part process, KiB (process.resourceUsage().maxRSS). */
  maxRssKiB: number;
  extra?: Record<string, unknown>;
}

/** Called by a part script: prints its result line for bench/run.ts, then exits (wasm keeps handles open). */
export function emitPartResult<T>(envelope: Omit<PartEnvelope<T>, 'maxRssKiB'>): never {
  const full: PartEnvelope<T> = { ...envelope, maxRssKiB: process.resourceUsage().maxRSS };
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(full)}\n`);
  process.exit(0);
}

export interface PartRun<T> {
  ok: boolean;
  envelope?: PartEnvelope<T>;
  error?: string;
  processWallSeconds: number;
}

/**
 * Runs `node [nodeFlags] --import tsx bench/<script> --json ...args` synchronously in the repo
 * root and returns the result line it printed.
 */
export function runPart<T>(script: string, args: string[], options: { nodeFlags?: string[]; timeoutSeconds?: number } = {}): PartRun<T> {
  const argv = [...(options.nodeFlags ?? []), '--import', 'tsx', join('bench', script), '--json', ...args];
  const t0 = performance.now();
  const child = spawnSync(process.execPath, argv, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: (options.timeoutSeconds ?? 600) * 1000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const processWallSeconds = (performance.now() - t0) / 1000;
  const line = (child.stdout ?? '').split('\n').find((l) => l.startsWith(RESULT_MARKER));
  if (child.error || child.status !== 0 || !line) {
    const why = child.error
      ? child.error.message
      : child.status !== 0
        ? `exit ${child.status ?? child.signal}`
        : 'no result line';
    return { ok: false, error: `${script}: ${why}: ${errorSummary(child.stderr ?? '')}`, processWallSeconds };
  }
  return { ok: true, envelope: JSON.parse(line.slice(RESULT_MARKER.length)) as PartEnvelope<T>, processWallSeconds };
}

// ---------------------------------------------------------------------------------------------
// CLI runs (`node bin/rlc.js run FILE ... --json`)

/** summary.json as the engine writes it (a type import: the driver never loads TensorFlow.js). */
export type RunSummary = Summary;

export interface CliRun {
  ok: boolean;
  error?: string;
  template: string;
  seed: number;
  outDir: string;
  summary?: RunSummary;
  /** Spawn → exit of the whole `rlc run` process: node + tsx start, compile, train, eval, exit. */
  processWallSeconds: number;
  /**
   * Spawn → the moment the session's clock started (end of prepare()): process start, module
   * load, backend init, compile, build. Estimated as min over progress events of
   * (arrival time since spawn − the event's own wallSeconds); pipe latency only makes it larger.
   */
  startupSeconds: number | null;
  /** Training steps/s of the last progress event: excludes the final evaluation and exit. */
  trainStepsPerSecond: number | null;
}

export interface CliRunOptions {
  template: string;
  seed: number;
  backend: string;
  outDir: string;
  steps?: number;
  timeoutSeconds?: number;
}

export function templatePath(template: string): string {
  return join(REPO_ROOT, 'templates', `${template}.rlgraph.json`);
}

/**
 * Runs one training through the CLI with `--json` (asynchronously, so that stdout events can be
 * timestamped as they arrive) and reads DIR/summary.json afterwards.
 */
export function runCli(options: CliRunOptions): Promise<CliRun> {
  const args = [
    join(REPO_ROOT, 'bin', 'rlc.js'),
    'run',
    templatePath(options.template),
    '--backend',
    options.backend,
    '--seed',
    String(options.seed),
    '--out',
    options.outDir,
    '--json',
  ];
  if (options.steps !== undefined) args.push('--steps', String(options.steps));
  mkdirSync(dirname(options.outDir), { recursive: true });
  rmSync(options.outDir, { recursive: true, force: true });

  return new Promise((resolvePromise) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let startupSeconds: number | null = null;
    let trainStepsPerSecond: number | null = null;
    let eventError: string | undefined;
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, (options.timeoutSeconds ?? 1800) * 1000);

    createInterface({ input: child.stdout }).on('line', (line) => {
      const arrived = (performance.now() - t0) / 1000;
      let event: { type?: string; wallSeconds?: number; stepsPerSecond?: number; message?: string };
      try {
        event = JSON.parse(line);
      } catch {
        return;
      }
      if (event.type === 'progress' && typeof event.wallSeconds === 'number') {
        const offset = arrived - event.wallSeconds;
        if (startupSeconds === null || offset < startupSeconds) startupSeconds = offset;
        if (typeof event.stepsPerSecond === 'number') trainStepsPerSecond = event.stepsPerSecond;
      } else if (event.type === 'error') {
        eventError = event.message ?? 'error event';
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = tail(stderr + chunk, 4000);
    });

    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const processWallSeconds = (performance.now() - t0) / 1000;
      const base = {
        template: options.template,
        seed: options.seed,
        outDir: options.outDir,
        processWallSeconds,
        startupSeconds,
        trainStepsPerSecond,
      };
      const summaryPath = join(options.outDir, 'summary.json');
      if (code !== 0 || !existsSync(summaryPath)) {
        const why = timedOut ? 'timed out' : code !== 0 ? `exit ${code ?? signal}` : 'no summary.json';
        const detail = eventError ?? errorSummary(stderr);
        resolvePromise({ ...base, ok: false, error: `rlc run ${options.template} seed ${options.seed}: ${why}: ${detail}` });
        return;
      }
      const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary;
      resolvePromise({ ...base, ok: true, summary });
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      resolvePromise({
        template: options.template,
        seed: options.seed,
        outDir: options.outDir,
        ok: false,
        error: error.message,
        processWallSeconds: (performance.now() - t0) / 1000,
        startupSeconds: null,
        trainStepsPerSecond: null,
      });
    });
  });
}

/** Runs `jobs` with at most `parallel` in flight; results in input order. */
export async function pool<T>(jobs: (() => Promise<T>)[], parallel: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, jobs.length)) }, worker));
  return results;
}

// ---------------------------------------------------------------------------------------------
// Machine info and the results file

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  totalMemoryGiB: number;
  platform: string;
  release: string;
  arch: string;
  node: string;
  gitCommit: string | null;
  /** Working tree differs from HEAD (best effort; null when git is unavailable). */
  gitDirty: boolean | null;
  /** 1/5/15-minute load averages when the suite started: other processes skew timings. */
  loadAverageAtStart: number[];
}

/** Read-only git: `rev-parse` and `diff-index` (no index refresh, no optional locks). */
function git(args: string[]): { status: number | null; stdout: string } {
  const child = spawnSync('git', args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' },
  });
  return { status: child.error ? null : child.status, stdout: (child.stdout ?? '').trim() };
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const head = git(['rev-parse', 'HEAD']);
  const headOk = head.status === 0 && /^[0-9a-f]{40}$/.test(head.stdout);
  let gitDirty: boolean | null = null;
  if (headOk) {
    const diff = git(['diff-index', '--quiet', 'HEAD', '--']);
    gitDirty = diff.status === 0 ? false : diff.status === 1 ? true : null;
  }
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryGiB: round(os.totalmem() / 2 ** 30, 1),
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    node: process.version,
    gitCommit: headOk ? head.stdout : null,
    gitDirty,
    loadAverageAtStart: os.loadavg().map((x) => round(x, 2)),
  };
}

/** Local calendar date, YYYY-MM-DD (the results file of the day). */
export function today(date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The day's results file (empty when there is none or it cannot be read). */
export function readResults(date = today()): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(RESULTS_DIR, `${date}.json`), 'utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Merges `value` under `key` into bench/results/<date>.json: other keys (other suites run the
 * same day) are kept. The file is re-read just before the atomic write (temp file + rename).
 */
export function saveResults(key: string, value: unknown, date = today()): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${date}.json`);
  let existing: Record<string, unknown> = {};
  if (existsSync(path)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) existing = parsed as Record<string, unknown>;
    } catch {
      // A corrupt file (should not happen with atomic writes): keep it aside rather than lose it.
      writeFileAtomic(`${path}.corrupt-${Date.now()}`, readFileSync(path));
    }
  }
  const merged = { ...existing, date, [key]: value };
  writeFileAtomic(path, `${JSON.stringify(merged, null, 2)}\n`);
  return path;
}

// ---------------------------------------------------------------------------------------------
// Formatting

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function tail(text: string, chars: number): string {
  return text.length <= chars ? text.trim() : `…${text.slice(-chars).trim()}`;
}

/** The thrown error's message line (and where) from a child's stderr, else its last lines. */
export function errorSummary(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const i = lines.findIndex((l) => /^([A-Z]\w*)?Error\b.*:/.test(l));
  if (i < 0) return tail(lines.slice(-3).join(' / '), 400);
  const at = lines.slice(i + 1).find((l) => l.startsWith('at '));
  return at ? `${lines[i]} (${at})` : lines[i];
}

export function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function fmtRate(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '--';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M/s`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)} k/s`;
  return `${Math.round(x).toLocaleString('en-US')}/s`;
}

export function fmtNum(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '--';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtInt(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '--';
  return Math.round(x).toLocaleString('en-US');
}

export function fmtMiB(bytes: number | null | undefined, signed = false): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '--';
  const mib = bytes / 2 ** 20;
  return `${signed && mib >= 0 ? '+' : ''}${mib.toFixed(1)} MiB`;
}

export function passMark(pass: boolean | null): string {
  return pass === null ? 'n/a' : pass ? 'PASS' : 'FAIL';
}

/** A plain-text table: the first `leftColumns` columns left-aligned, the others right-aligned. */
export function table(title: string, headers: string[], rows: string[][], note?: string, leftColumns = 1): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const cell = (text: string, c: number) => (c < leftColumns ? text.padEnd(widths[c]) : text.padStart(widths[c]));
  const lines = [
    title,
    headers.map(cell).join(' | '),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...rows.map((r) => r.map((text, c) => cell(text, c)).join(' | ')),
  ];
  if (note) lines.push(note);
  return `${lines.join('\n')}\n`;
}
