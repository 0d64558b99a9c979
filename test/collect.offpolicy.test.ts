/**
 * collect.offPolicy (nodes/collect/off-policy.ts) on its own, driven with a hand-written
 * vectorised env (exact control of terminated/truncated, final and reset observations) and a fake
 * policy (a fixed μ, call counting): random warm-up, Gaussian and Ornstein–Uhlenbeck exploration
 * noise (statistics, clipping, live σ, OU reset at episode ends), the transition rows, refused
 * wirings, and exact continuation from a saved state.
 */
import { describe, expect, it } from 'vitest';
import type { BlockRuntime, EnvResource, EpisodeReport, PolicyResource, Tick } from '../engine/block.ts';
import type { EnvSpec, Space, VecEnv } from '../engine/env.ts';
import { deriveSeed, Rng } from '../engine/rng.ts';
import type { Tensor, Variable } from '../engine/tf.ts';
import { offPolicyCollector, TRANSITION_FIELDS } from '../nodes/collect/off-policy.ts';
import { classicEnv } from '../nodes/env/classic.ts';
import { asBatch, makeCtx, makeTick } from './fakes.ts';

// ---------------------------------------------------------------------------------------------
// Fakes
// ---------------------------------------------------------------------------------------------

type Ending = 'terminated' | 'truncated' | null;

function boxSpec(low: number[], high: number[], obsDim = 3): EnvSpec {
  return {
    id: 'FakeBox-v0',
    observationSpace: { kind: 'box', shape: [obsDim], low: Array(obsDim).fill(-1e9), high: Array(obsDim).fill(1e9) },
    actionSpace: { kind: 'box', shape: [low.length], low, high },
    maxEpisodeSteps: 1_000_000,
    rewardThreshold: null,
  };
}

function discreteSpec(n: number, obsDim = 3): EnvSpec {
  return {
    id: 'FakeDiscrete-v0',
    observationSpace: { kind: 'box', shape: [obsDim], low: Array(obsDim).fill(-1e9), high: Array(obsDim).fill(1e9) },
    actionSpace: { kind: 'discrete', n },
    maxEpisodeSteps: 1_000_000,
    rewardThreshold: null,
  };
}

/**
 * Observation row of sub-env e: [e, episode index, step within the episode, 0, …]. An episode
 * ends where `endAt(e, t, episode)` says so (t = its length so far). The reset observation
 * [e, episode + 1, 0] and the final one [e, episode, t] differ, and the rows of `finalObs` /
 * `episodeReturn` / `episodeLength` that are not valid this step hold garbage, so a collector
 * reading the wrong one is caught. Reward of the step that reaches t: 1 + e + t/2.
 */
class FakeVecEnv implements VecEnv {
  readonly obs: Float32Array;
  readonly finalObs: Float32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly episodeReturn: Float64Array;
  readonly episodeLength: Int32Array;
  /** Every action array `step` received (copied). */
  readonly received: Float32Array[] = [];
  private readonly d: number;
  private t: number[];
  private episode: number[];
  private ret: number[];

  constructor(
    readonly spec: EnvSpec,
    readonly numEnvs: number,
    private readonly endAt: (e: number, t: number, episode: number) => Ending = () => null,
  ) {
    this.d = spec.observationSpace.shape[0];
    this.obs = new Float32Array(numEnvs * this.d);
    this.finalObs = new Float32Array(numEnvs * this.d);
    this.rewards = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.episodeReturn = new Float64Array(numEnvs);
    this.episodeLength = new Int32Array(numEnvs);
    this.t = Array(numEnvs).fill(0);
    this.episode = Array(numEnvs).fill(0);
    this.ret = Array(numEnvs).fill(0);
    this.reset();
  }

  private writeRow(target: Float32Array, e: number, episode: number, t: number): void {
    target.fill(0, e * this.d, (e + 1) * this.d);
    target[e * this.d] = e;
    target[e * this.d + 1] = episode;
    target[e * this.d + 2] = t;
  }

  reset(): void {
    for (let e = 0; e < this.numEnvs; e++) this.resetOne(e);
  }

  resetOne(e: number): void {
    this.t[e] = 0;
    this.ret[e] = 0;
    this.writeRow(this.obs, e, this.episode[e], 0);
  }

  step(actions: ArrayLike<number>): void {
    this.received.push(Float32Array.from(actions));
    this.finalObs.fill(-999);
    this.episodeReturn.fill(-999);
    this.episodeLength.fill(-999);
    for (let e = 0; e < this.numEnvs; e++) {
      const t = ++this.t[e];
      const r = 1 + e + t / 2;
      this.rewards[e] = r;
      this.ret[e] += r;
      const ending = this.endAt(e, t, this.episode[e]);
      this.terminated[e] = ending === 'terminated' ? 1 : 0;
      this.truncated[e] = ending === 'truncated' ? 1 : 0;
      if (ending) {
        this.writeRow(this.finalObs, e, this.episode[e], t);
        this.episodeReturn[e] = this.ret[e];
        this.episodeLength[e] = t;
        this.episode[e]++;
        this.resetOne(e);
      } else {
        this.writeRow(this.obs, e, this.episode[e], t);
      }
    }
  }

