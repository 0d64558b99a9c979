/** Helpers shared by the bench parts that load TensorFlow.js. */
import { tf } from '../engine/tf.ts';

/** SIMD / threads of the wasm backend when it is the one in use (empty object otherwise). */
export async function wasmFeatures(): Promise<{ wasmSimd?: boolean; wasmThreads?: boolean }> {
  if (tf.getBackend() !== 'wasm') return {};
  try {
    return {
      wasmSimd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
      wasmThreads: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
    };
  } catch {
    return {};
  }
}
