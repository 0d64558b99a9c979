/**
 * Gradient replacements for TensorFlow.js 4.22 (see shared/notes/tfjs-in-node.md).
 *
 * BatchMatMul: the stock gradient multiplies with `transposeA/transposeB`, which misses the wasm
 * backend's fast path (10–17× slower than an explicit transpose followed by a plain product).
 * The replacement is mathematically identical; it only changes which kernels compute it.
 *
 * Second order (notes trap 5): gradients that read an op's saved *output* drop the output→input
 * dependence from nested gradients, and comparison ops have no gradient at all. See
 * installSecondOrderGradients and installFastSave below; engine/hvp.ts builds on them.
 */
import type { GradConfig, NamedAttrMap, NamedTensorMap, Tensor } from '@tensorflow/tfjs';
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
  installSecondOrderGradients();
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
  startTape(): void;
  endTape(): void;
  addTapeNode(
    kernelName: string,
    inputs: NamedTensorMap,
    outputs: Tensor[],
    gradientsFunc: (dy: Tensor | Tensor[]) => Record<string, () => Tensor>,
    saved: Tensor[],
    attrs: NamedAttrMap,
  ): void;
}

const engineInternals = (): EngineInternals => tf.engine() as unknown as EngineInternals;

/**
 * True while a gradient function runs under an enclosing gradient (its ops are being recorded for
 * a second-order derivative). At first order (depth 0) nothing records the backward pass, so a
 * gradient may read saved outputs as constants; nested, it must recompute them from saved inputs.
 */
function nested(): boolean {
  return engineInternals().state.gradientDepth > 0;
}

/** Name of the tape node that links a saved alias to its tensor (not a kernel: no gradient lookup). */
const SAVED_ALIAS = 'SavedTensorAlias';
/** Gradient of an alias: the identity (the stock clone's node dispatches a float32→float32 Cast). */
const passThrough = (dy: Tensor | Tensor[]) => ({ x: () => dy as Tensor });

let fastSaveInstalled = false;

/**
 * Tensors an op saves for its backward pass are cloned by stock tfjs with an Identity kernel plus
 * a tape node of its own, about a quarter of all kernels in a PPO update. Saved tensors are never
 * mutated, so a reference-counted alias of the same data is equivalent and costs no kernel.
 *
 * The tape node (alias ← tensor, identity gradient) is what carries the derivative through saved
 * tensors when gradients are nested, at any depth: without it, a gradient taken inside another
 * gradient through ops recorded at depth 1 (a forward pass computed before an inner `tf.grad`
 * that differentiates through it) silently lost every term flowing through a saved input (the
 * version before this one did that: test "differentiates through ops recorded outside the inner
 * gradient"). Only gradient functions that run while a tape records (nested backward passes)
 * can consume an alias on the tape, and each of those runs after a `startTape` (the inner
 * gradient begins) or an `endTape` that leaves the depth above 0 (its forward pass ends). So the
 * pairs are queued and their nodes appended at those two moments: appended after the producer of
 * the tensor and before any consumer of the alias, which is all the tape order needs. First-order
 * gradients never flush (the queue is dropped when the outermost forward pass ends): pushing a
 * node per saved tensor eagerly cost ~8 % of a PPO update in tape bookkeeping.
 */
