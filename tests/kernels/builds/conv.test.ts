// tests/kernels/builds/conv.test.ts — the WASM convnet kernels (im2col, col2im, the direct
// convolution and its kernel gradient, alone and fused with max pooling, max and average pooling
// (max pooling's backward fused with a ReLU's too, with the per-image sums of its dz),
// the batch-norm sums) of each compiled build under test (tests/kernels/builds.ts) against the
// TypeScript reference, on ragged shapes: channel counts around the f32x4 width, odd sizes,
// strides 1 and 2, padding on every side, overlapping windows, arrays at every 16-byte misalignment.
// Both compute the same float32 (and float64) operations in the same order, so the results must be
// bit-identical; but the direct convolution's loops (forward and kernel gradients) in the relaxed
// build, which fuses their multiply-adds: there within the rounding bound derived at
// compareMultiplyAdds. Guards around every array catch stray writes.

import { describe, expect, it } from 'vitest';
import type { Kernels } from '../../../kernels/index.js';
import { randomUniform } from '../../seeded.js';
import { EPS32, expectBitIdentical, expectClose, runBoth, runPair, shiftsFor } from '../arrays.js';
import { GRADIENT_CHUNKS } from '../../../kernels/conv-types.js';
import { builds, kernelsByBuild } from '../builds.js';
import { geometry, reference } from '../windows.js';

// (batch, height, width, channels, window, stride, padding): channels 1, 3, 4, 5, 8, 13 (tails of
// 1-3 after the f32x4 body), windows inside and across the borders, overlapping (stride < window).
const CASES: [number, number, number, number, [number, number], [number, number], 'valid' | 'same'][] = [
  [2, 7, 6, 1, [3, 3], [1, 1], 'valid'],
  [2, 7, 6, 1, [3, 3], [1, 1], 'same'],
  [1, 5, 7, 3, [3, 2], [2, 1], 'same'],
  [2, 6, 5, 4, [2, 2], [2, 2], 'valid'],
  [1, 9, 8, 5, [3, 3], [2, 2], 'same'],
  [2, 5, 5, 8, [1, 1], [1, 1], 'valid'],
  [1, 7, 7, 13, [3, 3], [2, 2], 'valid'],
  [1, 6, 9, 13, [4, 3], [1, 2], 'same'],
  [3, 4, 4, 6, [4, 4], [1, 1], 'valid'], // one window covering the whole image: global pooling
];

function randomArray(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const random = randomUniform(seed);
  return Float32Array.from({ length: n }, () => offset + scale * random());
}

/** Ties in every window: values from a small set, so max pooling's "first maximum" rule is exercised. */
function tiedArray(n: number, seed: number): Float32Array {
  const random = randomUniform(seed);
  return Float32Array.from({ length: n }, () => Math.round(2 * random()));
}

