import { defineBlock, type HostBatch, type HostField, type Outputs } from '../../engine/block.ts';
import { int } from '../../engine/params.ts';
import { batchIn } from '../util.ts';

export const replaySample = defineBlock({
  type: 'replay.sample',
  category: 'Control',
  title: 'Uniform replay sampler',
  role: 'minibatch',
  doc: {
    summary:
      'Draws minibatches uniformly, with replacement, from a replay buffer and starts the update clock: every block downstream runs once per minibatch. Nothing is drawn until the buffer holds `learningStarts` transitions; then `updatesPerStep` minibatches per tick of its input (per environment step). Seeded: a run replays the same minibatches for the same seed.',
    formula: '\\{(s_i, a_i, r_i, s\'_i, d_i)\\}_{i=1}^{B} \\sim \\mathcal U(\\mathcal D)',
    reference: 'Mnih et al. 2015 (DQN); Lillicrap et al. 2016 (DDPG); Haarnoja et al. 2018 (SAC)',
  },
  params: {
    batchSize: int({ default: 256, min: 1, max: 1_000_000, help: 'B: transitions per minibatch.' }),
    updatesPerStep: int({ default: 1, min: 1, max: 1000, help: 'Minibatches (gradient steps) per environment step.' }),
    learningStarts: int({ default: 1000, min: 1, max: 100_000_000, help: 'Stored transitions needed before the first minibatch.' }),
  },
  inputs: [{ name: 'buffer', type: 'Batch', doc: 'The replay buffer\'s contents.' }],
  outputs: [{ name: 'batch', type: 'Batch', doc: 'One minibatch per update (the buffer\'s fields).' }],
  batchFields: ({ inputFields }) => ({ batch: inputFields.buffer ?? [] }),
  // A buffer that can never hold learningStarts rows would silently train nothing.
  checkGraph: ({ params, node }) => {
    const buffer = node.upstream('buffer')[0];
    const capacity = buffer?.type === 'replay.buffer' ? Number(buffer.params.capacity) : Infinity;
    return capacity < params.learningStarts
      ? `learningStarts ${params.learningStarts} is more than replay buffer '${buffer!.id}' can hold (capacity ${capacity}): no minibatch would ever be drawn`
      : null;
  },
  create(ctx, params) {
    const rng = ctx.rng('sample');
    const indices = new Int32Array(params.batchSize);
    const buffers = new Map<string, HostField>();
    return {
      *updates(inputs): Generator<Outputs> {
        const source = batchIn(inputs, 'buffer');
        if (source.size < params.learningStarts) return;
        const B = params.batchSize;
        for (let u = 0; u < params.updatesPerStep; u++) {
          // One draw per row, in row order: the stream depends on the seed and the fill only.
          for (let i = 0; i < B; i++) indices[i] = rng.int(source.size);
          const fields: Record<string, HostField> = {};
          for (const [name, field] of Object.entries(source.fields)) {
            const w = field.width;
            let out = buffers.get(name);
            if (!out || out.width !== w) buffers.set(name, (out = { data: new Float32Array(B * w), width: w }));
            const src = field.data;
            const dst = out.data;
            if (w === 1) for (let i = 0; i < B; i++) dst[i] = src[indices[i]];
            else {
              for (let i = 0; i < B; i++) {
                const so = indices[i] * w;
                const o = i * w;
                for (let j = 0; j < w; j++) dst[o + j] = src[so + j];
              }
            }
            fields[name] = out;
          }
          const batch: HostBatch = { kind: 'batch', size: B, fields };
          yield { batch };
        }
      },
      saveState: () => ({ rng: rng.getState() }),
      loadState: (state) => rng.setState((state as { rng: ReturnType<typeof rng.getState> }).rng),
    };
  },
});
