// engine/random.ts — seeded pseudo-random numbers: uniform, normal, shuffles.
//
// One global generator (reset by setSeed) serves initializers and shuffling, so that the same seed
// gives the same weights after fit. Dropout layers may own a generator of their own ({ seed }).
// Not cryptographic; not Math.random (which cannot be seeded).

/** What Random.getState() returns: enough to continue the exact same stream later. */
export interface RandomState {
  /** xoshiro128**'s four 32-bit state words, as unsigned integers. */
  words: number[];
  /** The second normal of the last Box-Muller pair, not yet handed out, or null. */
  spareNormal: number | null;
}

/**
 * xoshiro128** (Blackman and Vigna, 2018): 128 bits of state, 32-bit outputs, fast in JavaScript
 * because every step is 32-bit integer arithmetic. Seeded through splitmix32 so that nearby seeds
 * (1, 2, 3...) give unrelated streams.
 */
export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  constructor(seed: number = Date.now()) {
    this.seed(seed);
  }

  seed(seed: number): void {
    if (!Number.isFinite(seed)) throw new Error(`wasmgrad: a seed must be a finite number, got ${seed}`);
    // splitmix32 expands one number into four well-mixed state words.
    let x = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    this.spareNormal = null;
  }

  /**
   * A snapshot of the generator: its four state words and the Box-Muller value it holds back.
   * Plain numbers, so it survives JSON; saved models carry it so that training resumed after
   * loading draws the same shuffles and dropout masks as training that never stopped.
   */
  getState(): RandomState {
    // The words drift between signed and unsigned 32-bit views (^ yields signed); the bits are
    // what matter, so hand them out as unsigned.
    return { words: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0], spareNormal: this.spareNormal };
  }

  /** Continues from a snapshot taken by getState(): the numbers that follow are the same. */
  setState(state: RandomState): void {
    const words = (state as Partial<RandomState> | null)?.words;
    if (!Array.isArray(words) || words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
      throw new Error(`wasmgrad: Random.setState expected { words: four 32-bit unsigned integers, spareNormal }, got words ${JSON.stringify(words)}`);
    }
    if (words.every((w) => w === 0)) {
      // xoshiro's one forbidden state: it would output zeros forever.
      throw new Error('wasmgrad: Random.setState got four zero state words, which xoshiro128** cannot leave');
    }
    const spare = state.spareNormal;
    if (spare !== null && !Number.isFinite(spare)) {
      throw new Error(`wasmgrad: Random.setState expected spareNormal to be a finite number or null, got ${String(spare)}`);
    }
    [this.s0, this.s1, this.s2, this.s3] = words;
    this.spareNormal = spare;
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Standard normal (mean 0, stddev 1) by the Box-Muller transform, two values per two uniforms. */
  normal(): number {
    if (this.spareNormal !== null) {
      const value = this.spareNormal;
      this.spareNormal = null;
      return value;
    }
    let u = 0;
    while (u === 0) u = this.uniform(); // log(0) would be -Infinity
    const v = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Shuffles an array in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: number }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The generator behind initializers, shuffling and unseeded dropout. */
export const globalRandom = new Random(Date.now());

/** Makes everything random that follows reproducible: same seed, same weights, same shuffles. */
export function setSeed(seed: number): void {
  globalRandom.seed(seed);
}