describe.each(builds)('wasm convnet kernels, %s build, against the reference', (build) => {
  const kernels = kernelsByBuild.get(build)!;
  let phase = 0; // each comparison puts its arrays at the next misalignments
  const compare = (inputs: Float32Array[], call: (k: Kernels, p: number[]) => void, what: string) => {
    const { got, expected } = runBoth(kernels, inputs, shiftsFor(phase++, inputs.length), call, what);
    got.forEach((array, i) => expectBitIdentical(array, expected[i]!, `${what}, array ${i}`));
  };
  /**
   * The direct convolution's loops, whose results are sums of n roundings each (a forward value: the
   * taps' products and sums, from the bias; a kernel gradient: a product and a sum a pixel, the
   * chunks' sums, the value already there): bit for bit in the simd build. In the relaxed build,
   * which fuses the multiply-adds, each rounding is either the reference's or a fused one's; either
   * way the result is within γ_n·Σ|terms| ≈ (n/2)·EPS32·Σ|terms| of the exact sum, so the two differ
   * by at most n·EPS32·Σ|terms|, where Σ|terms| is the reference run on the absolute values of the
   * arrays at `absolute` (the operands and initial values; not the masks).
   */
  const compareMultiplyAdds = (inputs: Float32Array[], absolute: number[], n: number, call: (k: Kernels, p: number[]) => void, what: string) => {
    if (build === 'simd') {
      compare(inputs, call, what);
      return;
    }
    const { got, expected } = runBoth(kernels, inputs, shiftsFor(phase++, inputs.length), call, what);
    const bounds = reference(inputs.map((a, i) => (absolute.includes(i) ? a.map(Math.abs) : a)), call);
    got.forEach((array, i) => expectClose(array, expected[i]!, (j) => n * EPS32 * Math.abs(bounds[i]![j]!), `${what}, array ${i}`));
  };
  /** Roundings in a kernel gradient's sums over `pixels` output pixels (see compareMultiplyAdds). */
  const gradientRoundings = (pixels: number) => 2 * pixels + GRADIENT_CHUNKS + 1;

  describe.each(CASES)('batch %i, %ix%i, %i channels, window %j, stride %j, %s', (batch, height, width, channels, window, stride, padding) => {
    const g = geometry(batch, height, width, channels, window, stride, padding);
    const inputSize = batch * height * width * channels;
    const outSize = batch * g.outH * g.outW * channels;
    const colsSize = batch * g.outH * g.outW * g.windowH * g.windowW * channels;
    const seed = batch * 1000 + height * 100 + width * 10 + channels;

    it('im2col and col2imInto', () => {
      compare([randomArray(inputSize, seed), new Float32Array(colsSize).fill(NaN)], (k, [x, cols]) => k.im2col(g, x!, cols!), 'im2col');
      compare([randomArray(colsSize, seed + 1), randomArray(inputSize, seed + 2)], (k, [dcols, dx]) => k.col2imInto(g, dcols!, dx!), 'col2imInto');
    });

    it.each([4, 32, 37, 70])('conv2dForward and conv2dKernelGradInto (direct), %i filters', (filters) => {
      // 32 filters: one block in registers; 37 and 70: blocks and a tail of 5 / 6; 4: the tail alone.
      const kernelSize = g.windowH * g.windowW * channels * filters;
      const ySize = batch * g.outH * g.outW * filters;
      const kernel = randomArray(kernelSize, seed + 10), bias = randomArray(filters, seed + 11);
      const taps = 2 * g.windowH * g.windowW * channels + 1; // a product and a sum a tap, from the bias
      for (const relu of [false, true]) {
        compareMultiplyAdds([randomArray(inputSize, seed + 12, 2, -1), kernel, bias, new Float32Array(ySize).fill(NaN)],
          [0, 1, 2], taps, (k, [x, w, b, y]) => k.conv2dForward(g, filters, relu, x!, w!, b!, y!), `conv2dForward relu=${relu}`);
      }
      compareMultiplyAdds([randomArray(inputSize, seed + 13), kernel, new Float32Array(ySize).fill(NaN)],
        [0, 1], taps, (k, [x, w, y]) => k.conv2dForward(g, filters, false, x!, w!, 0, y!), 'conv2dForward without bias');
      const y = randomArray(ySize, seed + 14, 2, -1); // half of it <= 0: the ReLU mask
      const pixels = batch * g.outH * g.outW;
      for (const masked of [false, true]) {
        compareMultiplyAdds([randomArray(inputSize, seed + 15, 2, -1), randomArray(ySize, seed + 16, 2, -1), y, randomArray(kernelSize, seed + 17), randomArray(filters, seed + 18)],
          [0, 1, 3, 4], gradientRoundings(pixels), (k, [x, dout, yp, dw, db]) => k.conv2dKernelGradInto(g, filters, x!, dout!, masked ? yp! : 0, dw!, db!), `conv2dKernelGradInto masked=${masked}`);
      }
      compareMultiplyAdds([randomArray(inputSize, seed + 19), randomArray(ySize, seed + 20), randomArray(kernelSize, seed + 21)],
        [0, 1, 2], gradientRoundings(pixels), (k, [x, dout, dw]) => k.conv2dKernelGradInto(g, filters, x!, dout!, 0, dw!, 0), 'conv2dKernelGradInto without dbias');
    });

    // 2x2 pools: the register-blocked path (13 filters: a block of 8, one of 4, one alone); others the per-pixel path.
    it.each([[[2, 2], 32], [[2, 2], 13], [[3, 2], 37], [[1, 3], 4]] as const)('conv2dMaxPoolForward and its kernel gradient, pool %j, %i filters', (pool, filters) => {
      const [poolH, poolW] = pool;
      if (g.outH < poolH || g.outW < poolW) return; // no whole window
      const kernelSize = g.windowH * g.windowW * channels * filters;
      const pooledSize = batch * Math.floor(g.outH / poolH) * Math.floor(g.outW / poolW) * filters;
      // Inputs from few values, so that windows hold ties (the first maximum takes the gradient).
      const x = tiedArray(inputSize, seed + 22), kernel = tiedArray(kernelSize, seed + 23), bias = randomArray(filters, seed + 24, 1, -0.5);
      const forward = runBoth(kernels, [x, kernel, bias, new Float32Array(pooledSize).fill(NaN), new Float32Array(pooledSize), new Float32Array(batch * filters)],
        shiftsFor(phase++, 6), (k, [xp, w, b, pooled, argmax, scratch]) => k.conv2dMaxPoolForward(g, filters, poolH, poolW, xp!, w!, b!, pooled!, argmax!, scratch!), 'conv2dMaxPoolForward');
      // Small integers: every product is exact, so a fused multiply-add rounds as the reference does.
      for (const i of [3, 4]) expectBitIdentical(forward.got[i]!, forward.expected[i]!, `conv2dMaxPoolForward, array ${i}`);
      // Any values: the fused loop's bits are the build's own conv2dForward then maxPoolForward.
      const poolGeometry = geometry(batch, g.outH, g.outW, filters, [poolH, poolW], [poolH, poolW], 'valid');
      const ySize = batch * g.outH * g.outW * filters;
      const { got: fused, expected: twoKernels } = runPair(
        [randomArray(inputSize, seed + 28, 2, -1), randomArray(kernelSize, seed + 29, 2, -1), bias, new Float32Array(pooledSize).fill(NaN), new Float32Array(pooledSize), new Float32Array(batch * filters), new Float32Array(ySize)],
        shiftsFor(phase++, 7),
        ([xp, w, b, pooled, , , y]) => {
          kernels.conv2dForward(g, filters, true, xp!, w!, b!, y!);
          kernels.maxPoolForward(poolGeometry, y!, pooled!);
        },
        ([xp, w, b, pooled, argmax, scratch]) => kernels.conv2dMaxPoolForward(g, filters, poolH, poolW, xp!, w!, b!, pooled!, argmax!, scratch!),
        'conv2dMaxPoolForward against conv2dForward and maxPoolForward');
      expectBitIdentical(fused[3]!, twoKernels[3]!, 'conv2dMaxPoolForward against conv2dForward and maxPoolForward');
      const [, , , pooled, argmax] = forward.expected;
      compareMultiplyAdds([x, randomArray(pooledSize, seed + 25, 2, -1), pooled!, argmax!, randomArray(kernelSize, seed + 26), randomArray(filters, seed + 27)],
        [0, 1, 4, 5], gradientRoundings(batch * g.outH * g.outW), (k, [xp, dp, p, a, dw, db]) => k.conv2dMaxPoolKernelGradInto(g, filters, poolH, poolW, xp!, dp!, p!, a!, dw!, db!), 'conv2dMaxPoolKernelGradInto');
    });

    it('max pooling forward and backward (with ties)', () => {
      for (const x of [randomArray(inputSize, seed + 3), tiedArray(inputSize, seed + 4)]) {
        compare([x, new Float32Array(outSize).fill(NaN)], (k, [xp, y]) => k.maxPoolForward(g, xp!, y!), 'maxPoolForward');
        const [, y] = reference([x, new Float32Array(outSize)], (k, [xp, yp]) => k.maxPoolForward(g, xp!, yp!));
        compare([x, y!, randomArray(outSize, seed + 5), randomArray(inputSize, seed + 6)],
          (k, [xp, yp, dy, dx]) => k.maxPoolBackwardInto(g, xp!, yp!, dy!, dx!), 'maxPoolBackwardInto');
      }
    });

    it('average pooling forward and backward', () => {
      compare([randomArray(inputSize, seed + 7), new Float32Array(outSize).fill(NaN)], (k, [x, y]) => k.avgPoolForward(g, x!, y!), 'avgPoolForward');
      compare([randomArray(outSize, seed + 8), randomArray(inputSize, seed + 9)], (k, [dy, dx]) => k.avgPoolBackwardInto(g, dy!, dx!), 'avgPoolBackwardInto');
    });
  });

  // The chunks of images the kernel gradients are summed in (GRADIENT_CHUNKS): no image (nothing
  // added), one, fewer images than chunks, as many, one more (a chunk of 2 images), and 37 (chunks
  // of 2 and 3); odd channel counts, 'same' padding (border columns) and 'valid', 13 filters (a
  // block of 8 and a tail).
  describe.each([
    [0, 1, 'valid'], [1, 1, 'same'], [5, 3, 'valid'], [16, 1, 'same'], [17, 5, 'valid'], [37, 3, 'same'],
  ] as const)('kernel gradients in chunks, batch %i, %i channels, %s', (batch, channels, padding) => {
    const g = geometry(batch, 7, 6, channels, [3, 3], [1, 1], padding);
    const filters = 13, seed = 500 + batch * 10 + channels;
    const inputSize = batch * 7 * 6 * channels, kernelSize = 9 * channels * filters, ySize = batch * g.outH * g.outW * filters;
    const pixels = batch * g.outH * g.outW;
    it('conv2dKernelGradInto', () => {
      compareMultiplyAdds([randomArray(inputSize, seed, 2, -1), randomArray(ySize, seed + 1, 2, -1), randomArray(ySize, seed + 2, 2, -1), randomArray(kernelSize, seed + 3), randomArray(filters, seed + 4)],
        [0, 1, 3, 4], gradientRoundings(pixels), (k, [x, dout, y, dw, db]) => k.conv2dKernelGradInto(g, filters, x!, dout!, y!, dw!, db!), 'conv2dKernelGradInto');
    });
    it('conv2dMaxPoolKernelGradInto', () => {
      const pooledSize = batch * Math.floor(g.outH / 2) * Math.floor(g.outW / 2) * filters;
      const x = randomArray(inputSize, seed + 5, 2, -1);
      const [, , , pooled, argmax] = reference([x, randomArray(kernelSize, seed + 6, 2, -1), randomArray(filters, seed + 7), new Float32Array(pooledSize), new Float32Array(pooledSize)],
        (k, [xp, w, b, p, a]) => k.conv2dMaxPoolForward(g, filters, 2, 2, xp!, w!, b!, p!, a!, 0));
      compareMultiplyAdds([x, randomArray(pooledSize, seed + 8, 2, -1), pooled!, argmax!, randomArray(kernelSize, seed + 9), randomArray(filters, seed + 10)],
        [0, 1, 4, 5], gradientRoundings(pixels), (k, [xp, dp, p, a, dw, db]) => k.conv2dMaxPoolKernelGradInto(g, filters, 2, 2, xp!, dp!, p!, a!, dw!, db!), 'conv2dMaxPoolKernelGradInto');
    });
  });

  // Max pooling's and ReLU's backward in one pass: windows side by side, some leaving the last row
  // or column out; x of both signs (the ReLU's mask), with ties (the first maximum takes dy).
  describe.each([
    [2, 6, 5, 4, [2, 2]], [1, 7, 7, 13, [2, 3]], [3, 5, 4, 1, [1, 2]], [1, 4, 6, 5, [3, 3]],
  ] as [number, number, number, number, [number, number]][])('batch %i, %ix%i, %i channels, windows %j side by side', (batch, height, width, channels, window) => {
    const g = geometry(batch, height, width, channels, window, window, 'valid');
    const inputSize = batch * height * width * channels, outSize = batch * g.outH * g.outW * channels;
    const seed = batch * 1000 + height * 100 + width * 10 + channels;
    it('maxPoolReluBackward', () => {
      const tied = tiedArray(inputSize, seed + 1).map((v) => v - 1); // -1, 0 and 1
      for (const x of [randomArray(inputSize, seed, 2, -1), tied]) {
        const [, y] = reference([x, new Float32Array(outSize)], (k, [xp, yp]) => k.maxPoolForward(g, xp!, yp!));
        compare([x, y!, randomArray(outSize, seed + 2), new Float32Array(inputSize).fill(NaN)],
          (k, [xp, yp, dy, dz]) => k.maxPoolReluBackward(g, xp!, yp!, dy!, dz!), 'maxPoolReluBackward');
        compare([x, y!, randomArray(outSize, seed + 3), new Float32Array(inputSize).fill(NaN), new Float32Array(batch * channels).fill(NaN)],
          (k, [xp, yp, dy, dz, sums]) => k.maxPoolReluBackward(g, xp!, yp!, dy!, dz!, sums!), 'maxPoolReluBackward with the sums of dz');
      }
    });
  });

  // Batch normalization's column kernels: rows x cols with cols around the f32x4 width.
  describe.each([[1, 1], [7, 3], [5, 4], [33, 5], [64, 13], [1000, 32]])('batch-norm kernels, %i rows x %i columns', (rows, cols) => {
    const seed = rows * 100 + cols;
    it('columnMeanVariance (offset data: the float64 two-pass sums)', () => {
      compare([randomArray(rows * cols, seed, 1, 100), new Float32Array(cols), new Float32Array(cols)],
        (k, [x, mean, variance]) => k.columnMeanVariance(rows, cols, x!, mean!, variance!), 'columnMeanVariance');
    });
    it.each([false, true])('columnScaleShift (relu %s), in place too', (relu) => {
      const inputs = [randomArray(rows * cols, seed + 1), new Float32Array(rows * cols), randomArray(cols, seed + 2), randomArray(cols, seed + 3)];
      compare(inputs, (k, [x, y, scale, shift]) => k.columnScaleShift(rows, cols, x!, y!, scale!, shift!, relu), 'columnScaleShift');
      compare(inputs, (k, [x, , scale, shift]) => k.columnScaleShift(rows, cols, x!, x!, scale!, shift!, relu), 'columnScaleShift in place');
    });
    it('columnCenteredSums and batchNormBackwardInto', () => {
      const x = randomArray(rows * cols, seed + 4), dy = randomArray(rows * cols, seed + 5), mean = randomArray(cols, seed + 6);
      compare([dy, x, mean, new Float32Array(cols), new Float32Array(cols)],
        (k, [d, xp, m, s1, s2]) => k.columnCenteredSums(rows, cols, d!, xp!, m!, s1!, s2!), 'columnCenteredSums');
      compare([randomArray(rows * cols, seed + 7), dy, x, mean, randomArray(cols, seed + 8), randomArray(cols, seed + 9), randomArray(cols, seed + 10)],
        (k, [dx, d, xp, m, a, b, c]) => k.batchNormBackwardInto(rows, cols, dx!, d!, xp!, m!, a!, b!, c!), 'batchNormBackwardInto');
    });
  });

  it('refuses a fractional or negative size, or padding as large as the window, before running', () => {
    const g = geometry(1, 4, 4, 2, [2, 2], [1, 1], 'valid');
    expect(() => kernels.im2col({ ...g, channels: 2.5 }, 0, 0)).toThrow(/channels to be a non-negative integer, got 2.5/);
    expect(() => kernels.maxPoolForward({ ...g, strideH: 0 }, 0, 0)).toThrow(/strideH to be a positive integer, got 0/);
    expect(() => kernels.avgPoolForward({ ...g, padTop: 2 }, 0, 0)).toThrow(/padding smaller than the window/);
    expect(() => kernels.maxPoolReluBackward({ ...g, outH: 3, outW: 3 }, 0, 0, 0, 0)).toThrow(/maxPoolReluBackward expected windows side by side/);
    expect(() => kernels.columnMeanVariance(-1, 2, 0, 0, 0)).toThrow(/rows to be a non-negative integer, got -1/);
  });
});
