/**
 * Conformance of the classic-control environments with Gymnasium 1.4.0, replaying the reference
 * trajectories in shared/fixtures/gymnasium-classic-control.json, plus the VecEnv contract
 * (autoreset, TimeLimit, checkpoints, seeding).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { actionSize, obsSize, type EnvSpec, type Space, type VecEnv } from '../engine/env.ts';
import { Rng } from '../engine/rng.ts';
import {
  CLASSIC_ENV_IDS,
  FLOAT32_MAX,
  classicEnvSpec,
  makeClassicEnv,
} from '../nodes/env/classic/index.ts';

// ---------------------------------------------------------------- fixture

interface FixtureSpace {
  type: 'Box' | 'Discrete';
  low?: number[];
  high?: number[];
  shape?: number[];
  n?: number;
}

interface FixtureStep {
  action: number | number[];
  obs: number[];
  state: number[];
  reward: number;
  terminated: boolean;
  truncated: boolean;
}

interface FixtureEpisode {
  seed: number;
  initial_state: number[];
  initial_obs: number[];
  steps: FixtureStep[];
}

interface FixtureEnv {
  spec: {
    max_episode_steps: number;
    reward_threshold: number | null;
    observation_space: FixtureSpace;
    action_space: FixtureSpace;
  };
  episodes: FixtureEpisode[];
}

interface Fixture {
  source: string;
  envs: Record<string, FixtureEnv>;
}

function findFixture(): string {
  const name = 'gymnasium-classic-control.json';
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const candidates = [
    process.env.RLC_FIXTURES_DIR ? join(process.env.RLC_FIXTURES_DIR, name) : '',
    join(repo, 'shared', 'fixtures', name),
    join(repo, '..', 'shared', 'fixtures', name),
  ].filter((p) => p !== '');
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`fixture ${name} not found; looked in ${candidates.join(', ')}`);
  return found;
}

function loadFixture(): Fixture {
  // Python's json writes ±Infinity bare, which JSON.parse rejects: quote them, revive them after.
  const text = readFileSync(findFixture(), 'utf8').replace(/(-?)Infinity/g, '"$1Infinity"');
  const parsed: unknown = JSON.parse(text, (_key, value: unknown) =>
    value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : value,
  );
  const envs = (parsed as { envs?: unknown }).envs;
  if (typeof envs !== 'object' || envs === null) throw new Error('fixture has no envs');
  return parsed as Fixture;
}

const FIXTURE = loadFixture();

// ---------------------------------------------------------------- helpers

const TOL = 1e-5;

function close(ours: number, ref: number): boolean {
  return Math.abs(ours - ref) <= TOL + TOL * Math.abs(ref);
}

function row(buffer: ArrayLike<number>, index: number, size: number): number[] {
  return Array.from({ length: size }, (_, j) => buffer[index * size + j]);
}

/** Throws with the step, field and both vectors at the first element out of tolerance. */
function assertCloseVec(ours: readonly number[], ref: readonly number[], what: string): void {
  if (ours.length !== ref.length) throw new Error(`${what}: length ${ours.length} ≠ ${ref.length}`);
  for (let j = 0; j < ref.length; j++) {
    if (!close(ours[j], ref[j])) {
      throw new Error(`${what}[${j}]: ours ${ours[j]} vs ref ${ref[j]}\n ours ${ours}\n ref  ${ref}`);
    }
  }
}

/** Gymnasium's Box spaces are float32; ±Infinity there stands for our finite FLOAT32_MAX. */
function fixtureSpace(space: FixtureSpace): Space {
  if (space.type === 'Discrete') return { kind: 'discrete', n: space.n ?? -1 };
  const finite = (v: number): number =>
    v === Infinity ? FLOAT32_MAX : v === -Infinity ? -FLOAT32_MAX : v;
  return {
    kind: 'box',
    shape: space.shape ?? [],
    low: (space.low ?? []).map(finite),
    high: (space.high ?? []).map(finite),
  };
}

