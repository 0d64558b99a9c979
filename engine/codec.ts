/** Checkpoint encoding of tensors and typed arrays: base64 float32 with the shape beside it. */
import { type Tensor, tf, type Variable } from './tf.ts';

export interface EncodedArray {
  shape: number[];
  /** base64 of the little-endian float32 bytes. */
  f32: string;
}

export function encodeFloats(data: Float32Array, shape: number[]): EncodedArray {
  return { shape, f32: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
}

export function decodeFloats(encoded: EncodedArray): Float32Array {
  const bytes = Buffer.from(encoded.f32, 'base64');
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

export function encodeTensor(t: Tensor): EncodedArray {
  return encodeFloats(t.dataSync() as Float32Array, t.shape);
}

/** Restores a variable in place; the shape must match (a changed network cannot load old weights). */
export function assignEncoded(variable: Variable, encoded: EncodedArray, owner: string): void {
  if (encoded.shape.join('x') !== variable.shape.join('x')) {
    throw new Error(`${owner}: checkpoint holds shape [${encoded.shape}] but the variable has [${variable.shape}]`);
  }
  // In tidy: the temporary dies, so the variable owns its data alone again.
  tf.tidy(() => variable.assign(tf.tensor(decodeFloats(encoded), encoded.shape)));
}
