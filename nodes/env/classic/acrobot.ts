/**
 * Acrobot-v1, transcribed from Gymnasium 1.4.0 `acrobot.py`: "book" dynamics, one classic RK4
 * step over dt = 0.2, angles wrapped to [-π, π] and velocities bounded afterwards, torque noise 0.
 * Expressions keep Gymnasium's evaluation order (the system is chaotic, so rounding matters).
 */
import type { EnvSpec } from '../../../engine/env.ts';
import { ClassicVecEnv, f32Array } from './vec-env-base.ts';

const DT = 0.2;
const LINK_LENGTH_1 = 1.0;
const LINK_MASS_1 = 1.0;
const LINK_MASS_2 = 1.0;
const LINK_COM_POS_1 = 0.5;
const LINK_COM_POS_2 = 0.5;
const LINK_MOI = 1.0;
const G = 9.8;
const MAX_VEL_1 = 4 * Math.PI;
const MAX_VEL_2 = 9 * Math.PI;
const PI = Math.PI;

// Constant sub-expressions of `_dsdt`, each evaluated exactly as Python evaluates it.
const M1 = LINK_MASS_1;
const M2 = LINK_MASS_2;
const L1 = LINK_LENGTH_1;
const LC1 = LINK_COM_POS_1;
const LC2 = LINK_COM_POS_2;
const I1 = LINK_MOI;
const I2 = LINK_MOI;
const D1_A = M1 * LC1 ** 2; // m1 * lc1**2
const D1_B = L1 ** 2 + LC2 ** 2; // l1**2 + lc2**2
const D1_C = 2 * L1 * LC2; // 2 * l1 * lc2 (then * cos(theta2))
const D2_A = LC2 ** 2; // lc2**2
const D2_B = L1 * LC2; // l1 * lc2 (then * cos(theta2))
const PHI2_A = M2 * LC2 * G;
const PHI1_A = -M2 * L1 * LC2; // then * dtheta2**2 * sin(theta2)
const PHI1_B = 2 * M2 * L1 * LC2; // then * dtheta2 * dtheta1 * sin(theta2)
const PHI1_C = (M1 * LC1 + M2 * L1) * G; // then * cos(theta1 - pi / 2)
const DD2_A = M2 * L1 * LC2; // then * dtheta1**2 * sin(theta2)
const DD2_DEN_A = M2 * LC2 ** 2 + I2; // then - d2**2 / d1
const DT2 = DT / 2.0;
const DT6 = DT / 6.0;

export function acrobotSpec(): EnvSpec {
  const high = f32Array([1.0, 1.0, 1.0, 1.0, MAX_VEL_1, MAX_VEL_2]);
  return {
    id: 'Acrobot-v1',
    observationSpace: { kind: 'box', shape: [6], low: high.map((v) => -v), high },
    actionSpace: { kind: 'discrete', n: 3 },
    maxEpisodeSteps: 500,
    rewardThreshold: -100,
  };
}

/** State per sub-env: [theta1, theta2, dtheta1, dtheta2]. */
export class AcrobotVecEnv extends ClassicVecEnv {
  /**
   * RK4 scratch, reused every step: `y` is the stage input, `k` holds k1..k4 (4 floats each).
   * Doubles travel through these arrays rather than as call arguments, which V8 would box into
   * heap numbers whenever `dsdt` is not inlined.
   */
  private readonly y = new Float64Array(4);
  private readonly k = new Float64Array(16);

  constructor(numEnvs: number, seed: number) {
    super(acrobotSpec(), numEnvs, seed, 4);
    this.reset();
  }

  protected override physics(actions: ArrayLike<number>): void {
    const n = this.numEnvs;
    for (let i = 0; i < n; i++) this.stepOne(i, actions);
  }

