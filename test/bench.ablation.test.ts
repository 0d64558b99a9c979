/**
 * The pure parts of the PPO ablation bench (bench/ppo-ablation.ts, bench/ablation/*): graph
 * transformations of the eleven variants (each derived graph compiles, and has exactly the edit
 * of its row), the random-policy level, normalisation and the seeded bootstrap interval.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../engine/compiler.ts';
import type { GraphFile } from '../engine/graph/schema.ts';
import { blockRegistry } from '../engine/registry.ts';
import { addNode, connect, GraphEditError, removeNode } from '../bench/ablation/graph-edit.ts';
import {
  bootstrapMeanOfMeans,
  normalizations,
  normalize,
  quantileSorted,
  randomPolicyReturn,
  type RunScore,
  scoreVariants,
} from '../bench/ablation/stats.ts';
import {
  ABLATION_ENVS,
  baseGraph,
  CLIP_BLOCK,
  KL_BLOCK,
  KL_PENALTY_BLOCK,
  klPenalty,
  noClip,
  SNAPSHOT_BLOCK,
  variantGraph,
  VARIANTS,
} from '../bench/ablation/variants.ts';
import { rawScore, toCsv, unrunnable } from '../bench/ppo-ablation.ts';
import { ROOT, template } from './helpers.ts';

/** The loader the bench uses: null for a template that does not exist. */
const load = (name: string): GraphFile | null => (existsSync(join(ROOT, 'templates', `${name}.rlgraph.json`)) ? template(name) : null);