/** Checks that a freshly reset sub-env lies in Gymnasium's reset distribution. */
function assertFreshStart(id: string, env: VecEnv, index: number, what: string): void {
  const obs = row(env.obs, index, obsSize(env.spec));
  const state = env.getState(index);
  const fail = (why: string): never => {
    throw new Error(`${what}: not a fresh ${id} start (${why}): state ${state}, obs ${obs}`);
  };
  const within = (v: number, lo: number, hi: number): boolean => v >= lo && v <= hi;
  const eps = 1e-7; // obs are float32 roundings of the state
  switch (id) {
    case 'CartPole-v1':
      if (!state.every((v) => within(v, -0.05, 0.05))) fail('state outside ±0.05');
      assertCloseVec(obs, state, `${what} obs/state`);
      break;
    case 'Acrobot-v1':
      if (!state.every((v) => within(v, -0.1, 0.1) && Math.fround(v) === v)) {
        fail('state outside ±0.1 or not float32');
      }
      if (!within(obs[0], Math.cos(0.1) - eps, 1) || !within(obs[2], Math.cos(0.1) - eps, 1)) {
        fail('cos θ too small');
      }
      if (![obs[1], obs[3], obs[4], obs[5]].every((v) => within(v, -0.1 - eps, 0.1 + eps))) {
        fail('sin θ or velocity outside ±0.1');
      }
      break;
    case 'MountainCar-v0':
    case 'MountainCarContinuous-v0':
      if (!within(state[0], -0.6, -0.4) || state[1] !== 0) fail('position/velocity');
      if (!within(obs[0], -0.6 - eps, -0.4 + eps) || obs[1] !== 0) fail('obs');
      break;
    case 'Pendulum-v1':
      if (!within(state[0], -Math.PI, Math.PI) || !within(state[1], -1, 1)) fail('θ or θ̇');
      if (Math.abs(obs[0] * obs[0] + obs[1] * obs[1] - 1) > 1e-6) fail('cos²+sin² ≠ 1');
      if (!within(obs[2], -1 - eps, 1 + eps)) fail('θ̇ obs');
      break;
    default:
      fail('unknown env');
  }
}

function newActionBuffer(spec: EnvSpec, numEnvs: number): Int32Array | Float32Array {
  return spec.actionSpace.kind === 'discrete'
    ? new Int32Array(numEnvs)
    : new Float32Array(numEnvs * actionSize(spec));
}

/** Valid random actions for every row of the buffer. */
function randomActions(spec: EnvSpec, rng: Rng, out: Int32Array | Float32Array): void {
  const space = spec.actionSpace;
  for (let j = 0; j < out.length; j++) {
    if (space.kind === 'discrete') out[j] = rng.int(space.n);
    else {
      const k = j % space.low.length;
      out[j] = rng.uniformIn(space.low[k], space.high[k]);
    }
  }
}

/**
 * Replays one fixture episode in sub-env `index` of a `numEnvs` VecEnv; the other sub-envs get
 * random actions (and autoreset on their own), which must not disturb the replayed one.
 */
function replay(id: string, episode: FixtureEpisode, numEnvs: number, index: number): void {
  const env = makeClassicEnv(id, numEnvs, 12345);
  const spec = env.spec;
  const od = obsSize(spec);
  const ad = actionSize(spec);
  const actions = newActionBuffer(spec, numEnvs);
  const others = new Rng(777);

  env.reset();
  env.setState(index, episode.initial_state);
  assertCloseVec(row(env.obs, index, od), episode.initial_obs, 'initial obs');
  assertCloseVec(env.getState(index), episode.initial_state, 'initial state');

  let ret = 0;
  episode.steps.forEach((step, t) => {
    const at = `step ${t}`;
    randomActions(spec, others, actions);
    const a = typeof step.action === 'number' ? [step.action] : step.action;
    for (let j = 0; j < ad; j++) actions[index * ad + j] = a[j];
    env.step(actions);

    if (env.terminated[index] !== (step.terminated ? 1 : 0)) {
      throw new Error(`${at}: terminated ${env.terminated[index]} vs ref ${step.terminated}`);
    }
    if (env.truncated[index] !== (step.truncated ? 1 : 0)) {
      throw new Error(`${at}: truncated ${env.truncated[index]} vs ref ${step.truncated}`);
    }
    if (!close(env.rewards[index], step.reward)) {
      throw new Error(`${at}: reward ${env.rewards[index]} vs ref ${step.reward}`);
    }
    ret += step.reward;

    if (step.terminated || step.truncated) {
      // obs is already the next episode's start; the ending observation sits in finalObs.
      assertCloseVec(row(env.finalObs, index, od), step.obs, `${at} finalObs`);
      assertFreshStart(id, env, index, `${at} after autoreset`);
      if (env.episodeLength[index] !== t + 1) {
        throw new Error(`${at}: episodeLength ${env.episodeLength[index]} vs ${t + 1}`);
      }
      if (!close(env.episodeReturn[index], ret)) {
        throw new Error(`${at}: episodeReturn ${env.episodeReturn[index]} vs ${ret}`);
      }
    } else {
      assertCloseVec(row(env.obs, index, od), step.obs, `${at} obs`);
      assertCloseVec(env.getState(index), step.state, `${at} state`);
    }
  });
}

