/**
 * `npm run bench -- ppo-ablation`: the PPO ablation table of Schulman et al. 2017 (Table 1, the
 * lecture's table) on CartPole-v1 and Acrobot-v1. See bench/README.md, "PPO ablation".
 *
 * 1. Base graph per env: templates/ppo-clip.<env>.rlgraph.json (or the CartPole one with its env
 *    id changed); the eleven variants are graph transformations of it (bench/ablation/variants.ts),
 *    written to the runs folder and compiled in one child process (bench/ablation/part-validate.ts)
 *    before anything trains: a missing block is reported by name and its rows are skipped.
 * 2. The random-policy level of every env, measured here (uniform random actions, no tfjs).
 * 3. Every variant × env × seed as an `rlc run` child process, `--workers` at a time.
 * 4. Scores: per env random = 0, best variant = 1; mean over envs and seeds with a 95% bootstrap
 *    interval (bench/ablation/stats.ts). Printed, and written to bench/results/ as CSV (per run),
 *    Markdown (the table) and the day's JSON file (key "ppo-ablation").
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { loadGraph, saveGraph } from '../engine/graph/io.ts';
import type { GraphFile } from '../engine/graph/schema.ts';
import { GraphEditError } from './ablation/graph-edit.ts';
import type { ValidateResult } from './ablation/part-validate.ts';
import { type AblationJob, type AblationRunResult, formatDuration, ProgressBoard, runPool } from './ablation/runner.ts';
import { normalize, randomPolicyReturn, type RandomBaseline, type RunScore, scoreVariants, type VariantScore } from './ablation/stats.ts';
import {
  ABLATION_ENVS,
  type AblationEnv,
  baseGraph,
  KL_PENALTY_BLOCK,
  type Variant,
  type VariantContext,
  variantGraph,
  VARIANTS,
} from './ablation/variants.ts';
import { fmtNum, machineInfo, median, REPO_ROOT, RESULTS_DIR, round, runPart, table, templatePath, today } from './harness.ts';

export type ScoreSource = 'last20' | 'eval';

/** A bad --steps / --variants / --envs value: bench/run.ts prints the message, exit status 2. */
export class AblationUsageError extends Error {}

export interface AblationOptions {
  backend: string;
  seeds: number[];
  /** --seeds was given (else --quick runs seed 1 only). */
  seedsGiven: boolean;
  quick: boolean;
  workers: number;
  /** --steps: one budget for every env, or per env id; undefined = the defaults (ABLATION_ENVS). */
  steps?: number | Record<string, number>;
  /** Only these variant ids / env ids (default: all). */
  variants?: string[];
  envs?: string[];
  score: ScoreSource;
  runsRoot: string;
  /** Seed of the bootstrap resampling. */
  bootstrapSeed?: number;
  /** Episodes of the random policy per env. */
  randomEpisodes?: number;
}

const SCORE_TEXT: Record<ScoreSource, string> = {
  last20: 'mean return of the last 20 training episodes (summary.json meanReturnLast20)',
  eval: 'mean return of 20 fresh evaluation episodes of the final policy (summary.json eval.meanReturn)',
};

const RANDOM_EPISODES = 1000;
const RANDOM_SEED = 20_170_720; // PPO paper's arXiv date; any fixed seed will do
const BOOTSTRAP_RESAMPLES = 10_000;
/** KL templates whose penalty-block params (tolerance, factor, measure) the KL rows adopt. */
const KL_TEMPLATES: Record<'kl-adaptive' | 'kl-fixed', string> = { 'kl-adaptive': 'ppo-kl-adaptive.cartpole', 'kl-fixed': 'ppo-kl-fixed.cartpole' };