describe('PPO ablation: variant graphs', () => {
  it('has the eleven rows of the paper, in order, with unique ids', () => {
    expect(VARIANTS.map((v) => v.label)).toEqual([
      'No clipping or penalty',
      'Clipping, ε = 0.1',
      'Clipping, ε = 0.2',
      'Clipping, ε = 0.3',
      'Adaptive KL, d_targ = 0.003',
      'Adaptive KL, d_targ = 0.01',
      'Adaptive KL, d_targ = 0.03',
      'Fixed KL, β = 0.3',
      'Fixed KL, β = 1',
      'Fixed KL, β = 3',
      'Fixed KL, β = 10',
    ]);
    expect(new Set(VARIANTS.map((v) => v.id)).size).toBe(11);
  });

  it('derives a base graph per environment that trains on that environment', () => {
    for (const env of ABLATION_ENVS) {
      const { graph, source } = baseGraph(env, load);
      expect(graph.nodes.find((n) => n.type === 'env.classic')?.params.id, source).toBe(env.id);
    }
    // The fallback changes only the env id of the CartPole template.
    const fallback = baseGraph(ABLATION_ENVS[1], (name) => (name === 'ppo-clip.cartpole' ? template(name) : null));
    expect(fallback.source).toBe('ppo-clip.cartpole with env.id = Acrobot-v1');
    const cartpole = template('ppo-clip.cartpole');
    expect(fallback.graph.nodes.map((n) => n.id)).toEqual(cartpole.nodes.map((n) => n.id));
    expect(fallback.graph.edges).toEqual(cartpole.edges);
  });

  it('every variant on every environment compiles', () => {
    const registry = blockRegistry();
    for (const env of ABLATION_ENVS) {
      const base = baseGraph(env, load).graph;
      const before = JSON.stringify(base);
      for (const variant of VARIANTS) {
        for (const t of variant.requires) expect(registry.get(t), `${variant.id} needs block ${t}`).toBeDefined();
        const graph = variantGraph(variant, env, base, 12_345);
        expect(graph.run.totalSteps).toBe(12_345);
        expect(graph.meta.template).toBe(`ppo-ablation.${variant.id}.${env.short}`);
        expect(() => compile(graph, registry), `${variant.id} on ${env.id}`).not.toThrow();
      }
      expect(JSON.stringify(base), 'transforms must not mutate the base').toBe(before);
    }
  });

  it('no clipping: the clip block and everything wired to it are gone, the surrogate keeps ratio and advantages', () => {
    const base = template('ppo-clip.cartpole');
    const g = noClip(base);
    expect(g.nodes.some((n) => n.type === CLIP_BLOCK)).toBe(false);
    expect(g.edges.some((e) => e.from.node === 'clip' || e.to.node === 'clip')).toBe(false);
    expect(g.edges.filter((e) => e.to.node === 'surrogate').map((e) => e.to.port).sort()).toEqual(['advantages', 'ratio']);
    expect(g.nodes.length).toBe(base.nodes.length - 1);
    // Only the clip's own edges were dropped: 3 (ratio → clip, clip → surrogate, clip → metrics).
    expect(g.edges.length).toBe(base.edges.length - 3);
  });

  it('clipping rows set ε and hold it constant', () => {
    const env = ABLATION_ENVS[0];
    const base = baseGraph(env, load).graph;
    for (const eps of [0.1, 0.2, 0.3]) {
      const g = variantGraph(VARIANTS.find((v) => v.id === `clip-${eps}`)!, env, base, 1000);
      const clip = g.nodes.find((n) => n.type === CLIP_BLOCK)!;
      expect(clip.params).toMatchObject({ epsilon: eps, schedule: 'constant' });
    }
  });

  it('KL rows: clip replaced by snapshot → kl → penalty, added to the loss with weight +1', () => {
    const base = template('ppo-clip.cartpole');
    const adaptive = klPenalty(base, { adaptive: true, dTarg: 0.003 }, { measure: 'mean', beta: 99 });
    const fixed = klPenalty(base, { adaptive: false, beta: 3 });
    for (const g of [adaptive, fixed]) {
      expect(g.nodes.some((n) => n.type === CLIP_BLOCK)).toBe(false);
      for (const t of [SNAPSHOT_BLOCK, KL_BLOCK, KL_PENALTY_BLOCK]) expect(g.nodes.filter((n) => n.type === t)).toHaveLength(1);
      const kl = g.nodes.find((n) => n.type === KL_BLOCK)!.id;
      const pen = g.nodes.find((n) => n.type === KL_PENALTY_BLOCK)!.id;
      const old = g.nodes.find((n) => n.type === SNAPSHOT_BLOCK)!.id;
      expect(old).toBe('old_policy');
      const into = (node: string) => g.edges.filter((e) => e.to.node === node).map((e) => `${e.from.node}.${e.from.port}${e.from.field ? `[${e.from.field}]` : ''}→${e.to.port}`).sort();
      expect(into(old)).toEqual(['policy.policy→policy']);
      expect(into(kl)).toEqual([`minibatch.batch[obs]→obs`, `${old}.policy→old`, 'policy.policy→policy'].sort());
      expect(into(pen)).toEqual([`${kl}.meanKL→kl`]);
      expect(g.edges.some((e) => e.from.node === pen && e.from.port === 'penalty' && e.to.node === 'loss' && e.to.port === 'terms')).toBe(true);
      expect(g.nodes.find((n) => n.id === 'loss')!.params.weights).toMatchObject({ surrogate: -1, [pen]: 1 });
    }
    // The row's own params win over params inherited from a template; the others are kept.
    expect(adaptive.nodes.find((n) => n.type === KL_PENALTY_BLOCK)!.params).toEqual({ measure: 'mean', mode: 'adaptive', beta: 1, target: 0.003 });
    expect(fixed.nodes.find((n) => n.type === KL_PENALTY_BLOCK)!.params).toEqual({ mode: 'fixed', beta: 3 });
  });

  /** Nodes (id, type, params) and edges of a graph, without layout, meta and run settings. */
  const structure = (g: GraphFile) => ({
    nodes: g.nodes.map((n) => JSON.stringify([n.id, n.type, n.params])).sort(),
    edges: g.edges.map((e) => JSON.stringify(e)).sort(),
  });

  it('no clipping derived in code = the hand-written ppo-noclip.cartpole template', () => {
    expect(structure(noClip(template('ppo-clip.cartpole')))).toEqual(structure(template('ppo-noclip.cartpole')));
  });

  it(
    'KL rows derived in code = the hand-written ppo-kl-adaptive / ppo-kl-fixed templates (at their β, d_targ)',
    () => {
      const base = template('ppo-clip.cartpole');
      for (const [name, options] of [
        ['ppo-kl-adaptive.cartpole', { adaptive: true, dTarg: 0.01 }],
        ['ppo-kl-fixed.cartpole', { adaptive: false, beta: 1 }],
      ] as const) {
        const hand = template(name);
        const pen = hand.nodes.find((n) => n.type === KL_PENALTY_BLOCK)!;
        // The template may set the penalty params the row does not (e.g. target in fixed mode).
        const derived = klPenalty(base, options, pen.params);
        expect(structure(derived), name).toEqual(structure(hand));
      }
    },
  );

  it('graph edits: removing a node drops its weight keys; bad edits say what is wrong', () => {
    const base = template('ppo-clip.cartpole');
    const g = removeNode(base, 'entropy');
    expect(Object.keys(g.nodes.find((n) => n.id === 'loss')!.params.weights as object)).toEqual(['surrogate', 'value_loss']);
    expect(() => compile(g, blockRegistry())).not.toThrow();
    expect(() => removeNode(base, 'nope')).toThrow(GraphEditError);
    expect(() => addNode(base, { id: 'clip', type: 'policy.clip', params: {} })).toThrow(/already taken/);
    expect(() => connect(base, { node: 'ghost', port: 'x' }, { node: 'loss', port: 'terms' })).toThrow(/no node 'ghost'/);
    expect(() => noClip(noClip(base))).toThrow(/0 nodes of type 'policy.clip'/);
  });
});

