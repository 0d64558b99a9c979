import { defineBlock, type ModuleResource } from '../../engine/block.ts';
import { assignEncoded, type EncodedArray, encodeTensor } from '../../engine/codec.ts';
import { NonFiniteError } from '../../engine/executor.ts';
import { choice, num } from '../../engine/params.ts';
import { tf, type Variable } from '../../engine/tf.ts';

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
  ],
  outputs: [
    { name: 'gradNorm', type: 'Scalar', doc: '‖g‖₂ before clipping.' },
    { name: 'lr', type: 'Scalar', doc: 'Learning rate used for this step.' },
  ],
  create(ctx, params) {
    const modules = ([] as ModuleResource[]).concat((ctx.resources.modules as ModuleResource[] | undefined) ?? []);
    const vars = ownedVariables(modules);
    // One flat vector for all moments: the update is a handful of ops on one tensor instead of a
    // dozen per variable (small networks are dispatch-bound: shared/notes/tfjs-in-node.md).
    const sizes = vars.map((v) => v.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    const m = tf.variable(tf.zeros([total]), false);
    const s = tf.variable(tf.zeros([total]), false);
    let step = 0;
    let lr = params.lr;
    let maxGradNorm = params.maxGradNorm;
    let lrFactor = 1;
    const { beta1, beta2, epsilon } = params;
    return {
      optimize(lossFn) {
        const { value: loss, grads } = tf.variableGrads(lossFn as () => tf.Scalar, vars);
        // A module the loss does not reach gets no gradient entry: it stays where it is.
        const flat = tf.concat(vars.map((v) => tf.reshape(grads[v.name] ?? tf.zerosLike(v), [-1])));
        const [lossValue, squaredNorm] = tf.stack([loss, tf.sum(tf.square(flat))]).dataSync();
        const normValue = Math.sqrt(squaredNorm);
        if (!Number.isFinite(lossValue)) throw new NonFiniteError('loss', ctx.nodeId);
        if (!Number.isFinite(normValue)) throw new NonFiniteError('gradient', ctx.nodeId);
        const scale = maxGradNorm > 0 ? Math.min(1, maxGradNorm / (normValue + 1e-6)) : 1;
        step += 1;
        const alpha = lr * lrFactor;
        const stepSize = alpha / (1 - beta1 ** step);
        const sqrtBias2 = Math.sqrt(1 - beta2 ** step);
        const g = scale === 1 ? flat : tf.mul(flat, scale);
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        s.assign(tf.add(tf.mul(s, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const delta = tf.mul(tf.div(m, tf.add(tf.div(tf.sqrt(s), sqrtBias2), epsilon)), stepSize);
        const parts = tf.split(delta, sizes);
        for (let i = 0; i < vars.length; i++) vars[i].assign(tf.sub(vars[i], tf.reshape(parts[i], vars[i].shape)));
        return { gradNorm: tf.scalar(normValue), lr: tf.scalar(alpha) };
      },
      endIteration({ progress }) {
        if (params.schedule === 'linear') lrFactor = Math.max(0, 1 - progress);
      },
      setParam(name, value) {
        if (name === 'lr') lr = value as number;
        if (name === 'maxGradNorm') maxGradNorm = value as number;
      },
      saveState: () => ({ step, lr, maxGradNorm, lrFactor, m: encodeTensor(m), s: encodeTensor(s) }),
      loadState(state) {
        const st = state as { step: number; lr: number; maxGradNorm: number; lrFactor: number; m: EncodedArray; s: EncodedArray };
        step = st.step;
        lr = st.lr;
        maxGradNorm = st.maxGradNorm;
        lrFactor = st.lrFactor;
        assignEncoded(m, st.m, `${ctx.nodeId}/m`);
        assignEncoded(s, st.s, `${ctx.nodeId}/v`);
      },
      dispose() {
        m.dispose();
        s.dispose();
      },
    };
  },
});
