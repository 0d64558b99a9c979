/**
 * `npm run bench -- offpolicy`: issue 6's learning targets for the off-policy and maximum-entropy
 * templates (3 seeds, same defaults for every seed) and the speed of TD3/SAC with CleanRL's
 * network and batch sizes (256-256, batch 256, one update per env step).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CliRun, fmtInt, fmtNum, passMark, pool, runCli, table } from './harness.ts';

export interface OffPolicySpec {
  template: string;
  budget: number;
  /** Final `eval.meanReturn` needed on every seed. */
  target?: number;
  /** Or: the final evaluation beats the mean training return of the first `baselineSteps` steps by `by`. */
  improvement?: { baselineSteps: number; by: number };
  /** Rough ms per env step on one 2-core-machine thread (wasm), only to start the costliest runs first. */
  msPerStep: number;
}

const cost = (spec: OffPolicySpec) => spec.budget * spec.msPerStep;

export const OFF_POLICY_LEARNING: OffPolicySpec[] = [
  { template: 'td3.pendulum', budget: 20_000, target: -200, msPerStep: 20 },
  { template: 'sac.pendulum', budget: 20_000, target: -200, msPerStep: 28 },
  { template: 'ddpg.pendulum', budget: 20_000, target: -200, msPerStep: 15 },
  { template: 'sac-v1.pendulum', budget: 30_000, target: -250, msPerStep: 35 },
  { template: 'dpg-onpolicy.pendulum', budget: 50_000, improvement: { baselineSteps: 5_000, by: 300 }, msPerStep: 3 },
  { template: 'soft-q.cartpole', budget: 200_000, target: 475, msPerStep: 1.3 },
  { template: 'soft-q.acrobot', budget: 300_000, target: -100, msPerStep: 1.3 },
  { template: 'ddpg.mountaincar-continuous', budget: 300_000, target: 90, msPerStep: 1.7 },
];

/** CleanRL on PyTorch (OpenBLAS), this machine kind, learning phase (issue 6). */
export const CLEANRL_STEPS_PER_SECOND = { 'td3.pendulum': { oneThread: 192, twoThreads: 268 }, 'sac.pendulum': { oneThread: 114, twoThreads: null } } as const;

interface MetricsRecord {
  step: number;
  returnMean?: number | null;
  episodes?: number;
  iterationSeconds?: number;
  collectSeconds?: number;
  learnSeconds?: number;
}

