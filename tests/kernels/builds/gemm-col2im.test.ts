// tests/kernels/builds/gemm-col2im.test.ts — the implicit-col2im GEMM (gemmCol2im: a convolution's
// dcols = op(A) · op(B) added back into dx as it is computed, never stored) of each compiled build
// under test (tests/kernels/builds.ts): the same bits as that build's gemm into a stored dcols then
// col2imInto (dx zeroed first, or added to), close to the TypeScript reference, and the same bits
// on 1 and 2 threads whichever way the rows are cut. Geometries: channel counts on and off the
// 4-wide path, padding on every side, strides 1 and 2 (pixels no window reaches), dcols wider than
// one 512-column block (3·3·64) and depths past one 384-deep block (K = 400), more output pixels
// than one 128-row block.

import { describe, expect, it } from 'vitest';
import { heapF32, type GemmCol2imArgs, type Kernels, type WindowGeometry } from '../../../kernels/index.js';
import { setGemmCut } from '../../../kernels/threads.js';
import { randomUniform } from '../../seeded.js';
import { EPS32, expectBitIdentical, expectClose, randomArray, runBoth, runPair, shiftsFor } from '../arrays.js';
import { builds, kernelsByBuild } from '../builds.js';
import { block, contents, expectSameBits, runOnOneThenTwoThreads, useTwoThreads } from '../threaded.js';
import { geometry } from '../windows.js';

// batch, height, width, channels, window, strides, padding, K (the filters dz has)
const CASES: [number, number, number, number, [number, number], [number, number], 'valid' | 'same', number][] = [
  [2, 7, 6, 1, [3, 3], [1, 1], 'valid', 5],
  [1, 5, 7, 3, [3, 2], [2, 1], 'same', 8],
  [2, 6, 5, 4, [2, 2], [2, 2], 'valid', 3],
  [2, 7, 6, 4, [3, 3], [1, 1], 'same', 16],
  [1, 9, 8, 5, [3, 3], [2, 2], 'same', 7],
  [3, 6, 7, 8, [3, 3], [1, 1], 'valid', 12],
  [1, 8, 9, 8, [1, 1], [2, 2], 'valid', 4], // stride 2 past a 1x1 window: pixels no window reaches
  [1, 6, 9, 8, [4, 3], [1, 2], 'same', 9],
  [2, 6, 5, 64, [3, 3], [1, 1], 'valid', 6], // N = 576: two column blocks
  [1, 5, 6, 4, [3, 3], [1, 1], 'same', 400], // K = 400: two depth blocks of 200
  [4, 13, 13, 8, [3, 3], [1, 1], 'valid', 10], // 484 output pixels: several row blocks, ending inside images
];

/** The shapes of gemmCol2im's operands for `g`: rows (output pixels), columns of dcols (window floats), dx's floats. */
function sizes(g: WindowGeometry) {
  return { rows: g.batch * g.outH * g.outW, depth: g.windowH * g.windowW * g.channels, pixels: g.batch * g.height * g.width * g.channels };
}

useTwoThreads();