export interface AblationReport {
  suite: 'ppo-ablation';
  /** Key in bench/results/<date>.json: "ppo-ablation", plus "-quick" and/or "-custom" (--steps/--variants/--envs given). */
  resultsKey: string;
  quick: boolean;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  options: {
    backend: string;
    seeds: number[];
    workers: number;
    score: ScoreSource;
    steps: Record<string, number>;
    bootstrap: { resamples: number; seed: number; level: number };
  };
  machine: ReturnType<typeof machineInfo> & { loadAverageAtEnd: number[] };
  bases: Record<string, string>;
  random: RandomBaseline[];
  normalization: { env: string; random: number; best: number; bestVariant: string }[];
  skipped: { variant: string; env: string; reason: string }[];
  table: (VariantScore & { label: string })[];
  runs: ReturnType<typeof runRecord>[];
  timing: TimingReport;
  files: { csv: string; markdown: string };
  errors: string[];
}

interface TimingReport {
  /** Per env: median process wall seconds of one run and median env steps/s (session clock). */
  perEnv: {
    env: string;
    steps: number;
    runs: number;
    medianProcessWallSeconds: number | null;
    /** Training only (the last progress event): env steps / session seconds before the final evaluation. */
    medianTrainStepsPerSecond: number | null;
    /** Process wall − training seconds: node start, compile, final 20-episode evaluation, exit. */
    medianOverheadSeconds: number | null;
    /** CPU seconds of a whole run (user + system), and training steps per CPU second. */
    medianCpuSeconds: number | null;
    cpuStepsPerSecond: number | null;
  }[];
  /** Sum of process wall seconds / workers, and the actual wall time of the pool. */
  poolWallSeconds: number;
  /** Projected wall time of the full table (default budgets, 3 seeds, all variants) at this many workers, at the measured wall rates. */
  projectedFullTableSeconds: number | null;
  /** The same from CPU time per step: each worker with a core to itself, nothing else running. */
  projectedQuietFullTableSeconds: number | null;
  /** CPU seconds the runs got / (pool wall × cores used): below 1 when the machine was busy. */
  cpuShare: number | null;
  projectionNote: string;
}

function runRecord(r: AblationRunResult, score: ScoreSource, normalized: number | null, labels: Map<string, string>) {
  const s = r.summary;
  const raw = rawScore(r, score);
  return {
    variant: r.job.variant,
    label: labels.get(r.job.variant) ?? r.job.variant,
    env: r.job.env,
    seed: r.job.seed,
    budget: r.job.steps,
    status: r.status,
    steps: r.stepsDone,
    score: raw === null ? null : round(raw, 3),
    normalizedScore: normalized === null ? null : round(normalized, 4),
    meanReturnLast20: r.meanReturnLast20 === null ? null : round(r.meanReturnLast20, 3),
    evalMeanReturn: s?.eval.meanReturn ?? null,
    evalStdReturn: s?.eval.stdReturn ?? null,
    episodes: s?.episodes ?? null,
    wallSeconds: s?.wallSeconds ?? null,
    processWallSeconds: round(r.processWallSeconds, 2),
    stepsPerSecond: s?.stepsPerSecond ?? null,
    trainStepsPerSecond: r.trainStepsPerSecond === null ? null : round(r.trainStepsPerSecond, 1),
    cpuSeconds: r.cpuSeconds === null ? null : round(r.cpuSeconds, 2),
    error: r.error ?? null,
  };
}

/** The raw score of a run: last-20 training return (a diverged run: the last value it logged) or the final eval. */
export function rawScore(r: AblationRunResult, score: ScoreSource): number | null {
  if (score === 'last20') return r.meanReturnLast20;
  return r.status === 'ok' ? (r.summary?.eval.meanReturn ?? null) : null;
}

