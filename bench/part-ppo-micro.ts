/**
 * Bench part: PPO hot-path micro-benchmarks (bench/ppo-update.ts measurePpoMicro) with the
 * CleanRL configuration, in a process of its own.
 *
 *   node --import tsx bench/part-ppo-micro.ts [--backend wasm] [--iterations 20] [--json]
 */
import { Command } from 'commander';
import type { Backend } from '../engine/graph/schema.ts';
import { tf } from '../engine/tf.ts';
import { emitPartResult } from './harness.ts';
import { measurePpoMicro } from './ppo-update.ts';
import { wasmFeatures } from './part-util.ts';

const flags = new Command()
  .option('--backend <b>', 'auto | tensorflow | wasm | cpu', 'wasm')
  .option('--iterations <n>', 'timed collect+learn iterations (after 5 warm-up ones)', '20')
  .option('--json', 'print one result line for bench/run.ts')
  .parse(process.argv)
  .opts<{ backend: string; iterations: string; json?: boolean }>();

const iterations = Number(flags.iterations);
if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`--iterations must be a positive integer (got ${flags.iterations})`);

const result = { ...(await measurePpoMicro(flags.backend as Backend, iterations)), iterations };
const tfjsBackend = tf.getBackend();
const extra = { tfjsVersion: tf.version['tfjs-core'], ...(await wasmFeatures()) };

if (flags.json) emitPartResult({ result, tfjsBackend, extra });
console.log(JSON.stringify({ backend: tfjsBackend, ...extra, ...result }, null, 2));
process.exit(0);
