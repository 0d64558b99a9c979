/**
 * Graph files and the compiler, in-process: parsing (errors, versions, the v0 → v1 migration),
 * stable/atomic saving, every compile error the editor and the CLI pin to a block, and the plans of
 * the shipped templates.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compile, type Plan } from '../engine/compiler.ts';
import { type ErrorCode, GraphError, GraphErrors } from '../engine/errors.ts';
import { loadGraph, parseGraph, saveGraph, serializeGraph } from '../engine/graph/io.ts';
import { graphJsonSchema } from '../engine/graph/json-schema.ts';
import { MIGRATIONS } from '../engine/graph/migrations.ts';
import { type GraphEdge, type GraphFile, GRAPH_FORMAT, GRAPH_VERSION, graphSchema } from '../engine/graph/schema.ts';
import { blockRegistry } from '../engine/registry.ts';
import { ROOT, tempDir, template } from './helpers.ts';

// Lets a test make the atomic writer fail at a chosen system call; every other use of node:fs is real.
const fsFault = vi.hoisted(() => ({ fsync: false, rename: false }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const fsyncSync: typeof real.fsyncSync = (fd) => {
    if (fsFault.fsync) throw Object.assign(new Error('EIO: simulated fsync failure'), { code: 'EIO' });
    return real.fsyncSync(fd);
  };
  const renameSync: typeof real.renameSync = (from, to) => {
    if (fsFault.rename) throw Object.assign(new Error('EXDEV: simulated rename failure'), { code: 'EXDEV' });
    return real.renameSync(from, to);
  };
  return { ...real, default: { ...real, fsyncSync, renameSync }, fsyncSync, renameSync };
});

afterEach(() => {
  fsFault.fsync = false;
  fsFault.rename = false;
});

const TEMPLATES = ['ppo-clip.cartpole', 'ppo-clip.cartpole.cleanrl', 'a2c.cartpole', 'reinforce.cartpole'];
// Topological order with ties broken by node id.
const PPO_CONE = ['entropy', 'logp', 'ratio', 'clip', 'surrogate', 'value_loss', 'loss'];

const templatePath = (name: string) => join(ROOT, 'templates', `${name}.rlgraph.json`);
const templateText = (name: string) => readFileSync(templatePath(name), 'utf8');
const ppo = (): GraphFile => template('ppo-clip.cartpole');

function edge(from: string, to: string, field?: string): GraphEdge {
  const [fn, fp] = from.split('.');
  const [tn, tp] = to.split('.');
  return { from: field ? { node: fn, port: fp, field } : { node: fn, port: fp }, to: { node: tn, port: tp } };
}

const sameEdge = (a: GraphEdge, b: GraphEdge) => JSON.stringify(a) === JSON.stringify(b);

/** Removes exactly one edge (fails loudly if the template changed and it is not there). */
function withoutEdge(graph: GraphFile, e: GraphEdge): GraphFile {
  const index = graph.edges.findIndex((x) => sameEdge(x, e));
  expect(index, `edge ${JSON.stringify(e)} in the template`).toBeGreaterThanOrEqual(0);
  graph.edges.splice(index, 1);
  return graph;
}

function node(graph: GraphFile, id: string) {
  const n = graph.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`template has no node '${id}'`);
  return n;
}

function compileTemplate(graph: GraphFile): Plan {
  return compile(graph, blockRegistry());
}

/** Compiles a graph that must fail; returns every reported problem. */
function compileErrors(graph: GraphFile): GraphError[] {
  try {
    compile(graph, blockRegistry());
  } catch (error) {
    if (error instanceof GraphErrors) return error.errors;
    if (error instanceof GraphError) return [error];
    throw error;
  }
  throw new Error('expected the graph not to compile');
}

/** The one problem with `code` (and no other kind of problem). */
function onlyError(graph: GraphFile, code: ErrorCode): GraphError {
  const errors = compileErrors(graph);
  expect(errors.map((e) => e.code)).toEqual([code]);
  return errors[0];
}

function parseError(text: string): GraphError {
  try {
    parseGraph(text, 'bad.rlgraph.json');
  } catch (error) {
    expect(error).toBeInstanceOf(GraphError);
    return error as GraphError;
  }
  throw new Error('expected parseGraph to throw');
}

