/**
 * The vectorised environment contract that every environment block implements.
 *
 * Hot-path rule: `step` writes into buffers owned by the env (flat typed arrays, one row per
 * sub-environment) and allocates nothing. Autoreset happens inside the same `step` call: for a
 * sub-environment whose episode ended, `obs` already holds the first observation of the next
 * episode and `finalObs` holds the observation that ended the episode (needed to bootstrap the
 * value of a truncated episode).
 */

export interface BoxSpace {
  kind: 'box';
  shape: number[];
  low: number[];
  high: number[];
}

export interface DiscreteSpace {
  kind: 'discrete';
  n: number;
}

export type Space = BoxSpace | DiscreteSpace;

export interface EnvSpec {
  /** Gymnasium id, e.g. "CartPole-v1". */
  id: string;
  observationSpace: BoxSpace;
  actionSpace: Space;
  /** Gymnasium TimeLimit: an episode reaching this many steps is `truncated`. */
  maxEpisodeSteps: number;
  /** Gymnasium's "solved" level, or null where Gymnasium sets none. */
  rewardThreshold: number | null;
}

/** Number of floats in one observation row. */
export function obsSize(spec: EnvSpec): number {
  return spec.observationSpace.shape.reduce((a, b) => a * b, 1);
}

/** Number of numbers in one action row: 1 for Discrete, the flattened shape for Box. */
export function actionSize(spec: EnvSpec): number {
  return spec.actionSpace.kind === 'discrete'
    ? 1
    : spec.actionSpace.shape.reduce((a, b) => a * b, 1);
}

export interface VecEnv {
  readonly spec: EnvSpec;
  readonly numEnvs: number;
  /** [numEnvs × obsSize] current observations (after autoreset). */
  readonly obs: Float32Array;
  /** [numEnvs × obsSize] observation that ended the episode; valid where terminated|truncated. */
  readonly finalObs: Float32Array;
  /** [numEnvs] reward of the last step. */
  readonly rewards: Float64Array;
  /** [numEnvs] 1 where the last step reached a terminal state of the MDP. */
  readonly terminated: Uint8Array;
  /** [numEnvs] 1 where the last step hit the time limit (and was not terminal). */
  readonly truncated: Uint8Array;
  /** [numEnvs] undiscounted return of the episode that just ended; valid where done. */
  readonly episodeReturn: Float64Array;
  /** [numEnvs] length of the episode that just ended; valid where done. */
  readonly episodeLength: Int32Array;

  /** Resets every sub-environment (new initial states from the env's own RNG). */
  reset(): void;
  /** Resets one sub-environment. */
  resetOne(index: number): void;
  /**
   * Advances every sub-environment by one step. `actions` holds one integer per env for Discrete
   * spaces, or `numEnvs × actionSize` floats for Box spaces (clipped to the bounds where
   * Gymnasium clips).
   */
  step(actions: ArrayLike<number>): void;

  /** Internal physical state of one sub-environment (Gymnasium's `env.unwrapped.state`). */
  getState(index: number): number[];
  /** Overwrites the internal state of one sub-environment and recomputes its observation. */
  setState(index: number, state: readonly number[]): void;

  /** Everything needed to continue exactly where it stopped (states, step counters, RNGs). */
  saveState(): unknown;
  loadState(state: unknown): void;
}
