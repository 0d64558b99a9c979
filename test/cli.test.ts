/**
 * The `rlc` command line, end to end (spawned): exit codes (0 done, 1 failure while running,
 * 2 invalid graph or arguments), messages without stack traces, the run folder contract, Ctrl-C and
 * --resume, the block catalogue and the JSON Schema.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphEdge, GraphFile } from '../engine/graph/schema.ts';
import { loadGraph } from '../engine/graph/io.ts';
import { PORT_TYPES } from '../engine/ports.ts';
import { ROOT, rlc, tempDir, template } from './helpers.ts';

type Result = { code: number | null; stdout: string; stderr: string };

/** Like helpers' rlc(), but async so that independent invocations run side by side. */
function rlcAsync(args: string[], timeoutMs = 60_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/rlc.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rlc ${args.join(' ')} timed out\n${stderr.slice(0, 2000)}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const TEMPLATES = ['ppo-clip.cartpole', 'ppo-clip.cartpole.cleanrl', 'a2c.cartpole', 'reinforce.cartpole'];
const PPO = 'templates/ppo-clip.cartpole.rlgraph.json';
/** Env steps per PPO iteration: numEnvs × rollout steps, read from the template. */
const PPO_ITERATION_STEPS = (() => {
  const graph = template('ppo-clip.cartpole');
  const param = (id: string, name: string) => graph.nodes.find((n) => n.id === id)!.params[name] as number;
  return param('env', 'numEnvs') * param('rollout', 'steps');
})();

/** A user error: short, to the point, no stack trace, none of tfjs-wasm's source dump. */
function expectCleanError(r: Result, code: number): void {
  expect(r.code, `exit code; stderr: ${r.stderr.slice(0, 500)}`).toBe(code);
  expect(r.stderr.length, r.stderr.slice(0, 500)).toBeLessThan(2_000);
  expect(r.stderr).toMatch(/^error: /m);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/\.ts:\d+:\d+/);
  expect(r.stdout.length).toBeLessThan(2_000);
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? [p + '/', ...walk(p)] : [p];
  });
}

function expectNoFiles(dir: string): void {
  if (existsSync(dir)) expect(walk(dir)).toEqual([]);
}

