import { defineBlock, type ModuleResource, type ResourceValue } from '../../engine/block.ts';
import { assignEncoded, type EncodedArray, encodeTensor } from '../../engine/codec.ts';

/**
 * A head's torso cloned for the head's own clone, or a clear error naming both when the torso
 * cannot be cloned (e.g. a policy.snapshot or a module from a block without `clone`).
 */
export function cloneTorso(torso: ModuleResource, owner: string, cloneId: string): ModuleResource {
  if (!torso.clone) {
    throw new Error(`'${owner}' cannot be cloned: its torso '${torso.nodeId}' has no clone (build it from net.mlp)`);
  }
  return torso.clone(`${cloneId}/torso`);
}

export const targetNetwork = defineBlock({
  type: 'net.target',
  category: 'Networks',
  title: 'Target network',
  role: 'resource',
  frozen: true,
  doc: {
    summary:
      'A separate copy θ′ of a network (Q-function, policy or value), initialised to the source\'s weights when the run starts. Nothing optimises it and no gradient flows through it; a target update block moves it towards the source (hard copy every k steps, or Polyak averaging). Use it for bootstrap targets such as r + γ Q_θ′(s′, μ_θ′(s′)). The `policy` output exists only when the source is a policy (a head); wire `module` otherwise.',
    formula: "\\theta' \\leftarrow \\theta \\ \\text{(at the start)},\\qquad y = r + \\gamma\\,(1 - d)\\,Q_{\\theta'}\\big(s', \\mu_{\\phi'}(s')\\big)",
    reference: 'Mnih et al. 2015, "Human-level control through deep RL" (target network); Lillicrap et al. 2016, "Continuous control with deep RL" (DDPG, target actor and critic)',
  },
  params: {},
  inputs: [{ name: 'source', type: 'Module', doc: 'The network to copy (net.mlp, net.qNetwork, a head; a Policy edge is accepted too).' }],
  outputs: [
    { name: 'module', type: 'Module', doc: 'θ′: the copy, as a module (same apply as the source).' },
    { name: 'policy', type: 'Policy', doc: 'The copy as a policy (only when the source is a policy).' },
  ],
  create(ctx) {
    const source = ctx.resources.source as ModuleResource | undefined;
    if (!source) throw new Error('connect the network to copy to the source input');
    if (!source.clone) {
      throw new Error(`'${source.nodeId}' cannot have a target network: its block does not support copying (use net.mlp, net.qNetwork or a head on net.mlp)`);
    }
    const clone = source.clone(ctx.nodeId);
    // No `policy` output for a non-policy source: a consumer wired to it then finds no policy,
    // which is the error the compiler/consumer reports (building a fake policy would hide it).
    const resources: Record<string, ResourceValue> = clone.kind === 'policy' ? { module: clone, policy: clone } : { module: clone };
    return {
      resources,
      // The copy lags the source, so a checkpoint must hold its own values.
      saveState: () => ({ variables: clone.variables.map((v) => encodeTensor(v)) }),
      loadState(state) {
        const saved = (state as { variables: EncodedArray[] }).variables;
        if (saved.length !== clone.variables.length) {
          throw new Error(`${ctx.nodeId}: the checkpoint holds ${saved.length} target variables but the network has ${clone.variables.length}`);
        }
        saved.forEach((s, i) => assignEncoded(clone.variables[i], s, ctx.nodeId));
      },
      dispose: () => clone.disposeClone?.(),
    };
  },
});