// ---------------------------------------------------------------- tests

describe('classic-control specs', () => {
  it('lists exactly the five fixture envs', () => {
    expect([...CLASSIC_ENV_IDS].sort()).toEqual(Object.keys(FIXTURE.envs).sort());
  });

  for (const id of CLASSIC_ENV_IDS) {
    it(`${id} spec matches Gymnasium and is plain JSON`, () => {
      const ref = FIXTURE.envs[id].spec;
      const spec = classicEnvSpec(id);
      expect(spec).toEqual({
        id,
        observationSpace: fixtureSpace(ref.observation_space),
        actionSpace: fixtureSpace(ref.action_space),
        maxEpisodeSteps: ref.max_episode_steps,
        rewardThreshold: ref.reward_threshold,
      });
      expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
      expect(makeClassicEnv(id, 2, 0).spec).toEqual(spec);
    });
  }

  it('rejects unknown ids', () => {
    expect(() => classicEnvSpec('Nope-v0')).toThrow(/unknown/);
    expect(() => makeClassicEnv('Nope-v0', 1, 0)).toThrow(/unknown/);
  });
});

describe('replay of Gymnasium 1.4.0 trajectories', () => {
  for (const id of CLASSIC_ENV_IDS) {
    FIXTURE.envs[id].episodes.forEach((episode, e) => {
      const ending = episode.steps.at(-1);
      const how = ending?.terminated ? 'terminates' : ending?.truncated ? 'truncates' : 'runs';
      it(`${id} episode ${e} (${episode.steps.length} steps, ${how}) in a 1-env VecEnv`, () => {
        replay(id, episode, 1, 0);
      });
      it(`${id} episode ${e} as sub-env 1 of 3 beside random neighbours`, () => {
        replay(id, episode, 3, 1);
      });
    });
  }
});