function budgets(options: AblationOptions, envs: readonly AblationEnv[]): Record<string, number> {
  const out: Record<string, number> = {};
  if (options.steps !== undefined && typeof options.steps !== 'number') {
    const names = ABLATION_ENVS.flatMap((e) => [e.id, e.short]);
    const unknown = Object.keys(options.steps).filter((k) => !names.includes(k));
    if (unknown.length) throw new AblationUsageError(`--steps: unknown env ${unknown.join(', ')} (one of ${names.join(', ')})`);
  }
  for (const env of envs) {
    const given = typeof options.steps === 'number' ? options.steps : (options.steps?.[env.id] ?? options.steps?.[env.short]);
    out[env.id] = given ?? (options.quick ? env.quickSteps : env.steps);
  }
  return out;
}

function loadTemplateIfAny(name: string): GraphFile | null {
  const path = templatePath(name);
  return existsSync(path) ? loadGraph(path) : null;
}

/** Params of the KL-penalty block of a KL template (when that template exists). */
function klTemplateParams(): { context: Record<string, VariantContext>; sources: string[] } {
  const context: Record<string, VariantContext> = {};
  const sources: string[] = [];
  for (const [family, name] of Object.entries(KL_TEMPLATES)) {
    const graph = loadTemplateIfAny(name);
    const node = graph?.nodes.find((n) => n.type === KL_PENALTY_BLOCK);
    if (node) {
      context[family] = { klPenaltyParams: node.params };
      sources.push(`${family}: ${KL_PENALTY_BLOCK} params from ${name} (${JSON.stringify(node.params)})`);
    }
  }
  return { context, sources };
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows: Record<string, unknown>[]): string {
  if (!rows.length) return '';
  const headers = Object.keys(rows[0]);
  return [headers.join(','), ...rows.map((r) => headers.map((h) => csvCell(r[h])).join(','))].join('\n') + '\n';
}

function fmtScore(x: number | null): string {
  return x === null ? '--' : x.toFixed(2);
}

function fmtCi(ci: [number, number] | null): string {
  return ci ? `[${ci[0].toFixed(2)}, ${ci[1].toFixed(2)}]` : '--';
}

/**
 * The variant/env pairs that cannot run, with the reason, and removes them from `files`
 * (`variant|env` → graph file): a block type the variant needs is not registered (named), or the
 * derived graph does not compile (the compiler's messages).
 */
export function unrunnable(variants: readonly Variant[], files: Map<string, string>, validation: ValidateResult): AblationReport['skipped'] {
  const known = new Set(validation.blockTypes);
  const verdict = new Map(validation.files.map((f) => [f.file, f]));
  const skipped: AblationReport['skipped'] = [];
  for (const [key, file] of [...files]) {
    const [variantId, envId] = key.split('|');
    const missing = variants.find((v) => v.id === variantId)?.requires.filter((t) => !known.has(t)) ?? [];
    const v = verdict.get(file);
    let reason: string | undefined;
    if (missing.length) reason = `block type${missing.length > 1 ? 's' : ''} ${missing.map((t) => `'${t}'`).join(', ')} not in the block registry (nodes/index.ts)`;
    else if (!v?.ok) reason = `the derived graph does not compile: ${v?.errors.join('; ') ?? 'no verdict'}`;
    if (reason) {
      skipped.push({ variant: variantId, env: envId, reason });
      files.delete(key);
    }
  }
  return skipped;
}

