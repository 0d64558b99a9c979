import { defineBlock, type GraphCheckNode, type ModuleResource } from '../../engine/block.ts';
import { choice, int, num } from '../../engine/params.ts';
import { hardCopy, polyakUpdate } from '../../engine/target.ts';

/** The graph-level wiring problem of a target.update node, or null (exported for tests). */
export function targetWiringProblem(node: GraphCheckNode): string | null {
  const target = node.upstream('target')[0];
  const source = node.upstream('source')[0];
  if (!target || !source) return null; // unconnected required inputs are the compiler's error
  if (target.type !== 'net.target') {
    return `its 'target' input comes from '${target.id}' (${target.type}), not from a target network: wire the module or policy output of a net.target whose source is '${source.id}' (updating a trained network towards another would overwrite it)`;
  }
  const copied = target.upstream('source')[0];
  if (!copied || copied.id !== source.id) {
    return `target network '${target.id}' copies '${copied?.id ?? 'nothing'}', not '${source.id}' (this block's source): wire the same network into the net.target's source and this block's source`;
  }
  return null;
}

export const targetUpdate = defineBlock({
  type: 'target.update',
  category: 'Networks',
  title: 'Target network update',
  role: 'op',
  doc: {
    summary:
      'Moves a target network θ′ (net.target) towards its source θ: Polyak averaging with rate τ (DDPG, TD3, SAC: every step) or a hard copy (DQN: every k steps). Runs on the clock of its `after` input: wire the optimizer\'s output there so the update sees the stepped weights. With every = k it acts on every k-th run only (TD3 updates its targets with the delayed actor). The target must be a net.target copying this block\'s source (checked by the compiler and at run time).',
    formula: "\\theta' \\leftarrow \\tau\\theta + (1 - \\tau)\\theta' \\quad\\text{(polyak)},\\qquad \\theta' \\leftarrow \\theta \\ \\text{every } k \\text{ runs} \\quad\\text{(copy)}",
    reference: 'Lillicrap et al. 2016 (DDPG, soft target updates); Mnih et al. 2015 (DQN, periodic copies); Fujimoto et al. 2018 (TD3, delayed updates)',
  },
  params: {
    mode: choice({ options: ['polyak', 'copy'], default: 'polyak', help: 'polyak: θ′ ← τθ + (1 − τ)θ′; copy: θ′ ← θ.' }),
    tau: num({ default: 0.005, min: 0, max: 1, live: true, help: 'Polyak rate τ (mode polyak).' }),
    every: int({ default: 1, min: 1, max: 1_000_000, help: 'Update on every k-th run of this block (1 = every run).' }),
  },
  inputs: [
    { name: 'source', type: 'Module', doc: 'θ: the trained network (a Policy edge is accepted).' },
    { name: 'target', type: 'Module', doc: 'θ′: net.target copying the source.' },
    { name: 'after', type: 'Trigger', doc: 'Orders the update after these (e.g. the optimizer steps); also sets its clock.', optional: true, multi: true },
  ],
  outputs: [{ name: 'updated', type: 'Trigger', doc: 'Fires after each run (updated or not).' }],
  checkGraph: ({ node }) => targetWiringProblem(node),
  create(ctx, params) {
    let tau = params.tau;
    let runs = 0;
    return {
      run(inputs) {
        const source = inputs.source as ModuleResource;
        const target = inputs.target as ModuleResource;
        if (target.copyOf !== source) {
          throw new Error(
            `${ctx.nodeId}: target '${target.nodeId}' ${target.copyOf ? `copies '${target.copyOf.nodeId}'` : 'is not a target network'}, not '${source.nodeId}' (this block's source)`,
          );
        }
        runs += 1;
        if (runs % params.every === 0) {
          if (params.mode === 'copy') hardCopy(target.variables, source.variables);
          else polyakUpdate(target.variables, source.variables, tau);
        }
        return { updated: null };
      },
      setParam(name, value) {
        if (name === 'tau') tau = value as number;
      },
      // The counter decides which runs copy: a resumed run must continue the same phase.
      saveState: () => ({ runs }),
      loadState(state) {
        runs = (state as { runs: number }).runs;
      },
    };
  },
});