function expectNoTmp(dir: string): void {
  expect(walk(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${line.slice(0, 200)}`);
      }
    });
}

function readJsonl(path: string): Record<string, unknown>[] {
  const text = readFileSync(path, 'utf8');
  if (text !== '') expect(text.endsWith('\n'), 'metrics.jsonl ends with a complete line').toBe(true);
  return jsonLines(text);
}

function edge(from: string, to: string, field?: string): GraphEdge {
  const [fn, fp] = from.split('.');
  const [tn, tp] = to.split('.');
  return { from: field ? { node: fn, port: fp, field } : { node: fn, port: fp }, to: { node: tn, port: tp } };
}

function dropEdge(graph: GraphFile, e: GraphEdge): GraphFile {
  const index = graph.edges.findIndex((x) => JSON.stringify(x) === JSON.stringify(e));
  expect(index).toBeGreaterThanOrEqual(0);
  graph.edges.splice(index, 1);
  return graph;
}

function setNode(graph: GraphFile, id: string, change: (n: GraphFile['nodes'][number]) => void): GraphFile {
  change(graph.nodes.find((n) => n.id === id)!);
  return graph;
}

const ppo = () => template('ppo-clip.cartpole');

interface BadCase {
  name: string;
  graph: () => GraphFile;
  /** Every pattern must appear in the error output. */
  message: RegExp[];
}

const BAD_CASES: BadCase[] = [
  {
    name: 'unknown block',
    graph: () => setNode(ppo(), 'clip', (n) => (n.type = 'policy.clipp')),
    message: [/node 'clip'/, /unknown block type 'policy\.clipp'/],
  },
  {
    name: 'unknown param',
    graph: () => setNode(ppo(), 'adam', (n) => (n.params.learningRate = 0.01)),
    message: [/node 'adam'/, /unknown param 'learningRate'/, /\blr\b/, /maxGradNorm/],
  },
  {
    name: 'out-of-range param',
    graph: () => setNode(ppo(), 'clip', (n) => (n.params.epsilon = 1.5)),
    message: [/node 'clip'/, /'epsilon'/, /1\.5/, /≤ 1/],
  },
  {
    name: 'wrong port type',
    graph: () => {
      const g = dropEdge(ppo(), edge('minibatch.batch', 'logp.obs', 'obs'));
      g.edges.push(edge('env.env', 'logp.obs'));
      return g;
    },
    message: [/'env\.env'/, /'logp\.obs'/, /\bEnv\b/, /\bTensor\b/],
  },
  {
    name: 'missing required input',
    graph: () => dropEdge(ppo(), edge('minibatch.batch', 'logp.actions', 'act')),
    message: [/node 'logp'/, /required input 'actions'/],
  },
  {
    name: 'cycle',
    graph: () => {
      const g = dropEdge(ppo(), edge('minibatch.batch', 'adv_norm.x', 'adv'));
      g.edges.push(edge('loss.loss', 'adv_norm.x'));
      return g;
    },
    message: [/cycle/, /adv_norm/, /surrogate/, /\bloss\b/],
  },
];

describe('rlc validate', () => {
  it('accepts every template (exit 0) and prints the plan', async () => {
    const results = await Promise.all(TEMPLATES.map((name) => rlcAsync(['validate', `templates/${name}.rlgraph.json`])));
    results.forEach((r, i) => {
      expect(r.code, `${TEMPLATES[i]}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('valid');
      expect(r.stdout).toMatch(/differentiates: adam ← \[/);
      expect(r.stderr).toBe('');
    });
    expect(results[0].stdout).toContain('differentiates: adam ← [entropy, logp, ratio, clip, surrogate, value_loss, loss]');
    expect(results[0].stdout).toMatch(/clocks: static, iteration, update:minibatch/);

    const json = rlc(['validate', PPO, '--json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    const ppoGraph = ppo();
    expect(report).toMatchObject({ valid: true, nodes: ppoGraph.nodes.length, edges: ppoGraph.edges.length, cones: { adam: ['entropy', 'logp', 'ratio', 'clip', 'surrogate', 'value_loss', 'loss'] } });
  });

  it('malformed JSON → exit 2 with the file and the problem', () => {
    const dir = tempDir();
    const file = join(dir, 'broken.rlgraph.json');
    writeFileSync(file, readFileSync(join(ROOT, PPO), 'utf8').replace('"version": 1,', '"version": 1'));
    const r = rlc(['validate', file]);
    expectCleanError(r, 2);
    expect(r.stderr).toContain('broken.rlgraph.json');
    expect(r.stderr).toMatch(/not valid JSON/);
    expect(r.stderr).toMatch(/position \d+|line \d+/);

    const missing = rlc(['validate', join(dir, 'nope.rlgraph.json')]);
    expectCleanError(missing, 2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.rlgraph\.json/);
  });

  it('reports a problem as a JSON event with --json', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.rlgraph.json');
    writeFileSync(file, JSON.stringify(BAD_CASES[2].graph()));
    const r = rlc(['validate', file, '--json']);
    expect(r.code).toBe(2);
    const events = jsonLines(r.stdout);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'error', code: 'invalid-param', node: 'clip' });
  });

  for (const bad of BAD_CASES) {
    it(`${bad.name}: validate and run both exit 2, name the culprit, write nothing`, async () => {
      const dir = tempDir();
      const file = join(dir, 'bad.rlgraph.json');
      writeFileSync(file, JSON.stringify(bad.graph(), null, 2));
      const out = join(dir, 'run');
      const [validate, run] = await Promise.all([rlcAsync(['validate', file]), rlcAsync(['run', file, '--out', out, '--backend', 'wasm'])]);
      for (const r of [validate, run]) {
        expectCleanError(r, 2);
        for (const pattern of bad.message) expect(r.stderr).toMatch(pattern);
      }
      expectNoFiles(out);
      expect(readdirSync(dir).filter((f) => f !== 'run')).toEqual(['bad.rlgraph.json']);
    });
  }
});

