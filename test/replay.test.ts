/**
 * Issue 6, replay memory (engine/replay.ts): returns exactly what was stored, wraps (oldest
 * overwritten), keeps terminated apart from truncated, samples deterministically for a seed and
 * uniformly (chi-square over many draws), reuses the caller's batch arrays, and round-trips
 * through save/load (including JSON, as checkpoints are written).
 */
import { describe, expect, it } from 'vitest';
import { ReplayBuffer, type TransitionRows } from '../engine/replay.ts';
import { Rng } from '../engine/rng.ts';

const OBS = 3;
const ACT = 2;

/** Transition number t, distinguishable in every field (exact in float32 for t < 2^16). */
function rows(tStart: number, n: number): TransitionRows {
  const obs: number[] = [];
  const nextObs: number[] = [];
  const act: number[] = [];
  const rew: number[] = [];
  const terminated: number[] = [];
  const truncated: boolean[] = [];
  for (let t = tStart; t < tStart + n; t++) {
    for (let j = 0; j < OBS; j++) {
      obs.push(t * 10 + j);
      nextObs.push(t * 10 + j + 0.5);
    }
    for (let j = 0; j < ACT; j++) act.push(-t - j * 0.25);
    rew.push(t / 4);
    terminated.push(t % 3 === 0 ? 1 : 0);
    truncated.push(t % 5 === 0);
  }
  return { obs, act, rew, nextObs, terminated, truncated };
}

/** The transition number stored in a batch row, checking every field agrees with it. */
function expectRow(batch: ReturnType<ReplayBuffer['createBatch']>, i: number): number {
  const t = batch.obs[i * OBS]! / 10;
  for (let j = 0; j < OBS; j++) {
    expect(batch.obs[i * OBS + j]).toBe(t * 10 + j);
    expect(batch.nextObs[i * OBS + j]).toBe(t * 10 + j + 0.5);
  }
  for (let j = 0; j < ACT; j++) expect(batch.act[i * ACT + j]).toBe(-t - j * 0.25);
  expect(batch.rew[i]).toBe(t / 4);
  expect(batch.terminated[i]).toBe(t % 3 === 0 ? 1 : 0);
  expect(batch.truncated[i]).toBe(t % 5 === 0 ? 1 : 0);
  return t;
}

