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
  installBinaryGradients();
  installReductionGradients();
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

/** The parts of the tfjs Engine this module touches (internal API, pinned tfjs 4.22). */
interface EngineInternals {
  state: { gradientDepth: number };
  backend: { incRef?: (dataId: object) => void };
  nextTensorId(): number;
  incRef(tensor: Tensor, backend: unknown): void;
  keep<T extends Tensor>(tensor: T): T;
  saveTensorsForBackwardMode(tensors: Tensor[]): Tensor[];
}

let fastSaveInstalled = false;

/**
 * Tensors an op saves for its backward pass are cloned with an Identity kernel plus a tape node of
 * its own, about a quarter of all kernels in a PPO update. For first-order gradients a reference-
 * counted alias of the same data is equivalent (saved tensors are never mutated) and costs no
 * kernel. Nested (second-order) gradients keep the stock clone: its tape node is what carries the
 * derivative through saved inputs.
 */
export function installFastSave(): void {
  if (fastSaveInstalled) return;
  const engine = tf.engine() as unknown as EngineInternals;
  const stock = engine.saveTensorsForBackwardMode.bind(engine);
  if (typeof engine.nextTensorId !== 'function' || typeof engine.incRef !== 'function') return;
  fastSaveInstalled = true;
  engine.saveTensorsForBackwardMode = (tensors: Tensor[]): Tensor[] => {
    if (engine.state.gradientDepth > 1 || typeof engine.backend.incRef !== 'function') return stock(tensors);
    return tensors.map((t) => {
      // Same constructor call as tfjs's own makeTensorFromDataId, plus a backend reference.
      const TensorClass = tf.Tensor as unknown as new (shape: number[], dtype: string, dataId: object, id: number) => Tensor;
      const alias = new TensorClass(t.shape, t.dtype, t.dataId, engine.nextTensorId());
      engine.incRef(alias, engine.backend);
      return engine.keep(alias);
    });
  };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Sums a broadcast gradient back to an input's shape; no kernel at all when nothing was broadcast. */
function unbroadcast(grad: Tensor, shape: number[]): Tensor {
  let g = grad;
  const axes = tf.backend_util.getReductionAxes(shape, g.shape);
  if (axes.length > 0) g = tf.sum(g, axes);
  return sameShape(g.shape, shape) ? g : tf.reshape(g, shape);
}

const asFloat = (t: Tensor): Tensor => (t.dtype === 'float32' ? t : tf.cast(t, 'float32'));

/**
 * Element-wise binary ops: the stock gradients always reshape (even to the same shape) and cast
 * (even float32 to float32), a dispatched kernel each. These compute the same values and skip the
 * no-op kernels, roughly a quarter of a small network's backward pass.
 */
function installBinaryGradients(): void {
  const grads: GradConfig[] = [
    {
      kernelName: 'Add',
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => {
        const [a, b] = saved;
        const g = dy as Tensor;
        return { a: () => unbroadcast(g, a.shape), b: () => unbroadcast(g, b.shape) };
      },
    },
    {
      kernelName: 'Sub',
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => {
        const [a, b] = saved;
        const g = dy as Tensor;
        return { a: () => unbroadcast(g, a.shape), b: () => unbroadcast(tf.neg(g), b.shape) };
      },
    },
    {
      kernelName: 'Multiply',
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => {
        const [a, b] = saved;
        const g = dy as Tensor;
        return { a: () => unbroadcast(tf.mul(g, asFloat(b)), a.shape), b: () => unbroadcast(tf.mul(g, asFloat(a)), b.shape) };
      },
    },
    {
      kernelName: 'RealDiv',
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => {
        const [a, b] = saved;
        const g = dy as Tensor;
        return {
          a: () => unbroadcast(tf.div(g, asFloat(b)), a.shape),
          b: () => unbroadcast(tf.neg(tf.div(tf.mul(g, asFloat(a)), tf.square(asFloat(b)))), b.shape),
        };
      },
    },
  ];
  for (const config of grads) tf.registerGradient(config);
}

/** Axes of a reduction, normalised (attrs.axis may be a number, negative, or a list). */
function reductionAxes(axis: unknown, rank: number): number[] {
  const list = axis === undefined || axis === null ? [...Array(rank).keys()] : Array.isArray(axis) ? (axis as number[]) : [axis as number];
  return list.map((a) => (a < 0 ? a + rank : a));
}

/** dy of a reduction, reshaped to keep the reduced axes and broadcast back over them. */
function spreadBack(dy: Tensor, x: Tensor, axis: unknown): Tensor {
  const expanded = x.shape.slice();
  for (const a of reductionAxes(axis, x.rank)) expanded[a] = 1;
  const g = sameShape(dy.shape, expanded) ? dy : tf.reshape(dy, expanded);
  return sameShape(g.shape, x.shape) ? g : tf.broadcastTo(g, x.shape);
}

/**
 * Reductions and a few element-wise ops: the stock gradients multiply by a `ones` tensor built on
 * the host for every call, cast float32 to float32, or select against a zeros tensor; these
 * compute the same values with fewer kernels and no host allocation.
 */
function installReductionGradients(): void {
  const grads: GradConfig[] = [
    {
      kernelName: 'Sum',
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => ({ x: () => spreadBack(dy as Tensor, saved[0], attrs.axis) }),
    },
    {
      kernelName: 'Mean',
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        const x = saved[0];
        const count = reductionAxes(attrs.axis, x.rank).reduce((n, a) => n * x.shape[a], 1);
        return { x: () => spreadBack(tf.div(dy as Tensor, count), x, attrs.axis) };
      },
    },
    {
      kernelName: 'Square',
      inputsToSave: ['x'],
      gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as Tensor, tf.mul(asFloat(saved[0]), 2)) }),
    },
    {
      kernelName: 'ClipByValue',
      inputsToSave: ['x'],
      gradFunc: (dy, saved, attrs) => {
        const x = saved[0];
        const inside = tf.logicalAnd(tf.greaterEqual(x, attrs.clipValueMin as number), tf.lessEqual(x, attrs.clipValueMax as number));
        return { x: () => tf.mul(dy as Tensor, tf.cast(inside, 'float32')) };
      },
    },
  ];
  for (const config of grads) tf.registerGradient(config);
}