describe('rlc validate agrees with rlc run', () => {
  it('a loss weight keyed to a term that is not connected is an invalid graph (exit 2, nothing written)', async () => {
    // The check runs in the compiler, so validate and run agree and nothing is written.
    const dir = tempDir();
    const file = join(dir, 'ghost.rlgraph.json');
    const graph = setNode(ppo(), 'loss', (n) => ((n.params.weights as Record<string, number>).ghost = 1));
    writeFileSync(file, JSON.stringify(graph, null, 2));
    const out = join(dir, 'run');
    const [validate, run] = await Promise.all([rlcAsync(['validate', file]), rlcAsync(['run', file, '--out', out, '--backend', 'wasm'])]);
    for (const r of [run, validate]) {
      expectCleanError(r, 2);
      expect(r.stderr).toMatch(/'loss'/);
      expect(r.stderr).toMatch(/ghost/);
    }
    expectNoFiles(out);
  });
});

describe('rlc run: bad arguments', () => {
  const cases: { args: string[]; message: RegExp[] }[] = [
    { args: ['--backend', 'nope'], message: [/--backend/, /auto, tensorflow, wasm, cpu/, /'nope'/] },
    { args: ['--steps', '-5'], message: [/--steps/, /-5/] },
    { args: ['--steps', '0'], message: [/--steps must be positive/] },
    { args: ['--set', 'nosuchnode.x=1'], message: [/no node 'nosuchnode'/] },
    { args: ['--set', 'clip.epsilon=7'], message: [/node 'clip'/, /'epsilon'/, /\b7\b/, /≤ 1/] },
    { args: ['--set', 'clip.nosuch=1'], message: [/node 'clip'/, /no param 'nosuch'/] },
    { args: ['--set', 'garbage'], message: [/--set expects node\.param=value/] },
  ];
  it('exit 2 with a clear message and no run folder', async () => {
    const dir = tempDir();
    const results = await Promise.all(cases.map((c, i) => rlcAsync(['run', PPO, '--out', join(dir, `out${i}`), ...c.args])));
    results.forEach((r, i) => {
      expectCleanError(r, 2);
      for (const pattern of cases[i].message) expect(r.stderr, cases[i].args.join(' ')).toMatch(pattern);
    });
    cases.forEach((_, i) => expectNoFiles(join(dir, `out${i}`)));
    const noFile = rlc(['run', '--out', join(dir, 'x')]);
    expectCleanError(noFile, 2);
    expect(noFile.stderr).toMatch(/graph file/);
    const notRun = rlc(['run', '--resume', dir]);
    expectCleanError(notRun, 2);
    expect(notRun.stderr).toMatch(/not a run folder/);
  });
});