function rawPpo(): Record<string, unknown> & { nodes: Record<string, unknown>[]; edges: GraphEdge[] } {
  return JSON.parse(templateText('ppo-clip.cartpole'));
}

function tmpFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.tmp'));
}

// ---------------------------------------------------------------------------------------------

describe('parseGraph', () => {
  it('reports malformed JSON with the file name and a position', () => {
    const text = templateText('ppo-clip.cartpole').replace('"version": 1,', '"version": 1');
    const error = parseError(text);
    expect(error.code).toBe('malformed-json');
    expect(error.message).toContain('bad.rlgraph.json');
    expect(error.message).toMatch(/not valid JSON/);
    expect(error.message).toMatch(/position \d+|line \d+/);

    const truncated = parseError(templateText('ppo-clip.cartpole').slice(0, 300));
    expect(truncated.code).toBe('malformed-json');
    expect(truncated.message).toMatch(/end of JSON|position \d+|line \d+/);

    const badToken = parseError(templateText('ppo-clip.cartpole').replace('"numEnvs": 8', '"numEnvs": eight'));
    expect(badToken.code).toBe('malformed-json');
    // V8 gives either an offset or the text around the bad token; both locate the problem.
    expect(badToken.message).toMatch(/position \d+|line \d+|numEnvs": eight/);
  });

  it('rejects a document that is not an object', () => {
    for (const text of ['[]', '42', 'null', '"graph"']) {
      const error = parseError(text);
      expect(error.code).toBe('schema');
      expect(error.message).toMatch(/JSON object/);
    }
  });

  it('rejects a wrong format with a schema error naming the field', () => {
    const raw = rawPpo();
    raw.format = 'something-else/graph';
    const error = parseError(JSON.stringify(raw));
    expect(error.code).toBe('schema');
    expect(error.message).toMatch(/format/);
    expect(error.message).toContain('bad.rlgraph.json');
  });

  it('rejects missing top-level fields', () => {
    for (const field of ['nodes', 'edges', 'format']) {
      const raw = rawPpo();
      delete raw[field];
      const error = parseError(JSON.stringify(raw));
      expect(error.code).toBe('schema');
      expect(error.message).toContain(field);
    }
    const noVersion = rawPpo();
    delete noVersion.version;
    const error = parseError(JSON.stringify(noVersion));
    expect(error.code).toBe('schema');
    expect(error.message).toMatch(/version/);
  });

  it('names the node when a node is malformed (missing type)', () => {
    const raw = rawPpo();
    delete raw.nodes[11].type; // 'clip'
    expect(raw.nodes[11].id).toBe('clip');
    const error = parseError(JSON.stringify(raw));
    expect(error.code).toBe('schema');
    expect(error.message).toContain("node 'clip'");
    expect(error.message).toMatch(/type/);
    expect(error.nodeId).toBe('clip');
  });

  it('names the node for an unknown node field and for a bad id', () => {
    const raw = rawPpo();
    raw.nodes[6].paramz = {}; // 'gae'
    const error = parseError(JSON.stringify(raw));
    expect(error.code).toBe('schema');
    expect(error.message).toContain("node 'gae'");
    expect(error.message).toContain('paramz');

    const badId = rawPpo();
    badId.nodes[3].id = '3 nets';
    const idError = parseError(JSON.stringify(badId));
    expect(idError.code).toBe('schema');
    expect(idError.message).toContain("node '3 nets'");
    expect(idError.message).toMatch(/ids start with a letter/);
  });

  it('names the edge when an edge is malformed', () => {
    const raw = rawPpo();
    delete (raw.edges[5].to as { port?: string }).port;
    const error = parseError(JSON.stringify(raw));
    expect(error.code).toBe('schema');
    expect(error.message).toContain('edge #5');
    expect(error.message).toContain('"gae"');
  });

  it('refuses a version newer than it understands', () => {
    const raw = rawPpo();
    raw.version = GRAPH_VERSION + 1;
    const error = parseError(JSON.stringify(raw));
    expect(error.code).toBe('unsupported-version');
    expect(error.message).toContain(String(GRAPH_VERSION + 1));
    expect(error.message).toMatch(/newer/);
  });

  it('fills defaults for omitted params, meta and run', () => {
    const raw = rawPpo();
    delete raw.meta;
    delete raw.run;
    delete raw.nodes[8].params; // adv_norm
    const graph = parseGraph(JSON.stringify(raw));
    expect(graph.meta.name).toBe('untitled');
    expect(graph.run).toEqual({ totalSteps: 100_000, seed: 1, backend: 'auto' });
    expect(node(graph, 'adv_norm').params).toEqual({});
    const plan = compileTemplate(graph);
    expect(plan.nodes.get('adv_norm')!.params).toEqual(
      Object.fromEntries(Object.entries(blockRegistry().get('adv.normalize')!.params).map(([k, s]) => [k, (s as { default: unknown }).default])),
    );
  });

  it('migrates the v0 draft (links with "node.port", node config) to v1, which compiles to the same plan', () => {
    expect(typeof MIGRATIONS[0]).toBe('function');
    const v1Text = templateText('ppo-clip.cartpole');
    const v1 = JSON.parse(v1Text) as { nodes: { params: unknown }[]; edges: GraphEdge[] } & Record<string, unknown>;
    const { edges, nodes, ...rest } = v1;
    const v0 = {
      ...rest,
      version: 0,
      nodes: nodes.map(({ params, ...n }) => ({ ...n, config: params })),
      links: edges.map((e) => ({
        from: `${e.from.node}.${e.from.port}`,
        to: `${e.to.node}.${e.to.port}`,
        ...(e.from.field ? { field: e.from.field } : {}),
      })),
    };
    expect(JSON.stringify(v0)).not.toContain('"edges"');
    expect(JSON.stringify(v0)).not.toContain('"params"');

    const migrated = parseGraph(JSON.stringify(v0), 'v0.rlgraph.json');
    const current = parseGraph(v1Text);
    expect(migrated.version).toBe(1);
    expect(migrated.format).toBe(GRAPH_FORMAT);
    expect(migrated.edges).toEqual(current.edges);
    // Through JSON: the template's `-0.0` weight is -0 in memory but 0 once written.
    expect(JSON.parse(JSON.stringify(migrated.nodes))).toEqual(JSON.parse(JSON.stringify(current.nodes)));
    expect(serializeGraph(migrated)).toBe(serializeGraph(current));

    const a = compileTemplate(migrated);
    const b = compileTemplate(current);
    expect(a.order).toEqual(b.order);
    expect(a.order).toHaveLength(current.nodes.length);
    expect([...a.cones]).toEqual([...b.cones]);
  });
});

// ---------------------------------------------------------------------------------------------

function expectSortedKeys(value: unknown, path = '$'): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => expectSortedKeys(v, `${path}[${i}]`));
  } else if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    expect(keys, `keys of ${path}`).toEqual([...keys].sort());
    for (const k of keys) expectSortedKeys((value as Record<string, unknown>)[k], `${path}.${k}`);
  }
}

