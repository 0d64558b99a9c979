/**
 * Scoring of the PPO ablation, as in Schulman et al. 2017, Table 1: per environment, a run's score
 * is normalised so that a random policy gives 0 and the best variant gives 1; a variant's score is
 * the average of its normalised scores over environments and seeds, with a 95% bootstrap confidence
 * interval (seeded resampling over runs). Pure: no TensorFlow.js.
 */
import { Rng } from '../../engine/rng.ts';
import { actionSize } from '../../engine/env.ts';
import { makeClassicEnv } from '../../nodes/env/classic/index.ts';

/** One finished run's raw score (the mean episode return it is scored on). */
export interface RunScore {
  variant: string;
  env: string;
  seed: number;
  /** Raw score, or null when the run produced none (crash, invalid graph). */
  score: number | null;
}

export interface EnvNormalization {
  env: string;
  /** Mean return of a uniformly random policy. */
  random: number;
  /** The best variant's mean raw score (mean over its seeds). */
  best: number;
  bestVariant: string;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * Per environment: the random-policy level and the best variant (highest mean raw score over its
 * seeds; runs without a score are left out). Environments without any scored run are omitted.
 */
export function normalizations(runs: RunScore[], random: Record<string, number>): Map<string, EnvNormalization> {
  const out = new Map<string, EnvNormalization>();
  const envs = [...new Set(runs.map((r) => r.env))];
  for (const env of envs) {
    if (random[env] === undefined) throw new Error(`no random-policy level for ${env}`);
    const byVariant = new Map<string, number[]>();
    for (const r of runs) {
      if (r.env !== env || r.score === null || !Number.isFinite(r.score)) continue;
      byVariant.set(r.variant, [...(byVariant.get(r.variant) ?? []), r.score]);
    }
    let best = -Infinity;
    let bestVariant = '';
    for (const [variant, scores] of byVariant) {
      const m = mean(scores);
      if (m > best) {
        best = m;
        bestVariant = variant;
      }
    }
    if (bestVariant) out.set(env, { env, random: random[env], best, bestVariant });
  }
  return out;
}

/** (score − random) / (best − random); null when the run has no score or the env cannot be normalised. */
export function normalize(score: number | null, n: EnvNormalization | undefined): number | null {
  if (score === null || !Number.isFinite(score) || !n) return null;
  const span = n.best - n.random;
  if (!(Math.abs(span) > 1e-12)) return null; // the best variant is no better than random: undefined scale
  return (score - n.random) / span;
}

export interface VariantScore {
  variant: string;
  /** Mean over environments of the mean over seeds of the normalised scores. */
  mean: number | null;
  /** 95% percentile-bootstrap interval of `mean`. */
  ci: [number, number] | null;
  /** Normalised scores per environment (mean over seeds), for the per-env columns. */
  perEnv: Record<string, number | null>;
  /** Runs that entered the score / runs of the variant. */
  scoredRuns: number;
  runs: number;
}

export interface BootstrapOptions {
  /** Resamples (default 10,000). */
  resamples?: number;
  /** Seed of the resampling (default 1): the same runs give the same interval. */
  seed?: number;
  /** Confidence level (default 0.95). */
  level?: number;
}

/**
 * Mean of per-group means (the average over environments of the average over seeds) and its
 * percentile-bootstrap interval: each resample draws, within every group independently, as many
 * values as the group holds, with replacement (stratified, so that every resample still weighs
 * the environments equally). Groups with no value are left out.
 */
export function bootstrapMeanOfMeans(groups: number[][], options: BootstrapOptions = {}): { mean: number; ci: [number, number] } | null {
  const filled = groups.filter((g) => g.length > 0);
  if (!filled.length) return null;
  const resamples = options.resamples ?? 10_000;
  const level = options.level ?? 0.95;
  const rng = new Rng(options.seed ?? 1);
  const estimate = mean(filled.map(mean));
  const stats = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let total = 0;
    for (const g of filled) {
      let sum = 0;
      for (let i = 0; i < g.length; i++) sum += g[rng.int(g.length)];
      total += sum / g.length;
    }
    stats[b] = total / filled.length;
  }
  stats.sort();
  const alpha = (1 - level) / 2;
  return { mean: estimate, ci: [quantileSorted(stats, alpha), quantileSorted(stats, 1 - alpha)] };
}

/** Linear-interpolation quantile (type 7) of a sorted array. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Every variant's table row, in the order of `variants`. */
export function scoreVariants(
  runs: RunScore[],
  random: Record<string, number>,
  variants: readonly string[],
  envs: readonly string[],
  options: BootstrapOptions = {},
): { rows: VariantScore[]; normalization: Map<string, EnvNormalization> } {
  const normalization = normalizations(runs, random);
  const rows = variants.map((variant, index): VariantScore => {
    const mine = runs.filter((r) => r.variant === variant);
    const groups = envs.map((env) =>
      mine
        .filter((r) => r.env === env)
        .map((r) => normalize(r.score, normalization.get(env)))
        .filter((x): x is number => x !== null),
    );
    // A different resampling stream per row, all fixed by the one seed.
    const boot = bootstrapMeanOfMeans(groups, { ...options, seed: (options.seed ?? 1) * 1000 + index });
    return {
      variant,
      mean: boot?.mean ?? null,
      ci: boot?.ci ?? null,
      perEnv: Object.fromEntries(envs.map((env, i) => [env, groups[i].length ? mean(groups[i]) : null])),
      scoredRuns: groups.reduce((a, g) => a + g.length, 0),
      runs: mine.length,
    };
  });
  return { rows, normalization };
}

// ---------------------------------------------------------------------------------------------
// The random-policy level

export interface RandomBaseline {
  env: string;
  episodes: number;
  meanReturn: number;
  stdReturn: number;
  seed: number;
}

/**
 * Mean undiscounted return of a uniformly random policy over `episodes` full episodes of the env
 * (one sub-env, so that short episodes are not over-represented; the time limit applies as in
 * training). Deterministic in `seed`.
 */
export function randomPolicyReturn(envId: string, episodes: number, seed: number): RandomBaseline {
  const env = makeClassicEnv(envId, 1, seed);
  const rng = new Rng(seed ^ 0x5eed);
  const space = env.spec.actionSpace;
  const action = new Float64Array(actionSize(env.spec));
  const returns: number[] = [];
  env.reset();
  while (returns.length < episodes) {
    if (space.kind === 'discrete') action[0] = rng.int(space.n);
    else for (let j = 0; j < action.length; j++) action[j] = rng.uniformIn(space.low[j], space.high[j]);
    env.step(action);
    if (env.terminated[0] || env.truncated[0]) returns.push(env.episodeReturn[0]);
  }
  const m = mean(returns);
  return { env: envId, episodes, meanReturn: m, stdReturn: Math.sqrt(mean(returns.map((r) => (r - m) ** 2))), seed };
}
