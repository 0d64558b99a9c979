/**
 * Fixed-capacity replay memory for the off-policy family (issue 6: DDPG, TD3, SAC, soft Q).
 *
 * Storage is one Float32Array per field, row-major ([capacity × dim]), so a sampled minibatch can
 * be handed to `tf.tensor` without conversion and the whole buffer checkpoints as a handful of
 * flat arrays. Rows are written at `position` and wrap around: once full, each add overwrites the
 * oldest transition.
 *
 * `terminated` and `truncated` are stored apart on purpose: the TD target must drop the bootstrap
 * term only when the episode really ended (y = r + γ(1 − terminated)·V(s')); a time-limit cut
 * (`truncated`) still bootstraps from s'. Collapsing both into one `done` flag biases every value
 * estimate near the time limit.
 *
 * Sampling is uniform with replacement over the stored rows and draws from the caller's seeded
 * `Rng`, so a run replays the same minibatches for the same seed. The sampler writes into a
 * caller-owned, preallocated `ReplayBatch`: the hot path (one sample per update, every env step)
 * allocates nothing.
 */
import { decodeFloats, type EncodedArray, encodeFloats } from './codec.ts';
import type { Rng } from './rng.ts';

export interface ReplayConfig {
  capacity: number;
  obsDim: number;
  actDim: number;
}

/**
 * One or many transitions, row-major. With `n` rows: obs and nextObs hold n × obsDim numbers, act
 * n × actDim, rew / terminated / truncated n each (flags as 0/1 numbers or booleans).
 */
export interface TransitionRows {
  obs: ArrayLike<number>;
  act: ArrayLike<number>;
  rew: ArrayLike<number>;
  nextObs: ArrayLike<number>;
  terminated: ArrayLike<number | boolean>;
  truncated: ArrayLike<number | boolean>;
}

/** A minibatch, row-major, with the ring slots it came from. Flags are 0/1 floats, ready for (1 − d). */
export interface ReplayBatch {
  readonly batchSize: number;
  readonly obs: Float32Array;
  readonly act: Float32Array;
  readonly rew: Float32Array;
  readonly nextObs: Float32Array;
  readonly terminated: Float32Array;
  readonly truncated: Float32Array;
  /** Ring slot of each row (useful for debugging and for prioritised variants later). */
  readonly indices: Int32Array;
}

/** Checkpoint form: only the filled rows are stored, so a barely used big buffer stays small. */
export interface ReplayState {
  capacity: number;
  obsDim: number;
  actDim: number;
  size: number;
  position: number;
  totalAdded: number;
  obs: EncodedArray;
  act: EncodedArray;
  rew: EncodedArray;
  nextObs: EncodedArray;
  terminated: EncodedArray;
  truncated: EncodedArray;
}

function checkPositiveInt(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`replay: ${name} must be a positive integer, got ${value}`);
}

export class ReplayBuffer {
  readonly capacity: number;
  readonly obsDim: number;
  readonly actDim: number;
  private readonly obs: Float32Array;
  private readonly act: Float32Array;
  private readonly rew: Float32Array;
  private readonly nextObs: Float32Array;
  private readonly terminated: Float32Array;
  private readonly truncated: Float32Array;
  /** Slot the next row goes to. */
  private position = 0;
  private filled = 0;
  /** Transitions ever added (not capped): the step clock's "replay fill" and warm-up gates read it. */
  private added = 0;

  constructor(config: ReplayConfig) {
    checkPositiveInt('capacity', config.capacity);
    checkPositiveInt('obsDim', config.obsDim);
    checkPositiveInt('actDim', config.actDim);
    this.capacity = config.capacity;
    this.obsDim = config.obsDim;
    this.actDim = config.actDim;
    this.obs = new Float32Array(config.capacity * config.obsDim);
    this.act = new Float32Array(config.capacity * config.actDim);
    this.rew = new Float32Array(config.capacity);
    this.nextObs = new Float32Array(config.capacity * config.obsDim);
    this.terminated = new Float32Array(config.capacity);
    this.truncated = new Float32Array(config.capacity);
  }

  /** Rows currently stored (≤ capacity). */
  get size(): number {
    return this.filled;
  }

  /** Transitions ever added, including overwritten ones. */
  get totalAdded(): number {
    return this.added;
  }