export async function ppoAblationSuite(options: AblationOptions, say: (text: string) => void, status: (text: string) => void): Promise<AblationReport> {
  const startedAt = new Date();
  const errors: string[] = [];
  const machine = machineInfo();
  const envs = ABLATION_ENVS.filter((e) => !options.envs || options.envs.includes(e.id) || options.envs.includes(e.short));
  const variants = VARIANTS.filter((v) => !options.variants || options.variants.includes(v.id));
  const unknownVariants = (options.variants ?? []).filter((id) => !VARIANTS.some((v) => v.id === id));
  if (unknownVariants.length) throw new AblationUsageError(`--variants: unknown ${unknownVariants.join(', ')} (one of ${VARIANTS.map((v) => v.id).join(', ')})`);
  const unknownEnvs = (options.envs ?? []).filter((id) => !ABLATION_ENVS.some((e) => e.id === id || e.short === id));
  if (unknownEnvs.length) throw new AblationUsageError(`--envs: unknown ${unknownEnvs.join(', ')} (one of ${ABLATION_ENVS.map((e) => e.id).join(', ')})`);
  if (!envs.length) throw new AblationUsageError(`--envs matches none of ${ABLATION_ENVS.map((e) => e.id).join(', ')}`);
  if (!variants.length) throw new AblationUsageError(`--variants matches none of ${VARIANTS.map((v) => v.id).join(', ')}`);
  const seeds = options.quick && !options.seedsGiven ? options.seeds.slice(0, 1) : options.seeds;
  const steps = budgets(options, envs);
  const labels = new Map(VARIANTS.map((v) => [v.id, v.label]));
  say(
    `\n=== ppo-ablation suite${options.quick ? ' (quick)' : ''} · backend ${options.backend} · ${options.workers} workers · ${machine.cpuCount}× ${machine.cpuModel} · ` +
      `node ${machine.node} · commit ${machine.gitCommit?.slice(0, 10) ?? 'unknown'}${machine.gitDirty ? ' (+ uncommitted changes)' : ''} · load ${machine.loadAverageAtStart.join(' ')}\n` +
      `${variants.length} variants × ${envs.length} envs × ${seeds.length} seeds (${seeds.join(',')}) = ${variants.length * envs.length * seeds.length} runs; ` +
      `budgets ${envs.map((e) => `${e.id} ${steps[e.id].toLocaleString('en-US')}`).join(', ')} steps; score: ${SCORE_TEXT[options.score]}\n`,
  );

  // 1. Graphs: base per env, then every variant by transformation.
  const graphsDir = join(options.runsRoot, 'graphs');
  mkdirSync(graphsDir, { recursive: true });
  const bases: Record<string, string> = {};
  const kl = klTemplateParams();
  for (const line of kl.sources) status(line);
  const skipped: AblationReport['skipped'] = [];
  const files = new Map<string, string>(); // `${variant}|${env}` → file
  for (const env of envs) {
    const base = baseGraph(env, loadTemplateIfAny);
    bases[env.id] = base.source;
    for (const variant of variants) {
      try {
        const graph = variantGraph(variant, env, base.graph, steps[env.id], kl.context[variant.family] ?? {});
        const file = join(graphsDir, `${variant.id}.${env.short}.rlgraph.json`);
        saveGraph(file, graph);
        files.set(`${variant.id}|${env.id}`, file);
      } catch (error) {
        if (!(error instanceof GraphEditError)) throw error;
        skipped.push({ variant: variant.id, env: env.id, reason: `graph edit failed: ${error.message}` });
      }
    }
  }
  say(`base graphs: ${envs.map((e) => `${e.id} ← ${bases[e.id]}`).join('; ')}`);

  // 2. Compile every derived graph (one child process); name missing blocks.
  status(`compiling ${files.size} variant graphs`);
  const validation = runPart<ValidateResult>('ablation/part-validate.ts', [...files.values()], { timeoutSeconds: 300 });
  if (!validation.ok || !validation.envelope) throw new Error(`validating the variant graphs failed: ${validation.error}`);
  skipped.push(...unrunnable(variants, files, validation.envelope.result));
  for (const s of skipped) {
    const text = `${s.variant} on ${s.env} NOT RUN: ${s.reason}`;
    errors.push(text);
    say(text);
  }

  // 3. Random-policy level per env.
  const random = envs.map((env) => randomPolicyReturn(env.id, options.randomEpisodes ?? RANDOM_EPISODES, RANDOM_SEED));
  say(
    table(
      'Random policy (uniform actions) — the 0 of the normalised score',
      ['env', 'episodes', 'mean return', 'std'],
      random.map((r) => [r.env, String(r.episodes), fmtNum(r.meanReturn, 2), fmtNum(r.stdReturn, 2)]),
      `(seed ${RANDOM_SEED}, one sub-env, full episodes with the usual time limit)`,
    ),
  );

  // 4. The runs. Longest budgets first (better packing of the pool), then seed, then variant.
  const jobs: AblationJob[] = [];
  const byCost = [...envs].sort((a, b) => steps[b.id] - steps[a.id]);
  for (const env of byCost) {
    for (const seed of seeds) {
      for (const variant of variants) {
        const file = files.get(`${variant.id}|${env.id}`);
        if (!file) continue;
        jobs.push({ variant: variant.id, env: env.id, seed, steps: steps[env.id], file, outDir: join(options.runsRoot, 'runs', `${variant.id}.${env.short}.s${seed}`) });
      }
    }
  }
  const board = new ProgressBoard(jobs.length, jobs.reduce((a, j) => a + j.steps, 0), options.workers);
  const poolT0 = performance.now();
  let results: AblationRunResult[];
  try {
    results = await runPool(jobs, { workers: options.workers, backend: options.backend, board });
  } finally {
    board.close();
  }
  const poolWallSeconds = (performance.now() - poolT0) / 1000;
  for (const r of results) if (r.status === 'error') errors.push(`${r.job.variant} ${r.job.env} seed ${r.job.seed}: ${r.error}`);

  // 5. Scores.
  const runScores: RunScore[] = results.map((r) => ({ variant: r.job.variant, env: r.job.env, seed: r.job.seed, score: rawScore(r, options.score) }));
  const randomLevel = Object.fromEntries(random.map((r) => [r.env, r.meanReturn]));
  const bootstrap = { resamples: BOOTSTRAP_RESAMPLES, seed: options.bootstrapSeed ?? 1, level: 0.95 };
  const { rows, normalization } = scoreVariants(runScores, randomLevel, variants.map((v) => v.id), envs.map((e) => e.id), bootstrap);
  const tableRows = rows.map((row) => ({ ...row, label: labels.get(row.variant) ?? row.variant }));
  const records = results.map((r, i) => runRecord(r, options.score, normalize(runScores[i].score, normalization.get(r.job.env)), labels));
  const notRun = new Set(skipped.map((s) => s.variant));
  const diverged = results.filter((r) => r.status === 'diverged');

  const headers = ['Algorithm', 'avg. normalized score', '95% CI', ...envs.map((e) => e.id), 'runs'];
  const cells = tableRows.map((row) => [
    row.label,
    notRun.has(row.variant) && row.scoredRuns === 0 ? 'not run' : fmtScore(row.mean),
    fmtCi(row.ci),
    ...envs.map((e) => fmtScore(row.perEnv[e.id] ?? null)),
    `${row.scoredRuns}/${row.runs}`,
  ]);
  const normLines = envs
    .map((e) => normalization.get(e.id))
    .filter((n): n is NonNullable<typeof n> => n !== undefined)
    .map(
    (n) => `${n.env}: random ${n.random.toFixed(1)} → 0, best ${n.best.toFixed(1)} (${labels.get(n.bestVariant) ?? n.bestVariant}) → 1`,
  );
  const note =
    `(score of a run: ${SCORE_TEXT[options.score]}; normalised per env; averaged over envs and seeds; ` +
    `95% percentile bootstrap over runs, ${BOOTSTRAP_RESAMPLES.toLocaleString('en-US')} resamples stratified by env, seed ${bootstrap.seed})\n` +
    normLines.join('\n') +
    (diverged.length ? `\n${diverged.length} run(s) stopped on NaN/Inf; scored by the last-20 return they had logged` : '');
  say(table(`PPO ablation (Schulman et al. 2017, Table 1)${options.quick ? ' — QUICK smoke run, not a result' : ''}`, headers, cells, note));

  // 6. Timing and the projection of the full table.
  const timing = timingReport(results, envs, variants, options, poolWallSeconds);
  say(
    table(
      'Wall time per run',
      ['env', 'budget', 'runs', 'median process wall s', 'median train steps/s', 'median overhead s', 'median CPU s', 'steps per CPU s'],
      timing.perEnv.map((t) => [
        t.env,
        t.steps.toLocaleString('en-US'),
        String(t.runs),
        fmtNum(t.medianProcessWallSeconds, 1),
        fmtNum(t.medianTrainStepsPerSecond, 0),
        fmtNum(t.medianOverheadSeconds, 1),
        fmtNum(t.medianCpuSeconds, 1),
        fmtNum(t.cpuStepsPerSecond, 0),
      ]),
      `(train steps/s: the run's last progress event, ${options.workers} runs at a time; overhead = process wall − training: node start, compile, final evaluation, exit;\n` +
        ' CPU = user + system seconds of the rlc process; steps per CPU s = training steps / CPU seconds between the first and last progress events)\n' +
        `pool wall time ${formatDuration(poolWallSeconds)} with ${options.workers} workers; ${timing.projectionNote}`,
    ),
  );

  // 7. Files.
  // Runs with other budgets or a subset of the table do not overwrite the day's standard files.
  const custom = options.steps !== undefined || options.variants !== undefined || options.envs !== undefined;
  const tag = `${options.quick ? '-quick' : ''}${custom ? '-custom' : ''}`;
  const stamp = `${today()}${tag}`;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const csvPath = join(RESULTS_DIR, `ppo-ablation-${stamp}.csv`);
  const mdPath = join(RESULTS_DIR, `ppo-ablation-${stamp}.md`);
  writeFileSync(csvPath, toCsv(records));
  const finishedAt = new Date();
  writeFileSync(
    mdPath,
    markdown({
      quick: options.quick,
      date: today(),
      machine: `${machine.cpuCount}× ${machine.cpuModel}, node ${machine.node}, commit ${machine.gitCommit?.slice(0, 10) ?? 'unknown'}${machine.gitDirty ? ' (+ uncommitted changes)' : ''}`,
      headers,
      cells,
      envs,
      steps,
      seeds,
      score: options.score,
      bases,
      random,
      normLines,
      skipped,
      diverged: diverged.length,
      workers: options.workers,
      wall: (finishedAt.getTime() - startedAt.getTime()) / 1000,
      bootstrap,
      klSources: kl.sources,
      timing,
    }),
  );
  say(`per-run CSV: ${relative(REPO_ROOT, csvPath)}\ntable: ${relative(REPO_ROOT, mdPath)}`);

  return {
    suite: 'ppo-ablation',
    resultsKey: `ppo-ablation${tag}`,
    quick: options.quick,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
    options: { backend: options.backend, seeds, workers: options.workers, score: options.score, steps, bootstrap },
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)) },
    bases,
    random: random.map((r) => ({ ...r, meanReturn: round(r.meanReturn, 3), stdReturn: round(r.stdReturn, 3) })),
    normalization: [...normalization.values()].map((n) => ({ ...n, random: round(n.random, 3), best: round(n.best, 3) })),
    skipped,
    table: tableRows.map((r) => ({
      ...r,
      mean: r.mean === null ? null : round(r.mean, 4),
      ci: r.ci ? [round(r.ci[0], 4), round(r.ci[1], 4)] : null,
      perEnv: Object.fromEntries(Object.entries(r.perEnv).map(([k, v]) => [k, v === null ? null : round(v, 4)])),
    })),
    runs: records,
    timing,
    files: { csv: relative(REPO_ROOT, csvPath), markdown: relative(REPO_ROOT, mdPath) },
    errors,
  };
}

