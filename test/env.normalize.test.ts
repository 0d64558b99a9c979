/**
 * env.normalize: observation normalisation / reward scaling wrapper. Every expected number is
 * recomputed here independently of the block: the running statistics in closed form over the whole
 * history (a pooled sample with Gymnasium's prior pseudo-count 1e-4, mean 0, variance 1), not with
 * the incremental update the block uses.
 */
import { describe, expect, it } from 'vitest';
import type { BuildContext, EnvResource } from '../engine/block.ts';
import { compile } from '../engine/compiler.ts';
import type { EnvSpec, VecEnv } from '../engine/env.ts';
import type { GraphFile } from '../engine/graph/schema.ts';
import { blockRegistry } from '../engine/registry.ts';
import { deriveSeed, Rng } from '../engine/rng.ts';
import { RunSession } from '../engine/session.ts';
import type { TF } from '../engine/tf.ts';
import { makeClassicEnv } from '../nodes/env/classic/index.ts';
import { classicEnvSpec } from '../nodes/env/classic/index.ts';
import { envNormalize, NormalizedVecEnv } from '../nodes/env/normalize.ts';
import { template, withoutTiming } from './helpers.ts';

// ------------------------------------------------------------------------------------------------
// A scripted inner env: observations, rewards and episode ends are pure functions of (t, env, salt).

const D = 3;
const SCRIPTED_SPEC: EnvSpec = {
  id: 'Scripted-v0',
  observationSpace: { kind: 'box', shape: [D], low: [-1e6, -1e6, -1e6], high: [1e6, 1e6, 1e6] },
  actionSpace: { kind: 'discrete', n: 2 },
  maxEpisodeSteps: 1000,
  rewardThreshold: null,
};