  /** Slot the next added row will occupy (the oldest row once the buffer is full). */
  get nextSlot(): number {
    return this.position;
  }

  /**
   * Appends `n` rows (a vectorised env adds one row per sub-env each step). Plain loops rather
   * than `subarray` + `set`: no view objects are created per call, and the inputs may be plain
   * arrays. If n exceeds the capacity only the last `capacity` rows survive, as with n single adds.
   */
  add(rows: TransitionRows, n = 1): void {
    checkPositiveInt('add count', n);
    const { obsDim, actDim } = this;
    this.checkLength('obs', rows.obs, n * obsDim);
    this.checkLength('act', rows.act, n * actDim);
    this.checkLength('rew', rows.rew, n);
    this.checkLength('nextObs', rows.nextObs, n * obsDim);
    this.checkLength('terminated', rows.terminated, n);
    this.checkLength('truncated', rows.truncated, n);
    // Rows that would be overwritten within this same call are skipped.
    const first = n > this.capacity ? n - this.capacity : 0;
    // …but the ring still advances past them, exactly as if they had been written.
    this.position = (this.position + first) % this.capacity;
    for (let i = first; i < n; i++) {
      const slot = this.position;
      const so = slot * obsDim;
      const io = i * obsDim;
      for (let j = 0; j < obsDim; j++) {
        this.obs[so + j] = rows.obs[io + j];
        this.nextObs[so + j] = rows.nextObs[io + j];
      }
      const sa = slot * actDim;
      const ia = i * actDim;
      for (let j = 0; j < actDim; j++) this.act[sa + j] = rows.act[ia + j];
      this.rew[slot] = rows.rew[i];
      // Number(true) = 1: flags may arrive as booleans from env step results.
      this.terminated[slot] = Number(rows.terminated[i]) ? 1 : 0;
      this.truncated[slot] = Number(rows.truncated[i]) ? 1 : 0;
      this.position = slot + 1 === this.capacity ? 0 : slot + 1;
    }
    this.filled = Math.min(this.capacity, this.filled + n);
    this.added += n;
  }

  /** Allocates a minibatch holder once; pass it to `sample` on every update. */
  createBatch(batchSize: number): ReplayBatch {
    checkPositiveInt('batchSize', batchSize);
    return {
      batchSize,
      obs: new Float32Array(batchSize * this.obsDim),
      act: new Float32Array(batchSize * this.actDim),
      rew: new Float32Array(batchSize),
      nextObs: new Float32Array(batchSize * this.obsDim),
      terminated: new Float32Array(batchSize),
      truncated: new Float32Array(batchSize),
      indices: new Int32Array(batchSize),
    };
  }

  /**
   * Fills `out` with `out.batchSize` rows drawn uniformly with replacement (the DQN / DDPG / SAC
   * convention) and returns it. One `rng.int` per row, in row order, so the stream is a function
   * of the seed and the buffer size alone.
   */
  sample(rng: Rng, out: ReplayBatch): ReplayBatch {
    if (this.filled === 0) throw new Error('replay: cannot sample from an empty buffer');
    if (out.obs.length !== out.batchSize * this.obsDim || out.act.length !== out.batchSize * this.actDim) {
      throw new Error('replay: batch was created for a buffer of different dimensions');
    }
    for (let i = 0; i < out.batchSize; i++) out.indices[i] = rng.int(this.filled);
    return this.gather(out.indices, out);
  }

  /** Copies the rows at ring slots `indices` into `out` (the first indices.length rows). */
  gather(indices: ArrayLike<number>, out: ReplayBatch): ReplayBatch {
    const { obsDim, actDim } = this;
    for (let i = 0; i < indices.length; i++) {
      const slot = indices[i];
      if (!(slot >= 0 && slot < this.filled)) throw new Error(`replay: slot ${slot} is outside the ${this.filled} stored rows`);
      if (out.indices !== indices) out.indices[i] = slot;
      const so = slot * obsDim;
      const oo = i * obsDim;
      for (let j = 0; j < obsDim; j++) {
        out.obs[oo + j] = this.obs[so + j];
        out.nextObs[oo + j] = this.nextObs[so + j];
      }
      const sa = slot * actDim;
      const oa = i * actDim;
      for (let j = 0; j < actDim; j++) out.act[oa + j] = this.act[sa + j];
      out.rew[i] = this.rew[slot];
      out.terminated[i] = this.terminated[slot];
      out.truncated[i] = this.truncated[slot];
    }
    return out;
  }

