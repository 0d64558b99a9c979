/**
 * Bench part: raw env steps/s of one classic-control env (bench/env-speed.ts measureEnvSpeed)
 * at each numEnvs, in a process of its own.
 *
 *   node --import tsx bench/part-env-speed.ts --env CartPole-v1 [--sizes 1,64] [--seconds 1] [--json]
 */
import { Command } from 'commander';
import { measureEnvSpeed } from './env-speed.ts';
import { emitPartResult } from './harness.ts';

export interface EnvSpeedResult {
  env: string;
  seconds: number;
  /** numEnvs → env steps per second. */
  stepsPerSecond: Record<string, number>;
}

const flags = new Command()
  .requiredOption('--env <id>', 'classic-control env id')
  .option('--sizes <list>', 'comma-separated numEnvs values', '1,64')
  .option('--seconds <s>', 'timed seconds per cell', '1')
  .option('--json', 'print one result line for bench/run.ts')
  .parse(process.argv)
  .opts<{ env: string; sizes: string; seconds: string; json?: boolean }>();

const seconds = Number(flags.seconds);
if (!(seconds > 0)) throw new Error(`--seconds must be > 0 (got ${flags.seconds})`);
const sizes = flags.sizes.split(',').map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sizes must be positive integers (got ${flags.sizes})`);

const result: EnvSpeedResult = { env: flags.env, seconds, stepsPerSecond: {} };
for (const n of sizes) result.stepsPerSecond[String(n)] = await measureEnvSpeed(flags.env, n, seconds);

if (flags.json) emitPartResult({ result, tfjsBackend: null });
for (const [n, sps] of Object.entries(result.stepsPerSecond)) {
  console.log(`${flags.env} numEnvs ${n}: ${Math.round(sps).toLocaleString('en-US')} steps/s`);
}
