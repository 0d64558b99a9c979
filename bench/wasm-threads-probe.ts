/**
 * wasm backend, 1 thread vs N threads (engine/wasm-threads.ts), in Node.
 *
 *   node --import tsx bench/wasm-threads-probe.ts [--threads 2] [--rounds 3] [--quick]
 *
 * The parent starts one child process per (round, thread count), alternating 1, N, 1, N, … so that
 * load from other processes on the machine falls on both alike, and prints per-round medians, the
 * median over rounds, the load average around each child, and whether the N-thread results equal
 * the 1-thread ones. Each child selects its backend through engine/backend.ts (gradient fixes,
 * fast save, fast Tanh: the engine's real configuration) and times, after warm-up:
 * - matmul:   256×256 · 256×256 (plus reading the result)
 * - mlp f+b:  4-256-256-1 ReLU MLP, batch 256, forward + backward (tf.variableGrads of an MSE)
 * - adam:     the same network, one tf.train.adam minimize step
 * - td3:      a full TD3 update, obs 17 / act 6, 256-256 actor and twin critics, batch 256:
 *             targets with clipped noise, both critics' Adam step, the actor's Adam step, Polyak
 *             averaging of the three target networks
 * `cpu/wall` is process CPU time over wall time during the timed loop (all threads): ~1 means the
 * extra thread did not get to run.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '../engine/backend.ts';
import { tf } from '../engine/tf.ts';
import { wasmThreadCount } from '../engine/wasm-threads.ts';

interface CaseResult {
  name: string;
  reps: number;
  median: number;
  p10: number;
  p90: number;
  cpuPerWall: number;
}
interface ChildReport {
  threads: number;
  detail: string;
  cases: CaseResult[];
  /** Named float arrays that must not depend on the thread count. */
  outputs: Record<string, number[]>;
}

const args = process.argv.slice(2);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const quick = args.includes('--quick');

// ---------------------------------------------------------------------------------------------
// Child: one backend configuration.

type Params = tf.Variable[];

function dense(inp: number, out: number, seed: number): Params {
  const limit = Math.sqrt(6 / (inp + out));
  return [
    tf.variable(tf.randomUniform([inp, out], -limit, limit, 'float32', seed)),
    tf.variable(tf.randomUniform([1, out], -0.05, 0.05, 'float32', seed + 1)),
  ];
}
function mlpParams(sizes: number[], seed: number): Params {
  const ps: Params = [];
  for (let i = 0; i + 1 < sizes.length; i++) ps.push(...dense(sizes[i], sizes[i + 1], seed + 10 * i));
  return ps;
}
/** ReLU hidden layers, linear output (tanh when `squash`). */
function mlpApply(ps: Params, x: tf.Tensor2D, squash = false): tf.Tensor2D {
  let h = x;
  for (let i = 0; i < ps.length; i += 2) {
    h = tf.add(tf.matMul(h, ps[i] as tf.Tensor2D), ps[i + 1]);
    if (i + 2 < ps.length) h = tf.relu(h);
  }
  return squash ? tf.tanh(h) : h;
}

function time(name: string, reps: number, warmup: number, fn: () => void): CaseResult {
  for (let i = 0; i < warmup; i++) fn();
  const ts: number[] = [];
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  const wall = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  ts.sort((a, b) => a - b);
  const q = (p: number) => ts[Math.min(ts.length - 1, Math.floor(p * ts.length))];
  return { name, reps, median: q(0.5), p10: q(0.1), p90: q(0.9), cpuPerWall: (cpu.user + cpu.system) / 1000 / wall };
}

const flat = (ts: tf.Tensor[]) => ts.flatMap((t) => Array.from(t.dataSync()));

