/**
 * Issue 6 through the engine: the step clock (an off-policy collector is a loop over environment
 * steps, the sampler a loop nested in it, control.every nested in the sampler), what runs inside
 * which gradient closure, the delayed actor update running exactly every d critic updates, the
 * replay and sampler blocks, compile errors naming the node, and exact checkpoint resume with a
 * replay buffer.
 */
import { describe, expect, it } from 'vitest';
import type { HostBatch, Outputs } from '../engine/block.ts';
import { compile } from '../engine/compiler.ts';
import { GraphError, GraphErrors } from '../engine/errors.ts';
import type { GraphFile } from '../engine/graph/schema.ts';
import type { MetricsRow } from '../engine/run-folder.ts';
import { blockRegistry } from '../engine/registry.ts';
import { RunSession } from '../engine/session.ts';
import { replayBuffer } from '../nodes/replay/buffer.ts';
import { replaySample } from '../nodes/replay/sample.ts';
import { makeCtx, makeTick } from './fakes.ts';
import { tempDir, template, withoutTiming } from './helpers.ts';

const OFF_POLICY = ['td3.pendulum', 'ddpg.pendulum', 'ddpg.mountaincar-continuous', 'sac.pendulum', 'sac-v1.pendulum', 'soft-q.cartpole', 'soft-q.acrobot', 'dpg-onpolicy.pendulum'];

/** A template shrunk for tests: small networks and batches, short warm-up, few steps per iteration. */
function tiny(name: string, steps = 2_000, seed = 5): GraphFile {
  const g = structuredClone(template(name));
  g.run = { totalSteps: steps, seed, backend: 'wasm' };
  for (const node of g.nodes) {
    if (node.type === 'net.mlp' || node.type === 'net.qNetwork') node.params.hidden = [16, 16];
    if (node.type === 'replay.sample') Object.assign(node.params, { batchSize: 16, learningStarts: 40 });
    if (node.type === 'collect.offPolicy') Object.assign(node.params, { stepsPerIteration: 100, randomSteps: 40 });
    if (node.type === 'sink.evaluator') Object.assign(node.params, { episodes: 1, every: 1000 });
  }
  return g;
}

function compileErrorOf(graph: GraphFile): GraphError {
  try {
    compile(graph, blockRegistry());
  } catch (error) {
    if (error instanceof GraphErrors) return error.errors[0];
    if (error instanceof GraphError) return error;
    throw error;
  }
  throw new Error('the graph compiled');
}

async function iterations(session: RunSession, n: number): Promise<MetricsRow[]> {
  const rows: MetricsRow[] = [];
  for (let i = 0; i < n; i++) {
    session.collect();
    rows.push(session.learn().row);
  }
  return rows;
}

