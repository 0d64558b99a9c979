/**
 * The worker pool of the PPO ablation: every run is an `rlc run FILE --json` child process (its own
 * tfjs/wasm state, one core each), at most `workers` at a time, with a live progress display on
 * stderr (redrawn in place on a terminal, one line per started/finished run otherwise).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { errorSummary, REPO_ROOT, type RunSummary, tail } from '../harness.ts';

export interface AblationJob {
  variant: string;
  env: string;
  seed: number;
  /** Training budget (env steps). */
  steps: number;
  /** The derived graph file. */
  file: string;
  outDir: string;
}

export type RunStatus = 'ok' | 'diverged' | 'error';

export interface AblationRunResult {
  job: AblationJob;
  /** ok: summary.json written; diverged: the engine stopped on NaN/Inf (scored from its last
   * metrics row); error: anything else (no score). */
  status: RunStatus;
  error?: string;
  summary?: RunSummary;
  /** Steps trained (summary.steps, or the last metrics row's step when diverged). */
  stepsDone: number | null;
  /** Mean return of the last 20 training episodes (summary, or the last metrics row when diverged). */
  meanReturnLast20: number | null;
  processWallSeconds: number;
  /** Training-only env steps/s and session seconds at the last progress event (before the final evaluation). */
  trainStepsPerSecond: number | null;
  trainSeconds: number | null;
  /**
   * CPU seconds of the child (user + system, Linux /proc; null elsewhere): in total, and per env
   * step of training (between the first and the last progress event). Unlike wall time they do not
   * depend on what else the machine runs, so they project the time of a run on a quiet machine.
   */
  cpuSeconds: number | null;
  cpuSecondsPerStep: number | null;
}

/** CPU seconds (utime + stime, all threads) of a live process from /proc/PID/stat; null when unreadable. */
export function processCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15 (in clock ticks).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / CLOCK_TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}

/** USER_HZ: 100 on every Linux architecture Node.js runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

interface Live {
  job: AblationJob;
  step: number;
  ret: number | null;
  startedAt: number;
}

/** Text of a duration: 42s, 3m05s, 1h02m. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** The progress display: done/total runs, steps, elapsed, ETA, and one line per running job. */
export class ProgressBoard {
  private readonly live = new Map<number, Live>();
  private done = 0;
  private failed = 0;
  private stepsFinished = 0;
  private readonly t0 = performance.now();
  private drawnLines = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly tty: boolean;

  constructor(
    private readonly total: number,
    private readonly totalSteps: number,
    private readonly workers: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY);
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), 500);
      this.timer.unref();
    }
  }

  start(slot: number, job: AblationJob): void {
    this.live.set(slot, { job, step: 0, ret: null, startedAt: performance.now() });
    if (!this.tty) this.line(`start ${label(job)} (${job.steps.toLocaleString('en-US')} steps)`);
  }

  progress(slot: number, step: number, ret: number | null): void {
    const l = this.live.get(slot);
    if (!l) return;
    l.step = Math.min(step, l.job.steps);
    l.ret = ret;
  }

  finish(slot: number, result: AblationRunResult): void {
    this.live.delete(slot);
    this.done += 1;
    this.stepsFinished += result.job.steps;
    if (result.status === 'error') this.failed += 1;
    const ret = result.meanReturnLast20 === null ? '--' : result.meanReturnLast20.toFixed(1);
    const note = result.status === 'ok' ? '' : result.status === 'diverged' ? ' DIVERGED (NaN/Inf)' : ` ERROR: ${tail(result.error ?? '', 200)}`;
    this.line(`[${this.done}/${this.total}] ${label(result.job)}: last-20 return ${ret}, ${result.processWallSeconds.toFixed(1)} s${note}`);
  }

  /** Elapsed seconds and the projected remaining seconds (by env steps done so far). */
  eta(): { elapsed: number; remaining: number | null; stepsDone: number } {
    const elapsed = (performance.now() - this.t0) / 1000;
    const stepsDone = this.stepsFinished + [...this.live.values()].reduce((a, l) => a + l.step, 0);
    const remaining = stepsDone > 0 ? (elapsed * (this.totalSteps - stepsDone)) / stepsDone : null;
    return { elapsed, remaining, stepsDone };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }

  private header(): string {
    const { elapsed, remaining, stepsDone } = this.eta();
    const pct = this.totalSteps > 0 ? ((100 * stepsDone) / this.totalSteps).toFixed(1) : '0';
    return (
      `ppo-ablation: ${this.done}/${this.total} runs done${this.failed ? ` (${this.failed} failed)` : ''}, ${this.live.size}/${this.workers} running · ` +
      `${pct}% of ${this.totalSteps.toLocaleString('en-US')} steps · elapsed ${formatDuration(elapsed)} · ETA ${formatDuration(remaining)}`
    );
  }

  private clear(): void {
    if (!this.tty || this.drawnLines === 0) return;
    this.stream.write(`\x1b[${this.drawnLines}A\x1b[0J`);
    this.drawnLines = 0;
  }

  private draw(): void {
    this.clear();
    const width = this.stream.columns ?? 120;
    const lines = [this.header()];
    for (const [, l] of [...this.live.entries()].sort((a, b) => a[0] - b[0])) {
      const frac = l.job.steps ? l.step / l.job.steps : 0;
      const bar = '█'.repeat(Math.round(frac * 20)).padEnd(20, '░');
      const secs = (performance.now() - l.startedAt) / 1000;
      lines.push(`  ${bar} ${label(l.job).padEnd(40)} ${(100 * frac).toFixed(0).padStart(3)}%  return ${l.ret === null ? '--' : l.ret.toFixed(1)}  ${formatDuration(secs)}`);
    }
    const text = lines.map((s) => (s.length > width - 1 ? s.slice(0, width - 1) : s));
    this.stream.write(`${text.join('\n')}\n`);
    this.drawnLines = text.length;
  }

  private line(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
    if (this.tty) this.draw();
  }
}

