/**
 * Shared machinery of the vectorised classic-control environments: flat buffers, Gymnasium's
 * TimeLimit, episode bookkeeping, same-step autoreset and checkpointing.
 *
 * Subclasses own the physics only. They keep each sub-environment's state in `state` (a flat
 * Float64Array, `stateStride` floats per sub-env) and implement `physics`, which advances every
 * sub-env in one monomorphic loop. The bookkeeping loop here touches typed arrays only, so a step
 * allocates nothing; the single virtual call per `step` is amortised over all sub-envs.
 */
import { actionSize, obsSize, type EnvSpec, type VecEnv } from '../../../engine/env.ts';
import { Rng, type RngState } from '../../../engine/rng.ts';

/** np.finfo(np.float32).max: stands in for unbounded space limits so specs stay valid JSON. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** Gymnasium stores Box bounds as float32; rounding the same way makes specs match it bit for bit. */
export function f32Array(values: readonly number[]): number[] {
  return values.map((v) => Math.fround(v));
}

/** What `saveState` returns: plain arrays, so a checkpoint can go through JSON unchanged. */
export interface ClassicEnvSnapshot {
  id: string;
  numEnvs: number;
  state: number[];
  obs: number[];
  finalObs: number[];
  rewards: number[];
  terminated: number[];
  truncated: number[];
  episodeReturn: number[];
  episodeLength: number[];
  stepCount: number[];
  runningReturn: number[];
  rng: { words: RngState; spare: number | null };
}

export abstract class ClassicVecEnv implements VecEnv {
  readonly spec: EnvSpec;
  readonly numEnvs: number;
  readonly obs: Float32Array;
  readonly finalObs: Float32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly episodeReturn: Float64Array;
  readonly episodeLength: Int32Array;

  /** Physical states, `stateStride` floats per sub-env (the first `stateDim` are public). */
  protected readonly state: Float64Array;
  protected readonly stateDim: number;
  protected readonly stateStride: number;
  protected readonly obsDim: number;
  /** One generator for all sub-envs' initial states: reset order fixes the stream, so runs replay. */
  protected readonly rng: Rng;

  private readonly actionCount: number;
  private readonly maxSteps: number;
  /** Steps taken in the current episode (TimeLimit's `_elapsed_steps`). */
  private readonly stepCount: Int32Array;
  /** Undiscounted return accumulated so far in the current episode. */
  private readonly runningReturn: Float64Array;

  protected constructor(
    spec: EnvSpec,
    numEnvs: number,
    seed: number,
    stateDim: number,
    stateStride: number = stateDim,
  ) {
    if (!Number.isInteger(numEnvs) || numEnvs < 1) {
      throw new RangeError(`${spec.id}: numEnvs must be a positive integer, got ${numEnvs}`);
    }
    this.spec = spec;
    this.numEnvs = numEnvs;
    this.obsDim = obsSize(spec);
    this.stateDim = stateDim;
    this.stateStride = stateStride;
    this.actionCount = numEnvs * actionSize(spec);
    this.maxSteps = spec.maxEpisodeSteps;
    this.obs = new Float32Array(numEnvs * this.obsDim);
    this.finalObs = new Float32Array(numEnvs * this.obsDim);
    this.rewards = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.episodeReturn = new Float64Array(numEnvs);
    this.episodeLength = new Int32Array(numEnvs);
    this.state = new Float64Array(numEnvs * stateStride);
    this.stepCount = new Int32Array(numEnvs);
    this.runningReturn = new Float64Array(numEnvs);
    this.rng = new Rng(seed);
    // No reset here: subclass fields (scratch buffers) do not exist yet. Subclasses reset last.
  }

  /**
   * Advances every sub-env by one step from `actions` (already length-checked): updates its state
   * slice and writes its `obs` row, `rewards[i]` and `terminated[i]`.
   */
  protected abstract physics(actions: ArrayLike<number>): void;
  /** Draws a fresh initial state for sub-env `index` from `this.rng` into its state slice. */
  protected abstract sampleInitialState(index: number): void;
  /** Writes the `obs` row of sub-env `index` from its state slice. */
  protected abstract writeObs(index: number): void;

  reset(): void {
    for (let i = 0; i < this.numEnvs; i++) this.resetOne(i);
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
  }

  resetOne(index: number): void {
    this.checkIndex(index);
    this.sampleInitialState(index);
    this.writeObs(index);
    this.stepCount[index] = 0;
    this.runningReturn[index] = 0;
  }

  step(actions: ArrayLike<number>): void {
    if (actions.length < this.actionCount) {
      throw new RangeError(
        `${this.spec.id}: step needs ${this.actionCount} action values, got ${actions.length}`,
      );
    }
    this.physics(actions);

    const n = this.numEnvs;
    const maxSteps = this.maxSteps;
    const od = this.obsDim;
    const rewards = this.rewards;
    const terminated = this.terminated;
    const truncated = this.truncated;
    const stepCount = this.stepCount;
    const runningReturn = this.runningReturn;
    for (let i = 0; i < n; i++) {
      const length = stepCount[i] + 1;
      const ret = runningReturn[i] + rewards[i];
      const term = terminated[i];
      // TimeLimit truncates at the limit; a terminal step there is reported as terminated only.
      const trunc = term === 0 && length >= maxSteps ? 1 : 0;
      truncated[i] = trunc;
      if (term !== 0 || trunc !== 0) {
        this.episodeReturn[i] = ret;
        this.episodeLength[i] = length;
        const obs = this.obs;
        const finalObs = this.finalObs;
        for (let j = i * od, end = j + od; j < end; j++) finalObs[j] = obs[j];
        this.resetOne(i);
      } else {
        stepCount[i] = length;
        runningReturn[i] = ret;
      }
    }
  }