/** Same graph, every array shuffled (deterministically) and every object's keys reversed. */
function scramble(graph: GraphFile): GraphFile {
  const reverseKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(reverseKeys);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .reverse()
          .map((k) => [k, reverseKeys((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  const shuffle = <T>(xs: T[]): T[] => {
    const out = [...xs];
    let seed = 12345;
    for (let i = out.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const j = seed % (i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
  const copy = reverseKeys(graph) as GraphFile;
  return { ...copy, nodes: shuffle(copy.nodes), edges: shuffle(copy.edges) };
}

describe('serializeGraph / saveGraph', () => {
  it('writes sorted keys, nodes sorted by id and edges sorted by target then source', () => {
    const text = serializeGraph(ppo());
    expect(text.endsWith('}\n')).toBe(true);
    const doc = JSON.parse(text) as GraphFile;
    expectSortedKeys(doc);
    const ids = doc.nodes.map((n) => n.id);
    expect(ids).toEqual([...ids].sort());
    const keys = doc.edges.map((e) => [e.to.node, e.to.port, e.from.node, e.from.port, e.from.field ?? ''].join('\u0000'));
    expect(keys).toEqual([...keys].sort());
    expect(doc.edges).toHaveLength(ppo().edges.length);
    expect(doc.nodes).toHaveLength(ppo().nodes.length);
  });

  it('does not depend on the order of nodes, edges or keys in memory', () => {
    for (const name of TEMPLATES) {
      const graph = template(name);
      const scrambled = scramble(graph);
      expect(scrambled.nodes.map((n) => n.id)).not.toEqual(graph.nodes.map((n) => n.id));
      expect(serializeGraph(scrambled)).toBe(serializeGraph(graph));
    }
  });

  it('is idempotent: load → save → load → save gives identical bytes and the same plan', () => {
    const dir = tempDir();
    for (const name of TEMPLATES) {
      const first = join(dir, `${name}.a.json`);
      const second = join(dir, `${name}.b.json`);
      saveGraph(first, template(name));
      const loaded = loadGraph(first);
      saveGraph(second, loaded);
      expect(readFileSync(second)).toEqual(readFileSync(first));
      expect(serializeGraph(loadGraph(second))).toBe(readFileSync(first, 'utf8'));
      // Saving sorts nodes, which may change how topological ties break, but never the plan itself.
      const saved = compileTemplate(loadGraph(second));
      const original = compileTemplate(template(name));
      expect(saved.order).toEqual(compileTemplate(loadGraph(first)).order);
      expect([...saved.order].sort()).toEqual([...original.order].sort());
      const coneSets = (plan: Plan) => [...plan.cones].map(([id, cone]) => [id, [...cone].sort()]);
      expect(coneSets(saved)).toEqual(coneSets(original));
      expect(new Map([...saved.nodes].map(([id, n]) => [id, n.clock]))).toEqual(new Map([...original.nodes].map(([id, n]) => [id, n.clock])));
    }
  });

  it('saves over an existing file atomically, leaving no temp files', () => {
    const dir = tempDir();
    const path = join(dir, 'g.rlgraph.json');
    writeFileSync(path, 'old contents');
    saveGraph(path, ppo());
    expect(readFileSync(path, 'utf8')).toBe(serializeGraph(ppo()));
    const graph = ppo();
    node(graph, 'clip').params.epsilon = 0.1;
    saveGraph(path, graph);
    expect(loadGraph(path).nodes.find((n) => n.id === 'clip')!.params.epsilon).toBe(0.1);
    expect(readdirSync(dir)).toEqual(['g.rlgraph.json']);
  });

  it.each(['fsync', 'rename'] as const)('keeps the original file intact and removes its temp file when %s fails', (step) => {
    const dir = tempDir();
    const path = join(dir, 'g.rlgraph.json');
    saveGraph(path, ppo());
    const before = readFileSync(path, 'utf8');
    const changed = ppo();
    node(changed, 'adam').params.lr = 0.01;
    fsFault[step] = true;
    expect(() => saveGraph(path, changed)).toThrow(new RegExp(`simulated ${step} failure`));
    fsFault[step] = false;
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['g.rlgraph.json']);
  });

  it('fails cleanly when the target is a directory', () => {
    const dir = tempDir();
    const target = join(dir, 'taken');
    mkdirSync(target);
    writeFileSync(join(target, 'inside.txt'), 'keep me');
    expect(() => saveGraph(target, ppo())).toThrow();
    expect(statSync(target).isDirectory()).toBe(true);
    expect(readFileSync(join(target, 'inside.txt'), 'utf8')).toBe('keep me');
    expect(tmpFiles(dir)).toEqual([]);
    expect(readdirSync(dir)).toEqual(['taken']);
  });

  it('refuses to save an invalid graph and leaves the file untouched', () => {
    const dir = tempDir();
    const path = join(dir, 'g.rlgraph.json');
    saveGraph(path, ppo());
    const before = readFileSync(path, 'utf8');
    const bad = ppo();
    node(bad, 'clip').id = '1clip';
    expect(() => saveGraph(path, bad)).toThrow();
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(readdirSync(dir)).toEqual(['g.rlgraph.json']);
  });
});

// ---------------------------------------------------------------------------------------------

describe('compile errors', () => {
  it('duplicate node ids', () => {
    const graph = ppo();
    graph.nodes.push({ id: 'clip', type: 'policy.clip', params: {} });
    const error = onlyError(graph, 'duplicate-id');
    expect(error.message).toContain("'clip'");
    expect(error.nodeId).toBe('clip');
  });

  it('unknown block type: names the node and the type, suggests a close one', () => {
    const graph = ppo();
    node(graph, 'clip').type = 'policy.clipp';
    const error = onlyError(graph, 'unknown-block');
    expect(error.message).toContain("node 'clip'");
    expect(error.message).toContain("'policy.clipp'");
    expect(error.message).toMatch(/did you mean .*'policy\.clip'/);
    expect(error.nodeId).toBe('clip');
  });

  it('unknown param: names node and param and lists the valid ones', () => {
    const graph = ppo();
    node(graph, 'adam').params.learningRate = 0.01;
    const error = onlyError(graph, 'unknown-param');
    expect(error.message).toContain("node 'adam'");
    expect(error.message).toContain("'learningRate'");
    for (const p of ['lr', 'schedule', 'beta1', 'beta2', 'epsilon', 'maxGradNorm']) expect(error.message).toContain(p);
    expect(error.nodeId).toBe('adam');
  });

  it('out-of-range params: names node, param, value and the range', () => {
    const clip = ppo();
    node(clip, 'clip').params.epsilon = 1.5;
    const e1 = onlyError(clip, 'invalid-param');
    expect(e1.message).toContain("node 'clip'");
    expect(e1.message).toContain("'epsilon'");
    expect(e1.message).toContain('1.5');
    expect(e1.message).toContain('≥ 0');
    expect(e1.message).toContain('≤ 1');
    expect(e1.nodeId).toBe('clip');

    const adam = ppo();
    node(adam, 'adam').params.lr = 0;
    const e2 = onlyError(adam, 'invalid-param');
    expect(e2.message).toContain("node 'adam'");
    expect(e2.message).toContain("'lr'");
    expect(e2.message).toContain('> 0'); // the minimum is excluded
    expect(e2.message).toContain('≤ 1');

    const type = ppo();
    node(type, 'minibatch').params.epochs = 2.5;
    const e3 = onlyError(type, 'invalid-param');
    expect(e3.message).toContain("'epochs'");
    expect(e3.message).toMatch(/integer/);

    const choice = ppo();
    node(choice, 'adam').params.schedule = 'cosine';
    const e4 = onlyError(choice, 'invalid-param');
    expect(e4.message).toContain('"constant"');
    expect(e4.message).toContain('"linear"');
  });

  it('dangling edge to or from a missing node', () => {
    const into = ppo();
    into.edges.push(edge('clip.clipFraction', 'ghost.values'));
    const e1 = onlyError(into, 'dangling-edge');
    expect(e1.message).toContain("'ghost'");
    expect(e1.message).toContain('clip.clipFraction');

    const from = ppo();
    from.edges.push(edge('phantom.value', 'metrics.values'));
    const e2 = onlyError(from, 'dangling-edge');
    expect(e2.message).toContain("'phantom'");
    expect(e2.edge?.from.node).toBe('phantom');
  });

  it('unknown port lists the ports of the block', () => {
    const inPort = ppo();
    inPort.edges.push(edge('ratio.ratio', 'logp.observation'));
    const e1 = onlyError(inPort, 'unknown-port');
    expect(e1.message).toContain("'logp'");
    expect(e1.message).toContain("'observation'");
    for (const p of ['policy (Policy)', 'obs (Tensor)', 'actions (Tensor)']) expect(e1.message).toContain(p);

    const outPort = ppo();
    outPort.edges.push(edge('clip.fraction', 'metrics.values'));
    const e2 = onlyError(outPort, 'unknown-port');
    expect(e2.message).toContain("'fraction'");
    expect(e2.message).toContain('clipped (Tensor)');
    expect(e2.message).toContain('clipFraction (Scalar)');
  });

  it('wrong port type names both nodes and both port types', () => {
    const graph = withoutEdge(ppo(), edge('minibatch.batch', 'logp.obs', 'obs'));
    graph.edges.push(edge('env.env', 'logp.obs'));
    const errors = compileErrors(graph);
    const error = errors.find((e) => e.code === 'port-type');
    expect(error, JSON.stringify(errors.map((e) => e.message))).toBeDefined();
    expect(error!.message).toContain("'env.env'");
    expect(error!.message).toContain("'logp.obs'");
    expect(error!.message).toMatch(/\bEnv\b/);
    expect(error!.message).toMatch(/\bTensor\b/);
    expect(error!.nodeId).toBe('logp');
    expect(error!.port).toBe('obs');
    // Nothing but the wrong edge and its now-unfed input is reported.
    expect(errors.every((e) => e.code === 'port-type' || (e.code === 'missing-input' && e.nodeId === 'logp'))).toBe(true);

    const batchToTensor = withoutEdge(ppo(), edge('minibatch.batch', 'adv_norm.x', 'adv'));
    batchToTensor.edges.push(edge('minibatch.batch', 'adv_norm.x'));
    const e2 = compileErrors(batchToTensor).find((e) => e.code === 'port-type');
    expect(e2?.message).toMatch(/field/); // says how to fix it: pick a field of the Batch
  });

  it('a Batch field that does not exist lists the fields', () => {
    const graph = withoutEdge(ppo(), edge('minibatch.batch', 'adv_norm.x', 'adv'));
    graph.edges.push(edge('minibatch.batch', 'adv_norm.x', 'advantage'));
    const error = onlyError(graph, 'unknown-port');
    expect(error.message).toContain("'advantage'");
    expect(error.message).toContain("'minibatch.batch'");
    for (const f of ['obs', 'act', 'logp', 'value', 'adv', 'ret']) expect(error.message).toMatch(new RegExp(`\\b${f}\\b`));
    expect(error.nodeId).toBe('adv_norm');
  });

  it('missing required input names node and port', () => {
    const graph = withoutEdge(ppo(), edge('minibatch.batch', 'logp.obs', 'obs'));
    const error = onlyError(graph, 'missing-input');
    expect(error.message).toContain("node 'logp'");
    expect(error.message).toContain("'obs'");
    expect(error.message).toContain('Tensor');
    expect(error.nodeId).toBe('logp');
    expect(error.port).toBe('obs');
  });

  it('two edges into a single input', () => {
    const graph = ppo();
    graph.edges.push(edge('minibatch.batch', 'adv_norm.x', 'ret'));
    const error = onlyError(graph, 'too-many-edges');
    expect(error.message).toContain("node 'adv_norm'");
    expect(error.message).toContain("'x'");
    expect(error.message).toMatch(/\b2\b/);
    expect(error.port).toBe('x');
  });

  it('a cycle names exactly the nodes on it, in flow order', () => {
    // The normalised advantages are fed from the loss they contribute to: adv_norm → surrogate → loss → adv_norm.
    const graph = withoutEdge(ppo(), edge('minibatch.batch', 'adv_norm.x', 'adv'));
    graph.edges.push(edge('loss.loss', 'adv_norm.x'));
    const error = onlyError(graph, 'cycle');
    const match = /cycle: (.*?);/.exec(error.message);
    expect(match, error.message).not.toBeNull();
    const path = match![1].split(' → ');
    expect(path[0]).toBe(path[path.length - 1]);
    expect(new Set(path)).toEqual(new Set(['adv_norm', 'surrogate', 'loss']));
    expect(path).toHaveLength(4);
    for (let i = 0; i + 1 < path.length; i++) {
      expect(graph.edges.some((e) => e.from.node === path[i] && e.to.node === path[i + 1]), `${path[i]} → ${path[i + 1]}`).toBe(true);
    }
    expect(['adv_norm', 'surrogate', 'loss']).toContain(error.nodeId);
  });

  it('a self-loop is a cycle too', () => {
    const graph = withoutEdge(ppo(), edge('minibatch.batch', 'adv_norm.x', 'adv'));
    graph.edges.push(edge('adv_norm.out', 'adv_norm.x'));
    const error = onlyError(graph, 'cycle');
    expect(error.message).toContain('adv_norm → adv_norm');
    expect(error.nodeId).toBe('adv_norm');
  });

  it('clock conflict: an op fed by two different minibatch loops', () => {
    const graph = withoutEdge(ppo(), edge('minibatch.batch', 'ratio.logpOld', 'logp'));
    graph.nodes.push({ id: 'minibatch2', type: 'loop.minibatch', params: {} });
    graph.edges.push(edge('gae.batch', 'minibatch2.batch'), edge('minibatch2.batch', 'ratio.logpOld', 'logp'));
    const error = onlyError(graph, 'clock-conflict');
    expect(error.message).toContain("node 'ratio'");
    expect(error.message).toMatch(/update:minibatch2/);
    expect(error.message).toMatch(/update:minibatch\b/);
    expect(error.nodeId).toBe('ratio');
  });

  it("an optimizer whose loss does not depend on its modules is 'unresolved'", () => {
    const graph = ppo();
    graph.edges = graph.edges.filter((e) => !(e.to.node === 'adam' && e.to.port === 'modules'));
    graph.nodes.push({ id: 'spare_net', type: 'net.mlp', params: {} }, { id: 'spare', type: 'head.value', params: {} });
    graph.edges.push(edge('spare_net.module', 'spare.torso'), edge('spare.value', 'adam.modules'));
    const error = onlyError(graph, 'unresolved');
    expect(error.message).toContain("optimizer 'adam'");
    expect(error.message).toContain('spare');
    expect(error.nodeId).toBe('adam');

    const none = ppo();
    none.edges = none.edges.filter((e) => !(e.to.node === 'adam' && e.to.port === 'modules'));
    const e2 = compileErrors(none).find((e) => e.code === 'unresolved' || e.code === 'missing-input');
    expect(e2?.message).toContain("'adam'");
  });

  it('an optimizer given the torsos (not the heads) still differentiates through the heads', () => {
    // Dependence on the optimised variables propagates through resource nodes (the heads).
    const graph = ppo();
    graph.edges = graph.edges.filter((e) => !(e.to.node === 'adam' && e.to.port === 'modules'));
    graph.edges.push(edge('pi_net.module', 'adam.modules'), edge('v_net.module', 'adam.modules'));
    expect(compileTemplate(graph).cones.get('adam')).toEqual(PPO_CONE);
  });

  it('reports several problems of one graph together', () => {
    const graph = ppo();
    node(graph, 'clip').type = 'policy.clipp';
    node(graph, 'adam').params.learningRate = 0.01;
    node(graph, 'gae').params.lambda = 2;
    graph.edges = graph.edges.filter((e) => !(e.to.node === 'logp' && e.to.port === 'actions'));
    let thrown: unknown;
    try {
      compileTemplate(graph);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GraphErrors);
    const errors = (thrown as GraphErrors).errors;
    expect(errors.length).toBeGreaterThanOrEqual(4);
    expect(errors.map((e) => e.code).sort()).toEqual(['invalid-param', 'missing-input', 'unknown-block', 'unknown-param']);
    expect(errors.map((e) => e.nodeId).sort()).toEqual(['adam', 'clip', 'gae', 'logp']);
    for (const e of errors) expect((thrown as GraphErrors).message).toContain(e.message);
  });
});

// ---------------------------------------------------------------------------------------------

describe('templates', () => {
  const clocksOf = (plan: Plan) => new Set([...plan.nodes.values()].map((n) => n.clock));

  it('PPO: adam differentiates logp … loss on the update clock of the minibatch loop', () => {
    const plan = compileTemplate(ppo());
    expect([...plan.cones.keys()]).toEqual(['adam']);
    expect(plan.cones.get('adam')).toEqual(PPO_CONE);
    expect(clocksOf(plan)).toEqual(new Set(['static', 'iteration', 'update:minibatch']));
    expect(plan.clockParent.get('update:minibatch')).toBe('iteration');
    for (const id of PPO_CONE) expect(plan.nodes.get(id)!.clock, id).toBe('update:minibatch');
    for (const id of ['env', 'pi_net', 'policy', 'v_net', 'value']) expect(plan.nodes.get(id)!.clock, id).toBe('static');
    for (const id of ['rollout', 'gae']) expect(plan.nodes.get(id)!.clock, id).toBe('iteration');
    expect(plan.nodes.get('minibatch')!.runsOn).toBe('iteration');
    expect(plan.resources).toEqual(plan.order.filter((id) => ['env', 'pi_net', 'policy', 'v_net', 'value'].includes(id)));
    // Topological: every edge goes forward in plan.order.
    const at = new Map(plan.order.map((id, i) => [id, i]));
    for (const e of plan.graph.edges) expect(at.get(e.from.node)!, `${e.from.node} → ${e.to.node}`).toBeLessThan(at.get(e.to.node)!);
    // The optimizer step sits inside the minibatch loop, its cone folded into it.
    const loop = plan.iteration.find((s) => s.kind === 'loop');
    expect(loop).toMatchObject({ id: 'minibatch', clock: 'update:minibatch' });
    const body = loop && loop.kind === 'loop' ? loop.body : [];
    expect(body.find((s) => s.kind === 'optimize')).toEqual({ kind: 'optimize', id: 'adam', cone: PPO_CONE });
    expect(body.some((s) => s.kind === 'node' && PPO_CONE.includes(s.id))).toBe(false);
  });

  it('the CleanRL PPO variant has the same cone and clocks', () => {
    const plan = compileTemplate(template('ppo-clip.cartpole.cleanrl'));
    expect(plan.cones.get('adam')).toEqual(PPO_CONE);
    expect(clocksOf(plan)).toEqual(new Set(['static', 'iteration', 'update:minibatch']));
  });

  it('A2C and REINFORCE have no update clock: the optimizer runs once per iteration', () => {
    for (const name of ['a2c.cartpole', 'reinforce.cartpole']) {
      const plan = compileTemplate(template(name));
      expect(clocksOf(plan), name).toEqual(new Set(['static', 'iteration']));
      expect([...plan.clockParent.keys()].some((c) => c.startsWith('update:')), name).toBe(false);
      expect(plan.cones.size, name).toBe(1);
      const cone = plan.cones.get('adam')!;
      expect(cone, name).toContain('logp');
      expect(cone, name).toContain('loss');
      expect(cone[cone.length - 1], name).toBe('loss');
      expect(plan.iteration.some((s) => s.kind === 'optimize' && s.id === 'adam'), name).toBe(true);
    }
    expect(compileTemplate(template('a2c.cartpole')).cones.get('adam')).toEqual(['entropy', 'logp', 'pg', 'value_loss', 'loss']);
    expect(compileTemplate(template('reinforce.cartpole')).cones.get('adam')).toEqual(['logp', 'pg', 'loss']);
  });
});

describe('JSON Schema', () => {
  it('is an object schema with format, version, nodes and edges', () => {
    const schema = graphJsonSchema() as {
      type?: string;
      properties?: Record<string, { const?: unknown; type?: string; items?: { properties?: Record<string, unknown> } }>;
      required?: string[];
      $id?: string;
    };
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties ?? {})).toEqual(expect.arrayContaining(['format', 'version', 'nodes', 'edges', 'meta', 'run']));
    expect(schema.properties!.format.const).toBe(GRAPH_FORMAT);
    expect(schema.properties!.version.const).toBe(GRAPH_VERSION);
    expect(schema.properties!.nodes.type).toBe('array');
    expect(Object.keys(schema.properties!.nodes.items?.properties ?? {})).toEqual(expect.arrayContaining(['id', 'type', 'params']));
    expect(schema.required).toEqual(expect.arrayContaining(['format', 'version', 'nodes', 'edges']));
    expect(schema.$id).toMatch(/^https:\/\//);
  });

  it('every template is valid against the zod schema (as stored on disk)', () => {
    for (const name of TEMPLATES) {
      const raw = JSON.parse(templateText(name)) as unknown;
      const result = graphSchema.safeParse(raw);
      expect(result.success, `${name}: ${result.success ? '' : result.error.message}`).toBe(true);
      expect((raw as { version: number }).version).toBe(GRAPH_VERSION);
    }
    expect(graphSchema.safeParse({ ...JSON.parse(templateText('a2c.cartpole')), extra: 1 }).success).toBe(false);
  });
});
