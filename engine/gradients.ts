/**
 * Gradient replacements for TensorFlow.js 4.22 (see shared/notes/tfjs-in-node.md).
 *
 * BatchMatMul: the stock gradient multiplies with `transposeA/transposeB`, which misses the wasm
 * backend's fast path (10–17× slower than an explicit transpose followed by a plain product).
 * The replacement is mathematically identical; it only changes which kernels compute it.
 */
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import { tf } from './tf.ts';

let installed = false;

/** Swaps the last two axes (the matrix transpose of a batch of matrices). */
function transposeLast2(x: Tensor): Tensor {
  if (x.rank === 2) return tf.transpose(x);
  const perm = [...Array(x.rank).keys()];
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return tf.transpose(x, perm);
}

export function installGradientFixes(): void {
  if (installed) return;
  installed = true;
  const stock = tf.getGradient('BatchMatMul');
  if (!stock) return;
  const config: GradConfig = {
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [a, b] = saved;
      const g = dy as Tensor;
      // Broadcast batch dimensions need the stock gradient's reductions; plain matrices do not.
      if (a.rank !== 2 || b.rank !== 2) return stock.gradFunc(dy, saved, attrs);
      const transposeA = Boolean(attrs.transposeA);
      const transposeB = Boolean(attrs.transposeB);
      const mm = (x: Tensor, y: Tensor) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D);
      if (!transposeA && !transposeB) return { a: () => mm(g, transposeLast2(b)), b: () => mm(transposeLast2(a), g) };
      if (!transposeA && transposeB) return { a: () => mm(g, b), b: () => mm(transposeLast2(g), a) };
      if (transposeA && !transposeB) return { a: () => mm(b, transposeLast2(g)), b: () => mm(a, g) };
      return { a: () => mm(transposeLast2(b), transposeLast2(g)), b: () => mm(transposeLast2(g), transposeLast2(a)) };
    },
  };
  tf.registerGradient(config);
}
