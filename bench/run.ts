/**
 * `npm run bench`: speed and learning benchmarks of RL Composer. See bench/README.md.
 *
 *   npm run bench [-- --suite speed|learning|ui|all] [--backend wasm] [--seeds 1,2,3] [--quick]
 *                 [--parallel 1|2] [--keep-runs]
 *   npm run bench -- offpolicy [--templates td3.pendulum,...] [--seeds 1,2,3] [--parallel N]   (bench/offpolicy.ts)
 *   npm run bench -- ppo-ablation [--quick] [--workers N] [--steps N|ENV=N,...] [--seeds 1,2,3]
 *                 [--variants id,...] [--envs id,...] [--score last20|eval]   (bench/ppo-ablation.ts)
 *
 * Every measurement runs in a child process (a bench/part-*.ts script or `rlc run`), so each
 * starts from a clean tfjs/wasm state and its own RSS; this process loads no TensorFlow.js.
 * Prints a table per section and merges the results into bench/results/<YYYY-MM-DD>.json under
 * the suite's key ("speed", "learning", "ui"; "-quick" appended for --quick runs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CLASSIC_ENV_IDS } from '../nodes/env/classic/index.ts';
import type { EnvSpeedResult } from './part-env-speed.ts';
import type { MemoryResult } from './part-memory.ts';
import type { UiResult } from './part-ui.ts';
import type { PpoMicro } from './ppo-update.ts';
import {
  type CliRun,
  fmtInt,
  fmtMiB,
  fmtNum,
  fmtRate,
  machineInfo,
  type MachineInfo,
  median,
  type PartRun,
  passMark,
  pool,
  round,
  runCli,
  runPart,
  readResults,
  saveResults,
  table,
  today,
} from './harness.ts';
import { mergeOffPolicyReport, offPolicySuite } from './offpolicy.ts';
import { type AblationOptions, AblationUsageError, ppoAblationSuite, type ScoreSource } from './ppo-ablation.ts';

// ---------------------------------------------------------------------------------------------
// Targets (bench/README.md explains each)

export const TARGETS = {
  /** PPO-clip, CleanRL configuration, end to end on wasm (2-core machine); CleanRL's PyTorch ppo.py does 9,300. */
  cleanrlStepsPerSecond: 14_000,
  /** Main PPO-clip template: spawn of `rlc run` → mean return of the last 20 episodes ≥ 475. */
  mainLaunchToThresholdSeconds: 10,
  /** CartPole-v1 raw VecEnv stepping at numEnvs 64. */
  cartPoleRawStepsPerSecond64: 10_000_000,
  /** Tensor count must not grow between the two memory samples. */
  tensorGrowth: 0,
  /** RSS "no growth" tolerance between the two samples (allocator/JIT noise, episode history). */
  rssGrowthToleranceBytes: 8 * 2 ** 20,
  /** Editor, headless Chromium: pan/zoom of a 200-node graph, mean fps. */
  uiPanZoomFps: 50,
  /** Editor: open a 200-node graph (click → all 200 nodes in the DOM), ms. */
  uiOpenMs: 1000,
  /** Editor: frame rate of the page while a run streams metrics into the charts, mean fps. */
  uiChartFps: 50,
} as const;

const MAIN_TEMPLATE = 'ppo-clip.cartpole';
const CLEANRL_TEMPLATE = 'ppo-clip.cartpole.cleanrl';
const THRESHOLD_KEY = '475';

/** "≥T: step" for the environment's reward threshold T, whichever it is ('--' if never or none). */
function thresholdReached(firstStepReaching: Record<string, number | null> | null | undefined): string {
  const entry = firstStepReaching ? Object.entries(firstStepReaching)[0] : undefined;
  return entry && entry[1] !== null ? `≥${entry[0]}: ${fmtInt(entry[1])}` : '--';
}

interface LearningSpec {
  template: string;
  budget: number;
  target: number;
}

const LEARNING: LearningSpec[] = [
  { template: 'ppo-clip.cartpole', budget: 100_000, target: 475 },
  { template: 'a2c.cartpole', budget: 500_000, target: 475 },
  { template: 'reinforce.cartpole', budget: 500_000, target: 400 },
  { template: 'trpo.cartpole', budget: 300_000, target: 475 },
  { template: 'npg.cartpole', budget: 300_000, target: 475 },
  { template: 'tnpg.cartpole', budget: 300_000, target: 475 },
  { template: 'trpo.acrobot', budget: 500_000, target: -100 },
  { template: 'ppo-kl-adaptive.cartpole', budget: 200_000, target: 475 },
  { template: 'ppo-kl-fixed.cartpole', budget: 200_000, target: 475 },
  { template: 'ppo-clip.acrobot', budget: 500_000, target: -100 },
  { template: 'is-pg.cartpole', budget: 500_000, target: 400 },
  { template: 'trust-region-lagrangian.cartpole', budget: 500_000, target: 400 },
  { template: 'ppo-clip.pendulum', budget: 500_000, target: -300 },
];
/** --quick divides the learning budgets by this (smoke run: targets are not expected to be met). */
const QUICK_BUDGET_DIVISOR = 5;