function readMetrics(outDir: string): MetricsRecord[] {
  try {
    return readFileSync(join(outDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as MetricsRecord);
  } catch {
    return [];
  }
}

/**
 * Mean training return of the episodes that finished within the first `steps` env steps.
 * `episodes` in metrics.jsonl is the running total; `returnMean` (null when none finished) is the
 * mean over the episodes that finished in that iteration.
 */
export function baselineReturn(rows: MetricsRecord[], steps: number): number | null {
  let sum = 0;
  let count = 0;
  let before = 0;
  for (const r of rows) {
    if (r.step > steps) break;
    const finished = (r.episodes ?? before) - before;
    before = r.episodes ?? before;
    if (finished > 0 && typeof r.returnMean === 'number') {
      sum += r.returnMean * finished;
      count += finished;
    }
  }
  return count ? sum / count : null;
}

/**
 * Env steps per second of the learning phase: iterations that began after the warm-up
 * (`warmUpSteps`), whose every step includes an update.
 */
export function learningStepsPerSecond(rows: MetricsRecord[], warmUpSteps: number): number | null {
  let steps = 0;
  let seconds = 0;
  let previous = 0;
  for (const r of rows) {
    if (previous >= warmUpSteps && r.iterationSeconds) {
      steps += r.step - previous;
      seconds += r.iterationSeconds;
    }
    previous = r.step;
  }
  return seconds > 0 ? steps / seconds : null;
}

export interface OffPolicyOptions {
  backend: string;
  seeds: number[];
  parallel: number;
  quick: boolean;
  runsRoot: string;
  templates?: string[];
  /** Recorded with each template's results. */
  gitCommit?: string | null;
}

export async function offPolicySuite(options: OffPolicyOptions, say: (text: string) => void, status: (text: string) => void, errors: string[]) {
  const specs = OFF_POLICY_LEARNING.filter((s) => !options.templates || options.templates.includes(s.template));
  const results = [];
  // Speed first: TD3 and SAC as CleanRL runs them, 1,000 warm-up steps then 2,000 with updates.
  const speed = [];
  for (const template of ['td3.pendulum', 'sac.pendulum'] as const) {
    if (options.templates && !options.templates.includes(template)) continue;
    status(`off-policy speed: ${template}`);
    const run = await runCli({ template, seed: 1, backend: options.backend, steps: options.quick ? 2_000 : 3_000, outDir: join(options.runsRoot, `${template}-speed`) });
    if (!run.ok) errors.push(run.error ?? `${template} speed run failed`);
    const rows = readMetrics(run.outDir);
    const sps = learningStepsPerSecond(rows, 1_000);
    speed.push({ template, backend: run.summary?.backend ?? null, learningStepsPerSecond: sps, cleanrl: CLEANRL_STEPS_PER_SECOND[template] });
  }
  if (speed.length) {
    say(
      table(
        'Off-policy speed: env steps/s with one update per step (256-256 networks, batch 256), learning phase',
        ['template', 'backend', 'steps/s', 'CleanRL 1 thread', 'CleanRL 2 threads'],
        speed.map((s) => [s.template, s.backend ?? '?', fmtNum(s.learningStepsPerSecond, 1), String(s.cleanrl.oneThread), s.cleanrl.twoThreads === null ? '--' : String(s.cleanrl.twoThreads)]),
      ),
    );
  }
  // Every (template, seed) run in one pool, so --parallel N keeps N cores busy across templates;
  // the costliest runs (per-step cost × budget, `costHint`) start first so the pool ends evenly.
  const budgetOf = (spec: OffPolicySpec) => (options.quick ? Math.round(spec.budget / 5) : spec.budget);
  const jobs = specs.flatMap((spec) => options.seeds.map((seed) => ({ spec, seed })));
  const order = jobs.map((_, i) => i).sort((a, b) => cost(jobs[b].spec) - cost(jobs[a].spec));
  const finished = await pool(
    order.map((i) => async (): Promise<[number, CliRun]> => {
      const { spec, seed } = jobs[i];
      const budget = budgetOf(spec);
      status(`off-policy learning: ${spec.template}, seed ${seed}, ${budget.toLocaleString('en-US')} steps`);
      const run = await runCli({ template: spec.template, seed, backend: options.backend, steps: budget, outDir: join(options.runsRoot, `${spec.template}-s${seed}`), timeoutSeconds: 4 * 3600 });
      return [i, run];
    }),
    options.parallel,
  );
  const runOf = new Map(finished);
  for (const spec of specs) {
    const budget = budgetOf(spec);
    const runs = jobs.flatMap((job, i) => (job.spec === spec ? [runOf.get(i)!] : []));
    const records = runs.map((run) => {
      if (!run.ok) errors.push(run.error ?? `${spec.template} seed ${run.seed} failed`);
      const rows = readMetrics(run.outDir);
      const evalReturn = run.summary?.eval?.meanReturn ?? null;
      const baseline = spec.improvement ? baselineReturn(rows, spec.improvement.baselineSteps) : null;
      const pass =
        run.ok && evalReturn !== null && (spec.target !== undefined ? evalReturn >= spec.target : baseline !== null && evalReturn - baseline >= spec.improvement!.by);
      return {
        seed: run.seed,
        ok: run.ok,
        evalReturn,
        evalStd: run.summary?.eval?.stdReturn ?? null,
        meanReturnLast20: run.summary?.meanReturnLast20 ?? null,
        baselineReturn: baseline,
        wallSeconds: run.summary?.wallSeconds ?? null,
        stepsPerSecond: run.summary?.stepsPerSecond ?? null,
        pass,
      };
    });
    const goal = spec.target !== undefined ? `eval ≥ ${spec.target}` : `eval − mean return of the first ${spec.improvement!.baselineSteps} steps ≥ ${spec.improvement!.by}`;
    say(
      table(
        `${spec.template}: ${budget.toLocaleString('en-US')} steps, target ${goal} every seed`,
        ['seed', 'eval return', 'last-20 return', ...(spec.improvement ? ['first-steps return'] : []), 'wall s', 'steps/s', 'target'],
        records.map((r) => [
          String(r.seed),
          r.evalReturn === null ? '--' : `${fmtNum(r.evalReturn)} ± ${fmtNum(r.evalStd)}`,
          fmtNum(r.meanReturnLast20),
          ...(spec.improvement ? [fmtNum(r.baselineReturn)] : []),
          fmtNum(r.wallSeconds, 1),
          fmtInt(r.stepsPerSecond),
          r.ok ? passMark(r.pass) : 'error',
        ]),
      ),
    );
    results.push({ ...spec, budget, measuredAt: new Date().toISOString(), gitCommit: options.gitCommit ?? null, seedsPassing: records.filter((r) => r.pass).length, allSeedsMeetTarget: records.length > 0 && records.every((r) => r.pass), runs: records });
  }
  if (results.length) {
    say(
      table(
        `Off-policy learning targets${options.quick ? ' (quick run: budgets ÷ 5, targets not expected to be met)' : ''}`,
        ['template', 'budget', 'target', 'seeds passing', 'result'],
        results.map((t) => [t.template, fmtInt(t.budget), t.target !== undefined ? `≥ ${t.target}` : `+${t.improvement!.by}`, `${t.seedsPassing}/${t.runs.length}`, passMark(t.allSeedsMeetTarget)]),
      ),
    );
  }
  return { speed, templates: results };
}

type Entry = { template: string } & Record<string, unknown>;
interface PartialReport {
  speed?: Entry[];
  templates?: Entry[];
  [key: string]: unknown;
}

/**
 * A `--templates` rerun replaces only its own templates' entries in the day's `offpolicy` results
 * (each entry carries the `gitCommit` and `measuredAt` of the run that measured it); the other
 * templates' entries and speed rows are kept, in the suite's template order.
 */
export function mergeOffPolicyReport(previous: PartialReport | undefined, report: PartialReport): PartialReport {
  if (!previous) return report;
  const order = (name: string) => {
    const i = OFF_POLICY_LEARNING.findIndex((s) => s.template === name);
    return i < 0 ? OFF_POLICY_LEARNING.length : i;
  };
  const merge = <T extends { template: string }>(old: T[] = [], fresh: T[] = []) => {
    const replaced = new Set(fresh.map((t) => t.template));
    return [...old.filter((t) => !replaced.has(t.template)), ...fresh].sort((a, b) => order(a.template) - order(b.template));
  };
  return { ...report, speed: merge(previous.speed, report.speed), templates: merge(previous.templates, report.templates) };
}
