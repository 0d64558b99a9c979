import { defineBlock, type HostBatch, type Outputs } from '../../engine/block.ts';
import { int } from '../../engine/params.ts';

export const every = defineBlock({
  type: 'control.every',
  category: 'Control',
  title: 'Every k',
  role: 'minibatch',
  loopClock: 'every',
  doc: {
    summary:
      'Runs the blocks after it only on every k-th tick of its input\'s clock (e.g. every k iterations: a delayed critic update, a hard target-network copy, a periodic checkpoint). Values from other clocks are read as held. A Batch wired through it (e.g. the replay minibatch) comes out on the slower clock, so the blocks that read it (TD3\'s delayed actor loss) run only every k-th tick.',
    formula: '\\text{run downstream at ticks } t \\text{ with } t \\bmod k = k - 1',
    reference: 'Delayed updates as in Fujimoto et al. 2018 (TD3); target copies as in Mnih et al. 2015 (DQN)',
  },
  params: {
    k: int({ default: 10, min: 1, max: 1_000_000, help: 'Period in ticks of the input clock.' }),
  },
  inputs: [
    { name: 'after', type: 'Trigger', doc: 'Any output; its clock is the one counted (and this block runs after it).', optional: true, multi: true },
    { name: 'batch', type: 'Batch', doc: 'Optional Batch passed through on every k-th tick.', optional: true },
  ],
  outputs: [
    { name: 'tick', type: 'Trigger', doc: 'Fires every k ticks (connect to Trigger inputs).' },
    { name: 'batch', type: 'Batch', doc: 'The input Batch, on every k-th tick (same fields).' },
  ],
  batchFields: ({ inputFields }) => ({ batch: inputFields.batch ?? [] }),
  create(_ctx, params) {
    let count = 0;
    return {
      *updates(inputs): Generator<Outputs> {
        count += 1;
        if (count % params.k === 0) yield { tick: null, batch: (inputs.batch as HostBatch | undefined) ?? null };
      },
      saveState: () => ({ count }),
      loadState: (state) => {
        count = (state as { count: number }).count;
      },
    };
  },
});
