/**
 * Raw stepping speed of the classic-control VecEnvs (no policy, no learner).
 *
 *   node --import tsx bench/env-speed.ts [seconds-per-cell]
 *
 * prints env steps/s for every env at numEnvs 1 and 64.
 */
import { pathToFileURL } from 'node:url';
import { actionSize } from '../engine/env.ts';
import { Rng } from '../engine/rng.ts';
import { CLASSIC_ENV_IDS, makeClassicEnv } from '../nodes/env/classic/index.ts';

/** Distinct pre-generated action batches, cycled through so the timed loop only steps. */
const ACTION_BATCHES = 256;

/**
 * Env steps per second (numEnvs × step calls / time) of `id` with `numEnvs` sub-envs and uniformly
 * random actions, timed over about `seconds` after a short JIT warm-up.
 */
export async function measureEnvSpeed(id: string, numEnvs: number, seconds: number): Promise<number> {
  const env = makeClassicEnv(id, numEnvs, 1);
  const spec = env.spec;
  const rng = new Rng(2);
  const width = numEnvs * actionSize(spec);
  const batches: (Int32Array | Float32Array)[] = [];
  for (let b = 0; b < ACTION_BATCHES; b++) {
    const space = spec.actionSpace;
    if (space.kind === 'discrete') {
      const a = new Int32Array(width);
      for (let j = 0; j < width; j++) a[j] = rng.int(space.n);
      batches.push(a);
    } else {
      const a = new Float32Array(width);
      const dims = space.low.length;
      for (let j = 0; j < width; j++) a[j] = rng.uniformIn(space.low[j % dims], space.high[j % dims]);
      batches.push(a);
    }
  }
  env.reset();

  // Read the clock once per chunk (~64k env steps) so timing does not dominate numEnvs = 1.
  const chunk = Math.max(1, Math.floor(65_536 / numEnvs));
  const run = (budgetMs: number): { calls: number; ms: number } => {
    let calls = 0;
    const start = performance.now();
    let now = start;
    while (now - start < budgetMs) {
      for (let c = 0; c < chunk; c++) env.step(batches[(calls + c) & (ACTION_BATCHES - 1)]);
      calls += chunk;
      now = performance.now();
    }
    return { calls, ms: now - start };
  };

  run(Math.min(300, seconds * 250)); // warm-up: let TurboFan optimise step() first
  await new Promise((r) => setImmediate(r)); // yield once, so callers' timers/logs can run
  const { calls, ms } = run(seconds * 1000);
  return (calls * numEnvs) / (ms / 1000);
}

function format(stepsPerSecond: number): string {
  return stepsPerSecond >= 1e6
    ? `${(stepsPerSecond / 1e6).toFixed(2)} M/s`
    : `${(stepsPerSecond / 1e3).toFixed(0)} k/s`;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 1);
  if (!(seconds > 0)) throw new Error(`seconds must be > 0, got ${process.argv[2]}`);
  const sizes = [1, 64];
  const idWidth = Math.max(...CLASSIC_ENV_IDS.map((id) => id.length));
  const cell = 14;
  console.log(
    `${'env'.padEnd(idWidth)} | ${sizes.map((n) => `numEnvs ${n}`.padStart(cell)).join(' | ')}`,
  );
  console.log(`${'-'.repeat(idWidth)}-|-${sizes.map(() => '-'.repeat(cell)).join('-|-')}`);
  for (const id of CLASSIC_ENV_IDS) {
    const cells: string[] = [];
    for (const n of sizes) cells.push(format(await measureEnvSpeed(id, n, seconds)).padStart(cell));
    console.log(`${id.padEnd(idWidth)} | ${cells.join(' | ')}`);
  }
  console.log(`(raw env steps per second, node ${process.version}, ${seconds}s per cell)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
