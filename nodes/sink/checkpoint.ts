import { defineBlock } from '../../engine/block.ts';
import { int } from '../../engine/params.ts';

/**
 * The run host (CLI, app) writes the files; this block says how often and how many to keep.
 * Checkpoints hold every block's state: module weights, optimizer moments, RNG and env states.
 */
export const checkpoint = defineBlock({
  type: 'sink.checkpoint',
  category: 'Sinks',
  title: 'Checkpoint',
  role: 'sink',
  doc: {
    summary:
      'Saves a resumable checkpoint (weights, optimizer state, environment and RNG states) into the run folder every k iterations, keeping the newest few. A checkpoint is also written when a run is stopped or interrupted; `rlc run --resume DIR` continues from the newest.',
    reference: 'Run folder layout: design.md §7',
  },
  params: {
    every: int({ default: 50, min: 1, max: 1_000_000, help: 'Write a checkpoint every k iterations.' }),
    keep: int({ default: 3, min: 1, max: 1000, help: 'How many checkpoints to keep (oldest deleted).' }),
  },
  inputs: [{ name: 'after', type: 'Trigger', doc: 'Optional ordering: checkpoint after this block ran.', optional: true }],
  outputs: [],
  create() {
    return {};
  },
});