/** Uniform in [0, 1) from integer coordinates (an integer hash, no global state). */
function u(...coords: number[]): number {
  let h = 0x12345678;
  for (const c of coords) {
    h = Math.imul(h ^ (c | 0), 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
  }
  return (h >>> 0) / 2 ** 32;
}

/** Features of very different location and scale; feature 2 has one large outlier at t = 40. */
function obsValue(t: number, i: number, j: number, salt: number, kind: number): number {
  const x = u(t, i, j, salt, kind);
  if (j === 0) return 5 + 2 * x;
  if (j === 1) return -100 + 50 * x;
  return t === 40 && i === 0 && kind === 0 ? 50 : 0.01 * x;
}

class ScriptedEnv implements VecEnv {
  readonly spec = SCRIPTED_SPEC;
  readonly obs: Float32Array;
  readonly finalObs: Float32Array;
  readonly rewards: Float64Array;
  readonly terminated: Uint8Array;
  readonly truncated: Uint8Array;
  readonly episodeReturn: Float64Array;
  readonly episodeLength: Int32Array;
  t = 0;
  private resets = 0;
  private readonly running: Float64Array;
  private readonly lengths: Int32Array;

  constructor(
    readonly numEnvs: number,
    private readonly salt: number,
  ) {
    this.obs = new Float32Array(numEnvs * D);
    this.finalObs = new Float32Array(numEnvs * D);
    this.rewards = new Float64Array(numEnvs);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
    this.episodeReturn = new Float64Array(numEnvs);
    this.episodeLength = new Int32Array(numEnvs);
    this.running = new Float64Array(numEnvs);
    this.lengths = new Int32Array(numEnvs);
    this.reset();
  }

  reset(): void {
    for (let i = 0; i < this.numEnvs; i++) this.resetOne(i);
    this.rewards.fill(0);
    this.terminated.fill(0);
    this.truncated.fill(0);
  }

  resetOne(i: number): void {
    this.resets++;
    for (let j = 0; j < D; j++) this.obs[i * D + j] = obsValue(this.resets, i, j, this.salt, 1);
    this.running[i] = 0;
    this.lengths[i] = 0;
  }

  step(actions: ArrayLike<number>): void {
    this.t++;
    const t = this.t;
    for (let i = 0; i < this.numEnvs; i++) {
      const r = (u(t, i, this.salt, 7) - 0.3) * 3 + actions[i];
      this.rewards[i] = r;
      this.running[i] += r;
      this.lengths[i]++;
      for (let j = 0; j < D; j++) this.obs[i * D + j] = obsValue(t, i, j, this.salt, 0);
      const done = (t + 2 * i) % 7 === 6;
      this.terminated[i] = done && i % 2 === 0 ? 1 : 0;
      this.truncated[i] = done && i % 2 === 1 ? 1 : 0;
      if (done) {
        this.episodeReturn[i] = this.running[i];
        this.episodeLength[i] = this.lengths[i];
        this.finalObs.set(this.obs.subarray(i * D, i * D + D), i * D);
        this.resetOne(i);
      }
    }
  }

  getState(i: number): number[] {
    return Array.from(this.obs.subarray(i * D, i * D + D));
  }

  setState(i: number, state: readonly number[]): void {
    this.obs.set(state, i * D);
  }

  saveState(): unknown {
    return {
      t: this.t,
      resets: this.resets,
      running: Array.from(this.running),
      lengths: Array.from(this.lengths),
      obs: Array.from(this.obs),
      finalObs: Array.from(this.finalObs),
      rewards: Array.from(this.rewards),
      terminated: Array.from(this.terminated),
      truncated: Array.from(this.truncated),
      episodeReturn: Array.from(this.episodeReturn),
      episodeLength: Array.from(this.episodeLength),
    };
  }

  loadState(state: unknown): void {
    const s = state as Record<string, number[]> & { t: number; resets: number };
    this.t = s.t;
    this.resets = s.resets;
    this.running.set(s.running);
    this.lengths.set(s.lengths);
    this.obs.set(s.obs);
    this.finalObs.set(s.finalObs);
    this.rewards.set(s.rewards);
    this.terminated.set(s.terminated);
    this.truncated.set(s.truncated);
    this.episodeReturn.set(s.episodeReturn);
    this.episodeLength.set(s.episodeLength);
  }
}

function scriptedResource(numEnvs: number, salt = 11): EnvResource {
  const training = new ScriptedEnv(numEnvs, salt);
  return {
    kind: 'env',
    spec: SCRIPTED_SPEC,
    numEnvs,
    instance: () => training,
    make: (n, seed) => new ScriptedEnv(n, seed),
  };
}

function classicResource(numEnvs: number, seed: number): EnvResource {
  const training = makeClassicEnv('CartPole-v1', numEnvs, seed);
  training.reset();
  return {
    kind: 'env',
    spec: classicEnvSpec('CartPole-v1'),
    numEnvs,
    instance: () => training,
    make: (n, s) => {
      const fresh = makeClassicEnv('CartPole-v1', n, s);
      fresh.reset();
      return fresh;
    },
  };
}

type Params = {
  observations: boolean;
  rewards: boolean;
  clipObs: number;
  clipReward: number;
  gamma: number;
  epsilon: number;
};
const DEFAULTS = Object.fromEntries(Object.entries(envNormalize.params).map(([k, s]) => [k, s.default])) as Params;

function build(inner: EnvResource, params: Partial<Params> = {}) {
  const full: Params = { ...DEFAULTS, ...params };
  const ctx: BuildContext = {
    nodeId: 'norm',
    tf: undefined as unknown as TF, // the wrapper never touches tensors
    runSeed: 1,
    rng: (purpose) => new Rng(deriveSeed(1, 'norm', purpose)),
    totalSteps: 1000,
    envSpec: inner.spec,
    inputSources: {},
    resources: { env: inner },
    log: () => {},
  };
  const runtime = envNormalize.create(ctx, full);
  const resource = runtime.resources!.env as EnvResource;
  const env = resource.instance() as NormalizedVecEnv;
  return { runtime, resource, env, params: full };
}

// ------------------------------------------------------------------------------------------------
// Independent reference: pooled statistics over the whole history, in float64.

const PRIOR_COUNT = 1e-4;

/** Mean and variance of the pooled sample {prior: weight 1e-4, mean 0, var 1} ∪ rows, per feature. */
function pooled(rows: number[][], d: number): { mean: number[]; var: number[]; count: number } {
  const count = PRIOR_COUNT + rows.length;
  const mean = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j];
  for (let j = 0; j < d; j++) mean[j] /= count;
  const variance = mean.map((m) => PRIOR_COUNT * (1 + m * m)); // prior: Σ w·(var0 + (mean0 − m)²)
  for (const r of rows) for (let j = 0; j < d; j++) variance[j] += (r[j] - mean[j]) ** 2;
  return { mean, var: variance.map((v) => v / count), count };
}