/** Per-env medians and the projected wall time of the full (default) table at the same worker count. */
function timingReport(
  results: AblationRunResult[],
  envs: readonly AblationEnv[],
  variants: readonly Variant[],
  options: AblationOptions,
  poolWallSeconds: number,
): TimingReport {
  const ok = results.filter((r) => r.status === 'ok' && r.summary && r.trainSeconds !== null && r.trainStepsPerSecond !== null);
  const withCpu = ok.filter((r) => r.cpuSeconds !== null && r.cpuSecondsPerStep !== null);
  const rate = (rs: AblationRunResult[]) => median(rs.map((r) => r.trainStepsPerSecond!));
  const overhead = (rs: AblationRunResult[]) => median(rs.map((r) => r.processWallSeconds - r.trainSeconds!));
  const cpuPerStep = (rs: AblationRunResult[]) => median(rs.map((r) => r.cpuSecondsPerStep!));
  const cpuOverhead = (rs: AblationRunResult[]) => median(rs.map((r) => Math.max(0, r.cpuSeconds! - r.cpuSecondsPerStep! * (r.stepsDone ?? r.job.steps))));
  const perEnv = envs.map((env) => {
    const mine = ok.filter((r) => r.job.env === env.id);
    const mineCpu = withCpu.filter((r) => r.job.env === env.id);
    const perStep = cpuPerStep(mineCpu);
    return {
      env: env.id,
      steps: mine[0]?.job.steps ?? 0,
      runs: mine.length,
      medianProcessWallSeconds: median(mine.map((r) => r.processWallSeconds)),
      medianTrainStepsPerSecond: rate(mine),
      medianOverheadSeconds: overhead(mine),
      medianCpuSeconds: median(mineCpu.map((r) => r.cpuSeconds!)),
      cpuStepsPerSecond: perStep === null || perStep <= 0 ? null : 1 / perStep,
    };
  });
  // The full table: default budgets, 3 seeds, all 11 variants; makespan ≈ Σ run times / workers.
  // (a) wall: each run = budget / its variant's measured training steps/s on that env (under this
  //     pool's conditions: other workers and whatever else the machine ran) + its overhead.
  // (b) quiet: each run = budget × its measured CPU seconds per step + its CPU overhead, i.e. the
  //     time with a core to itself (workers ≤ cores, nothing else running).
  const project = (pool: AblationRunResult[], perRun: (use: AblationRunResult[], steps: number) => number | null): number | null => {
    let total = 0;
    for (const env of ABLATION_ENVS) {
      for (const variant of VARIANTS) {
        const mine = pool.filter((r) => r.job.env === env.id && r.job.variant === variant.id);
        const t = perRun(mine.length ? mine : pool.filter((r) => r.job.env === env.id), env.steps);
        if (t === null) return null;
        total += 3 * t;
      }
    }
    return total / options.workers;
  };
  const wall = project(ok, (use, steps) => {
    const sps = rate(use);
    const extra = overhead(use);
    return sps === null || extra === null ? null : steps / sps + extra;
  });
  const quiet = project(withCpu, (use, steps) => {
    const perStep = cpuPerStep(use);
    const extra = cpuOverhead(use);
    return perStep === null || extra === null ? null : steps * perStep + extra;
  });
  const cpuTotal = withCpu.reduce((a, r) => a + r.cpuSeconds!, 0);
  const cpuShare = withCpu.length && poolWallSeconds > 0 ? cpuTotal / (poolWallSeconds * Math.min(options.workers, os.availableParallelism())) : null;
  const what = `${ABLATION_ENVS.map((e) => `${e.id} ${e.steps.toLocaleString('en-US')}`).join(', ')} steps, 3 seeds, ${VARIANTS.length} variants, ${options.workers} workers`;
  const projectionNote =
    wall === null
      ? 'full-table projection unavailable (an environment without a finished run)'
      : `projected full table (${what}): ${formatDuration(wall)} at the rates measured here` +
        (quiet === null ? '' : `, ${formatDuration(quiet)} on a quiet machine (from CPU time per step)`) +
        (cpuShare === null ? '' : `; the runs got ${(100 * cpuShare).toFixed(0)}% of ${Math.min(options.workers, os.availableParallelism())} cores`) +
        (options.quick ? ' (from quick runs: JIT warm-up weighs more in short runs; the final evaluation of a trained policy takes longer)' : '') +
        (variants.length < VARIANTS.length ? " (variants not run here use their env's median rate)" : '');
  return {
    perEnv,
    poolWallSeconds: round(poolWallSeconds, 1),
    projectedFullTableSeconds: wall === null ? null : round(wall, 0),
    projectedQuietFullTableSeconds: quiet === null ? null : round(quiet, 0),
    cpuShare: cpuShare === null ? null : round(cpuShare, 3),
    projectionNote,
  };
}