  /**
   * Live views of the stored rows, one per field, named as the collector's transitions (obs, act,
   * rew, nextObs, terminated, truncated): what a sampler reads. Valid until the next `add` changes
   * `size` (views are fixed once the buffer is full).
   */
  fieldViews(): Record<string, { data: Float32Array; width: number }> {
    const n = this.filled;
    return {
      obs: { data: this.obs.subarray(0, n * this.obsDim), width: this.obsDim },
      act: { data: this.act.subarray(0, n * this.actDim), width: this.actDim },
      rew: { data: this.rew.subarray(0, n), width: 1 },
      nextObs: { data: this.nextObs.subarray(0, n * this.obsDim), width: this.obsDim },
      terminated: { data: this.terminated.subarray(0, n), width: 1 },
      truncated: { data: this.truncated.subarray(0, n), width: 1 },
    };
  }

  /** Forgets every row (capacity and dimensions stay). */
  clear(): void {
    this.position = 0;
    this.filled = 0;
    this.added = 0;
  }

  save(): ReplayState {
    const n = this.filled;
    // Rows at or past `filled` were never written while not full, and when full n = capacity.
    return {
      capacity: this.capacity,
      obsDim: this.obsDim,
      actDim: this.actDim,
      size: n,
      position: this.position,
      totalAdded: this.added,
      obs: encodeFloats(this.obs.subarray(0, n * this.obsDim), [n, this.obsDim]),
      act: encodeFloats(this.act.subarray(0, n * this.actDim), [n, this.actDim]),
      rew: encodeFloats(this.rew.subarray(0, n), [n]),
      nextObs: encodeFloats(this.nextObs.subarray(0, n * this.obsDim), [n, this.obsDim]),
      terminated: encodeFloats(this.terminated.subarray(0, n), [n]),
      truncated: encodeFloats(this.truncated.subarray(0, n), [n]),
    };
  }

  /** Restores a `save()` taken from a buffer of the same capacity and dimensions. */
  load(state: ReplayState): void {
    if (state.capacity !== this.capacity || state.obsDim !== this.obsDim || state.actDim !== this.actDim) {
      throw new Error(
        `replay: checkpoint holds capacity ${state.capacity}, obsDim ${state.obsDim}, actDim ${state.actDim}; ` +
          `this buffer has ${this.capacity}, ${this.obsDim}, ${this.actDim}`,
      );
    }
    const n = state.size;
    if (!Number.isInteger(n) || n < 0 || n > this.capacity) throw new Error(`replay: checkpoint size ${n} is invalid`);
    if (!Number.isInteger(state.position) || state.position < 0 || state.position >= this.capacity) {
      throw new Error(`replay: checkpoint position ${state.position} is invalid`);
    }
    const fields: [string, EncodedArray, Float32Array, number][] = [
      ['obs', state.obs, this.obs, this.obsDim],
      ['act', state.act, this.act, this.actDim],
      ['rew', state.rew, this.rew, 1],
      ['nextObs', state.nextObs, this.nextObs, this.obsDim],
      ['terminated', state.terminated, this.terminated, 1],
      ['truncated', state.truncated, this.truncated, 1],
    ];
    // Decode and check everything before writing anything, so a bad checkpoint leaves the buffer intact.
    const decoded = fields.map(([name, encoded, , dim]) => {
      const data = decodeFloats(encoded);
      if (data.length !== n * dim) throw new Error(`replay: checkpoint field ${name} holds ${data.length} numbers, expected ${n * dim}`);
      return data;
    });
    fields.forEach(([, , target], i) => {
      target.fill(0);
      target.set(decoded[i]!);
    });
    this.filled = n;
    this.position = state.position;
    this.added = state.totalAdded;
  }

  private checkLength(name: string, values: ArrayLike<number | boolean>, expected: number): void {
    if (values.length !== expected) throw new Error(`replay: ${name} has ${values.length} numbers, expected ${expected}`);
  }
}