/**
 * `all` runs speed, learning and ui; `ppo-ablation` (about an hour) and `offpolicy` (issue 6: TD3/SAC
 * speed, 8 templates × 3 seeds, several hours on one core) run only when named.
 */
const SUITES = ['speed', 'learning', 'ui', 'all', 'ppo-ablation', 'offpolicy'] as const;

interface Options {
  suite: (typeof SUITES)[number];
  backend: string;
  seeds: number[];
  seedsGiven: boolean;
  quick: boolean;
  parallel: number;
  keepRuns: boolean;
  runsRoot: string;
}

interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  pass: boolean | null;
  note?: string;
}

const errors: string[] = [];

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

function status(text: string): void {
  process.stderr.write(`· ${text}\n`);
}

function partValue<T>(run: PartRun<T>, label: string): T | null {
  if (run.ok && run.envelope) return run.envelope.result;
  errors.push(`${label}: ${run.error}`);
  say(`${label}: FAILED: ${run.error}\n`);
  return null;
}

function cliFailed(run: CliRun): boolean {
  if (run.ok) return false;
  errors.push(run.error ?? `${run.template} seed ${run.seed} failed`);
  say(`FAILED: ${run.error}`);
  return true;
}

/** Compact per-run record for the results file. */
function runRecord(run: CliRun) {
  const s = run.summary;
  const reach = s?.secondsReaching?.[THRESHOLD_KEY] ?? null;
  return {
    template: run.template,
    seed: run.seed,
    ok: run.ok,
    ...(run.error ? { error: run.error } : {}),
    backend: s?.backend ?? null,
    steps: s?.steps ?? null,
    wallSeconds: s?.wallSeconds ?? null,
    stepsPerSecond: s?.stepsPerSecond ?? null,
    trainStepsPerSecond: run.trainStepsPerSecond === null ? null : round(run.trainStepsPerSecond, 1),
    processWallSeconds: round(run.processWallSeconds),
    startupSeconds: run.startupSeconds === null ? null : round(run.startupSeconds),
    episodes: s?.episodes ?? null,
    meanReturnLast20: s?.meanReturnLast20 ?? null,
    eval: s?.eval ?? null,
    firstStepReaching: s?.firstStepReaching ?? null,
    secondsReaching: s?.secondsReaching ?? null,
    launchToThresholdSeconds: reach !== null && run.startupSeconds !== null ? round(run.startupSeconds + reach) : null,
  };
}

function backendsUsed(list: (string | null | undefined)[]): string | string[] | null {
  const set = [...new Set(list.filter((b): b is string => typeof b === 'string'))];
  return set.length === 0 ? null : set.length === 1 ? set[0] : set;
}

function header(suite: string, options: Options, machine: MachineInfo): void {
  say(
    `\n=== ${suite} suite${options.quick ? ' (quick)' : ''} · backend ${options.backend} · ${machine.cpuCount}× ${machine.cpuModel} · node ${machine.node} · ` +
      `commit ${machine.gitCommit?.slice(0, 10) ?? 'unknown'}${machine.gitDirty ? ' (+ uncommitted changes)' : ''} · load ${machine.loadAverageAtStart.join(' ')}\n`,
  );
}

// ---------------------------------------------------------------------------------------------
// Speed suite

