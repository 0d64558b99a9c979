/**
 * MountainCar-v0, transcribed from Gymnasium 1.4.0 `mountain_car.py` (float64 state, reward −1
 * per step, terminal at position ≥ 0.5 with velocity ≥ 0).
 */
import type { EnvSpec } from '../../../engine/env.ts';
import { ClassicVecEnv, f32Array } from './vec-env-base.ts';

const MIN_POSITION = -1.2;
const MAX_POSITION = 0.6;
const MAX_SPEED = 0.07;
const GOAL_POSITION = 0.5;
const GOAL_VELOCITY = 0;
const FORCE = 0.001;
const GRAVITY = 0.0025;

export function mountainCarSpec(): EnvSpec {
  return {
    id: 'MountainCar-v0',
    observationSpace: {
      kind: 'box',
      shape: [2],
      low: f32Array([MIN_POSITION, -MAX_SPEED]),
      high: f32Array([MAX_POSITION, MAX_SPEED]),
    },
    actionSpace: { kind: 'discrete', n: 3 },
    maxEpisodeSteps: 200,
    rewardThreshold: -110,
  };
}

/** State per sub-env: [position, velocity]. */
export class MountainCarVecEnv extends ClassicVecEnv {
  constructor(numEnvs: number, seed: number) {
    super(mountainCarSpec(), numEnvs, seed, 2);
    this.reset();
  }

  protected override physics(actions: ArrayLike<number>): void {
    const n = this.numEnvs;
    for (let i = 0; i < n; i++) this.stepOne(i, actions);
  }

  /** Takes the buffer, not the action: a double argument is boxed if the call is not inlined. */
  private stepOne(i: number, actions: ArrayLike<number>): void {
    const action = actions[i];
    if (action !== 0 && action !== 1 && action !== 2) throw this.badAction(i, action);
    const s = this.state;
    const o = i * 2; // state stride == obs size == 2
    let position = s[o];
    let velocity = s[o + 1];

    velocity += (action - 1) * FORCE + Math.cos(3 * position) * -GRAVITY;
    velocity = velocity < -MAX_SPEED ? -MAX_SPEED : velocity > MAX_SPEED ? MAX_SPEED : velocity;
    position += velocity;
    position =
      position < MIN_POSITION ? MIN_POSITION : position > MAX_POSITION ? MAX_POSITION : position;
    if (position === MIN_POSITION && velocity < 0) velocity = 0;

    s[o] = position;
    s[o + 1] = velocity;
    this.obs[o] = position;
    this.obs[o + 1] = velocity;
    this.terminated[i] = position >= GOAL_POSITION && velocity >= GOAL_VELOCITY ? 1 : 0;
    this.rewards[i] = -1.0;
  }

  protected override sampleInitialState(index: number): void {
    this.state[index * 2] = this.rng.uniformIn(-0.6, -0.4);
    this.state[index * 2 + 1] = 0;
  }

  protected override writeObs(index: number): void {
    const o = index * 2;
    this.obs[o] = this.state[o];
    this.obs[o + 1] = this.state[o + 1];
  }
}
