/**
 * Observation normalisation and reward scaling as an Env → Env wrapper, so that the transform is
 * a visible node of the graph instead of something hidden inside an environment.
 *
 * Semantics follow Gymnasium 1.x `NormalizeObservation` / `NormalizeReward` (vector versions),
 * with two documented differences: optional clipping (as in SB3's VecNormalize) and the reward
 * wrapper's discounted return resetting after any episode end (terminated or truncated) rather
 * than on the terminal step itself (see `NormalizedVecEnv.step`).
 */
import { defineBlock, type EnvResource } from '../../engine/block.ts';
import { obsSize, type EnvSpec, type VecEnv } from '../../engine/env.ts';
import { bool, num } from '../../engine/params.ts';

/** np.finfo(np.float32).max: the bound of an unclipped normalised observation (JSON-safe ∞). */
const FLOAT32_MAX = 3.4028234663852886e38;
/** Gymnasium's RunningMeanStd starts from a pseudo-count of 1e-4 with mean 0 and variance 1. */
const INITIAL_COUNT = 1e-4;

export interface RunningMeanStdState {
  mean: number[];
  var: number[];
  count: number;
}

/**
 * Gymnasium's `RunningMeanStd` in float64: running mean and (population) variance per feature,
 * merged one batch at a time with the parallel formula of Chan et al. (1979).
 */
export class RunningMeanStd {
  readonly dim: number;
  readonly mean: Float64Array;
  readonly var: Float64Array;
  count = INITIAL_COUNT;
  private readonly batchMean: Float64Array;
  private readonly batchVar: Float64Array;

  constructor(dim: number) {
    this.dim = dim;
    this.mean = new Float64Array(dim);
    this.var = new Float64Array(dim).fill(1);
    this.batchMean = new Float64Array(dim);
    this.batchVar = new Float64Array(dim);
  }

  /** Merges `rows` rows of `dim` values (row-major, starting at index 0 of `data`). */
  update(data: ArrayLike<number>, rows: number): void {
    const d = this.dim;
    const bm = this.batchMean;
    const bv = this.batchVar;
    bm.fill(0);
    bv.fill(0);
    for (let i = 0, k = 0; i < rows; i++) for (let j = 0; j < d; j++, k++) bm[j] += data[k];
    for (let j = 0; j < d; j++) bm[j] /= rows;
    for (let i = 0, k = 0; i < rows; i++) {
      for (let j = 0; j < d; j++, k++) {
        const dx = data[k] - bm[j];
        bv[j] += dx * dx;
      }
    }
    const count = this.count;
    const total = count + rows;
    for (let j = 0; j < d; j++) {
      const delta = bm[j] - this.mean[j];
      this.mean[j] += (delta * rows) / total;
      const m2 = this.var[j] * count + bv[j] + (delta * delta * count * rows) / total;
      this.var[j] = m2 / total;
    }
    this.count = total;
  }

  copy(): RunningMeanStd {
    const out = new RunningMeanStd(this.dim);
    out.mean.set(this.mean);
    out.var.set(this.var);
    out.count = this.count;
    return out;
  }

  save(): RunningMeanStdState {
    return { mean: Array.from(this.mean), var: Array.from(this.var), count: this.count };
  }

  load(state: RunningMeanStdState): void {
    this.mean.set(state.mean);
    this.var.set(state.var);
    this.count = state.count;
  }

  /** Throws unless `value` is a well-formed state of this size (nothing is changed). */
  check(value: unknown, what: string): RunningMeanStdState {
    const rec = value as Partial<RunningMeanStdState> | null;
    const ok = (v: unknown) => Array.isArray(v) && v.length === this.dim && v.every((x) => typeof x === 'number');
    if (!rec || typeof rec !== 'object' || !ok(rec.mean) || !ok(rec.var) || typeof rec.count !== 'number') {
      throw new TypeError(`env.normalize: snapshot.${what} must be { mean, var: ${this.dim} numbers each, count }`);
    }
    return rec as RunningMeanStdState;
  }
}

export interface NormalizeOptions {
  observations: boolean;
  rewards: boolean;
  /** Bound of normalised observations; 0 = no clipping. */
  clipObs: number;
  /** Bound of scaled rewards; 0 = no clipping. */
  clipReward: number;
  gamma: number;
  epsilon: number;
  /** Update the statistics from what the inner env emits (training); false = frozen (evaluation). */
  update: boolean;
}