  getState(index: number): number[] {
    this.checkIndex(index);
    const out = new Array<number>(this.stateDim);
    const o = index * this.stateStride;
    for (let j = 0; j < this.stateDim; j++) out[j] = this.state[o + j];
    return out;
  }

  /** Overwrites the physical state only: the episode's step counter and return carry on. */
  setState(index: number, state: readonly number[]): void {
    this.checkIndex(index);
    if (state.length !== this.stateDim) {
      throw new RangeError(`${this.spec.id}: state has ${this.stateDim} values, got ${state.length}`);
    }
    const o = index * this.stateStride;
    for (let j = 0; j < this.stateDim; j++) {
      const v = state[j];
      if (!Number.isFinite(v)) throw new RangeError(`${this.spec.id}: state[${j}] is ${v}`);
      this.state[o + j] = v;
    }
    this.writeObs(index);
  }

  saveState(): ClassicEnvSnapshot {
    return {
      id: this.spec.id,
      numEnvs: this.numEnvs,
      state: Array.from(this.state),
      obs: Array.from(this.obs),
      finalObs: Array.from(this.finalObs),
      rewards: Array.from(this.rewards),
      terminated: Array.from(this.terminated),
      truncated: Array.from(this.truncated),
      episodeReturn: Array.from(this.episodeReturn),
      episodeLength: Array.from(this.episodeLength),
      stepCount: Array.from(this.stepCount),
      runningReturn: Array.from(this.runningReturn),
      rng: this.rng.getState(),
    };
  }

  loadState(snapshot: unknown): void {
    const s = this.validateSnapshot(snapshot);
    this.state.set(s.state);
    this.obs.set(s.obs);
    this.finalObs.set(s.finalObs);
    this.rewards.set(s.rewards);
    this.terminated.set(s.terminated);
    this.truncated.set(s.truncated);
    this.episodeReturn.set(s.episodeReturn);
    this.episodeLength.set(s.episodeLength);
    this.stepCount.set(s.stepCount);
    this.runningReturn.set(s.runningReturn);
    this.rng.setState({ words: [...s.rng.words], spare: s.rng.spare });
  }

  /** Checks a snapshot fully before anything is overwritten, so a bad one leaves the env intact. */
  private validateSnapshot(snapshot: unknown): ClassicEnvSnapshot {
    const id = this.spec.id;
    if (typeof snapshot !== 'object' || snapshot === null) {
      throw new TypeError(`${id}: snapshot must be an object`);
    }
    const rec = snapshot as Record<string, unknown>;
    if (rec.id !== id || rec.numEnvs !== this.numEnvs) {
      throw new TypeError(
        `${id}: snapshot is for ${String(rec.id)} × ${String(rec.numEnvs)}, not ${id} × ${this.numEnvs}`,
      );
    }
    const numbers = (key: string, length: number): number[] => {
      const v = rec[key];
      if (!Array.isArray(v) || v.length !== length || !v.every((x) => typeof x === 'number')) {
        throw new TypeError(`${id}: snapshot.${key} must be ${length} numbers`);
      }
      return v as number[];
    };
    const n = this.numEnvs;
    const rng = rec.rng as Record<string, unknown> | null | undefined;
    const words = rng?.words;
    const spare = rng?.spare;
    if (
      !Array.isArray(words) ||
      words.length !== 4 ||
      !words.every((w) => Number.isInteger(w)) ||
      !(spare === null || typeof spare === 'number')
    ) {
      throw new TypeError(`${id}: snapshot.rng must be { words: [4 integers], spare }`);
    }
    return {
      id,
      numEnvs: n,
      state: numbers('state', n * this.stateStride),
      obs: numbers('obs', n * this.obsDim),
      finalObs: numbers('finalObs', n * this.obsDim),
      rewards: numbers('rewards', n),
      terminated: numbers('terminated', n),
      truncated: numbers('truncated', n),
      episodeReturn: numbers('episodeReturn', n),
      episodeLength: numbers('episodeLength', n),
      stepCount: numbers('stepCount', n),
      runningReturn: numbers('runningReturn', n),
      rng: { words: words as RngState, spare },
    };
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.numEnvs) {
      throw new RangeError(`${this.spec.id}: sub-env index ${index} out of [0, ${this.numEnvs})`);
    }
  }

  /** Error for a Discrete action outside {0, …, n−1} (Gymnasium asserts the same). */
  protected badAction(index: number, action: number): RangeError {
    const n = this.spec.actionSpace.kind === 'discrete' ? this.spec.actionSpace.n : 0;
    return new RangeError(`${this.spec.id}: action ${action} of sub-env ${index} is not in 0..${n - 1}`);
  }
}
