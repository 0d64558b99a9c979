/**
 * Direct read access to tensor memory on the backends that keep it on the host (wasm heap, cpu
 * arrays). Read-only on purpose: wasm's matMul caches packed weights by tensor id, so data must
 * never change under an existing tensor.
 *
 * Small-network optimisers are dominated by per-kernel dispatch: an Adam step over a dozen
 * variables costs ~55 kernels on wasm, ~0.3 ms, but a single JS loop over the same 10k numbers
 * takes ~30 µs. Other backends (tfjs-node, GPU) get `null` and callers use tensor ops instead.
 */
import { type Tensor, tf } from './tf.ts';

interface HostBackend {
  typedArrayFromHeap?(info: { dataId: object; shape: number[]; dtype: string }): Float32Array;
  data?: { get(dataId: object): { values?: Float32Array } | undefined };
}

/** A live view of a float32 tensor's data, or null where the backend keeps it elsewhere. */
export function hostView(t: Tensor): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const name = tf.getBackend();
  const backend = tf.backend() as unknown as HostBackend;
  if (name === 'wasm' && backend.typedArrayFromHeap) {
    // A fresh view every time: the wasm heap's ArrayBuffer is replaced when memory grows.
    return backend.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
  }
  if (name === 'cpu' && backend.data) return backend.data.get(t.dataId)?.values ?? null;
  return null;
}
