/**
 * Micro-benchmarks of the PPO hot path with the CleanRL configuration: one minibatch update
 * (forward + backward + Adam, minibatch 128) and one policy forward pass for acting.
 */
import { loadGraph } from '../engine/graph/io.ts';
import type { Backend } from '../engine/graph/schema.ts';
import { RunSession } from '../engine/session.ts';
import { type PolicyResource } from '../engine/block.ts';
import { Rng } from '../engine/rng.ts';

export interface PpoMicro {
  updateMs: number;
  collectMsPerIteration: number;
  learnMsPerIteration: number;
  policyForwardMs: { batch1: number; batch4: number };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export async function measurePpoMicro(backend: Backend, iterations = 20): Promise<PpoMicro> {
  const graph = loadGraph(new URL('../templates/ppo-clip.cartpole.cleanrl.rlgraph.json', import.meta.url).pathname);
  graph.run.backend = backend;
  graph.run.totalSteps = 10_000_000;
  const session = new RunSession({ graph });
  await session.prepare();
  const updatesPerIteration = 16; // 4 epochs × 4 minibatches
  for (let i = 0; i < 5; i++) {
    session.collect();
    session.learn();
  }
  const collect: number[] = [];
  const learn: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    session.collect();
    const t1 = performance.now();
    session.learn();
    const t2 = performance.now();
    collect.push(t1 - t0);
    learn.push(t2 - t1);
  }
  const policy = session.executor.runtimes.get('policy')!.resources!.policy as PolicyResource;
  const rng = new Rng(1);
  const forward = (n: number) => {
    const obs = new Float32Array(n * 4).fill(0.01);
    const act = new Float32Array(n);
    const logp = new Float32Array(n);
    for (let i = 0; i < 200; i++) policy.act(obs, n, rng, false, act, logp);
    const times: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = performance.now();
      policy.act(obs, n, rng, false, act, logp);
      times.push(performance.now() - t);
    }
    return median(times);
  };
  const result = {
    updateMs: median(learn) / updatesPerIteration,
    collectMsPerIteration: median(collect),
    learnMsPerIteration: median(learn),
    policyForwardMs: { batch1: forward(1), batch4: forward(4) },
  };
  session.dispose();
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const backend = (process.argv[2] ?? 'wasm') as Backend;
  console.log(JSON.stringify(await measurePpoMicro(backend), null, 2));
  process.exit(0);
}
