import { defineBlock, type ModuleResource } from '../../engine/block.ts';
import { decodeFloats, type EncodedArray, encodeFloats } from '../../engine/codec.ts';
import { hostView } from '../../engine/host-memory.ts';
import { NonFiniteError } from '../../engine/executor.ts';
import { choice, num } from '../../engine/params.ts';
import { tf, type Variable } from '../../engine/tf.ts';

/**
 * One Adam step for one variable (PyTorch's formula): a small monomorphic function so that V8
 * optimises the loop on its own. `m`, `s` are the variable's slices of the moment vectors.
 */
export function adamStep(
  g: Float32Array,
  current: Float32Array,
  next: Float32Array,
  m: Float32Array,
  s: Float32Array,
  scale: number,
  beta1: number,
  beta2: number,
  stepSize: number,
  sqrtBias2: number,
  epsilon: number,
): void {
  const n = g.length;
  for (let j = 0; j < n; j++) {
    const gj = g[j] * scale;
    const mj = beta1 * m[j] + (1 - beta1) * gj;
    const sj = beta2 * s[j] + (1 - beta2) * gj * gj;
    m[j] = mj;
    s[j] = sj;
    next[j] = current[j] - (stepSize * mj) / (Math.sqrt(sj) / sqrtBias2 + epsilon);
  }
}

/** The variables of every connected module, each once (modules may share a torso). */
export function ownedVariables(modules: ModuleResource[]): Variable[] {
  const seen = new Set<Variable>();
  for (const m of modules) for (const v of m.variables) seen.add(v);
  return [...seen];
}