  getState(e: number): number[] {
    return [this.t[e], this.episode[e], this.ret[e]];
  }

  setState(e: number, state: readonly number[]): void {
    [this.t[e], this.episode[e], this.ret[e]] = state;
    this.writeRow(this.obs, e, this.episode[e], this.t[e]);
  }

  saveState(): unknown {
    return { t: [...this.t], episode: [...this.episode], ret: [...this.ret] };
  }

  loadState(state: unknown): void {
    const s = state as { t: number[]; episode: number[]; ret: number[] };
    for (let e = 0; e < this.numEnvs; e++) this.setState(e, [s.t[e], s.episode[e], s.ret[e]]);
  }
}

/** Writes the policy's actions for `n` observations (may use the collector's act RNG). */
type Actor = (obs: Float32Array, n: number, rng: Rng, actions: Float32Array) => void;

/** A host-only policy: `act` is the only method the collector may use; it counts its calls. */
class FakePolicy implements PolicyResource {
  readonly kind = 'policy' as const;
  readonly nodeId = 'policy';
  readonly outputSize: number;
  readonly variables: Variable[] = [];
  readonly distribution = 'deterministic' as const;
  /** `n` of every call to `act`. */
  readonly calls: number[] = [];

  constructor(
    readonly inputSize: number,
    readonly actionSpace: Space,
    private readonly actor: Actor,
  ) {
    this.outputSize = actionSpace.kind === 'box' ? actionSpace.shape[0] : actionSpace.n;
  }

  act(obs: Float32Array, n: number, rng: Rng, _deterministic: boolean, actions: Float32Array, logp: Float32Array): void {
    this.calls.push(n);
    this.actor(obs, n, rng, actions);
    logp.fill(0, 0, n);
  }

  apply(): Tensor {
    throw new Error('FakePolicy.apply: the collector must act on the host');
  }
  applyForActing(): Tensor {
    throw new Error('FakePolicy.applyForActing: not expected');
  }
  actFrom(): void {
    throw new Error('FakePolicy.actFrom: not expected');
  }
  logProb(): Tensor {
    throw new Error('FakePolicy.logProb: not expected');
  }
  entropy(): Tensor {
    throw new Error('FakePolicy.entropy: not expected');
  }
}

/** A policy writing the same μ (one value per action dimension) for every sub-env. */
function constantActor(mu: number[]): Actor {
  return (_obs, n, _rng, actions) => {
    for (let e = 0; e < n; e++) for (let j = 0; j < mu.length; j++) actions[e * mu.length + j] = mu[j];
  };
}

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

type CollectorParams = Parameters<typeof offPolicyCollector.create>[1];

const BASE: CollectorParams = {
  stepsPerIteration: 1000,
  randomSteps: 0,
  noise: 'gaussian',
  noiseSigma: 0.1,
  ouTheta: 0.15,
  ouDt: 0.01,
};

/** One step's transition batch, copied (the block reuses its field arrays from step to step). */
interface Step {
  size: number;
  fieldNames: string[];
  obs: Float32Array;
  act: Float32Array;
  rew: Float32Array;
  nextObs: Float32Array;
  terminated: Float32Array;
  truncated: Float32Array;
}

interface Harness {
  env: FakeVecEnv;
  policy: FakePolicy;
  block: BlockRuntime;
  tick: Tick;
  episodes: EpisodeReport[];
  /** Total of tick.addSteps and number of tick.frame calls. */
  steps: { added: number; frames: number };
}

function setup(opts: {
  spec: EnvSpec;
  numEnvs: number;
  params: Partial<CollectorParams>;
  actor?: Actor;
  endAt?: (e: number, t: number, episode: number) => Ending;
  seed?: number;
  env?: FakeVecEnv;
  policyInputSize?: number;
}): Harness {
  const env = opts.env ?? new FakeVecEnv(opts.spec, opts.numEnvs, opts.endAt);
  const k = opts.spec.actionSpace.kind === 'box' ? opts.spec.actionSpace.shape[0] : 1;
  const policy = new FakePolicy(
    opts.policyInputSize ?? opts.spec.observationSpace.shape[0],
    opts.spec.actionSpace,
    opts.actor ?? constantActor(Array(k).fill(0)),
  );
  const block = offPolicyCollector.create(
    makeCtx('collect', {
      seed: opts.seed ?? 7,
      envSpec: opts.spec,
      resources: {
        env: { kind: 'env', spec: opts.spec, numEnvs: opts.numEnvs, instance: () => env, make: () => new FakeVecEnv(opts.spec, opts.numEnvs, opts.endAt) },
        policy,
      },
    }),
    { ...BASE, ...opts.params },
  );
  const episodes: EpisodeReport[] = [];
  const steps = { added: 0, frames: 0 };
  const tick: Tick = {
    ...makeTick(),
    addSteps: (n) => {
      steps.added += n;
    },
    reportEpisode: (episode) => {
      episodes.push(episode);
    },
    frame: (frameEnv, index) => {
      expect(frameEnv).toBe(env);
      expect(index).toBe(0);
      steps.frames++;
    },
  };
  return { env, policy, block, tick, episodes, steps };
}

