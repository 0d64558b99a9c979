/**
 * MountainCarContinuous-v0, transcribed from Gymnasium 1.4.0 `continuous_mountain_car.py`.
 *
 * Gymnasium quirks reproduced on purpose:
 * - the force is the action clipped to [-1, 1], but the reward −0.1·a² uses the *unclipped* action;
 * - the state is stored as float32 after every step, and NumPy 2 (NEP 50) then does the next step's
 *   arithmetic in float32 (Python floats meeting a float32 scalar are cast to float32). Only the
 *   first step after a reset sees Gymnasium's float64 state and computes in float64. Each sub-env
 *   carries a third state slot recording which case applies, and Math.fround replays the roundings.
 * Actions are float32 (the space's dtype), so they are rounded to float32 first.
 */
import type { EnvSpec } from '../../../engine/env.ts';
import { ClassicVecEnv, f32Array } from './vec-env-base.ts';

const MIN_ACTION = -1.0;
const MAX_ACTION = 1.0;
const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.45;
const GOAL_VELOCITY = 0;
const POWER = 0.0015;

// The float32 images of the Python constants, as NEP 50 casts them next to a float32 operand.
const POWER_F32 = Math.fround(POWER);
const MAX_SPEED_F32 = Math.fround(MAX_SPEED);
const MIN_POSITION_F32 = Math.fround(MIN_POSITION);
const MAX_POSITION_F32 = Math.fround(MAX_POSITION);
const GOAL_POSITION_F32 = Math.fround(GOAL_POSITION);

/** Storage per sub-env: [position, velocity, wide], wide = 1 while the state is still float64. */
const STRIDE = 3;

export function mountainCarContinuousSpec(): EnvSpec {
  return {
    id: 'MountainCarContinuous-v0',
    observationSpace: {
      kind: 'box',
      shape: [2],
      low: f32Array([MIN_POSITION, -MAX_SPEED]),
      high: f32Array([MAX_POSITION, MAX_SPEED]),
    },
    actionSpace: { kind: 'box', shape: [1], low: [MIN_ACTION], high: [MAX_ACTION] },
    maxEpisodeSteps: 999,
    rewardThreshold: 90,
  };
}

/** Public state per sub-env: [position, velocity]. */
export class MountainCarContinuousVecEnv extends ClassicVecEnv {
  constructor(numEnvs: number, seed: number) {
    super(mountainCarContinuousSpec(), numEnvs, seed, 2, STRIDE);
    this.reset();
  }

  protected override physics(actions: ArrayLike<number>): void {
    const n = this.numEnvs;
    for (let i = 0; i < n; i++) this.stepOne(i, actions);
  }

  /** Takes the buffer, not the action: a double argument is boxed if the call is not inlined. */
  private stepOne(i: number, actions: ArrayLike<number>): void {
    const action = Math.fround(actions[i]); // the space is float32
    const s = this.state;
    const o = i * STRIDE;
    let position = s[o];
    let velocity = s[o + 1];
    const wide = s[o + 2] !== 0;

    // force = min(max(action[0], -1.0), 1.0): a float32 scalar unless clipped, then a Python float.
    const clipped = action < MIN_ACTION || action > MAX_ACTION;
    const force = action < MIN_ACTION ? MIN_ACTION : action > MAX_ACTION ? MAX_ACTION : action;
    const pushF64 = force * POWER;
    const pushF32 = Math.fround(force * POWER_F32);

    if (wide) {
      // float64 position/velocity: only `force * power - …` may be float32.
      const slope = 0.0025 * Math.cos(3 * position);
      velocity += clipped ? pushF64 - slope : Math.fround(pushF32 - Math.fround(slope));
      if (velocity > MAX_SPEED) velocity = MAX_SPEED;
      if (velocity < -MAX_SPEED) velocity = -MAX_SPEED;
      position += velocity;
      if (position > MAX_POSITION) position = MAX_POSITION;
      if (position < MIN_POSITION) position = MIN_POSITION;
      if (position === MIN_POSITION && velocity < 0) velocity = 0;
      this.terminated[i] = position >= GOAL_POSITION && velocity >= GOAL_VELOCITY ? 1 : 0;
    } else {
      // float32 position/velocity: every operation rounds to float32, constants too.
      const slope = 0.0025 * Math.cos(Math.fround(3 * position));
      const delta = clipped ? Math.fround(pushF64 - slope) : Math.fround(pushF32 - Math.fround(slope));
      velocity = Math.fround(velocity + delta);
      // Clamping to the float32 or the float64 limit ends the same once stored as float32.
      if (velocity > MAX_SPEED_F32) velocity = MAX_SPEED_F32;
      if (velocity < -MAX_SPEED_F32) velocity = -MAX_SPEED_F32;
      position = Math.fround(position + velocity);
      if (position > MAX_POSITION_F32) position = MAX_POSITION_F32;
      if (position < MIN_POSITION_F32) position = MIN_POSITION_F32;
      if (position === MIN_POSITION_F32 && velocity < 0) velocity = 0;
      this.terminated[i] = position >= GOAL_POSITION_F32 && velocity >= GOAL_VELOCITY ? 1 : 0;
    }

    position = Math.fround(position);
    velocity = Math.fround(velocity);
    s[o] = position;
    s[o + 1] = velocity;
    s[o + 2] = 0;
    this.obs[i * 2] = position;
    this.obs[i * 2 + 1] = velocity;
    // reward = (100 if terminated else 0) − math.pow(action[0], 2) * 0.1, action unclipped.
    this.rewards[i] = (this.terminated[i] !== 0 ? 100.0 : 0) - action * action * 0.1;
  }

  protected override sampleInitialState(index: number): void {
    const o = index * STRIDE;
    this.state[o] = this.rng.uniformIn(-0.6, -0.4);
    this.state[o + 1] = 0;
    this.state[o + 2] = 1;
  }

  /** A state written from outside is float64, as after Gymnasium's reset. */
  override setState(index: number, state: readonly number[]): void {
    super.setState(index, state);
    this.state[index * STRIDE + 2] = 1;
  }

  protected override writeObs(index: number): void {
    const o = index * STRIDE;
    this.obs[index * 2] = this.state[o];
    this.obs[index * 2 + 1] = this.state[o + 1];
  }
}
