/**
 * Issue 6, target-network updates (engine/target.ts): Polyak θ' ← τθ + (1 − τ)θ' and hard copy
 * against hand computation, on the host-loop and tensor paths, on cpu and wasm; every update
 * assigns new data (never in place, never shared with the source) and leaks no tensors.
 */
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { hostView } from '../engine/host-memory.ts';
import { hardCopy, polyakUpdate } from '../engine/target.ts';
import { tf, type Variable } from '../engine/tf.ts';

interface DataHolder {
  dataId: object;
}

function makeVars(prefix: string, values: number[][], shapes: number[][]): Variable[] {
  return values.map((v, i) => tf.variable(tf.tensor(v, shapes[i]), true, `${prefix}${i}_${Math.random().toString(36).slice(2)}`));
}

const shapes = [[2, 3], [3], [1]];
const sourceValues = [[1, 2, 3, 4, 5, 6], [-1, 0.5, 10], [7]];
const targetValues = [[0, 0, 0, 10, 20, 30], [1, 1, 1], [-3]];

afterAll(async () => {
  await tf.setBackend('cpu');
});

for (const backend of ['cpu', 'wasm'] as const) {
  for (const host of [true, false]) {
    describe(`${backend}, ${host ? 'host loop' : 'tensor ops'}`, () => {
      it('polyak matches the hand computation, twice in a row', async () => {
        await tf.setBackend(backend);
        expect(tf.getBackend()).toBe(backend);
        const source = makeVars('s', sourceValues, shapes);
        // The host-loop runs really take the host path on both backends.
        expect(hostView(source[0]!)).not.toBeNull();
        const target = makeVars('t', targetValues, shapes);
        const before = tf.memory().numTensors;
        const sourceIds = source.map((v) => (v as unknown as DataHolder).dataId);
        const targetIds = target.map((v) => (v as unknown as DataHolder).dataId);
        const tau = 0.25;
        polyakUpdate(target, source, tau, { host });
        // By hand: θ' ← 0.25·θ + 0.75·θ'.
        const once = [
          [0.25, 0.5, 0.75, 8.5, 16.25, 24],
          [0.5, 0.875, 3.25],
          [-0.5],
        ];
        target.forEach((t, i) => {
          expect(t.shape).toEqual(shapes[i]);
          Array.from(t.dataSync()).forEach((x, j) => expect(x).toBeCloseTo(once[i]![j]!, 6));
        });
        polyakUpdate(target, source, tau, { host });
        // Second step: 0.25·θ + 0.75·(first result).
        target.forEach((t, i) => Array.from(t.dataSync()).forEach((x, j) => expect(x).toBeCloseTo(0.25 * sourceValues[i]![j]! + 0.75 * once[i]![j]!, 6)));
        // Fresh data for the targets; the source is untouched; no tensor leaked.
        target.forEach((t, i) => expect((t as unknown as DataHolder).dataId).not.toBe(targetIds[i]));
        source.forEach((s, i) => {
          expect((s as unknown as DataHolder).dataId).toBe(sourceIds[i]);
          expect(Array.from(s.dataSync())).toEqual(sourceValues[i]);
        });
        expect(tf.memory().numTensors).toBe(before);

        // τ = 0 leaves the target, τ = 1 copies the source.
        polyakUpdate(target, source, 0, { host });
        target.forEach((t, i) => Array.from(t.dataSync()).forEach((x, j) => expect(x).toBeCloseTo(0.25 * sourceValues[i]![j]! + 0.75 * once[i]![j]!, 6)));
        polyakUpdate(target, source, 1, { host });
        target.forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(sourceValues[i]));
        [...source, ...target].forEach((v) => v.dispose());
      });

      it('hard copy gives the target its own copy of the source', async () => {
        await tf.setBackend(backend);
        const source = makeVars('s', sourceValues, shapes);
        const target = makeVars('t', targetValues, shapes);
        const before = tf.memory().numTensors;
        hardCopy(target, source, { host });
        target.forEach((t, i) => {
          expect(Array.from(t.dataSync())).toEqual(sourceValues[i]);
          expect((t as unknown as DataHolder).dataId).not.toBe((source[i] as unknown as DataHolder).dataId);
        });
        expect(tf.memory().numTensors).toBe(before);
        // Changing the source afterwards (as an optimiser step does) leaves the copy as it was.
        source[0]!.assign(tf.zeros(shapes[0]!));
        expect(Array.from(target[0]!.dataSync())).toEqual(sourceValues[0]);
        [...source, ...target].forEach((v) => v.dispose());
      });
    });
  }
}

describe('target update errors', () => {
  it('names the mismatch', async () => {
    await tf.setBackend('cpu');
    const a = makeVars('a', [[1, 2]], [[2]]);
    const b = makeVars('b', [[1, 2, 3]], [[3]]);
    expect(() => polyakUpdate(a, b, 0.5)).toThrow(/target a0_\w+ is float32 \[2\] but source b0_\w+ is float32 \[3\]/);
    expect(() => polyakUpdate(a, [...a, ...b], 0.5)).toThrow(/1 variables but the source has 2/);
    expect(() => polyakUpdate(a, a, 0.5)).toThrow(/its own target/);
    expect(() => polyakUpdate(a, a, 1.5)).toThrow(/tau must lie in \[0, 1\]/);
    expect(() => hardCopy(b, a)).toThrow(/\[3\] but source/);
    [...a, ...b].forEach((v) => v.dispose());
  });
});
