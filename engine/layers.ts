/** A dense layer y = x·W + b with host-side seeded initialisation. */
import { assignEncoded, type EncodedArray, encodeTensor } from './codec.ts';
import { glorotUniform, orthogonal, uniformFanIn } from './init.ts';
import type { Rng } from './rng.ts';
import { type Tensor, tf, type Variable } from './tf.ts';

/**
 * orthogonal and glorot: biases start at 0. uniform: PyTorch nn.Linear's default, weight and bias
 * ~ U(±gain/√fanIn) (engine/init.ts `uniformFanIn`).
 */
export type InitKind = 'orthogonal' | 'glorot' | 'uniform';

/** Given values for a layer (copies): weight [fanIn × fanOut] row-major, bias [fanOut]. */
export interface DenseValues {
  weight: Float32Array;
  bias: Float32Array;
  trainable: boolean;
}

export class Dense {
  readonly weight: Variable;
  readonly bias: Variable;

  constructor(name: string, fanIn: number, fanOut: number, init: InitKind, gain: number, rng: Rng);
  constructor(name: string, fanIn: number, fanOut: number, values: DenseValues);
  constructor(
    readonly name: string,
    readonly fanIn: number,
    readonly fanOut: number,
    init: InitKind | DenseValues,
    gain?: number,
    rng?: Rng,
  ) {
    let w: Float32Array;
    let b: Float32Array | undefined;
    let trainable = true;
    if (typeof init === 'object') {
      if (init.weight.length !== fanIn * fanOut || init.bias.length !== fanOut) {
        throw new Error(`${name}: values for a ${fanIn}×${fanOut} layer have ${init.weight.length} weights and ${init.bias.length} biases`);
      }
      ({ weight: w, bias: b, trainable } = init);
    } else if (init === 'uniform') {
      ({ weight: w, bias: b } = uniformFanIn(fanIn, fanOut, gain!, rng!));
    } else {
      w = init === 'orthogonal' ? orthogonal(fanIn, fanOut, gain!, rng!) : glorotUniform(fanIn, fanOut, gain!, rng!);
    }
    // Inside tidy so the initial tensors die: a variable that owns its data alone can be updated
    // in place by host-side optimisers (engine/host-memory.ts).
    this.weight = tf.tidy(() => tf.variable(tf.tensor2d(w, [fanIn, fanOut]), trainable));
    this.bias = tf.tidy(() => tf.variable(b ? tf.tensor1d(b) : tf.zeros([fanOut]), trainable));
  }

  /**
   * A layer of the same shape holding copies of the current values in fresh, non-trainable
   * variables (target networks: nothing optimises them, target updates assign them).
   */
  copy(name: string): Dense {
    // slice: dataSync may return the backend's own buffer (cpu) or a view into the wasm heap.
    const weight = (this.weight.dataSync() as Float32Array).slice();
    const bias = (this.bias.dataSync() as Float32Array).slice();
    return new Dense(name, this.fanIn, this.fanOut, { weight, bias, trainable: false });
  }

  apply(x: Tensor): Tensor {
    return tf.add(tf.matMul(x as tf.Tensor2D, this.weight as unknown as tf.Tensor2D), this.bias);
  }

  get variables(): Variable[] {
    return [this.weight, this.bias];
  }

  save(): EncodedArray[] {
    return [encodeTensor(this.weight), encodeTensor(this.bias)];
  }

  load(state: EncodedArray[]): void {
    assignEncoded(this.weight, state[0], this.name);
    assignEncoded(this.bias, state[1], this.name);
  }

  dispose(): void {
    this.weight.dispose();
    this.bias.dispose();
  }
}

export const ACTIVATIONS = ['tanh', 'relu', 'elu', 'linear'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export function activate(x: Tensor, activation: Activation): Tensor {
  switch (activation) {
    case 'tanh':
      return tf.tanh(x);
    case 'relu':
      return tf.relu(x);
    case 'elu':
      return tf.elu(x);
    case 'linear':
      return x;
  }
}