async function child(threads: number): Promise<ChildReport> {
  const choice = await selectBackend('wasm', { wasmThreads: threads });
  const scale = quick ? 0.2 : 1;
  const n = (k: number) => Math.max(5, Math.round(k * scale));
  const cases: CaseResult[] = [];
  const outputs: Record<string, number[]> = {};

  // matMul
  const a = tf.randomNormal([256, 256], 0, 1, 'float32', 1) as tf.Tensor2D;
  const b = tf.randomNormal([256, 256], 0, 1, 'float32', 2) as tf.Tensor2D;
  cases.push(
    time('matmul 256x256x256', n(500), 30, () => {
      // (Not returned from tidy: tidy would walk the 65,536-element array looking for tensors.)
      tf.tidy(() => {
        tf.matMul(a, b).dataSync();
      });
    }),
  );
  outputs.matmul = Array.from(tf.tidy(() => tf.matMul(a, b).dataSync()));

  // MLP forward + backward, and an Adam step.
  const batch = 256;
  const x = tf.randomNormal([batch, 4], 0, 1, 'float32', 3) as tf.Tensor2D;
  const y = tf.randomNormal([batch, 1], 0, 1, 'float32', 4) as tf.Tensor2D;
  const q = mlpParams([4, 256, 256, 1], 100);
  const loss = () => tf.mean(tf.square(tf.sub(mlpApply(q, x), y))) as tf.Scalar;
  const fb = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, q);
      value.dataSync();
      return Object.values(grads);
    });
  cases.push(
    time('mlp 4-256-256-1 fwd+bwd b256', n(300), 20, () => {
      tf.dispose(fb());
    }),
  );
  const g = fb();
  outputs.mlpGrads = flat(g);
  tf.dispose(g);
  const adam = tf.train.adam(1e-3);
  const adamStep = () => {
    const l = adam.minimize(loss, true, q);
    l?.dataSync();
    l?.dispose();
  };
  cases.push(time('adam step 4-256-256-1 b256', n(300), 20, adamStep));
  outputs.adamParams = flat(q);

  // TD3.
  const obs = 17;
  const act = 6;
  const actor = mlpParams([obs, 256, 256, act], 200);
  const q1 = mlpParams([obs + act, 256, 256, 1], 300);
  const q2 = mlpParams([obs + act, 256, 256, 1], 400);
  const copy = (ps: Params) => ps.map((p) => tf.variable(p.clone()));
  const [actorT, q1T, q2T] = [copy(actor), copy(q1), copy(q2)];
  const s = tf.randomNormal([batch, obs], 0, 1, 'float32', 5) as tf.Tensor2D;
  const s2 = tf.randomNormal([batch, obs], 0, 1, 'float32', 6) as tf.Tensor2D;
  const aB = tf.randomUniform([batch, act], -1, 1, 'float32', 7) as tf.Tensor2D;
  const r = tf.randomNormal([batch, 1], 0, 1, 'float32', 8) as tf.Tensor2D;
  const done = tf.cast(tf.less(tf.randomUniform([batch, 1], 0, 1, 'float32', 9), 0.01), 'float32') as tf.Tensor2D;
  const noise = tf.clipByValue(tf.randomNormal([batch, act], 0, 0.2, 'float32', 10), -0.5, 0.5) as tf.Tensor2D;
  const criticOpt = tf.train.adam(3e-4);
  const actorOpt = tf.train.adam(3e-4);
  const gamma = 0.99;
  const tau = 0.005;
  const polyak = (target: Params, source: Params) => {
    for (let i = 0; i < target.length; i++) {
      target[i].assign(tf.tidy(() => tf.add(tf.mul(source[i], tau), tf.mul(target[i], 1 - tau))));
    }
  };
  const td3Step = () => {
    const yTarget = tf.tidy(() => {
      const a2 = tf.clipByValue(tf.add(mlpApply(actorT, s2, true), noise), -1, 1);
      const sa2 = tf.concat([s2, a2], 1) as tf.Tensor2D;
      const qT = tf.minimum(mlpApply(q1T, sa2), mlpApply(q2T, sa2));
      return tf.add(r, tf.mul(tf.mul(tf.sub(1, done), gamma), qT));
    });
    const sa = tf.concat([s, aB], 1) as tf.Tensor2D;
    const lc = criticOpt.minimize(
      () => tf.add(tf.mean(tf.square(tf.sub(mlpApply(q1, sa), yTarget))), tf.mean(tf.square(tf.sub(mlpApply(q2, sa), yTarget)))) as tf.Scalar,
      true,
      [...q1, ...q2],
    );
    const la = actorOpt.minimize(() => tf.neg(tf.mean(mlpApply(q1, tf.concat([s, mlpApply(actor, s, true)], 1) as tf.Tensor2D))) as tf.Scalar, true, actor);
    polyak(actorT, actor);
    polyak(q1T, q1);
    polyak(q2T, q2);
    lc?.dataSync();
    la?.dataSync();
    tf.dispose([yTarget, sa, ...(lc ? [lc] : []), ...(la ? [la] : [])]);
  };
  cases.push(time('td3 update 256-256 b256', n(80), 8, td3Step));
  outputs.td3Params = flat([...actor, ...q1, ...q2, ...actorT]);

  return { threads: wasmThreadCount(), detail: choice.detail, cases, outputs };
}