describe.each(builds)('gemmCol2im, %s build', (build) => {
  const kernels = kernelsByBuild.get(build)!;
  let phase = 0;

  describe.each(CASES)('batch %i, %ix%i, %i channels, window %j, stride %j, %s, K %i', (batch, height, width, channels, window, stride, padding, K) => {
    const g = geometry(batch, height, width, channels, window, stride, padding);
    const { rows, depth, pixels } = sizes(g);
    const seed = batch * 1000 + height * 100 + width * 10 + channels + K;

    it.each([[false, false], [false, true], [true, false], [true, true]] as const)('transB %s, accumulate %s: gemm then col2imInto; the reference, within rounding', (transB, accumulate) => {
      const random = randomUniform(seed + (transB ? 7 : 0) + (accumulate ? 13 : 0));
      // A is dz [rows, K]; B is the kernel [K, depth], or as the convolution stores it, [depth, K] (transB).
      const inputs = [randomArray(rows * K, random), randomArray(K * depth, random), randomArray(pixels, random), new Float32Array(rows * depth).fill(NaN)];
      const args = ([a, b]: number[]): GemmCol2imArgs => ({ transA: false, transB, K, a: a!, lda: K, b: b!, ldb: transB ? K : depth, accumulate });
      const what = `transB=${transB} accumulate=${accumulate}`;
      const stored = runPair(inputs, shiftsFor(phase++, inputs.length), ([a, b, dx, dcols]) => {
        kernels.gemm({ ...args([a!, b!]), M: rows, N: depth, c: dcols!, ldc: depth, bias: 0, relu: false, accumulate: false });
        if (!accumulate) kernels.fill(pixels, dx!, 0);
        kernels.col2imInto(g, dcols!, dx!);
      }, ([a, b, dx]) => kernels.gemmCol2im(g, dx!, args([a!, b!])), what);
      const tolerance = 8 * EPS32 * (K + 1) * g.windowH * g.windowW; // every entry in [-1, 1); up to windowH·windowW entries a pixel
      if (depth <= 512) expectBitIdentical(stored.got[2]!, stored.expected[2]!, `${what}: dx against gemm then col2imInto`);
      else expectClose(stored.got[2]!, stored.expected[2]!, () => tolerance, `${what}: dx against gemm then col2imInto`);
      const oracle = runBoth(kernels, inputs.slice(0, 3), shiftsFor(phase++, 3), (k: Kernels, [a, b, dx]) => k.gemmCol2im(g, dx!, args([a!, b!])), what);
      expectClose(oracle.got[2]!, oracle.expected[2]!, () => tolerance, `${what}: dx against the reference`);
    });
  });

  it.each([false, true])('accumulate %s: the same bits on 1 and 2 threads, however the rows are cut (a column cut asked for too)', (accumulate) => {
    // 7 images of 35 output pixels: row pieces on 4-row boundaries end inside images.
    const g = geometry(7, 9, 7, 12, [3, 3], [1, 1], 'valid');
    const { rows, depth, pixels } = sizes(g);
    const K = 24;
    const random = randomUniform(accumulate ? 21 : 22);
    const a = block(rows * K, random);
    const b = block(depth * K, random);
    const start = block(pixels, random);
    try {
      for (const cut of ['rows', 'columns'] as const) {
        setGemmCut(cut);
        const [one, many] = [block(pixels, 0), block(pixels, 0)];
        const run = (dx: number) => {
          heapF32().copyWithin(dx >> 2, start.ptr >> 2, (start.ptr >> 2) + pixels);
          kernels.gemmCol2im(g, dx, { transA: false, transB: true, K, a: a.ptr, lda: K, b: b.ptr, ldb: K, accumulate });
        };
        const dispatch = runOnOneThenTwoThreads(run, one, many);
        expect(dispatch.threads).toBe(2);
        expect(dispatch.rowBoundaries.length).toBeGreaterThan(2);
        expect(dispatch.rowBoundaries.some((row) => row % (g.outH * g.outW) !== 0)).toBe(true);
        expectSameBits(contents(many), contents(one), `accumulate=${accumulate} cut=${cut}`);
      }
    } finally {
      setGemmCut('auto');
    }
  });

  it('refuses a bad geometry, image or leading dimension before running', () => {
    const g = geometry(1, 4, 4, 4, [2, 2], [1, 1], 'valid');
    const args: GemmCol2imArgs = { transA: false, transB: true, K: 3, a: 64, lda: 3, b: 64, ldb: 3, accumulate: false };
    expect(() => kernels.gemmCol2im({ ...g, strideH: 0 }, 64, args)).toThrow(/strideH to be a positive integer, got 0/);
    expect(() => kernels.gemmCol2im(g, 6, args)).toThrow(/gemmCol2im expected the image dx as a positive 4-byte-aligned offset, got 6/);
    expect(() => kernels.gemmCol2im(g, 64, { ...args, lda: 2 })).toThrow(/lda=2 \(needs >= 3\)/);
  });
});