describe('PPO ablation: scoring', () => {
  it('measures the random-policy level by playing random actions (deterministic in the seed)', () => {
    const cart = randomPolicyReturn('CartPole-v1', 500, 7);
    expect(cart.meanReturn).toBeGreaterThan(17);
    expect(cart.meanReturn).toBeLessThan(28); // Gymnasium's random CartPole: ≈ 22
    expect(randomPolicyReturn('CartPole-v1', 500, 7)).toEqual(cart);
    const acro = randomPolicyReturn('Acrobot-v1', 50, 7);
    expect(acro.meanReturn).toBeGreaterThanOrEqual(-500);
    expect(acro.meanReturn).toBeLessThan(-400); // random Acrobot rarely swings up within 500 steps
  });

  it('normalises per env: random = 0, best variant (mean over seeds) = 1', () => {
    const runs: RunScore[] = [
      { variant: 'a', env: 'E', seed: 1, score: 100 },
      { variant: 'a', env: 'E', seed: 2, score: 200 },
      { variant: 'b', env: 'E', seed: 1, score: 160 },
      { variant: 'b', env: 'E', seed: 2, score: 160 },
      { variant: 'c', env: 'E', seed: 1, score: null },
    ];
    const n = normalizations(runs, { E: 10 }).get('E')!;
    expect(n).toEqual({ env: 'E', random: 10, best: 160, bestVariant: 'b' });
    expect(normalize(160, n)).toBe(1);
    expect(normalize(10, n)).toBe(0);
    expect(normalize(85, n)).toBeCloseTo(0.5, 12);
    expect(normalize(-65, n)).toBeCloseTo(-0.5, 12); // worse than random is negative, as in the paper
    expect(normalize(null, n)).toBeNull();
    // Negative returns (Acrobot): random −500, best −100.
    const acro = { env: 'A', random: -500, best: -100, bestVariant: 'x' };
    expect(normalize(-300, acro)).toBeCloseTo(0.5, 12);
  });

  it('bootstrap: fixed seed ⇒ same interval; interval brackets the mean; constant data ⇒ zero width', () => {
    const groups = [
      [0.2, 0.9, 0.5],
      [1, 0.7, 0.8],
    ];
    const a = bootstrapMeanOfMeans(groups, { seed: 42, resamples: 4000 })!;
    const b = bootstrapMeanOfMeans(groups, { seed: 42, resamples: 4000 })!;
    const c = bootstrapMeanOfMeans(groups, { seed: 43, resamples: 4000 })!;
    expect(a).toEqual(b);
    expect(c.mean).toBe(a.mean);
    // The seed drives the resampling (with more values the quantiles are no longer lattice points).
    const wide = [Array.from({ length: 12 }, (_, i) => Math.sin(i + 1)), Array.from({ length: 12 }, (_, i) => Math.cos(i * 3))];
    expect(bootstrapMeanOfMeans(wide, { seed: 1 })!.ci).not.toEqual(bootstrapMeanOfMeans(wide, { seed: 2 })!.ci);
    expect(a.mean).toBeCloseTo((0.2 + 0.9 + 0.5) / 6 + (1 + 0.7 + 0.8) / 6, 12);
    expect(a.ci[0]).toBeLessThan(a.mean);
    expect(a.ci[1]).toBeGreaterThan(a.mean);
    // The most extreme resample means bound the interval.
    expect(a.ci[0]).toBeGreaterThanOrEqual((0.2 + 0.7) / 2 - 1e-12);
    expect(a.ci[1]).toBeLessThanOrEqual((0.9 + 1) / 2 + 1e-12);
    expect(bootstrapMeanOfMeans([[0.4, 0.4], [0.6]], { seed: 1 })).toEqual({ mean: 0.5, ci: [0.5, 0.5] });
    expect(bootstrapMeanOfMeans([[], []])).toBeNull();
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0)).toBe(1);
    expect(quantileSorted([1, 2, 3, 4], 1)).toBe(4);
  });

  it('scores every variant: mean over envs of the mean over seeds, with per-env columns', () => {
    const runs: RunScore[] = [];
    const raw: Record<string, Record<string, number[]>> = {
      good: { C: [500, 500], A: [-80, -90] },
      bad: { C: [22, 22], A: [-500, -500] },
      mid: { C: [261, 261], A: [-290, -290] },
    };
    for (const [variant, byEnv] of Object.entries(raw)) {
      for (const [env, scores] of Object.entries(byEnv)) scores.forEach((score, i) => runs.push({ variant, env, seed: i + 1, score }));
    }
    const { rows, normalization } = scoreVariants(runs, { C: 22, A: -500 }, ['good', 'bad', 'mid', 'none'], ['C', 'A'], { seed: 3, resamples: 2000 });
    expect(normalization.get('A')!.best).toBe(-85);
    const [good, bad, mid, none] = rows;
    expect(good.mean).toBeCloseTo(1, 12);
    expect(good.perEnv.C).toBeCloseTo(1, 12);
    expect(bad.mean).toBeCloseTo(0, 12);
    expect(mid.perEnv.C).toBeCloseTo(0.5, 12);
    expect(mid.perEnv.A).toBeCloseTo(210 / 415, 12);
    expect(mid.scoredRuns).toBe(4);
    expect(none).toMatchObject({ mean: null, ci: null, scoredRuns: 0, runs: 0 });
    const again = scoreVariants(runs, { C: 22, A: -500 }, ['good', 'bad', 'mid', 'none'], ['C', 'A'], { seed: 3, resamples: 2000 });
    expect(again.rows).toEqual(rows);
  });

  it('a run scores by last-20 training return (a diverged one by its last logged value) or by the final eval', () => {
    const job = { variant: 'v', env: 'E', seed: 1, steps: 10, file: 'f', outDir: 'o' };
    const summary = { eval: { episodes: 20, meanReturn: 480, stdReturn: 3 } } as unknown as NonNullable<Parameters<typeof rawScore>[0]['summary']>;
    const ok = { job, status: 'ok' as const, summary, stepsDone: 10, meanReturnLast20: 470, processWallSeconds: 1, trainStepsPerSecond: 1, trainSeconds: 1, cpuSeconds: null, cpuSecondsPerStep: null };
    const diverged = { job, status: 'diverged' as const, stepsDone: 5, meanReturnLast20: 30, processWallSeconds: 1, trainStepsPerSecond: 1, trainSeconds: 1, cpuSeconds: null, cpuSecondsPerStep: null };
    expect(rawScore(ok, 'last20')).toBe(470);
    expect(rawScore(ok, 'eval')).toBe(480);
    expect(rawScore(diverged, 'last20')).toBe(30);
    expect(rawScore(diverged, 'eval')).toBeNull();
  });

  it('writes RFC 4180 CSV', () => {
    expect(toCsv([{ a: 1, b: 'x,y', c: null, d: 'say "hi"' }])).toBe('a,b,c,d\n1,"x,y",,"say ""hi"""\n');
    expect(toCsv([])).toBe('');
  });

  it('names a missing block (and skips only the rows that need it) before anything trains', () => {
    const files = new Map([
      ['clip-0.2|CartPole-v1', 'a.json'],
      ['kl-fixed-1|CartPole-v1', 'b.json'],
      ['no-clip|CartPole-v1', 'c.json'],
    ]);
    const registered = blockRegistry().catalogue().map((b) => b.type).filter((t) => t !== KL_PENALTY_BLOCK);
    const skipped = unrunnable(VARIANTS, files, {
      blockTypes: registered,
      files: [
        { file: 'a.json', ok: true, errors: [] },
        { file: 'b.json', ok: false, errors: ["node 'kl_penalty': unknown block type 'loss.klPenalty'"] },
        { file: 'c.json', ok: false, errors: ["node 'surrogate': bad"] },
      ],
    });
    expect(skipped).toEqual([
      { variant: 'kl-fixed-1', env: 'CartPole-v1', reason: "block type 'loss.klPenalty' not in the block registry (nodes/index.ts)" },
      { variant: 'no-clip', env: 'CartPole-v1', reason: "the derived graph does not compile: node 'surrogate': bad" },
    ]);
    expect([...files.keys()]).toEqual(['clip-0.2|CartPole-v1']);
  });
});