describe('rlc run', () => {
  it('trains PPO for 2048 steps on wasm and writes the run folder contract', () => {
    const out = join(tempDir(), 'run');
    const r = rlc(['run', PPO, '--steps', '2048', '--backend', 'wasm', '--out', out, '--json']);
    expect(r.code, r.stderr.slice(0, 2000)).toBe(0);
    expect(r.stderr.length).toBeLessThan(2_000);

    const events = jsonLines(r.stdout);
    const ofType = (t: string) => events.filter((e) => e.type === t);
    const metrics = ofType('metrics');
    const progress = ofType('progress');
    const summaries = ofType('summary');
    expect(metrics).toHaveLength(2048 / PPO_ITERATION_STEPS);
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress.at(-1)).toMatchObject({ step: 2048, totalSteps: 2048 });
    expect(summaries).toHaveLength(1);
    expect(ofType('error')).toEqual([]);
    expect(ofType('state').at(-1)).toEqual({ type: 'state', state: 'done' });

    const graph = loadGraph(join(out, 'graph.rlgraph.json'));
    expect(graph.run.totalSteps).toBe(2048);
    expect(graph.run.backend).toBe('wasm');

    const rows = readJsonl(join(out, 'metrics.jsonl'));
    expect(rows).toHaveLength(2048 / PPO_ITERATION_STEPS);
    rows.forEach((row, i) => {
      expect(row.iteration).toBe(i + 1);
      expect(row.step).toBe(PPO_ITERATION_STEPS * (i + 1));
      expect(row.wallSeconds).toEqual(expect.any(Number));
      expect(row.stepsPerSecond).toEqual(expect.any(Number));
      expect(row.stepsPerSecond as number).toBeGreaterThan(0);
      expect(row.returnMean).toEqual(expect.any(Number));
      expect(row).toHaveProperty('surrogate.objective');
    });
    for (let i = 1; i < rows.length; i++) expect(rows[i].wallSeconds as number).toBeGreaterThanOrEqual(rows[i - 1].wallSeconds as number);
    expect(metrics.map(({ type: _type, ...row }) => row)).toEqual(rows);

    const csv = readFileSync(join(out, 'metrics.csv'), 'utf8').trimEnd().split('\n');
    const header = csv[0].split(',');
    expect(header).toEqual(expect.arrayContaining(['iteration', 'step', 'wallSeconds', 'returnMean', 'stepsPerSecond']));
    expect(csv).toHaveLength(rows.length + 1);
    const stepColumn = header.indexOf('step');
    expect(csv.slice(1).map((line) => Number(line.split(',')[stepColumn]))).toEqual(rows.map((row) => row.step));
    for (const line of csv.slice(1)) expect(line.split(',')).toHaveLength(header.length);

    const checkpoints = readdirSync(join(out, 'checkpoints'));
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    for (const c of checkpoints) expect(c).toMatch(/^ckpt-\d+\.json$/);
    const latest = JSON.parse(readFileSync(join(out, 'checkpoints', checkpoints.sort().at(-1)!), 'utf8'));
    expect(latest).toMatchObject({ format: 'rl-composer/checkpoint', iteration: 2048 / PPO_ITERATION_STEPS, globalStep: 2048 });

    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.template).toBe('ppo-clip.cartpole');
    expect(summary.seed).toBe(1);
    expect(summary.backend).toBe('wasm');
    expect(summary.steps).toBe(2048);
    expect(summary.wallSeconds).toEqual(expect.any(Number));
    expect(summary.wallSeconds).toBeGreaterThan(0);
    expect(summary.stepsPerSecond).toEqual(expect.any(Number));
    expect(summary.stepsPerSecond).toBeGreaterThan(0);
    expect(Number.isInteger(summary.episodes)).toBe(true);
    expect(summary.episodes).toBe(rows.at(-1)!.episodes);
    expect(summary.meanReturnLast20).toEqual(expect.any(Number));
    expect(summary.meanReturnLast20).toBe(rows.at(-1)!.returnMeanLast20);
    expect(Object.keys(summary.eval).sort()).toEqual(['episodes', 'meanReturn', 'stdReturn']);
    expect(summary.eval.episodes).toBe(20);
    expect(summary.eval.meanReturn).toEqual(expect.any(Number));
    expect(summary.eval.meanReturn).toBeGreaterThanOrEqual(5); // CartPole pays 1 per step; no episode is that short
    expect(summary.eval.stdReturn).toEqual(expect.any(Number));
    expect(summary.eval.stdReturn).toBeGreaterThanOrEqual(0);
    expect(Object.keys(summary.firstStepReaching)).toEqual(['475']);
    const reached = summary.firstStepReaching['475'];
    expect(reached === null || typeof reached === 'number').toBe(true);
    expect(summary.interrupted ?? false).toBe(false);
    const { type: _type, ...eventSummary } = summaries[0];
    expect(eventSummary).toEqual(summary);

    expect(readdirSync(out).sort()).toEqual(['checkpoints', 'graph.rlgraph.json', 'metrics.csv', 'metrics.jsonl', 'summary.json']);
    expectNoTmp(out);
  });

  it('a non-finite loss stops the run: exit 1, names the block, leaves only complete lines', () => {
    const out = join(tempDir(), 'run');
    const r = rlc(['run', PPO, '--steps', '2048', '--backend', 'wasm', '--out', out, '--set', 'loss.weights.value_loss=1e38']);
    expectCleanError(r, 1);
    expect(r.stderr).toMatch(/block 'loss'/);
    expect(r.stderr).toMatch(/NaN|Inf/);
    expect(r.stderr).toContain(out);
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
    readJsonl(join(out, 'metrics.jsonl'));
    // The graph as run records the override.
    expect(loadGraph(join(out, 'graph.rlgraph.json')).nodes.find((n) => n.id === 'loss')!.params.weights).toMatchObject({ value_loss: 1e38 });
    expectNoTmp(out);

    const json = rlc(['run', PPO, '--steps', '2048', '--backend', 'wasm', '--out', join(tempDir(), 'run'), '--json', '--set', 'loss.weights.value_loss=1e38']);
    expect(json.code).toBe(1);
    const errors = jsonLines(json.stdout).filter((e) => e.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'non-finite', nodeId: 'loss' });
    expect(json.stderr.length).toBeLessThan(2_000);
  });

  it('Ctrl-C writes a checkpoint and an interrupted summary; --resume continues without gaps', async () => {
    const out = join(tempDir(), 'run');
    const child = spawn(process.execPath, [join(ROOT, 'bin/rlc.js'), 'run', PPO, '--steps', '200000', '--backend', 'wasm', '--out', out, '--json'], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interruptedAt = 0;
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve, reject) => {
      const guard = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`no exit within the time limit; stderr: ${stderr.slice(0, 1000)}`));
      }, 60_000);
      child.on('close', (code) => {
        clearTimeout(guard);
        resolve(code);
      });
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!interruptedAt && stdout.includes('"type":"metrics"')) {
        interruptedAt = Date.now();
        child.kill('SIGINT');
      }
    });
    const code = await exited;
    expect(interruptedAt, 'saw a metrics event').toBeGreaterThan(0);
    expect(Date.now() - interruptedAt).toBeLessThan(15_000);
    expect(code, stderr.slice(0, 1000)).toBe(0);
    expect(stderr.length).toBeLessThan(2_000);

    const events = jsonLines(stdout);
    const stopped = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(stopped.interrupted).toBe(true);
    expect(stopped.steps).toBeLessThan(200_000);
    expect(stopped.steps).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'summary')).toHaveLength(1);
    const checkpoints = readdirSync(join(out, 'checkpoints')).filter((f) => /^ckpt-\d+\.json$/.test(f));
    expect(checkpoints.length).toBeGreaterThanOrEqual(1);
    const ckpt = JSON.parse(readFileSync(join(out, 'checkpoints', checkpoints.sort().at(-1)!), 'utf8'));
    expect(ckpt.globalStep).toBe(stopped.steps);
    const stoppedIterations = events.filter((e) => e.type === 'metrics').length;
    expect(ckpt.iteration).toBe(stoppedIterations);
    expect(ckpt.iteration, 'stopped well before the resumed budget').toBeLessThan(12);
    expectNoTmp(out);

    const resumed = await rlcAsync(['run', '--resume', out, '--steps', '6144', '--json']);
    expect(resumed.code, resumed.stderr.slice(0, 2000)).toBe(0);
    expect(resumed.stderr.length).toBeLessThan(2_000);
    const resumedEvents = jsonLines(resumed.stdout);
    const firstMetrics = resumedEvents.find((e) => e.type === 'metrics');
    expect(firstMetrics?.iteration, 'continues after the checkpoint').toBe(ckpt.iteration + 1);
    const summary = resumedEvents.find((e) => e.type === 'summary')!;
    expect(summary.steps as number).toBeGreaterThanOrEqual(6144);
    const final = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(final.steps).toBeGreaterThanOrEqual(6144);
    expect(final.interrupted ?? false).toBe(false);
    expect(final.backend).toBe('wasm');

    const rows = readJsonl(join(out, 'metrics.jsonl'));
    const iterations = rows.map((row) => row.iteration as number);
    expect(iterations).toEqual(iterations.map((_, i) => i + 1));
    expect(rows.map((row) => row.step)).toEqual(iterations.map((i) => i * PPO_ITERATION_STEPS));
    expect(rows.at(-1)!.step).toBe(final.steps);
    const csv = readFileSync(join(out, 'metrics.csv'), 'utf8').trimEnd().split('\n');
    expect(csv).toHaveLength(rows.length + 1);
    expectNoTmp(out);
  });
});

