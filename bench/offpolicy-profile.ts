/**
 * Where the time of an off-policy step goes: runs a template (default td3.pendulum) past its
 * warm-up, then times every block of the step for a number of env steps by wrapping the block
 * runtimes (run, updates, optimize). Optimizer times include their gradient closure (the cone's
 * forward and backward passes) and the parameter update.
 *
 * With --kernels, the same steps run under tf.profile instead, and the time is listed per kernel
 * and input shape (where the time goes inside the blocks: matMuls, transposes, …).
 *
 *   node --import tsx bench/offpolicy-profile.ts [template] [--steps 500] [--backend wasm] [--kernels]
 */
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import type { BlockRuntime } from '../engine/block.ts';
import { loadGraph } from '../engine/graph/io.ts';
import { RunSession } from '../engine/session.ts';
import { tf } from '../engine/tf.ts';
import { templatePath } from './harness.ts';

const program = new Command()
  .argument('[template]', 'template name', 'td3.pendulum')
  .option('--steps <n>', 'env steps to profile after the warm-up', '500')
  .option('--backend <b>', 'tfjs backend', 'wasm')
  .option('--kernels', 'time per kernel and input shape (tf.profile) instead of per block')
  .parse(process.argv);
const template = program.args[0] ?? 'td3.pendulum';
const opts = program.opts<{ steps: string; backend: 'wasm' | 'cpu' | 'auto' | 'tensorflow'; kernels?: boolean }>();
const profiled = Number(opts.steps);

const graph = loadGraph(templatePath(template));
const collector = graph.nodes.find((n) => n.type === 'collect.offPolicy');
if (!collector) throw new Error(`${template} has no off-policy collector`);
const sampler = graph.nodes.find((n) => n.type === 'replay.sample');
const warmUp = Math.max(Number(sampler?.params.learningStarts ?? 1000), Number(collector.params.randomSteps ?? 0));
collector.params.stepsPerIteration = warmUp;
graph.run = { totalSteps: 10_000_000, seed: 1, backend: opts.backend };

const session = new RunSession({ graph });
await session.prepare();
// One iteration (of warm-up length) fills the buffer; the profiled ones follow, same length.
session.collect();
session.learn();

/** Env steps of whole iterations until at least `profiled`, each as the engine runs them. */
function runSteps(): number {
  let steps = 0;
  while (steps < profiled) {
    const before = session.executor.globalStep;
    session.collect();
    session.learn();
    steps += session.executor.globalStep - before;
  }
  return steps;
}

async function profileKernels(): Promise<void> {
  // tf.profile keeps a record per kernel call (~300 per step) and overflows the stack on a
  // 1,000-step iteration: profile iterations of 50 steps (the collector reads its params live).
  session.executor.plan.nodes.get(collector!.id)!.params.stepsPerIteration = 50;
  const start = performance.now();
  let steps = 0;
  const info = await tf.profile(() => {
    steps = runSteps();
  });
  const wall = performance.now() - start;
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
    const entry = byKernel.get(key) ?? { ms: 0, calls: 0 };
    entry.ms += Number(k.kernelTimeMs);
    entry.calls += 1;
    byKernel.set(key, entry);
  }
  const kernelMs = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
  process.stdout.write(`${template} on ${session.backend.name}: ${steps} env steps; kernels ${(kernelMs / steps).toFixed(2)} ms per step (wall under the profiler ${(wall / steps).toFixed(2)} ms)\n`);
  process.stdout.write('ms/step  calls/step  kernel [input shapes]\n');
  for (const [key, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
    process.stdout.write(`${(e.ms / steps).toFixed(3).padStart(7)}  ${(e.calls / steps).toFixed(2).padStart(10)}  ${key}\n`);
  }
}

function profileBlocks(): void {
  const totals = new Map<string, number>();
  const calls = new Map<string, number>();
  const add = (id: string, ms: number) => {
    totals.set(id, (totals.get(id) ?? 0) + ms);
    calls.set(id, (calls.get(id) ?? 0) + 1);
  };
  for (const [id, runtime] of session.executor.runtimes) {
    const wrap = <K extends 'run' | 'optimize'>(key: K) => {
      const original = runtime[key] as ((...args: unknown[]) => unknown) | undefined;
      if (!original) return;
      (runtime as Record<string, unknown>)[key] = (...args: unknown[]) => {
        const start = performance.now();
        try {
          return original.apply(runtime, args);
        } finally {
          add(id, performance.now() - start);
        }
      };
    };
    wrap('run');
    wrap('optimize');
    // A loop's own work happens in next(); its body runs between two calls (timed per block).
    if (runtime.updates) {
      const updates = runtime.updates.bind(runtime) as NonNullable<BlockRuntime['updates']>;
      runtime.updates = function* (inputs, tick) {
        const it = updates(inputs, tick)[Symbol.iterator]();
        for (;;) {
          const start = performance.now();
          const next = it.next();
          add(id, performance.now() - start);
          if (next.done) return;
          yield next.value;
        }
      };
    }
  }
  const start = performance.now();
  const steps = runSteps();
  const wall = performance.now() - start;
  const rows = [...totals].sort((a, b) => b[1] - a[1]);
  const accounted = rows.reduce((s, [, ms]) => s + ms, 0);
  process.stdout.write(`${template} on ${session.backend.name}: ${steps} env steps in ${(wall / 1000).toFixed(2)} s = ${((steps * 1000) / wall).toFixed(1)} steps/s (${(wall / steps).toFixed(2)} ms per step)\n`);
  process.stdout.write(`block                     ms/step   share   calls/step\n`);
  for (const [id, ms] of rows) {
    process.stdout.write(`${id.padEnd(24)} ${(ms / steps).toFixed(3).padStart(8)}  ${((100 * ms) / wall).toFixed(1).padStart(5)} %  ${((calls.get(id) ?? 0) / steps).toFixed(2).padStart(6)}\n`);
  }
  process.stdout.write(`${'(engine: schedule, inputs, uploads)'.padEnd(24)} ${((wall - accounted) / steps).toFixed(3).padStart(8)}  ${((100 * (wall - accounted)) / wall).toFixed(1).padStart(5)} %\n`);
}

if (opts.kernels) await profileKernels();
else profileBlocks();
session.dispose();