interface MarkdownInput {
  quick: boolean;
  date: string;
  machine: string;
  headers: string[];
  cells: string[][];
  envs: readonly AblationEnv[];
  steps: Record<string, number>;
  seeds: number[];
  score: ScoreSource;
  bases: Record<string, string>;
  random: RandomBaseline[];
  normLines: string[];
  skipped: AblationReport['skipped'];
  diverged: number;
  workers: number;
  wall: number;
  bootstrap: { resamples: number; seed: number; level: number };
  klSources: string[];
  timing: TimingReport;
}

function markdown(m: MarkdownInput): string {
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const lines = [
    `# PPO ablation (Schulman et al. 2017, Table 1)${m.quick ? ' — quick smoke run, not a result' : ''}`,
    '',
    `${m.date} · ${m.machine} · ${m.workers} workers · ${formatDuration(m.wall)} · \`npm run bench -- ppo-ablation${m.quick ? ' --quick' : ''}\``,
    '',
    row(m.headers),
    row(m.headers.map((_, i) => (i === 0 ? '---' : '---:'))),
    ...m.cells.map(row),
    '',
    `- Environments and budgets: ${m.envs.map((e) => `${e.id} ${m.steps[e.id].toLocaleString('en-US')} steps (base graph: ${m.bases[e.id]})`).join('; ')}; seeds ${m.seeds.join(', ')}.`,
    `- Score of a run: ${SCORE_TEXT[m.score]}. Per environment it is normalised so that a uniformly random policy scores 0 and the best variant (highest mean over seeds) scores 1; a row is the mean over environments of the mean over seeds.`,
    `- Random policy: ${m.random.map((r) => `${r.env} ${r.meanReturn.toFixed(2)} (${r.episodes} episodes)`).join('; ')}.`,
    ...m.normLines.map((l) => `- ${l}.`),
    `- 95% CI: percentile bootstrap, ${m.bootstrap.resamples.toLocaleString('en-US')} resamples of the runs (with replacement, within each environment), seed ${m.bootstrap.seed}; the normalisation constants are held fixed.`,
    '- Variants (bench/ablation/variants.ts): no clipping = the clip block deleted; clipping = clip ε constant (no annealing); KL = the clip block replaced by policy.snapshot → policy.kl → loss.klPenalty (weight +1 in the loss sum), adaptive from β₀ = 1 or fixed β. Everything else as in the base graph.',
    ...m.klSources.map((s) => `- ${s}.`),
    ...(m.diverged ? [`- ${m.diverged} run(s) stopped on NaN/Inf; they are scored by the last-20 return they had logged (see the CSV, status "diverged").`] : []),
    ...m.skipped.map((s) => `- NOT RUN: ${s.variant} on ${s.env}: ${s.reason}.`),
    `- Wall time per run (median): ${m.timing.perEnv.map((t) => `${t.env} ${fmtNum(t.medianProcessWallSeconds, 1)} s (${fmtNum(t.medianTrainStepsPerSecond, 0)} train steps/s, ${fmtNum(t.cpuStepsPerSecond, 0)} steps per CPU second)`).join('; ')}. Pool: ${formatDuration(m.timing.poolWallSeconds)}; ${m.timing.projectionNote}.`,
    '',
  ];
  return lines.join('\n');
}