async function speedSuite(options: Options) {
  const startedAt = new Date();
  const firstError = errors.length;
  const machine = machineInfo();
  header('speed', options, machine);
  const backends: (string | null)[] = [];

  // 1. Raw env stepping, one process per env.
  const envSeconds = options.quick ? 0.25 : 1;
  const sizes = [1, 64];
  const envSpeed: (EnvSpeedResult & { maxRssKiB: number })[] = [];
  for (const id of CLASSIC_ENV_IDS) {
    status(`env speed: ${id}`);
    const run = runPart<EnvSpeedResult>('part-env-speed.ts', ['--env', id, '--sizes', sizes.join(','), '--seconds', String(envSeconds)]);
    const value = partValue(run, `env speed ${id}`);
    if (value) {
      const rounded = Object.fromEntries(Object.entries(value.stepsPerSecond).map(([n, sps]) => [n, Math.round(sps)]));
      envSpeed.push({ ...value, stepsPerSecond: rounded, maxRssKiB: run.envelope!.maxRssKiB });
    }
  }
  say(
    table(
      '1. Raw env steps/s (random actions, no policy)',
      ['env', ...sizes.map((n) => `numEnvs ${n}`)],
      envSpeed.map((r) => [r.env, ...sizes.map((n) => fmtRate(r.stepsPerSecond[String(n)]))]),
      `(${envSeconds} s per cell after a JIT warm-up; one process per env)`,
    ),
  );

  // 2. PPO micro-benchmarks.
  status('PPO micro-benchmarks');
  const microIterations = options.quick ? 5 : 20;
  const microRun = runPart<PpoMicro & { iterations: number }>('part-ppo-micro.ts', ['--backend', options.backend, '--iterations', String(microIterations)]);
  const micro = partValue(microRun, 'PPO micro');
  backends.push(microRun.envelope?.tfjsBackend ?? null);
  if (micro) {
    say(
      table(
        `2. PPO hot path, CleanRL configuration (backend ${microRun.envelope!.tfjsBackend}, medians)`,
        ['measurement', 'ms'],
        [
          ['policy forward, batch 1', fmtNum(micro.policyForwardMs.batch1, 3)],
          ['policy forward, batch 4', fmtNum(micro.policyForwardMs.batch4, 3)],
          ['one PPO minibatch update (128)', fmtNum(micro.updateMs, 2)],
          ['collect phase per iteration (512 steps)', fmtNum(micro.collectMsPerIteration, 1)],
          ['learn phase per iteration (16 updates)', fmtNum(micro.learnMsPerIteration, 1)],
        ],
        `(${micro.iterations} timed iterations after 5 warm-up; forward = median of 2,000 act() calls)`,
      ),
    );
  }

  // 3. End to end: PPO-clip CleanRL configuration through the CLI.
  const cleanrlSteps = options.quick ? 100_000 : 500_000;
  const cleanrlSeed = options.seeds[0];
  status(`end to end: ${CLEANRL_TEMPLATE}, ${cleanrlSteps.toLocaleString('en-US')} steps, seed ${cleanrlSeed}`);
  const cleanrlRun = await runCli({
    template: CLEANRL_TEMPLATE,
    seed: cleanrlSeed,
    backend: options.backend,
    steps: cleanrlSteps,
    outDir: join(options.runsRoot, `${CLEANRL_TEMPLATE}-s${cleanrlSeed}`),
  });
  const cleanrl = runRecord(cleanrlRun);
  backends.push(cleanrl.backend);
  if (!cliFailed(cleanrlRun)) {
    say(
      table(
        `3. End to end: PPO-clip CartPole, CleanRL configuration (rlc run, backend ${cleanrl.backend}, seed ${cleanrlSeed})`,
        ['steps', 'wall s', 'env steps/s', 'train-only steps/s', 'process wall s', 'eval return', 'target ≥ 14,000/s'],
        [
          [
            fmtInt(cleanrl.steps),
            fmtNum(cleanrl.wallSeconds, 2),
            fmtInt(cleanrl.stepsPerSecond),
            fmtInt(cleanrl.trainStepsPerSecond),
            fmtNum(cleanrl.processWallSeconds, 2),
            fmtNum(cleanrl.eval?.meanReturn ?? null, 1),
            passMark((cleanrl.stepsPerSecond ?? 0) >= TARGETS.cleanrlStepsPerSecond),
          ],
        ],
        '(env steps/s = summary.stepsPerSecond: steps / wall s of the session, final evaluation included; train-only = last progress event)',
      ),
    );
  }

  // 4. Main template: time to threshold from launch, per seed.
  const mainSeeds = options.quick && !options.seedsGiven ? options.seeds.slice(0, 1) : options.seeds;
  const mainRuns: ReturnType<typeof runRecord>[] = [];
  for (const seed of mainSeeds) {
    status(`time to threshold: ${MAIN_TEMPLATE}, seed ${seed}`);
    const run = await runCli({
      template: MAIN_TEMPLATE,
      seed,
      backend: options.backend,
      outDir: join(options.runsRoot, `${MAIN_TEMPLATE}-s${seed}`),
    });
    cliFailed(run);
    mainRuns.push(runRecord(run));
    backends.push(run.summary?.backend ?? null);
  }
  const launchTimes = mainRuns.map((r) => r.launchToThresholdSeconds);
  const mainPass = mainRuns.length > 0 && launchTimes.every((t) => t !== null && t <= TARGETS.mainLaunchToThresholdSeconds);
  say(
    table(
      `4. Main template ${MAIN_TEMPLATE}: time to mean-of-last-20 ≥ ${THRESHOLD_KEY} (rlc run, backend ${backendsUsed(mainRuns.map((r) => r.backend)) ?? '?'})`,
      ['seed', 'launch→475 s', 'session→475 s', 'startup s', 'process wall s', 'first step ≥475', 'eval return', 'steps/s', '≤ 10 s'],
      mainRuns.map((r) => [
        String(r.seed),
        fmtNum(r.launchToThresholdSeconds, 2),
        fmtNum(r.secondsReaching?.[THRESHOLD_KEY] ?? null, 2),
        fmtNum(r.startupSeconds, 2),
        fmtNum(r.processWallSeconds, 2),
        fmtInt(r.firstStepReaching?.[THRESHOLD_KEY] ?? null),
        fmtNum(r.eval?.meanReturn ?? null, 1),
        fmtInt(r.stepsPerSecond),
        r.ok ? passMark(r.launchToThresholdSeconds !== null && r.launchToThresholdSeconds <= TARGETS.mainLaunchToThresholdSeconds) : 'error',
      ]),
      '(launch→475 = startup + session→475; startup = spawn → session clock start (node, tsx, backend, compile); session→475 = summary.secondsReaching)' +
        (mainSeeds.length < options.seeds.length ? `\n(--quick: seed ${mainSeeds.join(',')} only; pass --seeds to run more)` : ''),
    ),
  );

  // 5. Memory: tensors and RSS between two iterations of a RunSession.
  const at = options.quick ? [10, 50] : [10, 200];
  status(`memory: ${MAIN_TEMPLATE}, iterations ${at.join(' and ')}`);
  const memoryRun = runPart<MemoryResult>('part-memory.ts', ['--backend', options.backend, '--at', at.join(',')], { nodeFlags: ['--expose-gc'] });
  const memory = partValue(memoryRun, 'memory');
  backends.push(memoryRun.envelope?.tfjsBackend ?? null);
  if (memory) {
    const [a, b] = [memory.samples[0], memory.samples[memory.samples.length - 1]];
    say(
      table(
        `5. Memory: RunSession on ${MAIN_TEMPLATE} (backend ${memoryRun.envelope!.tfjsBackend}${memory.gc ? ', after a full GC' : ', no GC available'})`,
        ['', `iteration ${a.iteration}`, `iteration ${b.iteration}`, 'difference'],
        [
          ['tf.memory().numTensors', fmtInt(a.numTensors), fmtInt(b.numTensors), `${b.numTensors - a.numTensors >= 0 ? '+' : ''}${b.numTensors - a.numTensors}`],
          ['tf.memory().numBytes', fmtMiB(a.numBytes), fmtMiB(b.numBytes), fmtMiB(b.numBytes - a.numBytes, true)],
          ['process RSS', fmtMiB(a.rssBytes), fmtMiB(b.rssBytes), fmtMiB(b.rssBytes - a.rssBytes, true)],
          ['V8 heap used', fmtMiB(a.heapUsedBytes), fmtMiB(b.heapUsedBytes), fmtMiB(b.heapUsedBytes - a.heapUsedBytes, true)],
          ['external (incl. wasm heap)', fmtMiB(a.externalBytes), fmtMiB(b.externalBytes), fmtMiB(b.externalBytes - a.externalBytes, true)],
        ],
      ),
    );
  }

  // Targets.
  const cartPole64 = envSpeed.find((r) => r.env === 'CartPole-v1')?.stepsPerSecond['64'] ?? null;
  const worstLaunch = launchTimes.some((t) => t === null) ? null : Math.max(...(launchTimes as number[]));
  const targets: TargetCheck[] = [
    {
      name: 'PPO-clip CleanRL config end to end',
      target: `≥ ${TARGETS.cleanrlStepsPerSecond.toLocaleString('en-US')} env steps/s`,
      measured: cleanrlRun.ok ? `${fmtInt(cleanrl.stepsPerSecond)}/s` : 'error',
      pass: cleanrlRun.ok ? (cleanrl.stepsPerSecond ?? 0) >= TARGETS.cleanrlStepsPerSecond : false,
      note: `${cleanrlSteps.toLocaleString('en-US')} steps; target defined for a 2-core machine, this one has ${machine.cpuCount}`,
    },
    {
      name: 'main template launch → last-20 ≥ 475',
      target: `≤ ${TARGETS.mainLaunchToThresholdSeconds} s, every seed`,
      measured: worstLaunch === null ? 'not reached / error' : `worst ${worstLaunch.toFixed(2)} s, median ${fmtNum(median(launchTimes as number[]), 2)} s`,
      pass: mainPass,
      note: `seeds ${mainSeeds.join(',')}`,
    },
    {
      name: 'CartPole-v1 raw env, numEnvs 64',
      target: `≥ ${fmtRate(TARGETS.cartPoleRawStepsPerSecond64)}`,
      measured: fmtRate(cartPole64),
      pass: cartPole64 === null ? false : cartPole64 >= TARGETS.cartPoleRawStepsPerSecond64,
    },
    {
      name: `tensor count growth, iteration ${at[0]} → ${at[1]}`,
      target: '0',
      measured: memory ? String(memory.delta.numTensors) : 'error',
      pass: memory ? memory.delta.numTensors <= TARGETS.tensorGrowth : false,
    },
    {
      name: `RSS growth, iteration ${at[0]} → ${at[1]}`,
      target: `none (≤ ${fmtMiB(TARGETS.rssGrowthToleranceBytes)} noise)`,
      measured: memory ? fmtMiB(memory.delta.rssBytes, true) : 'error',
      pass: memory ? memory.delta.rssBytes <= TARGETS.rssGrowthToleranceBytes : false,
    },
  ];
  say(
    table(
      `Speed targets${options.quick ? ' (quick run: shorter budgets, indicative only)' : ''}`,
      ['target', 'goal', 'measured', 'result'],
      targets.map((t) => [t.name, t.target, t.measured, passMark(t.pass)]),
      undefined,
      3,
    ),
  );

  const finishedAt = new Date();
  return {
    suite: 'speed',
    quick: options.quick,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
    options: { backend: options.backend, seeds: mainSeeds },
    machine: {
      ...machine,
      tfjsBackend: backendsUsed(backends),
      wasmSimd: microRun.envelope?.extra?.wasmSimd ?? null,
      wasmThreads: microRun.envelope?.extra?.wasmThreads ?? null,
      tfjsVersion: microRun.envelope?.extra?.tfjsVersion ?? null,
      loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)),
    },
    envSpeed: { secondsPerCell: envSeconds, results: envSpeed },
    ppoMicro: micro
      ? {
          updateMs: round(micro.updateMs, 4),
          collectMsPerIteration: round(micro.collectMsPerIteration, 3),
          learnMsPerIteration: round(micro.learnMsPerIteration, 3),
          policyForwardMs: { batch1: round(micro.policyForwardMs.batch1, 5), batch4: round(micro.policyForwardMs.batch4, 5) },
          iterations: micro.iterations,
          backend: microRun.envelope!.tfjsBackend,
          maxRssKiB: microRun.envelope!.maxRssKiB,
        }
      : null,
    cleanrlEndToEnd: cleanrl,
    mainTemplate: {
      template: MAIN_TEMPLATE,
      runs: mainRuns,
      medianLaunchToThresholdSeconds: launchTimes.every((t) => t !== null) ? median(launchTimes as number[]) : null,
      worstLaunchToThresholdSeconds: worstLaunch,
    },
    memory: memory ? { ...memory, backend: memoryRun.envelope!.tfjsBackend, maxRssKiB: memoryRun.envelope!.maxRssKiB } : null,
    targets,
    errors: errors.slice(firstError),
  };
}

