import { loadGraph } from '../engine/graph/io.ts';
import { RunSession } from '../engine/session.ts';
import { templatePath } from '../bench/harness.ts';
import { tf } from '../engine/tf.ts';
const graph = loadGraph(templatePath(process.argv[2] ?? 'td3.pendulum'));
const c = graph.nodes.find((n) => n.type === 'collect.offPolicy')!;
c.params.stepsPerIteration = 1000;
graph.run = { totalSteps: 1e7, seed: 1, backend: 'wasm' };
const s = new RunSession({ graph });
await s.prepare();
s.collect(); s.learn();
c.params.stepsPerIteration = 50;
(s.executor.plan.nodes.get(c.id)!.params as any).stepsPerIteration = 50;
const info = await tf.profile(() => { s.collect(); s.learn(); });
const agg = new Map<string, [number, number]>();
for (const k of info.kernels) {
  const key = k.name + ' ' + JSON.stringify(k.inputShapes);
  const e = agg.get(key) ?? [0, 0]; e[0] += Number(k.kernelTimeMs); e[1]++; agg.set(key, e);
}
const total = [...agg.values()].reduce((a, b) => a + b[0], 0);
console.log('total kernel ms', total.toFixed(1));
for (const [k, [t, n]] of [...agg].sort((a, b) => b[1][0] - a[1][0]).slice(0, 30)) console.log(t.toFixed(1).padStart(8), String(n).padStart(6), k);
