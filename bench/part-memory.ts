/**
 * Bench part: leak check of a RunSession on the main PPO-clip CartPole template. Runs
 * collect + learn iterations and records tf.memory().numTensors and process RSS after the
 * requested iterations (a full GC first when node runs with --expose-gc).
 *
 *   node --expose-gc --import tsx bench/part-memory.ts [--backend wasm] [--at 10,200] [--json]
 *
 * run.totalSteps is raised to 10M so that iteration 200 (102,400 steps) is inside the budget;
 * the linear learning-rate schedule therefore barely decays, which does not change what is
 * allocated per iteration.
 */
import { Command } from 'commander';
import { loadGraph } from '../engine/graph/io.ts';
import type { Backend } from '../engine/graph/schema.ts';
import { RunSession } from '../engine/session.ts';
import { tf } from '../engine/tf.ts';
import { emitPartResult, templatePath } from './harness.ts';
import { wasmFeatures } from './part-util.ts';

export interface MemorySample {
  iteration: number;
  step: number;
  numTensors: number;
  numBytes: number;
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
}

export interface MemoryResult {
  template: string;
  gc: boolean;
  samples: MemorySample[];
  /** Last sample minus first. */
  delta: { iterations: number; numTensors: number; rssBytes: number; heapUsedBytes: number; externalBytes: number };
}

const flags = new Command()
  .option('--backend <b>', 'auto | tensorflow | wasm | cpu', 'wasm')
  .option('--template <name>', 'template under templates/', 'ppo-clip.cartpole')
  .option('--at <list>', 'iterations after which to sample (comma-separated)', '10,200')
  .option('--json', 'print one result line for bench/run.ts')
  .parse(process.argv)
  .opts<{ backend: string; template: string; at: string; json?: boolean }>();

const at = [...new Set(flags.at.split(',').map(Number))].sort((a, b) => a - b);
if (at.length < 2 || at.some((n) => !Number.isInteger(n) || n < 1)) {
  throw new Error(`--at needs two or more positive iteration numbers (got ${flags.at})`);
}

const gc = (globalThis as { gc?: () => void }).gc;
const graph = loadGraph(templatePath(flags.template));
graph.run.backend = flags.backend as Backend;
graph.run.totalSteps = 10_000_000;
const session = new RunSession({ graph });
await session.prepare();

const samples: MemorySample[] = [];
const last = at[at.length - 1];
while (session.executor.iteration < last) {
  session.collect();
  session.learn();
  const iteration = session.executor.iteration;
  if (!at.includes(iteration)) continue;
  if (gc) {
    gc();
    gc();
  }
  const { numTensors, rssBytes } = session.memory();
  const usage = process.memoryUsage();
  samples.push({
    iteration,
    step: session.executor.globalStep,
    numTensors,
    numBytes: tf.memory().numBytes,
    rssBytes,
    heapUsedBytes: usage.heapUsed,
    externalBytes: usage.external,
    arrayBuffersBytes: usage.arrayBuffers,
  });
}
const first = samples[0];
const end = samples[samples.length - 1];
const result: MemoryResult = {
  template: flags.template,
  gc: Boolean(gc),
  samples,
  delta: {
    iterations: end.iteration - first.iteration,
    numTensors: end.numTensors - first.numTensors,
    rssBytes: end.rssBytes - first.rssBytes,
    heapUsedBytes: end.heapUsedBytes - first.heapUsedBytes,
    externalBytes: end.externalBytes - first.externalBytes,
  },
};
const tfjsBackend = tf.getBackend();
const extra = await wasmFeatures();
session.dispose();

if (flags.json) emitPartResult({ result, tfjsBackend, extra });
console.log(JSON.stringify({ backend: tfjsBackend, ...result }, null, 2));
process.exit(0);