// ---------------------------------------------------------------------------------------------
// Learning suite

async function learningSuite(options: Options) {
  const startedAt = new Date();
  const firstError = errors.length;
  const machine = machineInfo();
  header('learning', options, machine);
  const specs = LEARNING.map((s) => ({ ...s, budget: options.quick ? Math.round(s.budget / QUICK_BUDGET_DIVISOR) : s.budget }));

  // Templates one after another; within a template, up to --parallel seeds at a time.
  const backends: (string | undefined)[] = [];
  const templates = [];
  for (const spec of specs) {
    const jobs = options.seeds.map((seed) => async () => {
      status(`learning: ${spec.template}, seed ${seed}, ${spec.budget.toLocaleString('en-US')} steps`);
      const run = await runCli({
        template: spec.template,
        seed,
        backend: options.backend,
        steps: spec.budget,
        outDir: join(options.runsRoot, `${spec.template}-s${seed}`),
      });
      cliFailed(run);
      return run;
    });
    const runs = await pool(jobs, options.parallel);
    backends.push(...runs.map((r) => r.summary?.backend));
    const records = runs.map(runRecord);
    const passes = records.map((r) => r.ok && (r.eval?.meanReturn ?? -Infinity) >= spec.target);
    say(
      table(
        `${spec.template}: ${spec.budget.toLocaleString('en-US')} steps, target eval ≥ ${spec.target} every seed`,
        ['seed', 'eval return', 'last-20 return', 'first step ≥ env threshold', 'wall s', 'steps/s', 'target'],
        records.map((r, i) => [
          String(r.seed),
          r.eval?.meanReturn === null || r.eval?.meanReturn === undefined ? '--' : `${fmtNum(r.eval.meanReturn)} ± ${fmtNum(r.eval.stdReturn)}`,
          fmtNum(r.meanReturnLast20),
          // The env's own reward threshold (CartPole 475, Acrobot -100); Pendulum has none.
          thresholdReached(r.firstStepReaching),
          fmtNum(r.wallSeconds, 2),
          fmtInt(r.stepsPerSecond),
          r.ok ? passMark(passes[i]) : 'error',
        ]),
      ),
    );
    templates.push({
      ...spec,
      seedsPassing: passes.filter(Boolean).length,
      allSeedsMeetTarget: records.length > 0 && passes.every(Boolean),
      runs: records,
    });
  }

  say(
    table(
      `Learning targets${options.quick ? ` (quick run: budgets ÷ ${QUICK_BUDGET_DIVISOR}, targets not expected to be met)` : ''}`,
      ['template', 'budget', 'target (eval)', 'seeds passing', 'result'],
      templates.map((t) => [
        t.template,
        fmtInt(t.budget),
        `≥ ${t.target}`,
        `${t.seedsPassing}/${t.runs.length}`,
        passMark(t.allSeedsMeetTarget),
      ]),
      options.parallel > 1 ? `(${options.parallel} runs at a time: wall times and steps/s are not comparable with --parallel 1)` : undefined,
    ),
  );

  const finishedAt = new Date();
  return {
    suite: 'learning',
    quick: options.quick,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
    options: { backend: options.backend, seeds: options.seeds, parallel: options.parallel },
    machine: {
      ...machine,
      tfjsBackend: backendsUsed(backends),
      loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)),
    },
    templates,
    errors: errors.slice(firstError),
  };
}

