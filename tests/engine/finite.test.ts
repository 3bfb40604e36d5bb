// tests/engine/finite.test.ts — firstNonFinite() finds the first NaN or ±Infinity wherever it sits
// (ragged shapes, views at an offset, the JS heap or the WebAssembly memory, large tensors of the
// JS heap searched slice by slice), and does not mistake large finite numbers for a bad one.

import { describe, expect, it } from 'vitest';
import { describeIndex, firstNonFinite, scoped, sliceRows, tensor, zeros } from '../../engine/index.js';

const bad = [Number.NaN, Infinity, -Infinity];

describe('firstNonFinite', () => {
  for (const where of ['the JS heap', 'the WebAssembly memory'] as const) {
    const run = <T>(fn: () => T): T => (where === 'the JS heap' ? fn() : scoped(fn));
    it(`finds NaN, Inf and -Inf at every position of ragged shapes, in ${where}`, () => run(() => {
      for (const shape of [[1], [7], [3, 5], [2, 3, 4], [17, 1]]) {
        const t = zeros(shape);
        expect(firstNonFinite(t)).toBe(-1);
        for (let i = 0; i < t.size; i += Math.max(1, Math.floor(t.size / 5))) {
          for (const v of bad) {
            t.data[i] = v;
            if (i + 1 < t.size) t.data[t.size - 1] = v; // a later one too: the first is reported
            expect(firstNonFinite(t)).toBe(i);
            t.data.fill(0);
          }
        }
      }
    }));
  }

  it('finds the first bad number of a large tensor in the JS heap, copied through the memory slice by slice', () => {
    const t = zeros([2 * 65536 + 9]); // outside any scope: in the JS heap, past two 64 Ki-float slices
    expect(t.inWasmMemory).toBe(false);
    expect(firstNonFinite(t)).toBe(-1);
    for (const at of [0, 1023, 65535, 65536, 131071, 131072, t.size - 1]) {
      t.data[at] = bad[at % 3]!;
      t.data[t.size - 1] = Number.NaN; // a later one too, in the last slice
      expect(firstNonFinite(t)).toBe(at);
      t.data.fill(0);
    }
    expect(t.inWasmMemory).toBe(false); // nothing moved
  });

  it('is exact on a view at an offset, and ignores what lies outside it', () => scoped(() => {
    const x = zeros([6, 4]);
    x.data[3] = Number.NaN; // row 0: outside the view
    const rows = sliceRows(x, 2, 5);
    expect(firstNonFinite(rows)).toBe(-1);
    x.data[2 * 4 + 9] = Infinity;
    expect(firstNonFinite(rows)).toBe(9);
  }));

  it('takes the largest finite floats for finite, and finds Inf and -Inf in one column', () => scoped(() => {
    const big = tensor(new Float32Array(8).fill(3e38), [4, 2]);
    expect(firstNonFinite(big)).toBe(-1);
    const both = zeros([4, 2]);
    both.data[2] = Infinity;
    both.data[4] = -Infinity;
    expect(firstNonFinite(both)).toBe(2);
  }));

  it('names positions for messages', () => {
    expect(describeIndex([5], 3)).toBe('element 3');
    expect(describeIndex([784, 512], 1234)).toBe('index [2, 210]');
    expect(describeIndex([2, 3, 4], 23)).toBe('index [1, 2, 3]');
  });
});