export function label(job: AblationJob): string {
  return `${job.variant} · ${job.env} · seed ${job.seed}`;
}

/** Runs every job, at most `workers` at a time; results in job order. */
export async function runPool(
  jobs: AblationJob[],
  options: { workers: number; backend: string; timeoutSeconds?: number; board?: ProgressBoard },
): Promise<AblationRunResult[]> {
  const results: AblationRunResult[] = new Array(jobs.length);
  let next = 0;
  const worker = async (slot: number) => {
    while (next < jobs.length) {
      const i = next++;
      options.board?.start(slot, jobs[i]);
      results[i] = await runOne(jobs[i], options.backend, options.timeoutSeconds ?? 3600, (step, ret) => options.board?.progress(slot, step, ret));
      options.board?.finish(slot, results[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.workers, jobs.length)) }, (_, slot) => worker(slot)));
  return results;
}

/** One `node bin/rlc.js run FILE --backend B --seed S --steps N --out DIR --json`. */
export function runOne(
  job: AblationJob,
  backend: string,
  timeoutSeconds: number,
  onProgress: (step: number, meanReturnLast20: number | null) => void = () => {},
): Promise<AblationRunResult> {
  const args = [
    join(REPO_ROOT, 'bin', 'rlc.js'),
    'run',
    job.file,
    '--backend',
    backend,
    '--seed',
    String(job.seed),
    '--steps',
    String(job.steps),
    '--out',
    job.outDir,
    '--json',
  ];
  mkdirSync(dirname(job.outDir), { recursive: true });
  rmSync(job.outDir, { recursive: true, force: true });
  return new Promise((resolvePromise) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let eventError: { code?: string; message?: string } | undefined;
    let trainStepsPerSecond: number | null = null;
    let trainSeconds: number | null = null;
    let cpuSeconds: number | null = null;
    let firstCpu: { step: number; cpu: number } | null = null;
    let lastCpu: { step: number; cpu: number } | null = null;
    // The child's CPU time, sampled until it exits (the last sample is at most 250 ms old).
    const cpuTimer = setInterval(() => {
      cpuSeconds = processCpuSeconds(child.pid) ?? cpuSeconds;
    }, 250);
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSeconds * 1000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      let event: {
        type?: string;
        step?: number;
        meanReturnLast20?: number | null;
        stepsPerSecond?: number;
        wallSeconds?: number;
        code?: string;
        message?: string;
      };
      try {
        event = JSON.parse(line);
      } catch {
        return;
      }
      if (event.type === 'progress' && typeof event.step === 'number') {
        onProgress(event.step, event.meanReturnLast20 ?? null);
        if (typeof event.stepsPerSecond === 'number') trainStepsPerSecond = event.stepsPerSecond;
        if (typeof event.wallSeconds === 'number') trainSeconds = event.wallSeconds;
        const cpu = processCpuSeconds(child.pid);
        if (cpu !== null) {
          lastCpu = { step: event.step, cpu };
          firstCpu ??= lastCpu;
        }
      }
      else if (event.type === 'error') eventError = { code: event.code, message: event.message };
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = tail(stderr + chunk, 4000);
    });
    const finish = (
      result: Omit<AblationRunResult, 'job' | 'processWallSeconds' | 'trainStepsPerSecond' | 'trainSeconds' | 'cpuSeconds' | 'cpuSecondsPerStep'>,
    ) => {
      clearTimeout(timer);
      clearInterval(cpuTimer);
      const cpuSecondsPerStep =
        firstCpu && lastCpu && lastCpu.step > firstCpu.step ? (lastCpu.cpu - firstCpu.cpu) / (lastCpu.step - firstCpu.step) : null;
      resolvePromise({
        job,
        processWallSeconds: (performance.now() - t0) / 1000,
        trainStepsPerSecond,
        trainSeconds,
        cpuSeconds,
        cpuSecondsPerStep,
        ...result,
      });
    };
    child.on('error', (error) => finish({ status: 'error', error: error.message, stepsDone: null, meanReturnLast20: null }));
    child.on('close', (code, signal) => {
      const summaryPath = join(job.outDir, 'summary.json');
      if (code === 0 && existsSync(summaryPath)) {
        const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as RunSummary;
        finish({ status: 'ok', summary, stepsDone: summary.steps, meanReturnLast20: summary.meanReturnLast20 });
        return;
      }
      const why = timedOut ? 'timed out' : code !== 0 ? `exit ${code ?? signal}` : 'no summary.json';
      const message = `${why}: ${eventError?.message ?? errorSummary(stderr)}`;
      if (eventError?.code === 'non-finite') {
        const last = lastMetricsRow(job.outDir);
        finish({
          status: 'diverged',
          error: message,
          stepsDone: typeof last?.step === 'number' ? last.step : null,
          meanReturnLast20: typeof last?.returnMeanLast20 === 'number' ? last.returnMeanLast20 : null,
        });
        return;
      }
      finish({ status: 'error', error: message, stepsDone: null, meanReturnLast20: null });
    });
  });
}

/** The last row of DIR/metrics.jsonl (the last iteration before a failure), or null. */
export function lastMetricsRow(outDir: string): Record<string, unknown> | null {
  const path = join(outDir, 'metrics.jsonl');
  if (!existsSync(path)) return null;
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i]) as Record<string, unknown>;
    } catch {
      // a torn last line: try the one before
    }
  }
  return null;
}