describe('VecEnv contract', () => {
  it('TimeLimit truncates (never terminates) every maxEpisodeSteps and counts afresh', () => {
    // MountainCar with no push never leaves the valley: only the time limit ends its episodes.
    const env = makeClassicEnv('MountainCar-v0', 2, 3);
    const idle = new Int32Array([1, 1]);
    const ends: number[] = [];
    for (let t = 1; t <= 450; t++) {
      env.step(idle);
      expect(env.terminated[0]).toBe(0);
      if (env.truncated[0]) {
        ends.push(t);
        expect(env.episodeLength[0]).toBe(200);
        expect(env.episodeReturn[0]).toBe(-200);
        assertFreshStart('MountainCar-v0', env, 0, `t=${t}`);
      }
    }
    expect(ends).toEqual([200, 400]);
  });

  it('a terminal step at the time limit is terminated, not truncated', () => {
    // Pole already past the threshold on the 500th step of a CartPole episode.
    const env = makeClassicEnv('CartPole-v1', 1, 0);
    const push = new Int32Array([1]);
    for (let t = 0; t < 499; t++) {
      env.setState(0, [0, 0, 0, 0]);
      env.step(push);
      expect(env.terminated[0] | env.truncated[0]).toBe(0);
    }
    env.setState(0, [0, 0, 0.3, 0]);
    env.step(push);
    expect([env.terminated[0], env.truncated[0], env.episodeLength[0]]).toEqual([1, 0, 500]);
  });

  it('MountainCarContinuous: force clipped to [-1, 1], reward on the raw action, +100 at the goal', () => {
    const a = makeClassicEnv('MountainCarContinuous-v0', 2, 0);
    a.setState(0, [-0.5, 0]);
    a.setState(1, [-0.5, 0]);
    a.step(new Float32Array([3, 1]));
    // Same force; only Gymnasium's float32-vs-float64 rounding of the push differs.
    a.getState(0).forEach((v, j) => expect(v).toBeCloseTo(a.getState(1)[j], 7));
    expect(a.rewards[0]).toBeCloseTo(-0.9, 12);
    expect(a.rewards[1]).toBeCloseTo(-0.1, 12);

    const goal = makeClassicEnv('MountainCarContinuous-v0', 1, 0);
    goal.setState(0, [0.449, 0.05]);
    goal.step(new Float32Array([0.5]));
    expect(goal.terminated[0]).toBe(1);
    expect(goal.rewards[0]).toBeCloseTo(100 - 0.025, 12);
    expect(goal.episodeReturn[0]).toBeCloseTo(100 - 0.025, 12);
    assertFreshStart('MountainCarContinuous-v0', goal, 0, 'after goal');
  });

  it('Pendulum: torque clipped to [-2, 2] for both dynamics and cost', () => {
    const env = makeClassicEnv('Pendulum-v1', 2, 0);
    env.setState(0, [1, 0.5]);
    env.setState(1, [1, 0.5]);
    env.step(new Float32Array([7, 2]));
    expect(env.getState(0)).toEqual(env.getState(1));
    expect(env.rewards[0]).toBe(env.rewards[1]);
  });

  it('rejects invalid Discrete actions and short action buffers', () => {
    for (const id of ['CartPole-v1', 'Acrobot-v1', 'MountainCar-v0']) {
      const env = makeClassicEnv(id, 2, 0);
      expect(() => env.step(new Int32Array([0, 7]))).toThrow(/not in/);
      expect(() => env.step(new Int32Array([0]))).toThrow(/action values/);
    }
    expect(() => makeClassicEnv('CartPole-v1', 0, 0)).toThrow(/numEnvs/);
  });

  for (const id of CLASSIC_ENV_IDS) {
    it(`${id}: saveState → k steps → loadState → k steps reproduces every buffer`, () => {
      const numEnvs = 4;
      const env = makeClassicEnv(id, numEnvs, 42);
      // Past the time limit, so autoresets (and their RNG draws) happen in between.
      const k = env.spec.maxEpisodeSteps + 20;
      const actionRng = new Rng(5);
      const spec = env.spec;
      const plan = Array.from({ length: k }, () => {
        const a = newActionBuffer(spec, numEnvs);
        randomActions(spec, actionRng, a);
        return a;
      });
      for (let t = 0; t < 37; t++) env.step(plan[t]);

      const snapshot = JSON.parse(JSON.stringify(env.saveState())) as unknown;
      const before = buffers(env);
      const run = (): number[][] => {
        let dones = 0;
        for (const a of plan) {
          env.step(a);
          for (let i = 0; i < numEnvs; i++) dones += env.terminated[i] + env.truncated[i];
        }
        expect(dones).toBeGreaterThan(0);
        return buffers(env);
      };
      const first = run();
      env.loadState(snapshot);
      expectSameNumbers(buffers(env), before);
      expectSameNumbers(run(), first);
      expect(() => env.loadState({ ...(snapshot as object), numEnvs: 3 })).toThrow(/snapshot/);
    });
  }

  it('same seed → identical trajectories, different seed → different ones', () => {
    for (const id of CLASSIC_ENV_IDS) {
      const trace = (seed: number): number[] => {
        const env = makeClassicEnv(id, 3, seed);
        const rng = new Rng(9); // the same actions for every seed
        const actions = newActionBuffer(env.spec, 3);
        const out: number[] = Array.from(env.obs);
        for (let t = 0; t < 250; t++) {
          randomActions(env.spec, rng, actions);
          env.step(actions);
          out.push(...env.obs, ...env.rewards, ...env.terminated, ...env.truncated);
        }
        return out;
      };
      expect(trace(1)).toEqual(trace(1));
      expect(trace(1)).not.toEqual(trace(2));
    }
  });
});

function buffers(env: VecEnv): number[][] {
  return [
    env.obs,
    env.finalObs,
    env.rewards,
    env.terminated,
    env.truncated,
    env.episodeReturn,
    env.episodeLength,
  ].map((b) => Array.from(b));
}

/** Exact equality with === (so +0 and −0, which a JSON round trip merges, count as equal). */
function expectSameNumbers(ours: number[][], ref: number[][]): void {
  expect(ours.length).toBe(ref.length);
  ours.forEach((b, k) => {
    expect(b.length).toBe(ref[k].length);
    const bad = b.findIndex((v, j) => v !== ref[k][j]);
    expect(bad, `buffer ${k} differs at ${bad}: ${b[bad]} vs ${ref[k][bad]}`).toBe(-1);
  });
}
