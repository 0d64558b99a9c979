import { defineBlock, type HostBatch, type HostField, type Outputs } from '../../engine/block.ts';
import { ReplayBuffer, type ReplayState } from '../../engine/replay.ts';
import { int } from '../../engine/params.ts';
import { batchIn } from '../util.ts';

export const replayBuffer = defineBlock({
  type: 'replay.buffer',
  category: 'Collectors',
  title: 'Replay buffer',
  role: 'op',
  doc: {
    summary:
      'Fixed-capacity ring of transitions (typed arrays): each step appends the collector\'s transitions, overwriting the oldest once full, and outputs everything stored as one Batch for a sampler. `terminated` and `truncated` are stored apart, so targets bootstrap at time limits. Reports its fill as the metric "<node>.fill".',
    formula: '\\mathcal D \\leftarrow \\mathcal D \\cup \\{(s_t, a_t, r_t, s_{t+1}, d_t)\\},\\quad |\\mathcal D| \\le N',
    reference: 'Lin 1992 (experience replay); Mnih et al. 2015 (DQN); Lillicrap et al. 2016 (DDPG)',
  },
  params: {
    capacity: int({ default: 1_000_000, min: 1, max: 100_000_000, help: 'N: transitions kept (the oldest are overwritten).' }),
  },
  inputs: [{ name: 'transitions', type: 'Batch', doc: 'Fields obs, act, rew, nextObs, terminated, truncated (from the off-policy collector).' }],
  outputs: [{ name: 'buffer', type: 'Batch', doc: 'Every stored transition (same fields), for a sampler.' }],
  batchFields: () => ({ buffer: ['obs', 'act', 'rew', 'nextObs', 'terminated', 'truncated'] }),
  create(ctx, params) {
    let replay: ReplayBuffer | undefined;
    // Views over the ring's storage, rebuilt only while it fills up (none per step once full).
    let view: Record<string, HostField> | undefined;
    let viewSize = -1;
    let pendingState: ReplayState | undefined;
    let ticks = 0;

    function ensure(batch: HostBatch): ReplayBuffer {
      if (replay) return replay;
      for (const name of ['obs', 'act', 'rew', 'nextObs', 'terminated', 'truncated']) {
        if (!batch.fields[name]) throw new Error(`the transitions have no field '${name}' (connect an off-policy collector)`);
      }
      replay = new ReplayBuffer({ capacity: params.capacity, obsDim: batch.fields.obs.width, actDim: batch.fields.act.width });
      if (pendingState) replay.load(pendingState);
      pendingState = undefined;
      return replay;
    }

    return {
      run(inputs): Outputs {
        const batch = batchIn(inputs, 'transitions');
        const r = ensure(batch);
        const f = batch.fields;
        r.add({ obs: f.obs.data, act: f.act.data, rew: f.rew.data, nextObs: f.nextObs.data, terminated: f.terminated.data, truncated: f.truncated.data }, batch.size);
        if (r.size !== viewSize) {
          viewSize = r.size;
          view = r.fieldViews();
        }
        ticks += 1;
        return { buffer: { kind: 'batch', size: r.size, fields: view! } };
      },
      iterationMetrics() {
        // The fill at the end of the iteration (a mean over its steps would lag the buffer).
        if (!ticks) return {};
        ticks = 0;
        return { [`${ctx.nodeId}.fill`]: replay ? replay.size : 0 };
      },
      saveState: () => (replay ? replay.save() : pendingState ?? null),
      loadState(state) {
        if (state === null) return;
        if (replay) {
          replay.load(state as ReplayState);
          viewSize = -1;
        } else pendingState = state as ReplayState;
      },
    };
  },
});
