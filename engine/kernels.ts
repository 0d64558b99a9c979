/**
 * Kernel replacements for the wasm backend (tfjs 4.22).
 *
 * Tanh: the wasm kernel evaluates libm tanh element by element, 72 µs for a 128×64 activation on
 * the CI machine, while the vectorised Sigmoid kernel takes 8 µs. tanh(x) = 2σ(2x) − 1 computed
 * with the backend's own Sigmoid, Multiply and Sub kernels gives the same values (absolute error
 * ≤ 2·10⁻⁷, float32 rounding) in about a third of the time, and stays one Tanh op on the tape, so
 * its gradient is unchanged. A PPO update runs four such activations; the rollout one per layer.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { tf } from './tf.ts';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: Float32Array): TensorInfo;
  disposeData(dataId: object): boolean;
}

let installed = false;
/** Below this many elements the stock kernel is faster (measured: break-even near 1,000). */
const SMALL = 1024;

export function installFastTanh(): void {
  if (installed) return;
  const sigmoid = tf.getKernel('Sigmoid', 'wasm');
  const multiply = tf.getKernel('Multiply', 'wasm');
  const sub = tf.getKernel('Sub', 'wasm');
  const stock = tf.getKernel('Tanh', 'wasm');
  if (!sigmoid || !multiply || !sub || !stock) return;
  installed = true;
  const constants = new WeakMap<object, { one: TensorInfo; two: TensorInfo }>();
  const kernelFunc: KernelFunc = ({ inputs, backend }) => {
    const wasm = backend as unknown as WasmBackendLike;
    let c = constants.get(wasm);
    if (!c) {
      c = {
        one: wasm.makeOutput([], 'float32', undefined, new Float32Array([1])),
        two: wasm.makeOutput([], 'float32', undefined, new Float32Array([2])),
      };
      constants.set(wasm, c);
    }
    const x = inputs.x as TensorInfo;
    // Small tensors (acting on a few envs) are dominated by per-kernel overhead: one stock call
    // beats four fast ones there.
    if (x.shape.reduce((a, b) => a * b, 1) < SMALL) return stock.kernelFunc({ inputs, backend, attrs: {} });
    const call = (k: KernelConfig, kernelInputs: Record<string, TensorInfo>) =>
      k.kernelFunc({ inputs: kernelInputs, backend, attrs: {} }) as TensorInfo;
    const twoX = call(multiply, { a: x, b: c.two });
    const s = call(sigmoid, { x: twoX });
    wasm.disposeData(twoX.dataId);
    const twoS = call(multiply, { a: s, b: c.two });
    wasm.disposeData(s.dataId);
    const y = call(sub, { a: twoS, b: c.one });
    wasm.disposeData(twoS.dataId);
    return y;
  };
  tf.unregisterKernel('Tanh', 'wasm');
  // The stock setupFunc already bound its wasm function when the backend started.
  tf.registerKernel({ kernelName: 'Tanh', backendName: 'wasm', kernelFunc });
}

interface WasmHeapBackend extends WasmBackendLike {
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Below this many elements the stock kernel's call overhead is no worse than ours. */
const SMALL_2D = 4096;

/**
 * Transpose and Sum over axis 0 of float32 matrices: the wasm Transpose kernel is a generic n-d
 * loop (0.29 ms for 256×256 on the CI machine, a third of a 256×256·256×256 matMul) and Sum over
 * axis 0 transposes first (0.29 ms). Both sit in every dense layer's backward pass (xᵀ·δ for the
 * weight gradient, W·δᵀ for the input gradient, Σ δ for the bias), three to six times per network
 * and update. A loop over the wasm heap in JS does the same copy or sum in 0.15 / 0.13 ms, with
 * identical values (a transpose moves values; the column sum adds rows in the same order).
 */
let installedMatrixKernels = false;

export function installFastMatrixKernels(): void {
  if (installedMatrixKernels) return;
  const stockTranspose = tf.getKernel('Transpose', 'wasm');
  const stockSum = tf.getKernel('Sum', 'wasm');
  if (!stockTranspose || !stockSum) return;
  installedMatrixKernels = true;

  const transpose: KernelFunc = ({ inputs, backend, attrs }) => {
    const x = inputs.x as TensorInfo;
    const perm = (attrs as { perm: number[] }).perm;
    if (x.shape.length !== 2 || x.dtype !== 'float32' || perm[0] !== 1 || x.shape[0] * x.shape[1] < SMALL_2D) {
      return stockTranspose.kernelFunc({ inputs, backend, attrs });
    }
    const wasm = backend as unknown as WasmHeapBackend;
    const [rows, cols] = x.shape;
    const out = wasm.makeOutput([cols, rows], 'float32');
    // Views after the allocation: growing the heap detaches earlier ones.
    const src = wasm.typedArrayFromHeap(x) as Float32Array;
    const dst = wasm.typedArrayFromHeap(out) as Float32Array;
    if (rows * cols <= 1 << 18) {
      // Fits in L2 (≤ 1 MB): sequential writes, strided reads (measured fastest at 256×256).
      for (let j = 0; j < cols; j++) {
        let d = j * rows;
        for (let s = j; s < rows * cols; s += cols) dst[d++] = src[s];
      }
    } else {
      const B = 8;
      for (let j0 = 0; j0 < cols; j0 += B) {
        const j1 = Math.min(j0 + B, cols);
        for (let i0 = 0; i0 < rows; i0 += B) {
          const i1 = Math.min(i0 + B, rows);
          for (let j = j0; j < j1; j++) {
            let d = j * rows + i0;
            for (let s = i0 * cols + j; s < i1 * cols; s += cols) dst[d++] = src[s];
          }
        }
      }
    }
    return out;
  };

  const sum: KernelFunc = ({ inputs, backend, attrs }) => {
    const x = inputs.x as TensorInfo;
    const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
    const axes = Array.isArray(axis) ? axis : [axis];
    const overRows = axes.length === 1 && (axes[0] === 0 || axes[0] === -2);
    if (x.shape.length !== 2 || x.dtype !== 'float32' || !overRows || x.shape[0] * x.shape[1] < SMALL_2D) {
      return stockSum.kernelFunc({ inputs, backend, attrs });
    }
    const wasm = backend as unknown as WasmHeapBackend;
    const [rows, cols] = x.shape;
    const out = wasm.makeOutput(keepDims ? [1, cols] : [cols], 'float32');
    const src = wasm.typedArrayFromHeap(x) as Float32Array;
    const dst = wasm.typedArrayFromHeap(out) as Float32Array;
    dst.fill(0);
    for (let i = 0; i < rows; i++) {
      const rowStart = i * cols;
      for (let j = 0; j < cols; j++) dst[j] += src[rowStart + j];
    }
    return out;
  };

  tf.unregisterKernel('Transpose', 'wasm');
  tf.registerKernel({ kernelName: 'Transpose', backendName: 'wasm', kernelFunc: transpose });
  tf.unregisterKernel('Sum', 'wasm');
  tf.registerKernel({ kernelName: 'Sum', backendName: 'wasm', kernelFunc: sum });
}