// ---------------------------------------------------------------------------------------------
// UI suite: the editor in headless Chromium (bench/part-ui.ts)

async function uiSuite(options: Options) {
  const startedAt = new Date();
  const firstError = errors.length;
  const machine = machineInfo();
  header('ui', options, machine);
  const seconds = options.quick ? 1.5 : 3;
  status(`ui: 200-node graph open, pan/zoom and streaming charts in headless Chromium (${seconds} s per frame-rate measurement)`);
  const run = runPart<UiResult>('part-ui.ts', ['--seconds', String(seconds)], { timeoutSeconds: 300 });
  const ui = partValue(run, 'ui');
  const fps = (s: { meanFps: number; p5Fps: number; p95FrameMs: number; frames: number; seconds: number }) => [
    fmtNum(s.meanFps, 1),
    fmtNum(s.p95FrameMs, 1),
    fmtNum(s.p5Fps, 1),
    `${s.frames} in ${fmtNum(s.seconds, 2)} s`,
  ];
  const targets: TargetCheck[] = [];
  if (ui) {
    say(
      table(
        `UI: editor in headless Chromium ${ui.chromium} (${ui.viewport.width}×${ui.viewport.height})`,
        ['measurement', 'mean fps', 'p95 frame ms', 'p5 fps', 'frames', 'detail'],
        [
          ['open 200-node graph', '--', '--', '--', '--', `${fmtNum(ui.openMs, 0)} ms (${ui.nodes} nodes, ${ui.edges} edges)`],
          ['pan/zoom 200 nodes', ...fps(ui.panZoom), `${ui.panZoom.wheelEvents} wheel steps, ${ui.panZoom.drags} drags`],
          ['charts while streaming', ...fps(ui.chart), `${fmtNum(ui.chart.metricsPerSecond, 1)} points/s (${ui.chart.pointsBefore} → ${ui.chart.pointsAfter})`],
        ],
        '(fps from requestAnimationFrame timestamps in the page; p95 frame ms = 95th-percentile frame time, p5 fps = 1000 / it.\n' +
          ' headless Chromium paces rAF at 60 Hz, so 60 fps is the ceiling; software rendering (--disable-gpu))',
      ),
    );
    targets.push(
      {
        name: '200-node graph pan/zoom',
        target: `≥ ${TARGETS.uiPanZoomFps} fps`,
        measured: `${fmtNum(ui.panZoom.meanFps, 1)} fps (p5 ${fmtNum(ui.panZoom.p5Fps, 1)})`,
        pass: ui.panZoom.meanFps >= TARGETS.uiPanZoomFps,
      },
      {
        name: '200-node graph open',
        target: `< ${fmtInt(TARGETS.uiOpenMs)} ms`,
        measured: `${fmtNum(ui.openMs, 0)} ms`,
        pass: ui.openMs < TARGETS.uiOpenMs,
      },
      {
        name: 'charts while metrics stream',
        target: `≥ ${TARGETS.uiChartFps} fps`,
        measured: `${fmtNum(ui.chart.meanFps, 1)} fps (p5 ${fmtNum(ui.chart.p5Fps, 1)})`,
        pass: ui.chart.meanFps >= TARGETS.uiChartFps,
      },
    );
  } else {
    targets.push(
      { name: '200-node graph pan/zoom', target: `≥ ${TARGETS.uiPanZoomFps} fps`, measured: 'error', pass: false },
      { name: '200-node graph open', target: `< ${fmtInt(TARGETS.uiOpenMs)} ms`, measured: 'error', pass: false },
      { name: 'charts while metrics stream', target: `≥ ${TARGETS.uiChartFps} fps`, measured: 'error', pass: false },
    );
  }
  say(
    table(
      `UI targets${options.quick ? ' (quick run: shorter measurements, indicative only)' : ''}`,
      ['target', 'goal', 'measured', 'result'],
      targets.map((t) => [t.name, t.target, t.measured, passMark(t.pass)]),
      undefined,
      3,
    ),
  );

  const finishedAt = new Date();
  return {
    suite: 'ui',
    quick: options.quick,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
    options: { secondsPerMeasurement: seconds },
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)) },
    ui: ui
      ? {
          ...ui,
          openMs: round(ui.openMs, 1),
          panZoom: roundStats(ui.panZoom),
          chart: { ...roundStats(ui.chart), metricsPerSecond: round(ui.chart.metricsPerSecond, 2) },
          maxRssKiB: run.envelope!.maxRssKiB,
        }
      : null,
    targets,
    errors: errors.slice(firstError),
  };
}

