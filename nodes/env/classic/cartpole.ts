/**
 * CartPole-v1, transcribed from Gymnasium 1.4.0 `cartpole.py` (Euler integrator, reward 1 on every
 * step including the terminating one). Expressions keep Gymnasium's evaluation order so the
 * float64 state matches it to the last bit wherever Math.cos/sin agree with libm.
 */
import type { EnvSpec } from '../../../engine/env.ts';
import { ClassicVecEnv, FLOAT32_MAX, f32Array } from './vec-env-base.ts';

const GRAVITY = 9.8;
const MASSCART = 1.0;
const MASSPOLE = 0.1;
const TOTAL_MASS = MASSPOLE + MASSCART;
const LENGTH = 0.5; // half the pole's length
const POLEMASS_LENGTH = MASSPOLE * LENGTH;
const FORCE_MAG = 10.0;
const TAU = 0.02;
const THETA_THRESHOLD = (12 * 2 * Math.PI) / 360;
const X_THRESHOLD = 2.4;

export function cartPoleSpec(): EnvSpec {
  // Gymnasium 1.x bounds the velocities by np.inf; FLOAT32_MAX keeps the spec JSON-safe.
  const high = f32Array([X_THRESHOLD * 2, FLOAT32_MAX, THETA_THRESHOLD * 2, FLOAT32_MAX]);
  return {
    id: 'CartPole-v1',
    observationSpace: { kind: 'box', shape: [4], low: high.map((v) => -v), high },
    actionSpace: { kind: 'discrete', n: 2 },
    maxEpisodeSteps: 500,
    rewardThreshold: 475,
  };
}

/** State per sub-env: [x, x_dot, theta, theta_dot] (float64, as Gymnasium keeps it). */
export class CartPoleVecEnv extends ClassicVecEnv {
  constructor(numEnvs: number, seed: number) {
    super(cartPoleSpec(), numEnvs, seed, 4);
    this.reset();
  }

  protected override physics(actions: ArrayLike<number>): void {
    const n = this.numEnvs;
    for (let i = 0; i < n; i++) this.stepOne(i, actions);
  }

  /** Takes the buffer, not the action: a double argument is boxed if the call is not inlined. */
  private stepOne(i: number, actions: ArrayLike<number>): void {
    const action = actions[i];
    let force: number;
    if (action === 1) force = FORCE_MAG;
    else if (action === 0) force = -FORCE_MAG;
    else throw this.badAction(i, action);

    const s = this.state;
    const o = i * 4; // state stride == obs size == 4
    let x = s[o];
    let xDot = s[o + 1];
    let theta = s[o + 2];
    let thetaDot = s[o + 3];

    const costheta = Math.cos(theta);
    const sintheta = Math.sin(theta);
    const temp = (force + POLEMASS_LENGTH * (thetaDot * thetaDot) * sintheta) / TOTAL_MASS;
    const thetaacc =
      (GRAVITY * sintheta - costheta * temp) /
      (LENGTH * (4.0 / 3.0 - (MASSPOLE * (costheta * costheta)) / TOTAL_MASS));
    const xacc = temp - (POLEMASS_LENGTH * thetaacc * costheta) / TOTAL_MASS;

    x = x + TAU * xDot;
    xDot = xDot + TAU * xacc;
    theta = theta + TAU * thetaDot;
    thetaDot = thetaDot + TAU * thetaacc;

    s[o] = x;
    s[o + 1] = xDot;
    s[o + 2] = theta;
    s[o + 3] = thetaDot;
    const obs = this.obs;
    obs[o] = x;
    obs[o + 1] = xDot;
    obs[o + 2] = theta;
    obs[o + 3] = thetaDot;

    this.terminated[i] =
      x < -X_THRESHOLD || x > X_THRESHOLD || theta < -THETA_THRESHOLD || theta > THETA_THRESHOLD
        ? 1
        : 0;
    this.rewards[i] = 1.0;
  }

  protected override sampleInitialState(index: number): void {
    const o = index * 4;
    for (let j = 0; j < 4; j++) this.state[o + j] = this.rng.uniformIn(-0.05, 0.05);
  }

  protected override writeObs(index: number): void {
    const o = index * 4;
    for (let j = 0; j < 4; j++) this.obs[o + j] = this.state[o + j];
  }
}
