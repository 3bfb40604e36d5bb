// tests/kernels/conv-reference.test.ts — the TypeScript convnet kernels (kernels/conv-reference.ts),
// the oracle of the WASM ones, on values worked out by hand: im2col's zero padding at the bottom and
// right, max pooling's first-maximum rule, average pooling's count of real pixels only.

import { describe, expect, it } from 'vitest';
import { geometry, reference } from './windows.js';

describe('the reference kernels on hand-worked values', () => {
  it('im2col of a 3x3 image with a 2x2 window, same padding: zeros at the bottom and right', () => {
    const g = geometry(1, 3, 3, 1, [2, 2], [1, 1], 'same');
    const [, cols] = reference([Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), new Float32Array(36)], (k, [x, c]) => k.im2col(g, x!, c!));
    expect(Array.from(cols!.subarray(0, 8))).toEqual([1, 2, 4, 5, 2, 3, 5, 6]);
    expect(Array.from(cols!.subarray(32, 36))).toEqual([9, 0, 0, 0]);
  });
  it('max pooling sends the gradient to the first maximum only; average pooling counts only real pixels', () => {
    const g = geometry(1, 2, 3, 1, [2, 2], [2, 2], 'same'); // output 1x2, the second window half outside
    const x = Float32Array.from([5, 1, 2, 5, 0, 3]);
    const [, y] = reference([x, new Float32Array(2)], (k, [xp, yp]) => k.maxPoolForward(g, xp!, yp!));
    expect(Array.from(y!)).toEqual([5, 3]);
    const [, , , dx] = reference([x, y!, Float32Array.from([10, 20]), new Float32Array(6)], (k, [a, b, c, d]) => k.maxPoolBackwardInto(g, a!, b!, c!, d!));
    expect(Array.from(dx!)).toEqual([10, 0, 0, 0, 0, 20]);
    const [, avg] = reference([x, new Float32Array(2)], (k, [xp, yp]) => k.avgPoolForward(g, xp!, yp!));
    expect(Array.from(avg!)).toEqual([11 / 4, 2.5]);
  });
});