export interface NormalizedSnapshot {
  obsRms: RunningMeanStdState;
  retRms: RunningMeanStdState;
  returns: number[];
  obs?: number[];
  finalObs?: number[];
  rewards?: number[];
  inner: unknown;
}

/**
 * The wrapping VecEnv. `obs`/`finalObs` are its own buffers where observations are normalised
 * (else the inner env's), `rewards` its own where rewards are scaled (else the inner env's);
 * `terminated`, `truncated`, `episodeReturn` and `episodeLength` are always the inner env's, so
 * logged returns stay raw.
 */
export class NormalizedVecEnv implements VecEnv {
  readonly spec: EnvSpec;
  readonly numEnvs: number;
  readonly obs: Float32Array;
  readonly finalObs: Float32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly episodeReturn: Float64Array;
  readonly episodeLength: Int32Array;

  readonly inner: VecEnv;
  readonly obsRms: RunningMeanStd;
  /** Statistics of the discounted returns (a single feature). */
  readonly retRms: RunningMeanStd;
  /** Per-env discounted return R (Gymnasium's `accumulated_reward`). */
  readonly returns: Float64Array;

  private readonly normObs: boolean;
  private readonly scaleRewards: boolean;
  private readonly update: boolean;
  private readonly obsDim: number;
  private readonly clipObs: number;
  private readonly clipReward: number;
  private readonly gamma: number;
  private readonly epsilon: number;
  /** √(σ² + ε) per feature, refreshed after each update of `obsRms`. */
  private readonly std: Float64Array;

  constructor(inner: VecEnv, spec: EnvSpec, options: NormalizeOptions, obsRms?: RunningMeanStd) {
    this.inner = inner;
    this.spec = spec;
    this.numEnvs = inner.numEnvs;
    this.obsDim = obsSize(inner.spec);
    this.normObs = options.observations;
    this.scaleRewards = options.rewards && options.update;
    this.update = options.update;
    this.clipObs = options.clipObs > 0 ? options.clipObs : Infinity;
    this.clipReward = options.clipReward > 0 ? options.clipReward : Infinity;
    this.gamma = options.gamma;
    this.epsilon = options.epsilon;
    this.obsRms = obsRms ?? new RunningMeanStd(this.obsDim);
    if (this.obsRms.dim !== this.obsDim) throw new RangeError(`env.normalize: statistics for ${this.obsRms.dim} features, env has ${this.obsDim}`);
    this.retRms = new RunningMeanStd(1);
    this.returns = new Float64Array(this.numEnvs);
    this.std = new Float64Array(this.obsDim);
    this.obs = this.normObs ? new Float32Array(inner.obs.length) : inner.obs;
    this.finalObs = this.normObs ? new Float32Array(inner.finalObs.length) : inner.finalObs;
    this.rewards = this.scaleRewards ? new Float64Array(this.numEnvs) : inner.rewards;
    this.terminated = inner.terminated;
    this.truncated = inner.truncated;
    this.episodeReturn = inner.episodeReturn;
    this.episodeLength = inner.episodeLength;
    this.refreshStd();
    // The inner env has been reset by its block: its current observations are the first ones this
    // wrapper emits (Gymnasium updates the statistics on reset too).
    this.emitObs();
  }

  reset(): void {
    this.inner.reset();
    this.returns.fill(0);
    if (this.scaleRewards) this.rewards.fill(0);
    this.emitObs();
  }

  /**
   * Resets one sub-env and normalises its new observation with the current statistics (no update:
   * the statistics move only on whole-batch emissions, `reset` and `step`, as in Gymnasium's vector
   * wrapper, so every row of `obs` is normalised with the same statistics).
   */
  resetOne(index: number): void {
    this.inner.resetOne(index);
    this.returns[index] = 0;
    if (this.scaleRewards) this.rewards[index] = 0;
    if (this.normObs) this.normalizeRows(this.inner.obs, this.obs, index, index + 1);
  }

