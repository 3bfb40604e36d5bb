// tests/kernels/elementwise.test.ts — the element-wise kernels' build-independent behaviour: the
// argument checks, the dropout mask as a random variable, and dispatch through kernels/index.ts.
// Each build against the reference is tests/kernels/builds/elementwise.test.ts.

import { afterEach, describe, expect, it } from 'vitest';
import {
  adamUpdate, alloc, dropoutForward, free, getBackend, heapF32, referenceKernels, setBackend,
} from '../../kernels/index.js';
import { wasmKernels } from '../../kernels/wasm.js';
import { randomUniform } from '../seeded.js';
import { expectBitIdentical, randomArray, runPair } from './arrays.js';

describe('wasm element-wise argument checks', () => {
  const kernels = wasmKernels!;

  it('rejects counts that are not non-negative integers, and a dropout rate outside [0, 1)', () => {
    const p = alloc(64);
    try {
      expect(() => kernels.fill(-1, p, 0)).toThrow(RangeError);
      expect(() => kernels.mulInto(2.5, p, p, p)).toThrow(/mulInto expected a non-negative integer count, got 2.5/);
      expect(() => kernels.adamUpdate(NaN, p, p, p, p, 1, 0.9, 0.999, 1e-7)).toThrow(RangeError);
      expect(() => kernels.columnSumsInto(1, -2, p, p)).toThrow(/columnSumsInto/);
      expect(() => kernels.findNonFinite(-1, p)).toThrow(/findNonFinite expected a non-negative integer count/);
      expect(() => kernels.dropoutForward(4, p, p, p, 1, 1)).toThrow(/rate in \[0, 1\), got 1/);
      expect(() => kernels.dropoutForward(4, p, p, p, 1, NaN)).toThrow(RangeError);
    } finally {
      free(p, 64);
    }
  });
});

// ---- the dropout mask as a random variable ------------------------------------------------------

describe('dropout mask statistics (wasm)', () => {
  const kernels = wasmKernels!;
  const n = 1 << 20;

  /** The mask of n elements as booleans (kept), from the WASM kernel (the reference is not needed here). */
  function keptFlags(seed: number, rate: number): Uint8Array {
    const [x, out, mask] = [alloc(n * 4), alloc(n * 4), alloc(n * 4)];
    try {
      const heap = heapF32();
      heap.fill(1, x >> 2, (x >> 2) + n);
      kernels.dropoutForward(n, x, out, mask, seed, rate);
      const scale = Math.fround(1 / (1 - rate));
      const values = heap.subarray(mask >> 2, (mask >> 2) + n);
      const flags = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        if (values[i] !== 0 && values[i] !== scale) expect.fail(`mask[${i}] = ${values[i]}, expected 0 or ${scale}`);
        flags[i] = values[i] === scale ? 1 : 0;
      }
      return flags;
    } finally {
      for (const block of [x, out, mask]) free(block, n * 4);
    }
  }

  /** Expects a frequency within 5 standard deviations of p over `count` Bernoulli trials. */
  function expectFrequency(hits: number, count: number, p: number, what: string): void {
    const sigma = Math.sqrt((p * (1 - p)) / count);
    const frequency = hits / count;
    expect(Math.abs(frequency - p), `${what}: frequency ${frequency}, expected ${p} ± 5·${sigma.toExponential(2)}`).toBeLessThanOrEqual(5 * sigma);
  }

  it.each([0.1, 0.2, 0.5, 0.9])('rate %f: each element kept with probability 1 - rate; neighbours independent', (rate) => {
    const keep = 1 - rate;
    for (const seed of [3, 0xdeadbeef]) {
      const flags = keptFlags(seed, rate);
      let kept = 0;
      for (let i = 0; i < n; i++) kept += flags[i]!;
      expectFrequency(kept, n, keep, `keep rate, seed ${seed}`);
      // Pairs at lag 1 (neighbours), 4 (the next f32x4 lane group), 512 (the next row of a 512-wide
      // layer): both kept as often as two independent draws would be.
      for (const lag of [1, 4, 512]) {
        let both = 0;
        for (let i = 0; i + lag < n; i++) both += flags[i]! & flags[i + lag]!;
        expectFrequency(both, n - lag, keep * keep, `both kept at lag ${lag}, seed ${seed}`);
      }
    }
  });

  it('gives unrelated masks for different seeds, even adjacent ones', () => {
    const rate = 0.5;
    for (const [a, b] of [[1, 2], [41, 42], [0, 0x80000000]]) {
      const first = keptFlags(a!, rate), second = keptFlags(b!, rate);
      let agree = 0;
      for (let i = 0; i < n; i++) agree += first[i] === second[i] ? 1 : 0;
      expectFrequency(agree, n, 0.5, `agreement between seeds ${a} and ${b}`);
    }
  });

  it('keeps everything at rate 0 and almost nothing at rate 0.999', () => {
    const all = keptFlags(5, 0);
    expect(all.every((f) => f === 1)).toBe(true);
    const few = keptFlags(5, 0.999);
    let kept = 0;
    for (let i = 0; i < n; i++) kept += few[i]!;
    expectFrequency(kept, n, 0.001, 'keep rate at 0.999');
  });
});

// ---- dispatch through kernels/index.ts ----------------------------------------------------------

describe('kernels/index.ts dispatch', () => {
  afterEach(() => setBackend('wasm'));

  it('routes the element-wise kernels to the chosen backend; both backends draw the same dropout mask', () => {
    const n = 37;
    const x = randomArray(n, randomUniform(11)), g = randomArray(n, randomUniform(12));
    const zeros = new Float32Array(n);
    const masks: Float32Array[] = [];
    for (const [name, direct] of [['js', referenceKernels], ['wasm', wasmKernels!]] as const) {
      setBackend(name);
      expect(getBackend()).toBe(name);
      // Through index.ts on one set of arrays, straight to the backend on the other: the same bits.
      const dropout = runPair([x, zeros, zeros], [1, 2, 3],
        ([px, pout, pmask]) => direct.dropoutForward(n, px!, pout!, pmask!, 123, 0.4),
        ([px, pout, pmask]) => dropoutForward(n, px!, pout!, pmask!, 123, 0.4), `dropout via ${name}`);
      dropout.got.forEach((array, i) => expectBitIdentical(array, dropout.expected[i]!, `dropout array ${i}, ${name}`));
      masks.push(dropout.got[2]!);
      const adam = runPair([x, g, zeros, zeros], [0, 1, 2, 3],
        ([pw, pg, pm, pv]) => direct.adamUpdate(n, pw!, pg!, pm!, pv!, 0.01, 0.9, 0.999, 1e-7),
        ([pw, pg, pm, pv]) => adamUpdate(n, pw!, pg!, pm!, pv!, 0.01, 0.9, 0.999, 1e-7), `adam via ${name}`);
      adam.got.forEach((array, i) => expectBitIdentical(array, adam.expected[i]!, `adam array ${i}, ${name}`));
    }
    expectBitIdentical(masks[0]!, masks[1]!, 'dropout mask, js vs wasm backend');
    expect(masks[0]!.some((v) => v === 0) && masks[0]!.some((v) => v !== 0)).toBe(true);
  });
});