// ---------------------------------------------------------------------------------------------
// Parent: alternate child runs and compare.

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function compare(a: Record<string, number[]>, b: Record<string, number[]>): string[] {
  const lines: string[] = [];
  for (const key of Object.keys(a)) {
    const x = a[key];
    const y = b[key] ?? [];
    let maxAbs = 0;
    let maxRel = 0;
    let bitEqual = x.length === y.length;
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs(x[i] - y[i]);
      if (!(d === 0)) bitEqual = false;
      maxAbs = Math.max(maxAbs, Number.isNaN(d) ? Infinity : d);
      maxRel = Math.max(maxRel, d / Math.max(1e-6, Math.abs(x[i])));
    }
    lines.push(`  ${key.padEnd(11)} n=${x.length}  ${bitEqual ? 'bit-identical' : `max |Δ| ${maxAbs.toExponential(2)}, max rel ${maxRel.toExponential(2)}`}`);
  }
  return lines;
}

function parent(): void {
  const threads = Number(opt('threads', '2'));
  const rounds = Number(opt('rounds', quick ? '1' : '3'));
  const self = fileURLToPath(import.meta.url);
  const runs: Record<number, ChildReport[]> = { 1: [], [threads]: [] };
  console.log(`wasm threads probe: 1 vs ${threads} threads, ${rounds} round(s); cores ${availableParallelism()}, loadavg ${loadavg()}`);
  for (let round = 0; round < rounds; round++) {
    for (const t of [1, threads]) {
      const before = loadavg();
      const res = spawnSync(process.execPath, [...process.execArgv, self, '--child', '--threads', String(t), ...(quick ? ['--quick'] : [])], {
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
        timeout: 600_000,
      });
      if (res.status !== 0) {
        console.error(res.stderr);
        throw new Error(`child (${t} threads) exited with ${res.status ?? res.signal}`);
      }
      const line = res.stdout.trim().split('\n').at(-1) ?? '';
      const report = JSON.parse(line) as ChildReport;
      runs[t].push(report);
      const warn = res.stderr.trim();
      console.log(
        `round ${round + 1}, asked ${t}: ${report.threads} thread(s) [${report.detail}]  load ${before} -> ${loadavg()}` + (warn ? `\n  stderr: ${warn}` : ''),
      );
      for (const c of report.cases) {
        console.log(
          `  ${c.name.padEnd(30)} median ${c.median.toFixed(3)} ms  p10 ${c.p10.toFixed(3)}  p90 ${c.p90.toFixed(3)}  cpu/wall ${c.cpuPerWall.toFixed(2)}  (${c.reps} reps)`,
        );
      }
    }
  }
  console.log(`\nmedian of per-round medians (ms):`);
  const names = runs[1][0].cases.map((c) => c.name);
  for (const name of names) {
    const m1 = median(runs[1].map((r) => r.cases.find((c) => c.name === name)!.median));
    const mt = median(runs[threads].map((r) => r.cases.find((c) => c.name === name)!.median));
    console.log(`  ${name.padEnd(30)} 1 thread ${m1.toFixed(3)}   ${threads} threads ${mt.toFixed(3)}   speed-up ×${(m1 / mt).toFixed(2)}`);
  }
  console.log(`\n${threads}-thread results vs 1-thread (same inputs, same initial weights):`);
  for (const l of compare(runs[1][0].outputs, runs[threads][0].outputs)) console.log(l);
  console.log(`loadavg at end ${loadavg()}`);
}

if (args.includes('--child')) {
  const report = await child(Number(opt('threads', '1')));
  process.stdout.write(`${JSON.stringify(report)}\n`);
} else {
  parent();
}