  step(actions: ArrayLike<number>): void {
    const inner = this.inner;
    inner.step(actions);
    const n = this.numEnvs;
    if (this.normObs) {
      this.emitObs();
      const term = inner.terminated;
      const trunc = inner.truncated;
      for (let i = 0; i < n; i++) {
        if (term[i] !== 0 || trunc[i] !== 0) this.normalizeRows(inner.finalObs, this.finalObs, i, i + 1);
      }
    }
    if (this.scaleRewards) {
      // R ← γ·R·(1 − done_prev) + r: the reset of R after an episode end is done at the end of this
      // step, which is the same thing. (Gymnasium 1.x multiplies by (1 − terminated_t) of the
      // current step instead, folding the terminal reward into a fresh return and ignoring
      // truncation; the form here is SB3's VecNormalize and Engstrom et al.'s.)
      const R = this.returns;
      const r = inner.rewards;
      const gamma = this.gamma;
      for (let i = 0; i < n; i++) R[i] = R[i] * gamma + r[i];
      this.retRms.update(R, n);
      const scale = Math.sqrt(this.retRms.var[0] + this.epsilon);
      const c = this.clipReward;
      const out = this.rewards;
      const term = inner.terminated;
      const trunc = inner.truncated;
      for (let i = 0; i < n; i++) {
        const v = r[i] / scale;
        out[i] = v > c ? c : v < -c ? -c : v;
        if (term[i] !== 0 || trunc[i] !== 0) R[i] = 0;
      }
    }
  }

  getState(index: number): number[] {
    return this.inner.getState(index);
  }

  /** Overwrites one sub-env's state; its observation is normalised with the current statistics. */
  setState(index: number, state: readonly number[]): void {
    this.inner.setState(index, state);
    if (this.normObs) this.normalizeRows(this.inner.obs, this.obs, index, index + 1);
  }

  saveState(): NormalizedSnapshot {
    const snapshot: NormalizedSnapshot = {
      obsRms: this.obsRms.save(),
      retRms: this.retRms.save(),
      returns: Array.from(this.returns),
      inner: this.inner.saveState(),
    };
    if (this.normObs) {
      snapshot.obs = Array.from(this.obs);
      snapshot.finalObs = Array.from(this.finalObs);
    }
    if (this.scaleRewards) snapshot.rewards = Array.from(this.rewards);
    return snapshot;
  }

  loadState(state: unknown): void {
    if (typeof state !== 'object' || state === null) throw new TypeError('env.normalize: snapshot must be an object');
    const s = state as Partial<NormalizedSnapshot>;
    const obsRms = this.obsRms.check(s.obsRms, 'obsRms');
    const retRms = this.retRms.check(s.retRms, 'retRms');
    const numbers = (v: unknown, length: number, what: string): number[] => {
      if (!Array.isArray(v) || v.length !== length || !v.every((x) => typeof x === 'number')) {
        throw new TypeError(`env.normalize: snapshot.${what} must be ${length} numbers`);
      }
      return v as number[];
    };
    const returns = numbers(s.returns, this.numEnvs, 'returns');
    const obs = this.normObs ? numbers(s.obs, this.obs.length, 'obs') : undefined;
    const finalObs = this.normObs ? numbers(s.finalObs, this.finalObs.length, 'finalObs') : undefined;
    const rewards = this.scaleRewards ? numbers(s.rewards, this.numEnvs, 'rewards') : undefined;
    this.inner.loadState(s.inner);
    this.obsRms.load(obsRms);
    this.retRms.load(retRms);
    this.refreshStd();
    this.returns.set(returns);
    if (obs) this.obs.set(obs);
    if (finalObs) this.finalObs.set(finalObs);
    if (rewards) this.rewards.set(rewards);
  }

  /** Updates the statistics with the inner env's current observations (when not frozen), then normalises them all. */
  private emitObs(): void {
    if (!this.normObs) return;
    if (this.update) {
      this.obsRms.update(this.inner.obs, this.numEnvs);
      this.refreshStd();
    }
    this.normalizeRows(this.inner.obs, this.obs, 0, this.numEnvs);
  }

  private refreshStd(): void {
    const v = this.obsRms.var;
    for (let j = 0; j < this.obsDim; j++) this.std[j] = Math.sqrt(v[j] + this.epsilon);
  }

  /** out[i] = clip((x[i] − μ) / √(σ² + ε), ±clipObs) for rows [from, to). */
  private normalizeRows(src: Float32Array, out: Float32Array, from: number, to: number): void {
    const d = this.obsDim;
    const mean = this.obsRms.mean;
    const std = this.std;
    const c = this.clipObs;
    for (let i = from, k = from * d; i < to; i++) {
      for (let j = 0; j < d; j++, k++) {
        const v = (src[k] - mean[j]) / std[j];
        out[k] = v > c ? c : v < -c ? -c : v;
      }
    }
  }
}

