/** Typed access to a block's inputs (the compiler has already checked port types). */
import type { HostBatch, Inputs, PolicyResource, Tick } from '../engine/block.ts';
import { type Tensor, tf } from '../engine/tf.ts';

export function tensorIn(inputs: Inputs, name: string): Tensor {
  const value = inputs[name];
  if (!(value instanceof tf.Tensor)) throw new Error(`input '${name}' is not a tensor`);
  return value;
}

export function optionalTensorIn(inputs: Inputs, name: string): Tensor | undefined {
  return inputs[name] === undefined ? undefined : tensorIn(inputs, name);
}

export function tensorsIn(inputs: Inputs, name: string): Tensor[] {
  const value = inputs[name];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => {
    if (!(v instanceof tf.Tensor)) throw new Error(`input '${name}' is not a tensor`);
    return v;
  });
}

export function batchIn(inputs: Inputs, name: string): HostBatch {
  const value = inputs[name];
  if (!value || Array.isArray(value) || (value as HostBatch).kind !== 'batch') throw new Error(`input '${name}' is not a batch`);
  return value as HostBatch;
}

/** Copies a batch's fields and adds new ones (the input batch is never modified). */
export function extendBatch(batch: HostBatch, added: Record<string, Float32Array>): HostBatch {
  const fields = { ...batch.fields };
  for (const [name, data] of Object.entries(added)) fields[name] = { data, width: 1 };
  return { kind: 'batch', size: batch.size, fields };
}

/** Reuses a Float32Array across iterations while the size stays the same. */
export function reusable(): (size: number) => Float32Array {
  let buffer = new Float32Array(0);
  return (size) => (buffer.length === size ? buffer : (buffer = new Float32Array(size)));
}

/** The policy's forward pass on `obs`, shared by every block of the same tick (logProb, entropy). */
export function policyOutput(policy: PolicyResource, obs: Tensor, tick: Tick): Tensor {
  return tick.memo(policy, `out#${obs.id}`, () => policy.apply(obs));
}
