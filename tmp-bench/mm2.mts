import { tf } from '../engine/tf.ts';
import { selectBackend } from '../engine/backend.ts';
import { installFastMatrixKernels } from '../engine/kernels.ts';
const fast = process.argv[2] === 'fast';
await selectBackend('wasm');
if (!fast) { /* selectBackend installs; compare by re-registering stock? */ }
const a = tf.randomNormal([256, 256]); const b = tf.randomNormal([256, 256]);
function time(name: string, f: () => tf.Tensor) {
  for (let i = 0; i < 50; i++) tf.tidy(() => { f(); });
  const n = 500; const t0 = performance.now();
  for (let i = 0; i < n; i++) tf.tidy(() => { f(); });
  tf.tidy(() => f().dataSync());
  console.log(name.padEnd(34), ((performance.now() - t0) / n).toFixed(3), 'ms');
}
time('matMul', () => tf.matMul(a, b));
time('transpose', () => tf.transpose(a));
time('sum axis0', () => tf.sum(a, 0));
time('relu', () => tf.relu(a));
time('mul', () => tf.mul(a, b));
time('step', () => tf.step(a));
time('add', () => tf.add(a, b));