describe('rlc blocks / schema', () => {
  it('blocks --json: the catalogue with docs, params and typed ports', () => {
    const r = rlc(['blocks', '--json']);
    expect(r.code).toBe(0);
    const blocks = JSON.parse(r.stdout) as {
      type: string;
      category: string;
      title: string;
      doc: { summary: string; formula?: string; reference?: string };
      params: Record<string, { help: string; default: unknown }>;
      inputs: { name: string; type: string }[];
      outputs: { name: string; type: string }[];
    }[];
    expect(Array.isArray(blocks)).toBe(true);
    const types = blocks.map((b) => b.type);
    expect(new Set(types).size).toBe(types.length);
    for (const required of ['env.classic', 'collect.rollout', 'adv.gae', 'policy.clip', 'loss.surrogate', 'opt.adam', 'loop.minibatch', 'sink.metrics']) {
      expect(types).toContain(required);
    }
    for (const b of blocks) {
      expect(b.type, b.type).toMatch(/^[a-z]+\.\S+$/);
      expect(b.category, b.type).toEqual(expect.any(String));
      expect(b.category.length, b.type).toBeGreaterThan(0);
      expect(b.title.length, b.type).toBeGreaterThan(0);
      expect(b.doc.summary.length, b.type).toBeGreaterThan(10);
      expect(Boolean(b.doc.formula) || Boolean(b.doc.reference), `${b.type} has a formula or reference`).toBe(true);
      for (const [name, p] of Object.entries(b.params)) {
        expect(typeof p.help === 'string' && p.help.length > 0, `${b.type}.${name} help`).toBe(true);
        expect(p.default, `${b.type}.${name} default`).not.toBeUndefined();
      }
      for (const port of [...b.inputs, ...b.outputs]) {
        expect(PORT_TYPES as readonly string[], `${b.type}.${port.name}`).toContain(port.type);
      }
    }
    const clip = blocks.find((b) => b.type === 'policy.clip')!;
    expect(clip.params.epsilon.default).toBe(0.2);
    expect(clip.inputs.map((p) => p.name)).toEqual(['ratio']);

    const text = rlc(['blocks']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('policy.clip');
  });

  it('schema prints the JSON Schema of graph files', () => {
    const r = rlc(['schema']);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema).toHaveProperty('properties');
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['format', 'version', 'nodes', 'edges']));
    expect(schema.type).toBe('object');
  });
});

describe('run folders', () => {
  it('refuses to overwrite an earlier run unless --force, and --force starts clean', () => {
    const out = join(tempDir(), 'run');
    expect(rlc(['run', PPO, '--steps', '300', '--backend', 'wasm', '--out', out, '--json']).code).toBe(0);
    const again = rlc(['run', PPO, '--steps', '300', '--backend', 'wasm', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds a run: continue it with --resume .*--force/);
    const forced = rlc(['run', PPO, '--steps', '300', '--backend', 'wasm', '--out', out, '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(readdirSync(join(out, 'checkpoints'))).toHaveLength(1);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  const tfjsNodeInstalled = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'].some((pkg) => existsSync(join(ROOT, 'node_modules', pkg)));
  it.runIf(!tfjsNodeInstalled)('a backend that is not installed is an argument error (exit 2) and writes nothing', () => {
    const out = join(tempDir(), 'run');
    const r = rlc(['run', PPO, '--steps', '300', '--backend', 'tensorflow', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs @tensorflow\/tfjs-node/);
    expect(existsSync(out)).toBe(false);
  });
});