const clip = (x: number, c: number) => (c > 0 ? Math.min(c, Math.max(-c, x)) : x);

function rowsOf(buffer: ArrayLike<number>, n: number, d: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, j) => buffer[i * d + j]));
}

function expectClose(actual: number, expected: number, what: string): void {
  const tol = 2e-6 * Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tol)) throw new Error(`${what}: got ${actual}, expected ${expected}`);
}

/** Drives a wrapped scripted env and checks every emitted number against the pooled reference. */
function checkAgainstReference(params: Partial<Params>, steps: number) {
  const n = 4;
  const { env, params: p } = build(scriptedResource(n), params);
  const inner = env.inner;
  const history: number[][] = [];
  const returnHistory: number[] = [];
  const R = new Array<number>(n).fill(0);
  let clippedObs = 0;
  let clippedRewards = 0;
  let finals = 0;
  const actions = new Float32Array(n);

  function checkObs(t: number): void {
    history.push(...rowsOf(inner.obs, n, D));
    const stats = pooled(history, D);
    expectClose(env.obsRms.count, stats.count, `count at t=${t}`);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < D; j++) {
        const z = (inner.obs[i * D + j] - stats.mean[j]) / Math.sqrt(stats.var[j] + p.epsilon);
        if (p.clipObs > 0 && Math.abs(z) > p.clipObs) clippedObs++;
        expectClose(env.obs[i * D + j], clip(z, p.clipObs), `obs[${i},${j}] at t=${t}`);
        if (inner.terminated[i] || inner.truncated[i]) {
          const zf = (inner.finalObs[i * D + j] - stats.mean[j]) / Math.sqrt(stats.var[j] + p.epsilon);
          expectClose(env.finalObs[i * D + j], clip(zf, p.clipObs), `finalObs[${i},${j}] at t=${t}`);
        }
      }
    }
  }

  if (p.observations) checkObs(0);
  else expect(env.obs).toBe(inner.obs);
  for (let t = 1; t <= steps; t++) {
    for (let i = 0; i < n; i++) actions[i] = (t + i) % 2;
    env.step(actions);
    if (p.observations) checkObs(t);
    else expect(Array.from(env.obs)).toEqual(Array.from(inner.obs));
    // Hand-rolled NormalizeReward: R ← γR + r, statistics of R updated, r / √(Var[R] + ε), R ← 0 at an episode end.
    for (let i = 0; i < n; i++) R[i] = p.gamma * R[i] + inner.rewards[i];
    returnHistory.push(...R);
    const varR = pooled(
      returnHistory.map((x) => [x]),
      1,
    ).var[0];
    for (let i = 0; i < n; i++) {
      const done = inner.terminated[i] === 1 || inner.truncated[i] === 1;
      if (done) finals++;
      if (p.rewards) {
        const scaled = inner.rewards[i] / Math.sqrt(varR + p.epsilon);
        if (p.clipReward > 0 && Math.abs(scaled) > p.clipReward) clippedRewards++;
        expectClose(env.rewards[i], clip(scaled, p.clipReward), `reward[${i}] at t=${t}`);
      } else {
        expect(env.rewards[i]).toBe(inner.rewards[i]);
      }
      if (done) R[i] = 0;
      // What the logs see stays raw.
      expect(env.terminated[i]).toBe(inner.terminated[i]);
      expect(env.truncated[i]).toBe(inner.truncated[i]);
      expect(env.episodeReturn[i]).toBe(inner.episodeReturn[i]);
      expect(env.episodeLength[i]).toBe(inner.episodeLength[i]);
    }
  }
  return { clippedObs, clippedRewards, finals, env };
}

