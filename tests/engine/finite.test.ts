// tests/engine/finite.test.ts — firstNonFinite() finds the first NaN or ±Infinity wherever it sits
// (ragged shapes, views at an offset, the JS heap or the WebAssembly memory), and does not mistake
// finite numbers whose column sum overflows for a bad one.

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

  it('is exact on a view at an offset, and ignores what lies outside it', () => scoped(() => {
    const x = zeros([6, 4]);
    x.data[3] = Number.NaN; // row 0: outside the view
    const rows = sliceRows(x, 2, 5);
    expect(firstNonFinite(rows)).toBe(-1);
    x.data[2 * 4 + 9] = Infinity;
    expect(firstNonFinite(rows)).toBe(9);
  }));

  it('tells overflowing sums of finite numbers (all finite) from Inf + -Inf in one column (NaN)', () => scoped(() => {
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