describe('step clock', () => {
  it('nests collector → sampler → every: TD3 compiles to step, update and delayed-update clocks', () => {
    const plan = compile(template('td3.pendulum'), blockRegistry());
    const node = (id: string) => plan.nodes.get(id)!;
    expect(node('collect').clock).toBe('step:collect');
    expect(node('collect').runsOn).toBe('iteration');
    expect(node('replay').runsOn).toBe('step:collect');
    expect(node('sample').clock).toBe('update:sample');
    expect(plan.clockParent.get('update:sample')).toBe('step:collect');
    expect(node('critic_opt').runsOn).toBe('update:sample');
    expect(node('delay').clock).toBe('every:delay');
    expect(plan.clockParent.get('every:delay')).toBe('update:sample');
    expect(node('actor_opt').runsOn).toBe('every:delay');
    expect(node('update_actor_target').runsOn).toBe('every:delay');
    // The TD target reads only frozen target networks: a constant, outside every gradient closure.
    const critic = plan.cones.get('critic_opt')!;
    expect(critic).toEqual(expect.arrayContaining(['q1', 'q2', 'q1_loss', 'q2_loss', 'critic_loss']));
    expect(critic).not.toContain('td_target');
    expect(critic).not.toContain('min_next');
    expect(plan.cones.get('actor_opt')).toEqual(['mu', 'q_mu', 'actor_loss']);
    // The schedule: one top-level loop (the collector), the sampler inside it, every inside that.
    const top = plan.iteration.find((s) => s.id === 'collect')!;
    expect(top.kind).toBe('loop');
    const inStep = top.kind === 'loop' ? top.body.map((s) => s.id) : [];
    expect(inStep).toEqual(['replay', 'sample']);
  });

  it('SAC: each optimizer steps only its own modules; targets move only through target.update', async () => {
    const plan = compile(template('sac.pendulum'), blockRegistry());
    // The TD target (next action, target critics, soft value) is a constant of the critic's step;
    // the temperature's step differentiates only its own loss.
    const critic = plan.cones.get('critic_opt')!;
    expect(critic).toEqual(expect.arrayContaining(['q1', 'q2', 'q1_loss', 'q2_loss', 'critic_loss']));
    for (const id of ['next_action', 'q1_next', 'q2_next', 'min_next', 'soft_next', 'td_target']) expect(critic).not.toContain(id);
    expect(plan.cones.get('alpha_opt')).toEqual(['alpha_loss']);
    expect(plan.cones.get('actor_opt')).not.toContain('q1');

    const session = new RunSession({ graph: tiny('sac.pendulum', 1_000) });
    await session.prepare();
    const variables = new Map<string, { dataSync(): ArrayLike<number> }>();
    for (const [id, runtime] of session.executor.runtimes) {
      for (const [port, value] of Object.entries(runtime.resources ?? {})) {
        const resource = value as { variables?: { dataSync(): ArrayLike<number> }[]; logAlpha?: { dataSync(): ArrayLike<number> } };
        resource.variables?.forEach((v, i) => variables.set(`${id}.${port}[${i}]`, v));
        if (resource.logAlpha) variables.set(`${id}.${port}.logAlpha`, resource.logAlpha);
      }
    }
    const snapshot = () => new Map([...variables].map(([key, v]) => [key, Array.from(v.dataSync())]));
    const changed = (before: Map<string, number[]>) => {
      const after = snapshot();
      return [...new Set([...before.keys()].filter((k) => after.get(k)!.some((x, i) => x !== before.get(k)![i])).map((k) => k.replace(/[.[].*$/, '')))].sort();
    };
    const seen: Record<string, string[]> = {};
    for (const id of ['critic_opt', 'actor_opt', 'alpha_opt', 'update_q1_target']) {
      const runtime = session.executor.runtimes.get(id)!;
      if (runtime.optimize) {
        const optimize = runtime.optimize.bind(runtime);
        runtime.optimize = (...args) => {
          const before = snapshot();
          const out = optimize(...args);
          seen[id] ??= changed(before);
          return out;
        };
      } else {
        const run = runtime.run!.bind(runtime);
        runtime.run = (inputs, tick): Outputs => {
          const before = snapshot();
          const out = run(inputs, tick);
          seen[id] ??= changed(before);
          return out;
        };
      }
    }
    await iterations(session, 1);
    session.dispose();
    expect(variables.size).toBeGreaterThan(10);
    expect(seen).toEqual({ critic_opt: ['q1_net', 'q2_net'], actor_opt: ['actor', 'actor_net'], alpha_opt: ['alpha'], update_q1_target: ['q1_target'] });
  });

  it('every off-policy template compiles', () => {
    for (const name of OFF_POLICY) expect(() => compile(template(name), blockRegistry()), name).not.toThrow();
  });

  it('runs the delayed actor update exactly every d critic updates, and the targets with it', async () => {
    const graph = tiny('td3.pendulum', 1_000);
    const session = new RunSession({ graph });
    await session.prepare();
    const counts: Record<string, number> = {};
    const order: string[] = [];
    for (const id of ['critic_opt', 'actor_opt']) {
      const runtime = session.executor.runtimes.get(id)!;
      const optimize = runtime.optimize!.bind(runtime);
      runtime.optimize = (...args) => {
        counts[id] = (counts[id] ?? 0) + 1;
        order.push(id);
        return optimize(...args);
      };
    }
    for (const id of ['update_actor_target', 'update_q1_target']) {
      const runtime = session.executor.runtimes.get(id)!;
      const run = runtime.run!.bind(runtime);
      runtime.run = (inputs, tick): Outputs => {
        counts[id] = (counts[id] ?? 0) + 1;
        return run(inputs, tick);
      };
    }
    await iterations(session, 3);
    session.dispose();
    // 300 steps, sampling from the 40th stored transition on: 261 critic updates.
    expect(counts.critic_opt).toBe(261);
    expect(counts.actor_opt).toBe(Math.floor(261 / 2));
    expect(counts.update_actor_target).toBe(counts.actor_opt);
    expect(counts.update_q1_target).toBe(counts.actor_opt);
    // The actor steps right after every second critic step.
    for (let i = 0; i < order.length; i++) if (order[i] === 'actor_opt') expect(order[i - 1]).toBe('critic_opt');
    expect(order.filter((o, i) => o === 'critic_opt' && order[i + 1] === 'actor_opt').length).toBe(counts.actor_opt);
  });

  it('every template runs a few hundred steps without leaking tensors, with its metrics in the record', async () => {
    for (const name of OFF_POLICY) {
      const session = new RunSession({ graph: tiny(name) });
      await session.prepare();
      const rows = await iterations(session, 2);
      const before = session.memory().numTensors;
      rows.push(...(await iterations(session, 2)));
      expect(session.memory().numTensors, name).toBe(before);
      const last = rows[rows.length - 1] as Record<string, unknown>;
      expect(last.step, name).toBe(name === 'dpg-onpolicy.pendulum' ? 4 * 400 : 400);
      expect(last['replay.fill'] ?? 'no replay', name).toBe(name === 'dpg-onpolicy.pendulum' ? 'no replay' : 400);
      const losses = Object.keys(last).filter((k) => k.endsWith('.loss'));
      expect(losses.length, `${name}: ${Object.keys(last).join(', ')}`).toBeGreaterThan(0);
      for (const k of losses) expect(Number.isFinite(last[k]), `${name} ${k}`).toBe(true);
      session.dispose();
    }
  }, 120_000);

  it('resumes an off-policy run (replay buffer, targets, temperature, RNGs) exactly', async () => {
    const graph = tiny('sac.pendulum', 10_000);
    const straight = new RunSession({ graph, outDir: tempDir() });
    await straight.prepare();
    const rowsStraight = await iterations(straight, 4);
    straight.dispose();
    const dir = tempDir();
    const first = new RunSession({ graph, outDir: dir });
    await first.prepare();
    await iterations(first, 2);
    first.checkpoint();
    first.dispose();
    const second = new RunSession({ graph, outDir: dir, resume: true });
    await second.prepare();
    const rowsResumed = await iterations(second, 2);
    second.dispose();
    expect(rowsResumed.map(withoutTiming)).toEqual(rowsStraight.slice(2).map(withoutTiming));
  }, 60_000);

  it('resumes TD3 exactly from a checkpoint between two delayed updates, with live changes made before it', async () => {
    const graph = tiny('td3.pendulum', 10_000);
    // After iteration 2: 200 stored transitions, 161 critic updates, so the every(2) clock is
    // halfway to the next actor update when the checkpoint is taken.
    const live: [string, string, number][] = [
      ['collect', 'noiseSigma', 0.3],
      ['smoothing', 'sigma', 0.4],
      ['td_target', 'gamma', 0.9],
      ['update_q1_target', 'tau', 0.02],
      ['critic_opt', 'lr', 0.002],
    ];
    const change = (session: RunSession) => {
      for (const [node, name, value] of live) session.executor.setParam(node, name, value);
    };
    const straight = new RunSession({ graph: structuredClone(graph), outDir: tempDir() });
    await straight.prepare();
    const rowsStraight = await iterations(straight, 1);
    change(straight);
    rowsStraight.push(...(await iterations(straight, 3)));
    straight.dispose();
    const dir = tempDir();
    const first = new RunSession({ graph: structuredClone(graph), outDir: dir });
    await first.prepare();
    await iterations(first, 1);
    change(first);
    await iterations(first, 1);
    first.checkpoint();
    first.dispose();
    const second = new RunSession({ graph: structuredClone(graph), outDir: dir, resume: true });
    await second.prepare();
    for (const [node, name, value] of live) expect(second.executor.plan.nodes.get(node)!.params[name], `${node}.${name}`).toBe(value);
    const rowsResumed = await iterations(second, 2);
    second.dispose();
    expect(rowsResumed.map(withoutTiming)).toEqual(rowsStraight.slice(2).map(withoutTiming));
  }, 60_000);
});

describe('compile errors name the node', () => {
  it('a target update whose target network copies another module', () => {
    const g = structuredClone(template('td3.pendulum'));
    const edge = g.edges.find((e) => e.to.node === 'update_q1_target' && e.to.port === 'target')!;
    edge.from = { node: 'q2_target', port: 'module' };
    const error = compileErrorOf(g);
    expect(error.nodeId).toBe('update_q1_target');
    expect(error.message).toMatch(/q2_target/);
    expect(error.message).toMatch(/q1_net/);
  });

  it('an actor loss with no deterministic or reparameterised action behind it (replayed actions)', () => {
    const g = structuredClone(template('ddpg.pendulum'));
    const edge = g.edges.find((e) => e.to.node === 'q_mu' && e.to.port === 'action')!;
    edge.from = { node: 'sample', port: 'batch', field: 'act' };
    const error = compileErrorOf(g);
    expect(error.nodeId).toBe('actor_loss');
    expect(error.message).toMatch(/reparameteri[sz]ed/);
  });

  it('a sampler whose learningStarts exceeds its replay buffer\'s capacity', () => {
    const graph = template('td3.pendulum');
    graph.nodes.find((n) => n.id === 'replay')!.params.capacity = 500;
    const error = compileErrorOf(graph);
    expect(error.nodeId).toBe('sample');
    expect(error.message).toMatch(/learningStarts 1000 is more than replay buffer 'replay' can hold \(capacity 500\)/);
  });

  it('an every(k) clock with k < 1', () => {
    const g = structuredClone(template('td3.pendulum'));
    g.nodes.find((n) => n.id === 'delay')!.params.k = 0;
    const error = compileErrorOf(g);
    expect(error.nodeId).toBe('delay');
    expect(error.message).toMatch(/'k'/);
  });
});

describe('replay.buffer and replay.sample blocks', () => {
  function transitions(step: number, n = 1): HostBatch {
    const f = (width: number, value: (e: number, j: number) => number) => {
      const data = new Float32Array(n * width);
      for (let e = 0; e < n; e++) for (let j = 0; j < width; j++) data[e * width + j] = value(e, j);
      return { data, width };
    };
    return {
      kind: 'batch',
      size: n,
      fields: {
        obs: f(3, (e, j) => step * 10 + e + j / 10),
        act: f(1, (e) => -step - e),
        rew: f(1, (e) => step + e / 100),
        nextObs: f(3, (e, j) => step * 10 + e + 1 + j / 10),
        terminated: f(1, () => (step % 5 === 4 ? 1 : 0)),
        truncated: f(1, () => (step % 7 === 6 ? 1 : 0)),
      },
    };
  }

  it('stores exactly what it was given, wraps at capacity, and reports its fill', () => {
    const block = replayBuffer.create(makeCtx('replay'), { capacity: 6 });
    const tick = makeTick();
    let out: HostBatch | undefined;
    for (let s = 0; s < 4; s++) out = block.run!({ transitions: transitions(s, 2) }, tick).buffer as HostBatch;
    // 8 rows into 6 slots: steps 1..3 (rows 2..7) survive; slots 0, 1 hold step 3, slots 2..5 steps 1, 2.
    expect(out!.size).toBe(6);
    expect(Array.from(out!.fields.rew.data)).toEqual([3, 3.01, 1, 1.01, 2, 2.01].map((x) => Math.fround(x)));
    expect(Array.from(out!.fields.terminated.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(out!.fields.obs.data.subarray(0, 3))).toEqual([30, 30.1, 30.2].map((x) => Math.fround(x)));
    expect(Array.from(out!.fields.nextObs.data.subarray(3, 6))).toEqual([32, 32.1, 32.2].map((x) => Math.fround(x)));
    expect(block.iterationMetrics!()).toEqual({ 'replay.fill': 6 });
  });

  it('samples nothing before learningStarts, then seeded uniform minibatches of stored rows', () => {
    const tick = makeTick();
    const draw = (seed: number) => {
      const buffer = replayBuffer.create(makeCtx('replay'), { capacity: 100 });
      const sampler = replaySample.create(makeCtx('sample', { seed }), { batchSize: 8, updatesPerStep: 2, learningStarts: 10 });
      const seen: number[][] = [];
      for (let s = 0; s < 12; s++) {
        const stored = buffer.run!({ transitions: transitions(s) }, tick).buffer as HostBatch;
        const minibatches = [...sampler.updates!({ buffer: stored }, tick)];
        expect(minibatches.length).toBe(stored.size >= 10 ? 2 : 0);
        for (const mb of minibatches) {
          const b = mb.batch as HostBatch;
          expect(b.size).toBe(8);
          const rews = Array.from(b.fields.rew.data);
          // Every row is a stored transition, all fields from the same row.
          rews.forEach((r, i) => {
            expect(r).toBeLessThan(stored.size);
            expect(b.fields.act.data[i]).toBe(-r);
            expect(b.fields.obs.data[i * 3]).toBe(r * 10);
          });
          seen.push(rews);
        }
      }
      return seen;
    };
    const a = draw(1);
    expect(a.length).toBe(6); // steps 9, 10, 11 (sizes 10..12) × 2 updates
    expect(draw(1)).toEqual(a);
    expect(draw(2)).not.toEqual(a);
    // Uniform over what is stored: row 0 (the oldest) can be drawn as well as the newest.
    const all = draw(3).flat().concat(draw(4).flat(), draw(5).flat());
    expect(Math.min(...all)).toBe(0);
    expect(Math.max(...all)).toBe(11);
  });
});
