/** Minimal stand-ins for the engine's BuildContext and Tick, for testing blocks one by one. */
import type { BuildContext, HostBatch, PortValue, Tick } from '../engine/block.ts';
import type { EnvSpec } from '../engine/env.ts';
import { deriveSeed, Rng } from '../engine/rng.ts';
import { type Tensor, tf } from '../engine/tf.ts';

export function makeCtx(
  nodeId: string,
  opts: {
    seed?: number;
    envSpec?: EnvSpec;
    resources?: BuildContext['resources'];
    inputSources?: BuildContext['inputSources'];
  } = {},
): BuildContext {
  const seed = opts.seed ?? 1;
  return {
    nodeId,
    tf,
    runSeed: seed,
    rng: (purpose) => new Rng(deriveSeed(seed, nodeId, purpose)),
    totalSteps: 1000,
    envSpec: opts.envSpec,
    inputSources: opts.inputSources ?? {},
    resources: opts.resources ?? {},
    log: () => {},
  };
}

/** A fresh tick per forward pass: the memo must not serve outputs computed with old weights. */
export function makeTick(progress = 0): Tick {
  const table = new Map<object, Map<string, unknown>>();
  return {
    iteration: 0,
    globalStep: 0,
    progress,
    differentiating: false,
    addSteps() {},
    reportEpisode() {},
    memo<T>(key: object, sub: string, compute: () => T): T {
      let t = table.get(key);
      if (!t) table.set(key, (t = new Map()));
      if (!t.has(sub)) t.set(sub, compute());
      return t.get(sub) as T;
    },
  };
}

export function asTensor(v: PortValue | undefined): Tensor {
  if (!(v instanceof tf.Tensor)) throw new Error('not a tensor');
  return v;
}

export function asBatch(v: PortValue | undefined): HostBatch {
  if (!v || (v as HostBatch).kind !== 'batch') throw new Error('not a batch');
  return v as HostBatch;
}
