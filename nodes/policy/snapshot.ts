import { defineBlock, type DenseStage, type PolicyResource } from '../../engine/block.ts';
import { decodeFloats, type EncodedArray, encodeFloats } from '../../engine/codec.ts';
import { categorical, diagGaussian, logSoftmax } from '../../engine/distributions.ts';
import { activate } from '../../engine/layers.ts';
import { type Tensor, tf } from '../../engine/tf.ts';

/**
 * The state-independent log σ [k] of a diagonal-Gaussian policy: the head's `logStd` when it
 * exposes one, else the one variable of the policy that is not part of its dense chain (the
 * Gaussian head's variables are the chain's weights and biases, then log σ).
 */
export function gaussianLogStd(policy: PolicyResource): Tensor {
  if (policy.logStd) return policy.logStd;
  const inChain = new Set<Tensor>((policy.chain ?? []).flatMap((s) => [s.layer.weight, s.layer.bias]));
  const rest = policy.variables.filter((v) => !inChain.has(v));
  if (!policy.chain || rest.length !== 1 || rest[0].size !== policy.outputSize) {
    throw new Error(`cannot find the log-std of the Gaussian policy '${policy.nodeId}' (it must be a dense chain with one state-free log σ)`);
  }
  return rest[0];
}

/** Frozen host copy of a tensor's values (a copy, not a view: the source may change later). */
function hostCopy(t: Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as Float32Array);
}

export const snapshot = defineBlock({
  type: 'policy.snapshot',
  category: 'Policy',
  title: 'Old policy (snapshot)',
  role: 'resource',
  frozen: true,
  doc: {
    summary:
      'A frozen copy π_θold of a policy, taken at the start of every iteration before any update (so it is the policy that collected the iteration\'s data). Its parameters are constants: no optimizer owns them and no gradient flows through it. Feed it to the KL block as the old policy. Works for policies built from dense layers (net.mlp + a categorical or Gaussian head).',
    formula: '\\theta_\\text{old} \\leftarrow \\theta \\quad \\text{at the start of each iteration}',
    reference: 'Schulman et al. 2015, "Trust Region Policy Optimization", Algorithm 1 (θ_old)',
  },
  params: {},
  inputs: [{ name: 'policy', type: 'Policy', doc: 'π_θ, the policy to copy.' }],
  outputs: [{ name: 'policy', type: 'Policy', doc: 'π_θold: the copy, frozen for the iteration.' }],
  create(ctx) {
    const source = ctx.resources.policy as PolicyResource | undefined;
    if (!source || source.kind !== 'policy') throw new Error('connect a policy to copy');
    const chain: DenseStage[] | undefined = source.chain;
    if (!chain || chain.length === 0) {
      throw new Error(`policy '${source.nodeId}' is not a chain of dense layers (net.mlp + head), so it cannot be copied`);
    }
    const gaussian = source.distribution === 'diagGaussian';
    const sourceLogStd = gaussian ? gaussianLogStd(source) : undefined;
    const k = source.outputSize;
    // Frozen values: plain tensors (not variables), replaced (never written) at each snapshot.
    let weights: Tensor[] = [];
    let biases: Tensor[] = [];
    let logStd: Tensor | undefined;
    let logStdHost: Float32Array = new Float32Array(0);

    function disposeCopy(): void {
      for (const t of [...weights, ...biases]) t.dispose();
      logStd?.dispose();
      weights = [];
      biases = [];
      logStd = undefined;
    }
    /** Sets the frozen copy from host arrays: weights and biases per stage, then log σ. */
    function setFrom(arrays: Float32Array[]): void {
      disposeCopy();
      chain!.forEach((s, i) => {
        weights.push(tf.keep(tf.tensor(arrays[2 * i], s.layer.weight.shape)));
        biases.push(tf.keep(tf.tensor(arrays[2 * i + 1], s.layer.bias.shape)));
      });
      if (gaussian) {
        logStdHost = arrays[2 * chain!.length];
        logStd = tf.keep(tf.tensor(logStdHost, [k]));
      }
    }
    function current(): Float32Array[] {
      const arrays = chain!.flatMap((s) => [hostCopy(s.layer.weight), hostCopy(s.layer.bias)]);
      if (sourceLogStd) arrays.push(hostCopy(sourceLogStd));
      return arrays;
    }
    setFrom(current());

    const raw = (x: Tensor): Tensor => {
      let h = x;
      chain.forEach((s, i) => {
        h = activate(tf.add(tf.matMul(h as tf.Tensor2D, weights[i] as tf.Tensor2D), biases[i]), s.activation);
      });
      return h;
    };
    // Same output convention as the heads: normalised logits (categorical) or the mean (Gaussian).
    const apply = (x: Tensor): Tensor => (gaussian ? raw(x) : logSoftmax(raw(x)));
    const frozenLogStd = (): Tensor => logStd!;
    const policy: PolicyResource = {
      kind: 'policy',
      nodeId: ctx.nodeId,
      inputSize: source.inputSize,
      outputSize: k,
      variables: [], // frozen: nothing to optimise
      distribution: source.distribution,
      actionSpace: source.actionSpace,
      snapshotOf: source,
      get logStd() {
        return gaussian ? frozenLogStd() : undefined;
      },
      apply,
      applyForActing: raw,
      logProb: (out, actions) => (gaussian ? diagGaussian.logProb(out, frozenLogStd(), actions) : categorical.logProbNormalized(out, actions)),
      entropy: (out) => (gaussian ? diagGaussian.entropy(out, frozenLogStd()) : categorical.entropyNormalized(out)),
      act(obs, n, rng, deterministic, actions, logp) {
        const out = tf.tidy(() => raw(tf.tensor2d(obs.subarray(0, n * source.inputSize), [n, source.inputSize])));
        const data = out.dataSync() as Float32Array;
        out.dispose();
        policy.actFrom(data, n, rng, deterministic, actions, logp);
      },
      actFrom(out, n, rng, deterministic, actions, logp) {
        if (gaussian) diagGaussian.actHost(out, logStdHost, n, k, rng, deterministic, actions, logp);
        else categorical.actHost(out, n, k, rng, deterministic, actions, logp);
      },
    };
    return {
      resources: { policy },
      // θ_old ← θ before the collectors act and before any optimizer steps this iteration.
      beginIteration: () => setFrom(current()),
      saveState: () => ({ arrays: frozenArrays().map((a) => encodeFloats(a, [a.length])) }),
      loadState(state) {
        const arrays = (state as { arrays: EncodedArray[] }).arrays.map(decodeFloats);
        const want = current();
        if (arrays.length !== want.length || arrays.some((a, i) => a.length !== want[i].length)) {
          throw new Error(`${ctx.nodeId}: the checkpoint's snapshot does not match the policy's shapes`);
        }
        setFrom(arrays);
      },
      dispose: disposeCopy,
    };

    function frozenArrays(): Float32Array[] {
      const arrays = weights.flatMap((w, i) => [hostCopy(w), hostCopy(biases[i])]);
      if (logStd) arrays.push(hostCopy(logStd));
      return arrays;
    }
  },
});
