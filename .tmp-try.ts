import { selectBackend } from '/work/main/engine/backend.ts';
import { compile } from '/work/main/engine/compiler.ts';
import { Executor } from '/work/main/engine/executor.ts';
import { loadGraph } from '/work/main/engine/graph/io.ts';
import { blockRegistry } from '/work/main/engine/registry.ts';
import { tf } from '/work/main/engine/tf.ts';
const b = await selectBackend((process.argv[3] ?? 'wasm') as 'wasm');
const g = loadGraph(process.argv[2]);
const plan = compile(g, blockRegistry());
console.log(b, JSON.stringify(plan.iteration, null, 0), [...plan.cones]);
const ex = new Executor(plan, { seed: 1, totalSteps: g.run.totalSteps });
ex.build();
const t0 = performance.now();
let last = 0;
while (ex.globalStep < g.run.totalSteps) {
  const r = ex.runIteration();
  const rets = ex.episodeReturns.slice(-20);
  const m = rets.reduce((a, b) => a + b, 0) / Math.max(1, rets.length);
  if (r.iteration % 20 === 0) console.log(r.iteration, r.step, m.toFixed(1), ((performance.now() - t0) / 1000).toFixed(2), JSON.stringify(r.metrics), tf.memory().numTensors, r.collectSeconds.toFixed(4), r.learnSeconds.toFixed(4));
  if (m >= 475 && !last) { last = 1; console.log('REACHED 475 at', r.step, ((performance.now() - t0) / 1000).toFixed(2)); }
}
console.log('sps', ex.globalStep / ((performance.now() - t0) / 1000));
const ev = ex.evaluate(20);
console.log(ev?.episodes.map(e=>e.return).join(','));
