/**
 * Test-wide setup: the cpu backend prints an "install tfjs-node" banner on first use in Node. Some
 * unit tests select it directly (exact float32 arithmetic); the choice is deliberate, so the
 * banner is switched off the same way engine/backend.ts does for `--backend cpu`.
 */
import '@tensorflow/tfjs-backend-wasm';
import { tf } from '../engine/tf.ts';

const previous = tf.getBackend();
await tf.setBackend('cpu');
(tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
if (previous && previous !== 'cpu') await tf.setBackend(previous);