// ------------------------------------------------------------------------------------------------

describe('env.normalize', () => {
  it('normalises observations with the statistics after each batch update, clips, and normalises finalObs', () => {
    const { clippedObs, finals, env } = checkAgainstReference({}, 60);
    expect(finals).toBeGreaterThan(20);
    expect(clippedObs).toBeGreaterThan(0); // the outlier of feature 2 at t = 40 exceeds 10σ
    expect(env.obsRms.count).toBeCloseTo(1e-4 + 4 * 61, 9);
    for (const x of env.obs) expect(Math.abs(x)).toBeLessThanOrEqual(10);
  });

  it('clipObs bounds the normalised observations; 0 turns clipping off', () => {
    expect(checkAgainstReference({ clipObs: 1 }, 30).clippedObs).toBeGreaterThan(30);
    const unclipped = checkAgainstReference({ clipObs: 0 }, 45);
    expect(unclipped.clippedObs).toBe(0);
    // Without clipping the outlier row stays above 10 standard deviations.
    const env = build(scriptedResource(4), { clipObs: 0 }).env;
    let max = 0;
    for (let t = 1; t <= 40; t++) {
      env.step([0, 0, 0, 0]);
      for (const x of env.obs) max = Math.max(max, Math.abs(x));
    }
    expect(max).toBeGreaterThan(10);
  });

  it('scales rewards like a hand-rolled NormalizeReward (discounted return reset at episode ends), with clipping', () => {
    checkAgainstReference({ rewards: true }, 60);
    checkAgainstReference({ rewards: true, observations: false, gamma: 0.9 }, 40);
    expect(checkAgainstReference({ rewards: true, clipReward: 0.5 }, 40).clippedRewards).toBeGreaterThan(10);
    checkAgainstReference({ rewards: true, gamma: 0 }, 20);
  });

  it('leaves episodeReturn, episodeLength and dynamics of CartPole untouched', () => {
    const n = 5;
    const { env, params } = build(classicResource(n, 1234), { rewards: true });
    const plain = makeClassicEnv('CartPole-v1', n, 1234);
    plain.reset();
    const history: number[][] = rowsOf(plain.obs, n, 4);
    const actions = new Float32Array(n);
    let episodes = 0;
    for (let t = 0; t < 300; t++) {
      for (let i = 0; i < n; i++) actions[i] = (t * 7 + i * 3) % 5 < 2 ? 0 : 1;
      env.step(actions);
      plain.step(actions);
      expect(Array.from(env.inner.obs)).toEqual(Array.from(plain.obs));
      history.push(...rowsOf(plain.obs, n, 4));
      const stats = pooled(history, 4);
      for (let i = 0; i < n; i++) {
        expect(env.terminated[i]).toBe(plain.terminated[i]);
        expect(env.truncated[i]).toBe(plain.truncated[i]);
        const done = plain.terminated[i] === 1 || plain.truncated[i] === 1;
        if (done) {
          episodes++;
          expect(env.episodeReturn[i]).toBe(plain.episodeReturn[i]);
          expect(env.episodeLength[i]).toBe(plain.episodeLength[i]);
          expect(env.episodeReturn[i]).toBe(env.episodeLength[i]); // reward 1 per step: raw, not scaled
        }
        for (let j = 0; j < 4; j++) {
          const z = (plain.obs[i * 4 + j] - stats.mean[j]) / Math.sqrt(stats.var[j] + params.epsilon);
          expectClose(env.obs[i * 4 + j], clip(z, 10), `obs t=${t}`);
          if (done) {
            const zf = (plain.finalObs[i * 4 + j] - stats.mean[j]) / Math.sqrt(stats.var[j] + params.epsilon);
            expectClose(env.finalObs[i * 4 + j], clip(zf, 10), `finalObs t=${t}`);
          }
        }
      }
      // Scaled rewards differ from the raw 1.0 once the return statistics have moved.
      if (t > 5) expect(env.rewards[0]).not.toBe(1);
    }
    expect(episodes).toBeGreaterThan(20);
  });

  it('make() gives a fresh instance with the current observation statistics frozen and raw rewards', () => {
    const { env, resource, params } = build(scriptedResource(4), { rewards: true });
    for (let t = 0; t < 25; t++) env.step([1, 0, 1, 0]);
    const before = { mean: Array.from(env.obsRms.mean), var: Array.from(env.obsRms.var), count: env.obsRms.count };
    const retBefore = env.retRms.save();
    const evalEnv = resource.make(3, 99) as NormalizedVecEnv;
    expect(evalEnv).toBeInstanceOf(NormalizedVecEnv);
    expect(evalEnv.numEnvs).toBe(3);
    const check = () => {
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < D; j++) {
          const z = (evalEnv.inner.obs[i * D + j] - before.mean[j]) / Math.sqrt(before.var[j] + params.epsilon);
          expectClose(evalEnv.obs[i * D + j], clip(z, params.clipObs), 'eval obs');
        }
        expect(evalEnv.rewards[i]).toBe(evalEnv.inner.rewards[i]);
        expect(evalEnv.episodeReturn[i]).toBe(evalEnv.inner.episodeReturn[i]);
      }
    };
    check();
    for (let t = 0; t < 30; t++) {
      evalEnv.step([0, 1, 0]);
      check();
    }
    // Neither the training statistics nor the eval instance's moved.
    expect(Array.from(env.obsRms.mean)).toEqual(before.mean);
    expect(Array.from(env.obsRms.var)).toEqual(before.var);
    expect(env.obsRms.count).toBe(before.count);
    expect(env.retRms.save()).toEqual(retBefore);
    expect(Array.from(evalEnv.obsRms.mean)).toEqual(before.mean);
    expect(evalEnv.obsRms.count).toBe(before.count);
    // Training goes on: the eval instance keeps its snapshot.
    env.step([0, 0, 0, 0]);
    expect(env.obsRms.count).toBeGreaterThan(before.count);
    expect(evalEnv.obsRms.count).toBe(before.count);
    // Without observation normalisation the eval instance is the inner env's own.
    const plain = build(scriptedResource(2), { observations: false, rewards: true }).resource.make(2, 5);
    expect(plain).toBeInstanceOf(ScriptedEnv);
  });

  it('saveState/loadState resumes exactly (statistics, discounted returns, buffers and inner env)', () => {
    for (const params of [{ rewards: true }, { observations: false, rewards: true }, {}]) {
      const a = build(scriptedResource(4), params);
      const act = (t: number) => [t % 2, (t + 1) % 2, 1, 0];
      for (let t = 0; t < 17; t++) a.env.step(act(t));
      const saved = JSON.parse(JSON.stringify(a.runtime.saveState!())) as unknown;
      const b = build(scriptedResource(4, 11), params);
      b.env.step([1, 1, 1, 1]); // diverge first: loading must overwrite everything
      b.runtime.loadState!(saved);
      const snap = (e: NormalizedVecEnv) => [
        Array.from(e.obs),
        Array.from(e.finalObs),
        Array.from(e.rewards),
        Array.from(e.terminated),
        Array.from(e.episodeReturn),
        Array.from(e.obsRms.mean),
        Array.from(e.obsRms.var),
        e.obsRms.count,
        e.retRms.save(),
        Array.from(e.returns),
      ];
      expect(snap(b.env)).toEqual(snap(a.env));
      for (let t = 17; t < 40; t++) {
        a.env.step(act(t));
        b.env.step(act(t));
        expect(snap(b.env)).toEqual(snap(a.env));
      }
    }
    const { runtime } = build(scriptedResource(4));
    expect(() => runtime.loadState!({ obsRms: { mean: [0], var: [1], count: 1 } })).toThrow(/obsRms/);
  });

  it('passes the spec through (shape and actions of its input), with the bounds of the normalised observations', () => {
    const graph = withNormalize(template('ppo-clip.cartpole'), { rewards: true, clipObs: 5 });
    const plan = compile(graph, blockRegistry());
    const spec = plan.nodes.get('norm')!.envSpec!;
    const inner = classicEnvSpec('CartPole-v1');
    expect(spec.id).toBe(inner.id);
    expect(spec.observationSpace.shape).toEqual(inner.observationSpace.shape);
    expect(spec.actionSpace).toEqual(inner.actionSpace);
    expect(spec.observationSpace.low).toEqual([-5, -5, -5, -5]);
    expect(spec.observationSpace.high).toEqual([5, 5, 5, 5]);
    expect(plan.nodes.get('rollout')!.envSpec).toEqual(spec);
    expect(plan.nodes.get('pi_net')!.envSpec!.observationSpace.shape).toEqual([4]);
  });

  it('trains PPO on CartPole through the wrapper (compile + 2 iterations on wasm), logging raw returns; resume is exact', async () => {
    const graph = withNormalize(template('ppo-clip.cartpole'), { rewards: true });
    graph.run = { totalSteps: 100_000, seed: 5, backend: 'wasm' };
    const session = new RunSession({ graph });
    await session.prepare();
    const rows = [];
    for (let i = 0; i < 2; i++) {
      session.collect();
      rows.push(session.learn().row);
    }
    const norm = session.executor.runtimes.get('norm')!.resources!.env as EnvResource;
    const training = norm.instance() as NormalizedVecEnv;
    // N envs: the initial observations plus 2 iterations × T steps went into the statistics.
    const param = (id: string, name: string) => graph.nodes.find((n) => n.id === id)!.params[name] as number;
    const [n, t] = [param('env', 'numEnvs'), param('rollout', 'steps')];
    expect(training.obsRms.count).toBeCloseTo(1e-4 + n * (1 + 2 * t), 9);
    expect(training.retRms.count).toBeCloseTo(1e-4 + n * 2 * t, 9);
    for (const x of training.obs) expect(Math.abs(x)).toBeLessThanOrEqual(10);
    const returns = session.executor.episodeReturns;
    expect(returns.length).toBeGreaterThan(0);
    expect(returns).toEqual(session.executor.episodeLengths); // CartPole: raw return = length
    for (const row of rows) {
      expect(Number.isFinite(row['surrogate.objective'])).toBe(true);
      expect(Number.isFinite(row['value_loss.loss'])).toBe(true);
    }

    // Resume: a fresh session loading the state after iteration 2 continues like the straight run.
    const state = JSON.parse(JSON.stringify(session.executor.saveState())) as ReturnType<typeof session.executor.saveState>;
    session.collect();
    const straight = session.learn().row;
    // Evaluation runs on frozen statistics.
    const countBefore = training.obsRms.count;
    const evaluation = session.executor.evaluate(3);
    expect(evaluation!.episodes.length).toBe(3);
    expect(training.obsRms.count).toBe(countBefore);
    session.dispose();
    const resumed = new RunSession({ graph });
    await resumed.prepare();
    resumed.executor.loadState(state);
    resumed.collect();
    const again = resumed.learn().row;
    resumed.dispose();
    expect(withoutTiming(again)).toEqual(withoutTiming(straight));
  });
});

/** The template with an env.normalize node between the env and its consumers. */
function withNormalize(source: GraphFile, params: Partial<Params>): GraphFile {
  const graph = structuredClone(source);
  graph.nodes.push({ id: 'norm', type: 'env.normalize', params, ui: { x: 300, y: 200 } });
  for (const edge of graph.edges) {
    if (edge.from.node === 'env' && edge.from.port === 'env') edge.from = { node: 'norm', port: 'env' };
  }
  graph.edges.push({ from: { node: 'env', port: 'env' }, to: { node: 'norm', port: 'env' } });
  expect(graph.edges.filter((e) => e.from.node === 'norm').map((e) => e.to.node).sort()).toEqual(['eval', 'rollout']);
  return graph;
}