describe('ReplayBuffer', () => {
  it('returns exactly what was stored, one or many rows per add', () => {
    const buf = new ReplayBuffer({ capacity: 10, obsDim: OBS, actDim: ACT });
    expect(buf.size).toBe(0);
    buf.add(rows(1, 1));
    buf.add(rows(2, 4), 4); // a vectorised env: 4 rows at once
    expect(buf.size).toBe(5);
    expect(buf.totalAdded).toBe(5);
    const batch = buf.createBatch(5);
    buf.gather([0, 1, 2, 3, 4], batch);
    for (let i = 0; i < 5; i++) expect(expectRow(batch, i)).toBe(i + 1);
    expect(Array.from(batch.indices)).toEqual([0, 1, 2, 3, 4]);
  });

  it('wraps around: the oldest rows are overwritten, size stays at capacity', () => {
    const buf = new ReplayBuffer({ capacity: 4, obsDim: OBS, actDim: ACT });
    buf.add(rows(1, 3), 3); // slots 0..2 = t 1..3
    buf.add(rows(4, 3), 3); // t4 → slot 3, t5 → slot 0, t6 → slot 1
    expect(buf.size).toBe(4);
    expect(buf.totalAdded).toBe(6);
    expect(buf.nextSlot).toBe(2);
    const batch = buf.createBatch(4);
    buf.gather([0, 1, 2, 3], batch);
    expect([0, 1, 2, 3].map((i) => expectRow(batch, i))).toEqual([5, 6, 3, 4]);
    // More rows than the capacity in one add: only the last `capacity` survive, in ring order.
    buf.add(rows(100, 7), 7); // t100..106 from slot 2: as 7 single adds, slots 1,2,3,0 end with t103..106
    buf.gather([0, 1, 2, 3], batch);
    expect([0, 1, 2, 3].map((i) => expectRow(batch, i))).toEqual([106, 103, 104, 105]);
    expect(buf.nextSlot).toBe((2 + 7) % 4);
    // Same state as adding the rows one at a time.
    const single = new ReplayBuffer({ capacity: 4, obsDim: OBS, actDim: ACT });
    for (let t = 1; t <= 6; t++) single.add(rows(t, 1));
    for (let t = 100; t < 107; t++) single.add(rows(t, 1));
    expect(single.save()).toEqual(buf.save());
  });

  it('keeps terminated apart from truncated', () => {
    const buf = new ReplayBuffer({ capacity: 8, obsDim: 1, actDim: 1 });
    // A true termination, a time-limit truncation, both, neither.
    buf.add(
      { obs: [0, 1, 2, 3], act: [0, 0, 0, 0], rew: [0, 0, 0, 0], nextObs: [0, 0, 0, 0], terminated: [true, false, true, 0], truncated: [false, true, 1, 0] },
      4,
    );
    const batch = buf.createBatch(4);
    buf.gather([0, 1, 2, 3], batch);
    expect(Array.from(batch.terminated)).toEqual([1, 0, 1, 0]);
    expect(Array.from(batch.truncated)).toEqual([0, 1, 1, 0]);
  });

  it('rejects mis-sized rows and empty sampling with clear errors', () => {
    const buf = new ReplayBuffer({ capacity: 4, obsDim: OBS, actDim: ACT });
    expect(() => buf.sample(new Rng(1), buf.createBatch(2))).toThrow(/empty/);
    expect(() => buf.add(rows(1, 2), 1)).toThrow(/obs has 6 numbers, expected 3/);
    expect(() => new ReplayBuffer({ capacity: 0, obsDim: 1, actDim: 1 })).toThrow(/capacity/);
    expect(buf.size).toBe(0);
  });

  it('samples deterministically for a seed, into the same arrays, and differs across seeds', () => {
    const buf = new ReplayBuffer({ capacity: 50, obsDim: OBS, actDim: ACT });
    buf.add(rows(0, 50), 50);
    const a = buf.createBatch(32);
    const arrays = [a.obs, a.act, a.rew, a.nextObs, a.terminated, a.truncated, a.indices];
    const rngA = new Rng(7);
    const first = buf.sample(rngA, a);
    expect(first).toBe(a);
    const firstIdx = Array.from(a.indices);
    const firstObs = Array.from(a.obs);
    buf.sample(rngA, a);
    // No allocation in the hot path: the very same typed arrays are refilled.
    arrays.forEach((arr, i) => expect(arr).toBe([a.obs, a.act, a.rew, a.nextObs, a.terminated, a.truncated, a.indices][i]));

    const b = buf.createBatch(32);
    buf.sample(new Rng(7), b);
    expect(Array.from(b.indices)).toEqual(firstIdx);
    expect(Array.from(b.obs)).toEqual(firstObs);
    for (let i = 0; i < 32; i++) expect(expectRow(b, i)).toBe(b.indices[i]);

    buf.sample(new Rng(8), b);
    expect(Array.from(b.indices)).not.toEqual(firstIdx);
  });

  it('samples uniformly over the stored rows (chi-square), also once wrapped', () => {
    const capacity = 20;
    const buf = new ReplayBuffer({ capacity, obsDim: 1, actDim: 1 });
    // Partly filled: only the 13 stored rows may come out.
    const filledRows = (t0: number, n: number): TransitionRows => ({
      obs: Array.from({ length: n }, (_, i) => t0 + i),
      act: new Array<number>(n).fill(0),
      rew: new Array<number>(n).fill(0),
      nextObs: new Array<number>(n).fill(0),
      terminated: new Array<number>(n).fill(0),
      truncated: new Array<number>(n).fill(0),
    });
    buf.add(filledRows(0, 13), 13);
    const rng = new Rng(12345);
    const batch = buf.createBatch(256);

    const chiSquare = (k: number, draws: number): number => {
      const counts = new Float64Array(k);
      let maxIndex = 0;
      for (let n = 0; n < draws / batch.batchSize; n++) {
        buf.sample(rng, batch);
        for (let i = 0; i < batch.batchSize; i++) {
          maxIndex = Math.max(maxIndex, batch.indices[i]!);
          counts[batch.obs[i]! % k]! += 1; // stored value identifies the row
        }
      }
      expect(maxIndex).toBe(k - 1); // never past the stored rows
      const expected = draws / k;
      let chi = 0;
      for (const c of counts) chi += (c - expected) ** 2 / expected;
      return chi;
    };
    // df = 12: the 99.9th percentile of χ²(12) is 32.9; uniform sampling sits near 12.
    expect(chiSquare(13, 256 * 400)).toBeLessThan(32.9);

    // Wrapped: 27 more rows, the ring holds t 20..39 (every slot exactly once).
    buf.add(filledRows(13, 27), 27);
    expect(buf.size).toBe(capacity);
    // df = 19: 99.9th percentile 43.8.
    expect(chiSquare(20, 256 * 400)).toBeLessThan(43.8);
  });

  it('round-trips save/load (through JSON) and continues identically', () => {
    const buf = new ReplayBuffer({ capacity: 6, obsDim: OBS, actDim: ACT });
    buf.add(rows(1, 9), 9); // wrapped
    const state = JSON.parse(JSON.stringify(buf.save())) as ReturnType<ReplayBuffer['save']>;
    const copy = new ReplayBuffer({ capacity: 6, obsDim: OBS, actDim: ACT });
    copy.load(state);
    expect(copy.size).toBe(6);
    expect(copy.totalAdded).toBe(9);
    expect(copy.nextSlot).toBe(buf.nextSlot);
    const ba = buf.createBatch(16);
    const bb = copy.createBatch(16);
    buf.sample(new Rng(3), ba);
    copy.sample(new Rng(3), bb);
    expect(bb).toEqual(ba);
    // Both continue the ring at the same slot.
    buf.add(rows(50, 1));
    copy.add(rows(50, 1));
    buf.gather([0, 1, 2, 3, 4, 5], ba);
    copy.gather([0, 1, 2, 3, 4, 5], bb);
    expect(Array.from(bb.obs)).toEqual(Array.from(ba.obs));

    // A partly filled buffer saves only its rows.
    const small = new ReplayBuffer({ capacity: 1000, obsDim: OBS, actDim: ACT });
    small.add(rows(1, 2), 2);
    const smallState = small.save();
    expect(smallState.obs.shape).toEqual([2, OBS]);
    const smallCopy = new ReplayBuffer({ capacity: 1000, obsDim: OBS, actDim: ACT });
    smallCopy.load(smallState);
    const sb = smallCopy.createBatch(2);
    smallCopy.gather([0, 1], sb);
    expect([expectRow(sb, 0), expectRow(sb, 1)]).toEqual([1, 2]);

    expect(() => new ReplayBuffer({ capacity: 7, obsDim: OBS, actDim: ACT }).load(state)).toThrow(/capacity 6/);
  });
});