  private stepOne(i: number, actions: ArrayLike<number>): void {
    const action = actions[i];
    // AVAIL_TORQUE = [-1, 0, +1]
    if (action !== 0 && action !== 1 && action !== 2) throw this.badAction(i, action);
    const torque = action - 1;

    const s = this.state;
    const k = this.k;
    const y = this.y;
    const o = i * 4;
    const y0 = s[o];
    const y1 = s[o + 1];
    const y2 = s[o + 2];
    const y3 = s[o + 3];

    // rk4(self._dsdt, s_augmented, [0, dt]): the torque rides along with derivative 0.
    y[0] = y0;
    y[1] = y1;
    y[2] = y2;
    y[3] = y3;
    this.dsdt(torque, 0);
    y[0] = y0 + DT2 * k[0];
    y[1] = y1 + DT2 * k[1];
    y[2] = y2 + DT2 * k[2];
    y[3] = y3 + DT2 * k[3];
    this.dsdt(torque, 4);
    y[0] = y0 + DT2 * k[4];
    y[1] = y1 + DT2 * k[5];
    y[2] = y2 + DT2 * k[6];
    y[3] = y3 + DT2 * k[7];
    this.dsdt(torque, 8);
    y[0] = y0 + DT * k[8];
    y[1] = y1 + DT * k[9];
    y[2] = y2 + DT * k[10];
    y[3] = y3 + DT * k[11];
    this.dsdt(torque, 12);
    let t1 = y0 + DT6 * (k[0] + 2 * k[4] + 2 * k[8] + k[12]);
    let t2 = y1 + DT6 * (k[1] + 2 * k[5] + 2 * k[9] + k[13]);
    let v1 = y2 + DT6 * (k[2] + 2 * k[6] + 2 * k[10] + k[14]);
    let v2 = y3 + DT6 * (k[3] + 2 * k[7] + 2 * k[11] + k[15]);

    // wrap(x, -pi, pi) subtracts/adds the full period until inside, like Gymnasium's loop.
    while (t1 > PI) t1 = t1 - (PI - -PI);
    while (t1 < -PI) t1 = t1 + (PI - -PI);
    while (t2 > PI) t2 = t2 - (PI - -PI);
    while (t2 < -PI) t2 = t2 + (PI - -PI);
    v1 = v1 < -MAX_VEL_1 ? -MAX_VEL_1 : v1 > MAX_VEL_1 ? MAX_VEL_1 : v1;
    v2 = v2 < -MAX_VEL_2 ? -MAX_VEL_2 : v2 > MAX_VEL_2 ? MAX_VEL_2 : v2;

    s[o] = t1;
    s[o + 1] = t2;
    s[o + 2] = v1;
    s[o + 3] = v2;
    const cos1 = Math.cos(t1);
    const obs = this.obs;
    const oo = i * 6;
    obs[oo] = cos1;
    obs[oo + 1] = Math.sin(t1);
    obs[oo + 2] = Math.cos(t2);
    obs[oo + 3] = Math.sin(t2);
    obs[oo + 4] = v1;
    obs[oo + 5] = v2;

    const done = -cos1 - Math.cos(t2 + t1) > 1.0;
    this.terminated[i] = done ? 1 : 0;
    this.rewards[i] = done ? 0.0 : -1.0;
  }

  /** Gymnasium's `_dsdt` ("book") at `y` with torque `a`: writes (dθ1, dθ2, ddθ1, ddθ2) to k[at…]. */
  private dsdt(a: number, at: number): void {
    const y = this.y;
    const theta1 = y[0];
    const theta2 = y[1];
    const dtheta1 = y[2];
    const dtheta2 = y[3];
    const cos2 = Math.cos(theta2);
    const sin2 = Math.sin(theta2);
    const d1 = D1_A + M2 * (D1_B + D1_C * cos2) + I1 + I2;
    const d2 = M2 * (D2_A + D2_B * cos2) + I2;
    const phi2 = PHI2_A * Math.cos(theta1 + theta2 - PI / 2.0);
    const phi1 =
      PHI1_A * (dtheta2 * dtheta2) * sin2 -
      PHI1_B * dtheta2 * dtheta1 * sin2 +
      PHI1_C * Math.cos(theta1 - PI / 2) +
      phi2;
    const ddtheta2 =
      (a + (d2 / d1) * phi1 - DD2_A * (dtheta1 * dtheta1) * sin2 - phi2) /
      (DD2_DEN_A - (d2 * d2) / d1);
    const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    const k = this.k;
    k[at] = dtheta1;
    k[at + 1] = dtheta2;
    k[at + 2] = ddtheta1;
    k[at + 3] = ddtheta2;
  }

  protected override sampleInitialState(index: number): void {
    // Gymnasium draws uniform(-0.1, 0.1) and casts the state to float32.
    const o = index * 4;
    for (let j = 0; j < 4; j++) this.state[o + j] = Math.fround(this.rng.uniformIn(-0.1, 0.1));
  }

  protected override writeObs(index: number): void {
    const s = this.state;
    const o = index * 4;
    const oo = index * 6;
    this.obs[oo] = Math.cos(s[o]);
    this.obs[oo + 1] = Math.sin(s[o]);
    this.obs[oo + 2] = Math.cos(s[o + 1]);
    this.obs[oo + 3] = Math.sin(s[o + 1]);
    this.obs[oo + 4] = s[o + 2];
    this.obs[oo + 5] = s[o + 3];
  }
}