export function installFastSave(): void {
  if (fastSaveInstalled) return;
  const engine = engineInternals();
  const stock = engine.saveTensorsForBackwardMode.bind(engine);
  const methods = [engine.nextTensorId, engine.incRef, engine.addTapeNode, engine.startTape, engine.endTape];
  if (methods.some((m) => typeof m !== 'function')) return;
  fastSaveInstalled = true;
  // Same constructor call as tfjs's own makeTensorFromDataId, plus a backend reference.
  const TensorClass = tf.Tensor as unknown as new (shape: number[], dtype: string, dataId: object, id: number) => Tensor;
  /** Saved tensor, alias, saved tensor, alias, … not yet on the tape. */
  const pending: Tensor[] = [];
  const flush = (): void => {
    for (let i = 0; i < pending.length; i += 2) engine.addTapeNode(SAVED_ALIAS, { x: pending[i] }, [pending[i + 1]], passThrough, [], {});
    pending.length = 0;
  };
  const startTape = engine.startTape.bind(engine);
  const endTape = engine.endTape.bind(engine);
  engine.startTape = () => {
    // At depth 0 a new tape begins: anything queued belongs to a finished gradient.
    if (engine.state.gradientDepth > 0) flush();
    else pending.length = 0;
    startTape();
  };
  engine.endTape = () => {
    endTape();
    if (engine.state.gradientDepth > 0) flush();
    else pending.length = 0;
  };
  engine.saveTensorsForBackwardMode = (tensors: Tensor[]): Tensor[] => {
    if (typeof engine.backend.incRef !== 'function') return stock(tensors);
    return tensors.map((t) => {
      const alias = new TensorClass(t.shape, t.dtype, t.dataId, engine.nextTensorId());
      engine.incRef(alias, engine.backend);
      pending.push(t, alias);
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

/**
 * Gradients that stay correct under nesting (second order: Hessian- and Fisher-vector products).
 *
 * Stock tfjs 4.22 saves the *output* of Tanh, Exp, Sigmoid, Softmax, Elu and Pow for their
 * gradients. The saved copy's tape node is pushed before the op's own node, so a nested gradient
 * treats the output as a constant and drops the output→input dependence (Hessians through a tanh
 * MLP were off by 56–94 %: notes trap 5). These save the input as well: at first order (nothing
 * records the backward pass) they read the saved output exactly as stock does, so first-order
 * results and kernel counts are unchanged; nested, they recompute the output from the saved input
 * so that the enclosing gradient sees the dependence.
 *
 * Comparison and logical ops get zero gradients (their outputs are piecewise constant): stock has
 * none, so anything whose gradient compares (logSumExp via Max, clipByValue, minimum, maximum,
 * leakyRelu) threw under nesting. Minimum/Maximum also reduce broadcast inputs (stock returns the
 * broadcast shape and fails when a broadcast input is differentiated).
 */
function installSecondOrderGradients(): void {
  const grads: GradConfig[] = [
    {
      kernelName: 'Tanh',
      inputsToSave: ['x'],
      outputsToSave: [true],
      gradFunc: (dy, saved) => {
        const [x, y] = saved;
        return { x: () => tf.mul(tf.sub(1, tf.square(nested() ? tf.tanh(x) : y)), dy as Tensor) };
      },
    },
    {
      kernelName: 'Exp',
      inputsToSave: ['x'],
      outputsToSave: [true],
      gradFunc: (dy, saved) => {
        const [x, y] = saved;
        return { x: () => tf.mul(dy as Tensor, nested() ? tf.exp(x) : y) };
      },
    },
    {
      kernelName: 'Sigmoid',
      inputsToSave: ['x'],
      outputsToSave: [true],
      gradFunc: (dy, saved) => {
        const [x, savedY] = saved;
        return {
          x: () => {
            const y = nested() ? tf.sigmoid(x) : savedY;
            return tf.mul(dy as Tensor, tf.mul(y, tf.sub(1, y)));
          },
        };
      },
    },
    {
      kernelName: 'Softmax',
      inputsToSave: ['logits'],
      outputsToSave: [true],
      gradFunc: (dy, saved, attrs) => {
        const [logits, savedY] = saved;
        const dim = attrs.dim as number;
        return {
          logits: () => {
            const y = nested() ? tf.softmax(logits, dim) : savedY;
            const dyTimesY = tf.mul(dy as Tensor, y);
            return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [dim], true), y));
          },
        };
      },
    },
    {
      kernelName: 'Elu',
      inputsToSave: ['x'],
      outputsToSave: [true],
      gradFunc: (dy, saved) => {
        const [x, y] = saved;
        return {
          // elu'(x) = exp(min(x, 0)): 1 for x > 0, eˣ = y + 1 below. The stock EluGrad kernel has
          // no gradient of its own, so nested gradients use the differentiable form (min(x, 0)
          // keeps exp finite for large x, where an unused branch would turn 0·∞ into NaN).
          x: () => (nested() ? tf.mul(dy as Tensor, tf.exp(tf.minimum(x, 0))) : tf.engine().runKernel('EluGrad', { dy: dy as Tensor, y })) as Tensor,
        };
      },
    },
    {
      kernelName: 'Pow',
      inputsToSave: ['a', 'b'],
      outputsToSave: [true],
      gradFunc: (dy, saved) => {
        const [base, exponent, savedY] = saved;
        const g = dy as Tensor;
        return {
          a: () => {
            const e = asFloat(exponent);
            return unbroadcast(tf.mul(g, tf.mul(e, tf.pow(base, tf.sub(e, 1)))), base.shape);
          },
          b: () => {
            const y = nested() ? tf.pow(base, exponent) : savedY;
            const logBase = tf.where(tf.greater(base, 0), tf.log(base), tf.zerosLike(base));
            return unbroadcast(tf.mul(g, tf.mul(y, logBase)), exponent.shape);
          },
        };
      },
    },
    {
      kernelName: 'Minimum',
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => {
        const [a, b] = saved;
        const g = dy as Tensor;
        return {
          a: () => unbroadcast(tf.mul(g, tf.cast(tf.lessEqual(a, b), 'float32')), a.shape),
          b: () => unbroadcast(tf.mul(g, tf.cast(tf.greater(a, b), 'float32')), b.shape),
        };
      },
    },
    {
      kernelName: 'Maximum',
      inputsToSave: ['a', 'b'],
      gradFunc: (dy, saved) => {
        const [a, b] = saved;
        const g = dy as Tensor;
        return {
          a: () => unbroadcast(tf.mul(g, tf.cast(tf.greaterEqual(a, b), 'float32')), a.shape),
          b: () => unbroadcast(tf.mul(g, tf.cast(tf.less(a, b), 'float32')), b.shape),
        };
      },
    },
  ];
  // Piecewise-constant ops: zero gradients, float32 whatever the input dtype (tape.ts insists).
  for (const kernelName of ['Equal', 'NotEqual', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'LogicalAnd', 'LogicalOr', 'LogicalXor']) {
    grads.push({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy, saved) => {
        const [a, b] = saved;
        return { a: () => tf.zeros(a.shape, 'float32'), b: () => tf.zeros(b.shape, 'float32') };
      },
    });
  }
  grads.push({ kernelName: 'LogicalNot', gradFunc: (dy) => ({ x: () => tf.zerosLike(dy as Tensor) }) });
  for (const config of grads) tf.registerGradient(config);
}
