/**
 * Seeded pseudo-random numbers. Every random source in a run (weight init, action sampling, env
 * resets, minibatch shuffles) owns one `Rng` whose seed is derived from the run seed and the node
 * id, so that adding a node never shifts another node's random stream.
 *
 * Generator: sfc32 (Small Fast Counting, 128-bit state): fast in JS, passes PractRand, and its
 * state is four uint32 words, which checkpoints store verbatim.
 */

/** 32-bit FNV-1a over a string, used to mix node ids into seeds. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** splitmix32 finaliser: turns correlated inputs into well-spread 32-bit words. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  x ^= x >>> 15;
  return x >>> 0;
}

/** A seed for one random source: derived from the run seed and a path such as ["policy", "init"]. */
export function deriveSeed(runSeed: number, ...path: (string | number)[]): number {
  let h = mix32(runSeed >>> 0) ^ mix32(Math.floor(runSeed / 2 ** 32));
  for (const part of path) h = mix32(h ^ fnv1a(String(part)));
  return h >>> 0;
}

export type RngState = [number, number, number, number];

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Second normal deviate of the last Box–Muller pair (NaN when none is cached). */
  private spareNormal = Number.NaN;

  constructor(seed: number) {
    this.a = mix32(seed);
    this.b = mix32(this.a ^ 0x1b873593);
    this.c = mix32(this.b ^ 0xcc9e2d51);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal deviate (Box–Muller, pairs cached). */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = Number.NaN;
      return z;
    }
    let u = 0;
    while (u <= Number.MIN_VALUE) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle(values: Int32Array | Uint32Array | number[]): void {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = values[i];
      values[i] = values[j];
      values[j] = tmp;
    }
  }

  getState(): { words: RngState; spare: number | null } {
    return {
      words: [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0],
      spare: Number.isNaN(this.spareNormal) ? null : this.spareNormal,
    };
  }

  setState(state: { words: RngState; spare: number | null }): void {
    [this.a, this.b, this.c, this.d] = state.words.map((w) => w | 0) as RngState;
    this.spareNormal = state.spare ?? Number.NaN;
  }
}