/** Runs `iterations` iterations (stepsPerIteration steps each); `onStep` sees each copied step. */
function collect(h: Harness, iterations = 1, onStep?: (step: Step, index: number) => void): Step[] {
  const out: Step[] = [];
  for (let it = 0; it < iterations; it++) {
    for (const record of h.block.updates!({}, h.tick)) {
      const batch = asBatch(record.transitions);
      const f = batch.fields;
      const step: Step = {
        size: batch.size,
        fieldNames: Object.keys(f),
        obs: f.obs.data.slice(),
        act: f.act.data.slice(),
        rew: f.rew.data.slice(),
        nextObs: f.nextObs.data.slice(),
        terminated: f.terminated.data.slice(),
        truncated: f.truncated.data.slice(),
      };
      onStep?.(step, out.length);
      out.push(step);
    }
  }
  return out;
}

/** Column j (of width k) of the `act` rows of sub-env e over the given steps. */
function series(steps: Step[], e: number, j: number, k: number): number[] {
  return steps.map((s) => s.act[e * k + j]);
}

/** Every action value of dimension j (all sub-envs, all steps). */
function column(steps: Step[], j: number, k: number): number[] {
  const out: number[] = [];
  for (const s of steps) for (let e = 0; e < s.size; e++) out.push(s.act[e * k + j]);
  return out;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[], m = mean(xs)): number => xs.reduce((a, x) => a + (x - m) ** 2, 0) / xs.length;
const std = (xs: number[]): number => Math.sqrt(variance(xs));

/** Autocorrelation at `lag`, pooled over several series (each centred on the pooled mean). */
function autocorrelation(all: number[][], lag: number): number {
  const m = mean(all.flat());
  let num = 0;
  let den = 0;
  for (const xs of all) {
    for (let t = 0; t < xs.length; t++) {
      den += (xs[t] - m) ** 2;
      if (t + lag < xs.length) num += (xs[t] - m) * (xs[t + lag] - m);
    }
  }
  return num / den;
}

/** Pearson correlation of two equally long series. */
function correlation(xs: number[], ys: number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  for (let i = 0; i < xs.length; i++) sxy += (xs[i] - mx) * (ys[i] - my);
  return sxy / xs.length / Math.sqrt(variance(xs, mx) * variance(ys, my));
}

// ---------------------------------------------------------------------------------------------
// 1. Warm-up
// ---------------------------------------------------------------------------------------------