export const adam = defineBlock({
  type: 'opt.adam',
  category: 'Optimizers',
  title: 'Adam',
  role: 'optimizer',
  doc: {
    summary:
      'Minimises its loss input with Adam over the variables of the connected modules. The loss cone (every block between those modules and the loss) is differentiated each time this block runs. Optional linear learning-rate annealing to 0 over the run and global gradient-norm clipping. Stops the run with an error naming the block if the loss or gradient is NaN/Inf.',
    formula:
      'g \\leftarrow g\\cdot\\min\\!\\big(1, \\tfrac{c}{\\lVert g\\rVert_2}\\big),\\ m \\leftarrow \\beta_1 m + (1-\\beta_1) g,\\ v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2,\\ \\theta \\leftarrow \\theta - \\alpha_k \\frac{\\hat m}{\\sqrt{\\hat v} + \\epsilon}',
    reference: 'Kingma & Ba 2015, "Adam"; gradient clipping: Pascanu et al. 2013',
  },
  params: {
    lr: num({ default: 3e-4, min: 0, max: 1, exclusiveMin: true, scale: 'log', help: 'Learning rate α.', live: true }),
    schedule: choice({ options: ['constant', 'linear'], default: 'constant', help: '"linear": α_k = α·(1 − fraction of steps done).' }),
    beta1: num({ default: 0.9, min: 0, max: 1, help: 'β₁, first-moment decay.' }),
    beta2: num({ default: 0.999, min: 0, max: 1, help: 'β₂, second-moment decay.' }),
    epsilon: num({ default: 1e-5, min: 0, max: 1, help: 'ε in the denominator.' }),
    maxGradNorm: num({ default: 0.5, min: 0, max: 1e6, help: 'Global gradient-norm clip c; 0 = off.', live: true }),
  },
  inputs: [
    { name: 'loss', type: 'Scalar', doc: 'The loss to minimise.' },
    { name: 'modules', type: 'Module', doc: 'Modules (or policies) whose variables this optimizer owns.', multi: true },
    { name: 'after', type: 'Trigger', doc: 'Optional ordering: step after these blocks ran (e.g. SAC\'s actor after the critic).', optional: true, multi: true },
  ],
  outputs: [
    { name: 'gradNorm', type: 'Scalar', doc: '‖g‖₂ before clipping.' },
    { name: 'lr', type: 'Scalar', doc: 'Learning rate used for this step.' },
  ],
  create(ctx, params) {
    const modules = ([] as ModuleResource[]).concat((ctx.resources.modules as ModuleResource[] | undefined) ?? []);
    const vars = ownedVariables(modules);
    // Moments live on the host, one flat array each: the update is one JS loop over all
    // parameters (see engine/host-memory.ts for why), with tensor fallbacks for other backends.
    const sizes = vars.map((v) => v.size);
    const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
    const total = sizes.reduce((a, b) => a + b, 0);
    const m = new Float32Array(total);
    const s = new Float32Array(total);
    let step = 0;
    let lr = params.lr;
    let maxGradNorm = params.maxGradNorm;
    let lrFactor = 1;
    const { beta1, beta2, epsilon } = params;
    return {
      optimize(lossFn) {
        const { value: loss, grads } = tf.variableGrads(lossFn as () => tf.Scalar, vars);
        const lossValue = loss.dataSync()[0];
        // A module the loss does not reach gets no gradient entry: it is skipped (as PyTorch
        // skips parameters whose .grad is None). Views are taken afresh before each use: the
        // wasm heap's buffer is replaced whenever an allocation grows it.
        const gradients = vars.map((v) => grads[v.name] as tf.Tensor | undefined);
        const read = (t: tf.Tensor): Float32Array => hostView(t) ?? (t.dataSync() as Float32Array);
        let squaredNorm = 0;
        for (const g of gradients) {
          if (!g) continue;
          const data = read(g);
          for (let j = 0; j < data.length; j++) squaredNorm += data[j] * data[j];
        }
        const normValue = Math.sqrt(squaredNorm);
        if (!Number.isFinite(lossValue)) throw new NonFiniteError('loss', ctx.nodeId);
        if (!Number.isFinite(normValue)) throw new NonFiniteError('gradient', ctx.nodeId);
        const scale = maxGradNorm > 0 ? Math.min(1, maxGradNorm / (normValue + 1e-6)) : 1;
        step += 1;
        const alpha = lr * lrFactor;
        const stepSize = alpha / (1 - beta1 ** step);
        const sqrtBias2 = Math.sqrt(1 - beta2 ** step);
        for (let i = 0; i < vars.length; i++) {
          const grad = gradients[i];
          if (!grad) continue;
          const g = read(grad);
          const current = read(vars[i]);
          const next = new Float32Array(g.length);
          adamStep(g, current, next, m.subarray(offsets[i]), s.subarray(offsets[i]), scale, beta1, beta2, stepSize, sqrtBias2, epsilon);
          // New data rather than writing in place: wasm's matMul caches packed weights by tensor
          // id, so an in-place write would go unseen by the next forward pass.
          tf.tidy(() => vars[i].assign(tf.tensor(next, vars[i].shape)));
        }
        return { gradNorm: tf.scalar(normValue), lr: tf.scalar(alpha) };
      },
      endIteration({ progress }) {
        if (params.schedule === 'linear') lrFactor = Math.max(0, 1 - progress);
      },
      setParam(name, value) {
        if (name === 'lr') lr = value as number;
        if (name === 'maxGradNorm') maxGradNorm = value as number;
      },
      saveState: () => ({ step, lr, maxGradNorm, lrFactor, m: encodeFloats(m, [total]), s: encodeFloats(s, [total]) }),
      loadState(state) {
        const st = state as { step: number; lr: number; maxGradNorm: number; lrFactor: number; m: EncodedArray; s: EncodedArray };
        if (st.m.shape[0] !== total) throw new Error(`${ctx.nodeId}: checkpoint holds ${st.m.shape[0]} moments but the modules have ${total} parameters`);
        step = st.step;
        lr = st.lr;
        maxGradNorm = st.maxGradNorm;
        lrFactor = st.lrFactor;
        m.set(decodeFloats(st.m));
        s.set(decodeFloats(st.s));
      },
    };
  },
});