function roundStats<T extends { meanFps: number; p5Fps: number; p95FrameMs: number; maxFrameMs: number; seconds: number }>(s: T): T {
  return { ...s, meanFps: round(s.meanFps, 2), p5Fps: round(s.p5Fps, 2), p95FrameMs: round(s.p95FrameMs, 2), maxFrameMs: round(s.maxFrameMs, 2), seconds: round(s.seconds, 3) };
}

// ---------------------------------------------------------------------------------------------

function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (!seeds.length || seeds.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new InvalidArgumentError(`--seeds must be comma-separated non-negative integers (got '${text}')`);
  }
  return [...new Set(seeds)];
}

function parseList(text: string): string[] {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (!list.length) throw new InvalidArgumentError(`expected a comma-separated list (got '${text}')`);
  return list;
}

/** `--steps 100000` (every env) or `--steps CartPole-v1=100000,Acrobot-v1=300000`. */
function parseSteps(text: string): number | Record<string, number> {
  const positive = (t: string) => {
    const n = Number(t.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--steps: '${t}' is not a positive integer`);
    return n;
  };
  if (!text.includes('=')) return positive(text);
  return Object.fromEntries(
    text.split(',').map((pair) => {
      const [env, n] = pair.split('=');
      if (!env || n === undefined) throw new InvalidArgumentError(`--steps expects N or ENV=N,... (got '${text}')`);
      return [env.trim(), positive(n.trim())];
    }),
  );
}

function parseParallel(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--parallel must be a positive integer (got '${text}')`);
  return n;
}

async function main(): Promise<number> {
  const program = new Command()
    .name('npm run bench --')
    .description('RL Composer benchmarks (see bench/README.md)')
    .argument('[suite]', `which suite, same as --suite (${SUITES.join(', ')})`)
    .addOption(new Option('--suite <suite>', 'which suite').choices([...SUITES]).default('speed'))
    .addOption(new Option('--backend <b>', 'tfjs backend for every run').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default('wasm'))
    .option('--seeds <list>', 'comma-separated seeds', parseSeeds, [1, 2, 3])
    .option('--quick', 'shorter budgets everywhere: a smoke run, not a measurement', false)
    .option('--parallel <n>', 'learning suite: runs of different seeds at a time (affects timings)', parseParallel, 1)
    .option('--keep-runs', 'keep the rlc run folders (under the OS temp dir) instead of deleting them', false)
    .option('--workers <n>', 'ppo-ablation: runs at a time (default: available cores)', parseParallel, os.availableParallelism())
    .option('--steps <budget>', 'ppo-ablation: env steps per run, N for every env or ENV=N,... (e.g. CartPole-v1=100000)', parseSteps)
    .option('--variants <list>', 'ppo-ablation: only these variant ids (e.g. no-clip,clip-0.2)', parseList)
    .option('--envs <list>', 'ppo-ablation: only these envs (e.g. CartPole-v1)', parseList)
    .option('--templates <list>', 'offpolicy: only these templates (e.g. td3.pendulum,sac.pendulum)', parseList)
    .addOption(new Option('--score <source>', 'ppo-ablation: the score of a run').choices(['last20', 'eval']).default('last20'))
    .parse(process.argv);
  const flags = program.opts<{
    suite: Options['suite'];
    backend: string;
    seeds: number[];
    quick: boolean;
    parallel: number;
    keepRuns: boolean;
    workers: number;
    steps?: AblationOptions['steps'];
    variants?: string[];
    envs?: string[];
    templates?: string[];
    score: ScoreSource;
  }>();
  const positional = program.args[0];
  if (positional !== undefined) {
    if (!(SUITES as readonly string[]).includes(positional)) program.error(`unknown suite '${positional}' (one of ${SUITES.join(', ')})`);
    if (program.getOptionValueSource('suite') === 'cli' && flags.suite !== positional) program.error(`two suites given: '${positional}' and --suite ${flags.suite}`);
    flags.suite = positional as Options['suite'];
  }
  const runsRoot = mkdtempSync(join(os.tmpdir(), 'rlc-bench-'));
  const options: Options = {
    ...flags,
    seedsGiven: program.getOptionValueSource('seeds') === 'cli',
    runsRoot,
  };
  process.once('SIGINT', () => {
    // Children share the terminal's process group and get the SIGINT too.
    if (!options.keepRuns) rmSync(runsRoot, { recursive: true, force: true });
    process.exit(130);
  });
  const date = today();
  const suffix = options.quick ? '-quick' : '';
  const written = new Set<string>();
  try {
    if (options.suite === 'speed' || options.suite === 'all') {
      written.add(saveResults(`speed${suffix}`, await speedSuite(options), date));
    }
    if (options.suite === 'learning' || options.suite === 'all') {
      written.add(saveResults(`learning${suffix}`, await learningSuite(options), date));
    }
    if (options.suite === 'ui' || options.suite === 'all') {
      written.add(saveResults(`ui${suffix}`, await uiSuite(options), date));
    }
    if (options.suite === 'offpolicy') {
      const startedAt = new Date();
      const machine = machineInfo();
      const report = await offPolicySuite({ ...options, templates: flags.templates, gitCommit: machine.gitCommit }, say, status, errors);
      const finishedAt = new Date();
      const previous = flags.templates ? (readResults(date)[`offpolicy${suffix}`] as Parameters<typeof mergeOffPolicyReport>[0]) : undefined;
      written.add(
        saveResults(`offpolicy${suffix}`, mergeOffPolicyReport(previous, {
          suite: 'offpolicy',
          quick: options.quick,
          startedAt: startedAt.toISOString(),
          finishedAt: finishedAt.toISOString(),
          durationSeconds: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
          options: { backend: options.backend, seeds: options.seeds, parallel: options.parallel },
          machine: { ...machine, loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)) },
          ...report,
        }), date),
      );
    }
    if (options.suite === 'ppo-ablation') {
      const report = await ppoAblationSuite(
        { ...options, steps: flags.steps, variants: flags.variants, envs: flags.envs, workers: flags.workers, score: flags.score },
        say,
        status,
      ).catch((error: unknown) => {
        if (!(error instanceof AblationUsageError)) throw error;
        process.stderr.write(`error: ${error.message}\n`);
        return null;
      });
      if (!report) return 2;
      errors.push(...report.errors);
      written.add(saveResults(report.resultsKey, report, date));
    }
  } finally {
    if (options.keepRuns) say(`run folders kept in ${runsRoot}`);
    else rmSync(runsRoot, { recursive: true, force: true });
  }
  for (const path of written) say(`results: ${path}`);
  if (errors.length) {
    say(`\n${errors.length} measurement(s) failed:`);
    for (const e of errors) say(`  - ${e}`);
    return 1;
  }
  return 0;
}

process.exitCode = await main();
