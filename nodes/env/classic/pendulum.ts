/**
 * Pendulum-v1, transcribed from Gymnasium 1.4.0 `pendulum.py` (g = 10, semi-implicit Euler,
 * reward −(angle_normalize(θ)² + 0.1·θ̇² + 0.001·u²) on the state before the step).
 *
 * The clipped torque u is a float32 scalar, and NumPy 2 (NEP 50) keeps the two terms that involve
 * it in float32 (`0.001 * u**2` and `3.0 / (m * l**2) * u`); Math.fround replays those roundings.
 */
import type { EnvSpec } from '../../../engine/env.ts';
import { ClassicVecEnv, f32Array } from './vec-env-base.ts';

const MAX_SPEED = 8;
const MAX_TORQUE = 2.0;
const DT = 0.05;
const G = 10.0;
const M = 1.0;
const L = 1.0;
const GRAVITY_TERM = (3 * G) / (2 * L); // 3 * g / (2 * l), then * sin(th)
const TORQUE_TERM = 3.0 / (M * L ** 2); // then * u, in float32
const TORQUE_COST_F32 = Math.fround(0.001);
const TWO_PI = 2 * Math.PI;

export function pendulumSpec(): EnvSpec {
  const high = f32Array([1.0, 1.0, MAX_SPEED]);
  return {
    id: 'Pendulum-v1',
    observationSpace: { kind: 'box', shape: [3], low: high.map((v) => -v), high },
    actionSpace: { kind: 'box', shape: [1], low: [-MAX_TORQUE], high: [MAX_TORQUE] },
    maxEpisodeSteps: 200,
    rewardThreshold: null,
  };
}

/** State per sub-env: [theta, theta_dot]. */
export class PendulumVecEnv extends ClassicVecEnv {
  constructor(numEnvs: number, seed: number) {
    super(pendulumSpec(), numEnvs, seed, 2);
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
    const o = i * 2;
    const th = s[o];
    const thdot = s[o + 1];
    // np.clip(u, -max_torque, max_torque)[0]: float32 in, float32 out (NaN passes through).
    const u = action < -MAX_TORQUE ? -MAX_TORQUE : action > MAX_TORQUE ? MAX_TORQUE : action;

    // angle_normalize(x) = ((x + pi) % (2 * pi)) - pi, with Python's floored modulo.
    let wrapped = (th + Math.PI) % TWO_PI;
    if (wrapped < 0) wrapped += TWO_PI;
    const angle = wrapped - Math.PI;
    const costs =
      angle * angle + 0.1 * (thdot * thdot) + Math.fround(TORQUE_COST_F32 * Math.fround(u * u));

    let newthdot =
      thdot + (GRAVITY_TERM * Math.sin(th) + Math.fround(TORQUE_TERM * u)) * DT;
    newthdot = newthdot < -MAX_SPEED ? -MAX_SPEED : newthdot > MAX_SPEED ? MAX_SPEED : newthdot;
    const newth = th + newthdot * DT;

    s[o] = newth;
    s[o + 1] = newthdot;
    const oo = i * 3;
    this.obs[oo] = Math.cos(newth);
    this.obs[oo + 1] = Math.sin(newth);
    this.obs[oo + 2] = newthdot;
    this.terminated[i] = 0;
    this.rewards[i] = -costs;
  }

  protected override sampleInitialState(index: number): void {
    this.state[index * 2] = this.rng.uniformIn(-Math.PI, Math.PI);
    this.state[index * 2 + 1] = this.rng.uniformIn(-1.0, 1.0);
  }

  protected override writeObs(index: number): void {
    const th = this.state[index * 2];
    const oo = index * 3;
    this.obs[oo] = Math.cos(th);
    this.obs[oo + 1] = Math.sin(th);
    this.obs[oo + 2] = this.state[index * 2 + 1];
  }
}
