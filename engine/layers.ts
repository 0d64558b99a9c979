/** A dense layer y = x·W + b with host-side seeded initialisation. */
import { assignEncoded, type EncodedArray, encodeTensor } from './codec.ts';
import { glorotUniform, orthogonal } from './init.ts';
import type { Rng } from './rng.ts';
import { type Tensor, tf, type Variable } from './tf.ts';

export type InitKind = 'orthogonal' | 'glorot';

export class Dense {
  readonly weight: Variable;
  readonly bias: Variable;

  constructor(
    readonly name: string,
    readonly fanIn: number,
    readonly fanOut: number,
    init: InitKind,
    gain: number,
    rng: Rng,
  ) {
    const w = init === 'orthogonal' ? orthogonal(fanIn, fanOut, gain, rng) : glorotUniform(fanIn, fanOut, gain, rng);
    // Inside tidy so the initial tensors die: a variable that owns its data alone can be updated
    // in place by host-side optimisers (engine/host-memory.ts).
    this.weight = tf.tidy(() => tf.variable(tf.tensor2d(w, [fanIn, fanOut]), true));
    this.bias = tf.tidy(() => tf.variable(tf.zeros([fanOut]), true));
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