describe('collect.offPolicy: random warm-up', () => {
  it('takes uniformly random Box actions for the first randomSteps steps (all envs together), across iterations, without calling the policy; then the policy acts', () => {
    const low = [-2, 0, 10];
    const high = [2, 1, 30];
    const n = 4;
    const k = 3;
    const mu = [0.5, 0.25, 12];
    const h = setup({
      spec: boxSpec(low, high),
      numEnvs: n,
      actor: constantActor(mu),
      // 4,000 env steps of warm-up = 1,000 vectorised steps, spanning 4 iterations of 300.
      params: { stepsPerIteration: 300, randomSteps: 4000, noise: 'none' },
    });
    const steps: Step[] = [];
    for (let it = 0; it < 4; it++) {
      steps.push(...collect(h));
      // The warm-up counter persists across iterations: no policy call before step 1,000.
      expect(h.policy.calls.length).toBe(Math.max(0, steps.length - 1000));
    }
    expect(steps.length).toBe(1200);
    expect(h.policy.calls).toEqual(Array(200).fill(n));

    const warm = steps.slice(0, 1000);
    for (let j = 0; j < k; j++) {
      const xs = column(warm, j, k);
      const w = high[j] - low[j];
      expect(xs.length).toBe(4000);
      expect(Math.min(...xs)).toBeGreaterThanOrEqual(low[j]);
      expect(Math.max(...xs)).toBeLessThanOrEqual(high[j]);
      // Spread over the whole box: extremes near the bounds, uniform mean, variance and quartile.
      expect(Math.min(...xs) - low[j]).toBeLessThan(0.005 * w);
      expect(high[j] - Math.max(...xs)).toBeLessThan(0.005 * w);
      expect(Math.abs(mean(xs) - (low[j] + high[j]) / 2)).toBeLessThan(0.03 * w);
      expect(variance(xs) / (w * w / 12)).toBeGreaterThan(0.9);
      expect(variance(xs) / (w * w / 12)).toBeLessThan(1.1);
      const lowerQuarter = xs.filter((x) => x < low[j] + w / 4).length / xs.length;
      expect(Math.abs(lowerQuarter - 0.25)).toBeLessThan(0.03);
    }
    // Sub-envs get their own draws, not one action copied to every row.
    expect(Math.abs(correlation(series(warm, 0, 0, k), series(warm, 1, 0, k)))).toBeLessThan(0.12);
    // What the env received is what the transitions report.
    warm.forEach((s, t) => expect(Array.from(s.act)).toEqual(Array.from(h.env.received[t])));

    // After the warm-up (noise 'none'): exactly the policy's actions.
    for (const s of steps.slice(1000)) for (let e = 0; e < n; e++) for (let j = 0; j < k; j++) expect(s.act[e * k + j]).toBe(Math.fround(mu[j]));
  });

  it('counts warm-up steps over all sub-envs: randomSteps = 10 with 4 envs is 3 random vectorised steps (12 env steps)', () => {
    const h = setup({
      spec: boxSpec([-1], [1]),
      numEnvs: 4,
      actor: constantActor([0.5]),
      params: { stepsPerIteration: 6, randomSteps: 10, noise: 'none' },
    });
    const steps = collect(h);
    expect(h.policy.calls).toEqual([4, 4, 4]);
    for (const s of steps.slice(0, 3)) expect(Array.from(s.act).some((a) => a !== 0.5)).toBe(true);
    for (const s of steps.slice(3)) expect(Array.from(s.act)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(h.steps.added).toBe(24);
  });

  it('draws uniform integers in [0, n) for a Discrete action space during warm-up, then passes the policy\'s action through (noise "none")', () => {
    const n = 4;
    const h = setup({
      spec: discreteSpec(3),
      numEnvs: n,
      actor: constantActor([2]),
      params: { stepsPerIteration: 800, randomSteps: 3000, noise: 'none' },
    });
    const steps = collect(h);
    const warm = column(steps.slice(0, 750), 0, 1);
    expect(warm.length).toBe(3000);
    expect(warm.every((a) => Number.isInteger(a) && a >= 0 && a < 3)).toBe(true);
    for (let a = 0; a < 3; a++) expect(Math.abs(warm.filter((x) => x === a).length / warm.length - 1 / 3)).toBeLessThan(0.04);
    expect(h.policy.calls).toEqual(Array(50).fill(n));
    expect(column(steps.slice(750), 0, 1).every((a) => a === 2)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Gaussian noise
// ---------------------------------------------------------------------------------------------

describe('collect.offPolicy: Gaussian exploration noise', () => {
  const low = [-1, 0];
  const high = [1, 4];
  const scale = [1, 2]; // (high − low) / 2
  const k = 2;

  it('acts clip(μ + σ·scale·N(0, 1)): mean μ, std σ·scale per dimension, independent over steps and envs, inside the box', () => {
    const mu = [0.1, 2.2];
    const sigma = 0.2;
    const h = setup({ spec: boxSpec(low, high), numEnvs: 8, actor: constantActor(mu), params: { stepsPerIteration: 2500, noise: 'gaussian', noiseSigma: sigma } });
    const steps = collect(h);
    expect(h.policy.calls.length).toBe(2500);
    for (let j = 0; j < k; j++) {
      const xs = column(steps, j, k);
      expect(xs.length).toBe(20_000);
      expect(xs.every((x) => x >= low[j] && x <= high[j])).toBe(true);
      const sd = sigma * scale[j];
      // Standard error of the mean: sd / 141; of the std: 0.5 %.
      expect(Math.abs(mean(xs) - mu[j])).toBeLessThan(0.04 * sd);
      expect(std(xs) / sd).toBeGreaterThan(0.97);
      expect(std(xs) / sd).toBeLessThan(1.03);
      // Gaussian tails: about 4.55 % beyond 2σ.
      const beyond2 = xs.filter((x) => Math.abs(x - mu[j]) > 2 * sd).length / xs.length;
      expect(Math.abs(beyond2 - 0.0455)).toBeLessThan(0.01);
      // White noise: no correlation from one step to the next (unlike OU).
      const perEnv = Array.from({ length: 8 }, (_, e) => series(steps, e, j, k));
      expect(Math.abs(autocorrelation(perEnv, 1))).toBeLessThan(0.03);
    }
    // Independent across action dimensions and across sub-envs.
    const d0 = column(steps, 0, k);
    const d1 = column(steps, 1, k);
    expect(Math.abs(correlation(d0, d1))).toBeLessThan(0.03);
    expect(Math.abs(correlation(series(steps, 0, 0, k), series(steps, 1, 0, k)))).toBeLessThan(0.08);
  });

  it('clips to the bounds: with μ on a bound about half the actions sit exactly on it, the rest on the inside as a half-normal', () => {
    const sigma = 0.3;
    // Dimension 0: μ on the upper bound; dimension 1: μ on the lower bound.
    const mu = [1, 0];
    const h = setup({ spec: boxSpec(low, high), numEnvs: 8, actor: constantActor(mu), params: { stepsPerIteration: 2500, noise: 'gaussian', noiseSigma: sigma } });
    const steps = collect(h);
    const up = column(steps, 0, k);
    const down = column(steps, 1, k);
    expect(up.every((x) => x >= low[0] && x <= high[0])).toBe(true);
    expect(down.every((x) => x >= low[1] && x <= high[1])).toBe(true);
    const atHigh = up.filter((x) => x === high[0]).length / up.length;
    const atLow = down.filter((x) => x === low[1]).length / down.length;
    expect(Math.abs(atHigh - 0.5)).toBeLessThan(0.03);
    expect(Math.abs(atLow - 0.5)).toBeLessThan(0.03);
    // The unclipped half: |a − μ| is half-normal with mean σ·scale·√(2/π).
    const insideUp = up.filter((x) => x < high[0]).map((x) => mu[0] - x);
    const insideDown = down.filter((x) => x > low[1]).map((x) => x - mu[1]);
    expect(Math.abs(mean(insideUp) / (sigma * scale[0] * Math.sqrt(2 / Math.PI)) - 1)).toBeLessThan(0.05);
    expect(Math.abs(mean(insideDown) / (sigma * scale[1] * Math.sqrt(2 / Math.PI)) - 1)).toBeLessThan(0.05);
  });

  it('takes a live noiseSigma change (setParam) from the next step on', () => {
    const mu = [0, 2];
    const h = setup({ spec: boxSpec(low, high), numEnvs: 8, actor: constantActor(mu), params: { stepsPerIteration: 2000, noise: 'gaussian', noiseSigma: 0.2 } });
    const steps = collect(h, 1, (_step, index) => {
      if (index === 999) h.block.setParam!('noiseSigma', 0.05);
    });
    for (let j = 0; j < k; j++) {
      const before = column(steps.slice(0, 1000), j, k);
      const after = column(steps.slice(1000), j, k);
      expect(std(before) / (0.2 * scale[j])).toBeGreaterThan(0.96);
      expect(std(before) / (0.2 * scale[j])).toBeLessThan(1.04);
      expect(std(after) / (0.05 * scale[j])).toBeGreaterThan(0.96);
      expect(std(after) / (0.05 * scale[j])).toBeLessThan(1.04);
    }
    // σ = 0: the policy's action exactly.
    h.block.setParam!('noiseSigma', 0);
    const quiet = collect(h).slice(0, 10);
    for (const s of quiet) expect(Array.from(s.act)).toEqual(Array(8).fill(mu).flat());
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Ornstein–Uhlenbeck noise
// ---------------------------------------------------------------------------------------------

describe('collect.offPolicy: Ornstein–Uhlenbeck exploration noise', () => {
  it('has lag-1 autocorrelation 1 − θΔt and stationary variance σ²Δt / (1 − (1 − θΔt)²) in units of the action scale', () => {
    const theta = 5;
    const dt = 0.1;
    const sigma = 0.4;
    const rho = 1 - theta * dt; // 0.5
    const stationary = (sigma * sigma * dt) / (1 - rho * rho); // 0.02133: std 0.146, clipping at 6.8 std
    const low = [-3, -10];
    const high = [3, 10];
    const scale = [3, 10];
    const n = 8;
    const k = 2;
    const h = setup({ spec: boxSpec(low, high), numEnvs: n, params: { stepsPerIteration: 2500, noise: 'ou', noiseSigma: sigma, ouTheta: theta, ouDt: dt } });
    const steps = collect(h).slice(20); // past the transient from ε₀ = 0
    const all: number[][] = [];
    for (let j = 0; j < k; j++) {
      const perEnv = Array.from({ length: n }, (_, e) => series(steps, e, j, k).map((a) => a / scale[j]));
      all.push(...perEnv);
      expect(perEnv.flat().every((x) => Math.abs(x) < 1)).toBe(true); // nothing clipped
      expect(Math.abs(autocorrelation(perEnv, 1) - rho)).toBeLessThan(0.03);
      expect(Math.abs(variance(perEnv.flat(), 0) / stationary - 1)).toBeLessThan(0.07);
    }
    expect(Math.abs(mean(all.flat()))).toBeLessThan(0.01);
    expect(Math.abs(autocorrelation(all, 1) - rho)).toBeLessThan(0.02);
    expect(Math.abs(autocorrelation(all, 2) - rho * rho)).toBeLessThan(0.03);
    // One process per (env, dimension): neighbouring series are uncorrelated.
    const cross: number[] = [];
    for (let i = 0; i + 1 < all.length; i++) cross.push(correlation(all[i], all[i + 1]));
    expect(Math.abs(mean(cross))).toBeLessThan(0.03);
  });

  it('restarts the process of a sub-env at 0 when its episode ends (terminated or truncated): first action variance σ²Δt, second σ²Δt(1 + ρ²)', () => {
    const theta = 1;
    const dt = 0.1;
    const sigma = 0.1;
    const rho = 1 - theta * dt; // 0.9: without a reset the first action would have ~5× the variance
    const oneStep = sigma * sigma * dt;
    const n = 16;
    // Episodes of 3, 4 or 5 steps depending on the env, ending terminated (even e) or truncated (odd e).
    const length = (e: number) => 3 + (e % 3);
    const h = setup({
      spec: boxSpec([-20], [20]),
      numEnvs: n,
      endAt: (e, t) => (t === length(e) ? (e % 2 === 0 ? 'terminated' : 'truncated') : null),
      params: { stepsPerIteration: 1500, noise: 'ou', noiseSigma: sigma, ouTheta: theta, ouDt: dt },
    });
    const first: number[] = [];
    const second: number[] = [];
    const last: number[] = [];
    let resetChecks = 0;
    collect(h, 1, (step) => {
      // Deterministic: right after a step, the OU state is 0 exactly where the episode ended.
      const ou = (h.block.saveState!() as { ou: number[] }).ou;
      for (let e = 0; e < n; e++) {
        const ended = step.terminated[e] === 1 || step.truncated[e] === 1;
        if (ended) {
          expect(ou[e]).toBe(0);
          resetChecks++;
        } else {
          expect(ou[e]).not.toBe(0);
        }
        const t = step.obs[e * 3 + 2]; // the step within the episode at which this action was taken
        const x = step.act[e] / 20;
        if (t === 0) first.push(x);
        else if (t === 1) second.push(x);
        else if (t === length(e) - 1) last.push(x);
      }
    });
    expect(resetChecks).toBeGreaterThan(5000);
    expect(first.length).toBeGreaterThan(5000);
    expect(Math.abs(variance(first, 0) / oneStep - 1)).toBeLessThan(0.1);
    expect(Math.abs(variance(second, 0) / (oneStep * (1 + rho * rho)) - 1)).toBeLessThan(0.1);
    expect(variance(last, 0)).toBeGreaterThan(2 * oneStep);
  });

  it('matches a reference OU recursion draw for draw (per env and dimension, scale, clipping, reset at episode ends)', () => {
    const low = [-1, 0];
    const high = [1, 4];
    const n = 3;
    const k = 2;
    const p = { theta: 5, dt: 0.1, sigma: 1.5 }; // large σ: clipping happens
    const mu = (obs: Float32Array, e: number, j: number) => 0.1 * obs[e * 3 + 2] - 0.2 + j; // depends on s_t
    const h = setup({
      spec: boxSpec(low, high),
      numEnvs: n,
      seed: 11,
      actor: (obs, count, _rng, actions) => {
        for (let e = 0; e < count; e++) for (let j = 0; j < k; j++) actions[e * k + j] = mu(obs, e, j);
      },
      endAt: (e, t) => (t === 4 + e ? 'truncated' : null),
      params: { stepsPerIteration: 300, noise: 'ou', noiseSigma: p.sigma, ouTheta: p.theta, ouDt: p.dt },
    });
    const steps = collect(h);
    const rng = new Rng(deriveSeed(11, 'collect', 'noise'));
    const eps = new Float64Array(n * k);
    let clipped = 0;
    for (const s of steps) {
      for (let e = 0; e < n; e++) {
        for (let j = 0; j < k; j++) {
          const i = e * k + j;
          eps[i] += -p.theta * eps[i] * p.dt + p.sigma * Math.sqrt(p.dt) * rng.normal();
          const raw = Math.fround(mu(s.obs, e, j)) + eps[i] * ((high[j] - low[j]) / 2);
          const a = Math.min(high[j], Math.max(low[j], raw));
          if (a !== raw) clipped++;
          expect(s.act[i]).toBe(Math.fround(a));
        }
        if (s.truncated[e] === 1) for (let j = 0; j < k; j++) eps[e * k + j] = 0;
      }
    }
    expect(clipped).toBeGreaterThan(50);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Transitions
// ---------------------------------------------------------------------------------------------

describe('collect.offPolicy: transitions', () => {
  it('reports s_t, a_t, r_t, s_{t+1} (the final observation where an episode ended), terminated and truncated apart, and each episode', () => {
    const n = 3;
    const d = 3;
    // env 0 terminates every 2 steps, env 1 is truncated every 3 steps, env 2 terminates at 4, then truncates at 4, …
    const endAt = (e: number, t: number, episode: number): Ending => {
      if (e === 0) return t === 2 ? 'terminated' : null;
      if (e === 1) return t === 3 ? 'truncated' : null;
      return t === 4 ? (episode % 2 === 0 ? 'terminated' : 'truncated') : null;
    };
    const seen: Float32Array[] = [];
    const h = setup({
      spec: boxSpec([-100], [100], d),
      numEnvs: n,
      endAt,
      // The action encodes the observation the policy saw: 10·episode + step-within-episode + e/100.
      actor: (obs, count, _rng, actions) => {
        seen.push(obs.slice(0, count * d));
        for (let e = 0; e < count; e++) actions[e] = 10 * obs[e * d + 1] + obs[e * d + 2] + e / 100;
      },
      params: { stepsPerIteration: 12, randomSteps: 3, noise: 'none' },
    });
    const steps = collect(h);
    expect(steps.length).toBe(12);
    expect(h.steps.added).toBe(36);
    expect(h.steps.frames).toBe(12);

    // Reference replay of the fake env's bookkeeping.
    const t = [0, 0, 0];
    const ep = [0, 0, 0];
    const ret = [0, 0, 0];
    const expectedEpisodes: EpisodeReport[] = [];
    steps.forEach((s, step) => {
      expect(s.size).toBe(n);
      expect(s.fieldNames).toEqual(TRANSITION_FIELDS);
      expect(Array.from(s.act)).toEqual(Array.from(h.env.received[step]));
      if (step >= 1) expect(Array.from(seen[step - 1])).toEqual(Array.from(s.obs)); // the policy saw s_t
      for (let e = 0; e < n; e++) {
        expect(Array.from(s.obs.subarray(e * d, e * d + d))).toEqual([e, ep[e], t[e]]);
        if (step >= 1) expect(s.act[e]).toBe(Math.fround(10 * ep[e] + t[e] + e / 100));
        t[e]++;
        const r = 1 + e + t[e] / 2;
        ret[e] += r;
        expect(s.rew[e]).toBe(r);
        const ending = endAt(e, t[e], ep[e]);
        expect(s.terminated[e]).toBe(ending === 'terminated' ? 1 : 0);
        expect(s.truncated[e]).toBe(ending === 'truncated' ? 1 : 0);
        // s_{t+1}: the observation the step reached, the final one where the episode ended.
        expect(Array.from(s.nextObs.subarray(e * d, e * d + d))).toEqual([e, ep[e], t[e]]);
        if (ending) {
          expectedEpisodes.push({ return: ret[e], length: t[e] });
          ep[e]++;
          t[e] = 0;
          ret[e] = 0;
        }
        // Where the episode went on, the next row's obs is this row's nextObs; where it ended, the reset observation.
        if (step + 1 < steps.length) {
          const next = Array.from(steps[step + 1].obs.subarray(e * d, e * d + d));
          expect(next).toEqual([e, ep[e], t[e]]);
        }
      }
    });
    // Both kinds of ending occurred, and both in one sub-env (env 2).
    expect(steps.some((s) => s.terminated[2] === 1)).toBe(true);
    expect(steps.some((s) => s.truncated[2] === 1)).toBe(true);
    expect(steps.some((s) => s.terminated[1] === 1)).toBe(false);
    expect(h.episodes).toEqual(expectedEpisodes);
    expect(h.episodes.length).toBe(6 + 4 + 3);
  });
  it('on a real Pendulum-v1 (env.classic): the time limit cuts at 200 steps as truncated, nextObs is the final observation, rewards and returns agree', () => {
    const envRes = classicEnv.create(makeCtx('env', { seed: 4 }), { id: 'Pendulum-v1', numEnvs: 2 }).resources!.env as EnvResource;
    const env = envRes.instance();
    const policy = new FakePolicy(3, envRes.spec.actionSpace, constantActor([0.5]));
    const block = offPolicyCollector.create(makeCtx('collect', { envSpec: envRes.spec, resources: { env: envRes, policy } }), {
      ...BASE,
      stepsPerIteration: 210,
      randomSteps: 100,
      noise: 'gaussian',
      noiseSigma: 0.5,
    });
    const episodes: EpisodeReport[] = [];
    const tick: Tick = { ...makeTick(), reportEpisode: (episode) => void episodes.push(episode) };
    const steps: Step[] = [];
    const finals: Float32Array[] = [];
    for (const record of block.updates!({}, tick)) {
      const b = asBatch(record.transitions);
      steps.push({
        size: b.size,
        fieldNames: Object.keys(b.fields),
        obs: b.fields.obs.data.slice(),
        act: b.fields.act.data.slice(),
        rew: b.fields.rew.data.slice(),
        nextObs: b.fields.nextObs.data.slice(),
        terminated: b.fields.terminated.data.slice(),
        truncated: b.fields.truncated.data.slice(),
      });
      finals.push(env.finalObs.slice());
    }
    expect(policy.calls.length).toBe(160); // 100 env steps of warm-up with 2 envs: 50 vectorised steps
    const returns = [0, 0];
    steps.forEach((s, t) => {
      expect(Array.from(s.act).every((a) => a >= -2 && a <= 2)).toBe(true);
      expect(Array.from(s.terminated)).toEqual([0, 0]); // Pendulum never terminates
      expect(Array.from(s.truncated)).toEqual(t === 199 ? [1, 1] : [0, 0]);
      for (let e = 0; e < 2; e++) {
        expect(s.rew[e]).toBeLessThanOrEqual(0);
        if (t < 200) returns[e] += s.rew[e];
        const nextRow = Array.from(s.nextObs.subarray(e * 3, e * 3 + 3));
        if (t === 199) {
          expect(nextRow).toEqual(Array.from(finals[t].subarray(e * 3, e * 3 + 3)));
          expect(nextRow).not.toEqual(Array.from(steps[t + 1].obs.subarray(e * 3, e * 3 + 3)));
        } else if (t + 1 < steps.length) {
          expect(nextRow).toEqual(Array.from(steps[t + 1].obs.subarray(e * 3, e * 3 + 3)));
        }
      }
    });
    expect(episodes.map((ep) => ep.length)).toEqual([200, 200]);
    // The reported return is the sum of the episode's rewards (float32 rows: close, not exact).
    episodes.forEach((ep, e) => expect(ep.return).toBeCloseTo(returns[e], 2));
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Refused wirings
// ---------------------------------------------------------------------------------------------

describe('collect.offPolicy: refused wirings', () => {
  it('refuses exploration noise on a Discrete action space, naming the problem; accepts noise "none"', () => {
    for (const noise of ['gaussian', 'ou'] as const) {
      expect(() => setup({ spec: discreteSpec(2), numEnvs: 1, params: { noise } })).toThrow(
        new RegExp(`noise "${noise}" needs a Box action space.*Discrete`),
      );
    }
    expect(() => setup({ spec: discreteSpec(2), numEnvs: 1, params: { noise: 'none' } })).not.toThrow();
  });

  it('refuses a policy whose input size differs from the observation size', () => {
    expect(() => setup({ spec: boxSpec([-1], [1], 3), numEnvs: 1, params: {}, policyInputSize: 5 })).toThrow(/expects 5 inputs.*observations have 3/);
  });
});

// ---------------------------------------------------------------------------------------------
// 6. saveState / loadState
// ---------------------------------------------------------------------------------------------

describe('collect.offPolicy: saveState / loadState', () => {
  for (const noise of ['ou', 'gaussian'] as const) {
    it(`continues with exactly the same actions after a restore (warm-up counter, ${noise} noise state, act/noise/warm-up RNGs)`, () => {
      // n·k = 9 noise normals per step (odd): the noise RNG carries a cached Box–Muller spare across steps.
      const spec = boxSpec([-2, -1, 0], [2, 3, 1]);
      const n = 3;
      const endAt = (e: number, t: number): Ending => (t === 5 + e ? 'terminated' : null);
      // A stochastic fake policy drawing from the collector's act RNG (3 normals per step: a cached spare too).
      const actor: Actor = (_obs, count, rng, actions) => {
        for (let e = 0; e < count; e++) {
          actions[e * 3] = 0.3 * rng.normal();
          actions[e * 3 + 1] = 1 + 0.1 * rng.uniform();
          actions[e * 3 + 2] = 0.5;
        }
      };
      // randomSteps 9 with 3 envs: 3 random steps, then the policy.
      const params: Partial<CollectorParams> = { stepsPerIteration: 7, randomSteps: 9, noise, noiseSigma: 0.4, ouTheta: 2, ouDt: 0.1 };
      const original = setup({ spec, numEnvs: n, endAt, actor, params, seed: 3 });
      collect(original, 1); // 3 random steps, 4 with the policy
      expect(original.policy.calls.length).toBe(4);
      const saved = JSON.parse(JSON.stringify({ block: original.block.saveState!(), env: original.env.saveState() })) as { block: unknown; env: unknown };
      const savedOU = (saved.block as { ou: number[] }).ou;
      if (noise === 'ou') expect(savedOU.some((x) => x !== 0)).toBe(true);
      const after = collect(original, 3).map((s) => Array.from(s.act));

      // A fresh collector with a different run seed: only the loaded state can make it agree.
      const env = new FakeVecEnv(spec, n, endAt);
      env.loadState(saved.env);
      const restored = setup({ spec, numEnvs: n, endAt, actor, params, seed: 99, env });
      restored.block.loadState!(saved.block);
      const again = collect(restored, 3).map((s) => Array.from(s.act));
      expect(again).toEqual(after);
      expect(restored.policy.calls.length).toBe(21);
      expect(restored.episodes).toEqual(original.episodes.slice(original.episodes.length - restored.episodes.length));

      // Without loadState the same fresh collector does not agree (the test has teeth).
      const env2 = new FakeVecEnv(spec, n, endAt);
      env2.loadState(saved.env);
      const unrestored = setup({ spec, numEnvs: n, endAt, actor, params, seed: 99, env: env2 });
      expect(collect(unrestored, 3).map((s) => Array.from(s.act))).not.toEqual(after);
    });
  }

  it('restores a save taken in the middle of the warm-up: the same random actions, then the policy from the same step', () => {
    const spec = boxSpec([-2, -1], [2, 3]);
    const n = 3;
    const params: Partial<CollectorParams> = { stepsPerIteration: 4, randomSteps: 30, noise: 'gaussian', noiseSigma: 0.3 };
    const original = setup({ spec, numEnvs: n, actor: constantActor([0, 1]), params, seed: 3 });
    collect(original, 1); // 12 of 30 warm-up env steps
    const saved = JSON.parse(JSON.stringify({ block: original.block.saveState!(), env: original.env.saveState() })) as { block: unknown; env: unknown };
    const after = collect(original, 4).map((s) => Array.from(s.act));
    expect(original.policy.calls.length).toBe(10); // 16 steps: 6 more random (to 30 env steps), then 10 with the policy

    const env = new FakeVecEnv(spec, n);
    env.loadState(saved.env);
    const restored = setup({ spec, numEnvs: n, actor: constantActor([0, 1]), params, seed: 99, env });
    restored.block.loadState!(saved.block);
    expect(collect(restored, 4).map((s) => Array.from(s.act))).toEqual(after);
    expect(restored.policy.calls.length).toBe(10);
  });
});
