import { defineBlock, type HostBatch, type HostField, type Outputs } from '../../engine/block.ts';
import { int } from '../../engine/params.ts';
import { batchIn } from '../util.ts';

export const minibatch = defineBlock({
  type: 'loop.minibatch',
  category: 'Control',
  title: 'Minibatch × epochs',
  role: 'minibatch',
  doc: {
    summary:
      'Splits the iteration\'s batch into shuffled minibatches and repeats for several epochs. Starts the update clock: every block downstream runs once per minibatch, so an optimizer after it takes epochs × minibatches steps per iteration.',
    formula: '\\text{for } k = 1..K \\text{ epochs: shuffle } \\{1..NT\\},\\ \\text{for each of } M \\text{ minibatches: one update}',
    reference: 'Schulman et al. 2017, "Proximal Policy Optimization Algorithms", Algorithm 1',
  },
  params: {
    epochs: int({ default: 4, min: 1, max: 1000, help: 'K: passes over the batch per iteration.' }),
    minibatches: int({ default: 4, min: 1, max: 100_000, help: 'M: minibatches per epoch (size = batch size / M).' }),
  },
  inputs: [{ name: 'batch', type: 'Batch', doc: 'The iteration\'s batch.' }],
  outputs: [{ name: 'batch', type: 'Batch', doc: 'One shuffled minibatch per update (same fields).' }],
  batchFields: ({ inputFields }) => ({ batch: inputFields.batch ?? [] }),
  create(ctx, params) {
    const rng = ctx.rng('shuffle');
    let permutation = new Int32Array(0);
    const buffers = new Map<string, HostField>();
    return {
      *updates(inputs): Generator<Outputs> {
        const batch = batchIn(inputs, 'batch');
        const size = batch.size;
        const count = Math.min(params.minibatches, size);
        const mbSize = Math.floor(size / count);
        if (permutation.length !== size) permutation = new Int32Array(size);
        for (let epoch = 0; epoch < params.epochs; epoch++) {
          for (let i = 0; i < size; i++) permutation[i] = i;
          rng.shuffle(permutation);
          for (let b = 0; b < count; b++) {
            const fields: Record<string, HostField> = {};
            for (const [name, field] of Object.entries(batch.fields)) {
              let buf = buffers.get(name);
              if (!buf || buf.data.length !== mbSize * field.width) buffers.set(name, (buf = { data: new Float32Array(mbSize * field.width), width: field.width }));
              const w = field.width;
              for (let r = 0; r < mbSize; r++) {
                const src = permutation[b * mbSize + r] * w;
                for (let j = 0; j < w; j++) buf.data[r * w + j] = field.data[src + j];
              }
              fields[name] = buf;
            }
            const mb: HostBatch = { kind: 'batch', size: mbSize, fields };
            yield { batch: mb };
          }
        }
      },
      saveState: () => ({ rng: rng.getState() }),
      loadState: (state) => rng.setState((state as { rng: ReturnType<typeof rng.getState> }).rng),
    };
  },
});