/** The wrapper's spec: the input's, with the observation bounds of the normalised observations. */
export function normalizedSpec(input: EnvSpec, observations: boolean, clipObs: number): EnvSpec {
  if (!observations) return input;
  const bound = clipObs > 0 ? Math.fround(clipObs) : FLOAT32_MAX;
  const size = obsSize(input);
  return {
    ...input,
    observationSpace: {
      kind: 'box',
      shape: [...input.observationSpace.shape],
      low: new Array<number>(size).fill(-bound),
      high: new Array<number>(size).fill(bound),
    },
  };
}

export const envNormalize = defineBlock({
  type: 'env.normalize',
  category: 'Environments',
  title: 'Normalize observations / rewards',
  role: 'resource',
  doc: {
    summary:
      'Environment wrapper (Env in → Env out) that normalises observations with running statistics and scales rewards by the running standard deviation of a discounted return, as Gymnasium\'s NormalizeObservation and NormalizeReward. The statistics are updated from every batch of observations (and returns) the training instance emits, before normalising; final observations are normalised with the same statistics. Episode returns and lengths reported for logging stay raw. Evaluation instances (made fresh by evaluators) use the current observation statistics frozen and unscaled rewards. Checkpoints keep the statistics.',
    formula:
      '\\mu, \\sigma^2 \\leftarrow \\mathrm{RunningMeanStd}(o_t),\\quad \\hat o_t = \\mathrm{clip}\\!\\left(\\frac{o_t - \\mu}{\\sqrt{\\sigma^2 + \\epsilon}}, -c_o, c_o\\right);\\quad R_t = \\gamma R_{t-1}(1 - d_{t-1}) + r_t,\\quad \\hat r_t = \\mathrm{clip}\\!\\left(\\frac{r_t}{\\sqrt{\\mathrm{Var}[R] + \\epsilon}}, -c_r, c_r\\right)',
    reference:
      'Gymnasium 1.x wrappers NormalizeObservation and NormalizeReward; Engstrom et al. 2020, "Implementation Matters in Deep Policy Gradients: A Case Study on PPO and TRPO"',
  },
  params: {
    observations: bool({ default: true, help: 'Normalise observations with running mean and variance.' }),
    rewards: bool({ default: false, help: 'Scale rewards by the running standard deviation of the discounted return.' }),
    clipObs: num({ default: 10, min: 0, help: 'c_o: normalised observations are clipped to [−c_o, c_o]; 0 = no clipping (Gymnasium does not clip).' }),
    clipReward: num({ default: 10, min: 0, help: 'c_r: scaled rewards are clipped to [−c_r, c_r]; 0 = no clipping (Gymnasium does not clip).' }),
    gamma: num({ default: 0.99, min: 0, max: 1, help: 'γ of the discounted return whose variance scales the rewards.' }),
    epsilon: num({ default: 1e-8, min: 0, exclusiveMin: true, scale: 'log', help: 'ε added to the variances before the square root.' }),
  },
  inputs: [{ name: 'env', type: 'Env', doc: 'The environment to wrap.' }],
  outputs: [{ name: 'env', type: 'Env', doc: 'The same environment with normalised observations and scaled rewards.' }],
  envSpec(params, input) {
    if (!input) throw new Error('env.normalize needs an Env input');
    return normalizedSpec(input, params.observations, params.clipObs);
  },
  create(ctx, params) {
    const innerRes = ctx.resources.env as EnvResource;
    const spec = normalizedSpec(innerRes.spec, params.observations, params.clipObs);
    const options: NormalizeOptions = { ...params, update: true };
    const training = new NormalizedVecEnv(innerRes.instance(), spec, options);
    const env: EnvResource = {
      kind: 'env',
      spec,
      numEnvs: innerRes.numEnvs,
      instance: () => training,
      make: (numEnvs, seed) => {
        const fresh = innerRes.make(numEnvs, seed);
        if (!params.observations) return fresh;
        return new NormalizedVecEnv(fresh, spec, { ...options, rewards: false, update: false }, training.obsRms.copy());
      },
    };
    return {
      resources: { env },
      saveState: () => training.saveState(),
      loadState: (state) => training.loadState(state),
    };
  },
});
