// tests/kernels/builds/im2col-gemm.test.ts — the implicit-im2col GEMM (im2colGemm: op(A) packed
// straight from an NHWC image) of each compiled build under test (tests/kernels/builds.ts): the
// same bits as im2col into memory followed by that build's gemm, close to the TypeScript reference,
// and the same bits on 1 and 2 threads (cut by rows and by columns). Geometries: channel counts on
// and off the fast path (multiples of 4 or not), padding on every side, strides 1 and 2, depths past
// one 384-deep block (K = 9·48) and output pixels past one 128-row block and one depth block
// (transA, K = 484 pixels), C wider and narrower than the 8-column tile.

import { describe, expect, it } from 'vitest';
import { heapF32, type Im2colGemmArgs, type Kernels, type WindowGeometry } from '../../../kernels/index.js';
import { setGemmCut } from '../../../kernels/threads.js';
import { randomUniform } from '../../seeded.js';
import { EPS32, expectBitIdentical, expectClose, randomArray, runBoth, runPair, shiftsFor } from '../arrays.js';
import { builds, kernelsByBuild } from '../builds.js';
import { ALL_FLAGS } from '../flags.js';
import { block, contents, expectSameBits, runOnOneThenTwoThreads, useTwoThreads } from '../threaded.js';
import { geometry } from '../windows.js';

const CASES: [number, number, number, number, [number, number], [number, number], 'valid' | 'same'][] = [
  [2, 7, 6, 1, [3, 3], [1, 1], 'valid'],
  [1, 5, 7, 3, [3, 2], [2, 1], 'same'],
  [2, 6, 5, 4, [2, 2], [2, 2], 'valid'],
  [2, 7, 6, 4, [3, 3], [1, 1], 'same'],
  [1, 9, 8, 5, [3, 3], [2, 2], 'same'],
  [1, 7, 7, 13, [3, 3], [2, 2], 'valid'],
  [3, 6, 7, 8, [3, 3], [1, 1], 'valid'],
  [1, 6, 9, 8, [4, 3], [1, 2], 'same'],
  [2, 7, 6, 48, [3, 3], [1, 1], 'valid'], // K = 432: two depth blocks of 216
  [1, 6, 5, 48, [3, 3], [2, 1], 'same'],
  [4, 13, 13, 8, [3, 3], [1, 1], 'valid'], // 484 output pixels: several row blocks, two depth blocks for colsᵀ
];

/** The shapes of im2colGemm's operands for `g`: rows (output pixels) and depth (window floats). */
function sizes(g: WindowGeometry) {
  return { rows: g.batch * g.outH * g.outW, depth: g.windowH * g.windowW * g.channels };
}

useTwoThreads();

describe.each(builds)('im2colGemm, %s build', (build) => {
  const kernels = kernelsByBuild.get(build)!;
  let phase = 0;

  describe.each(CASES)('batch %i, %ix%i, %i channels, window %j, stride %j, %s', (batch, height, width, channels, window, stride, padding) => {
    const g = geometry(batch, height, width, channels, window, stride, padding);
    const { rows, depth } = sizes(g);
    const seed = batch * 1000 + height * 100 + width * 10 + channels;

    it.each([[false, 5], [false, 16], [true, 5], [true, 16]] as const)('transA %s, %i columns: im2col then gemm, bit for bit; the reference, within rounding', (transA, N) => {
      const random = randomUniform(seed + N + (transA ? 7 : 0));
      const [M, K] = transA ? [depth, rows] : [rows, depth];
      ALL_FLAGS.forEach((flags, index) => {
        const x = randomArray(batch * height * width * channels, random);
        const inputs = [x, randomArray(K * N, random), randomArray(N, random), randomArray(M * N, random), new Float32Array(rows * depth).fill(NaN)];
        const args = ([b, bias, c]: number[]): Im2colGemmArgs => ({
          transA, transB: false, N, b: b!, ldb: N, c: c!, ldc: N, bias: flags.bias ? bias! : 0, relu: flags.relu, accumulate: flags.accumulate,
        });
        const what = `transA=${transA} N=${N} ${JSON.stringify(flags)}`;
        const stored = runPair(inputs, shiftsFor(phase++, inputs.length), ([xp, b, bias, c, cols]) => {
          kernels.im2col(g, xp!, cols!);
          kernels.gemm({ ...args([b!, bias!, c!]), M, K, a: cols!, lda: depth });
        }, ([xp, b, bias, c]) => kernels.im2colGemm(g, xp!, args([b!, bias!, c!])), what);
        expectBitIdentical(stored.got[3]!, stored.expected[3]!, `${what}: C against im2col then gemm`);
        const oracle = runBoth(kernels, inputs.slice(0, 4), shiftsFor(phase++, 4), (k: Kernels, [xp, b, bias, c]) => k.im2colGemm(g, xp!, args([b!, bias!, c!])), what);
        const tolerance = 8 * EPS32 * (K + 4 * 3); // every x, B, C and bias in [-1, 1)
        expectClose(oracle.got[3]!, oracle.expected[3]!, () => tolerance, `${what}: C against the reference`);
      });
    });
  });

  it.each([false, true])('transA %s: the same bits on 1 and 2 threads, cut by rows and by columns', (transA) => {
    const g = geometry(6, 9, 8, 16, [3, 3], [1, 1], 'valid'); // 252 output pixels, 144-deep windows
    const { rows, depth } = sizes(g);
    const [M, K] = transA ? [depth, rows] : [rows, depth];
    const N = 40;
    const random = randomUniform(transA ? 11 : 12);
    const x = block(g.batch * g.height * g.width * g.channels, random);
    const b = block(K * N, random);
    const bias = block(N, random);
    try {
      for (const cut of ['rows', 'columns'] as const) {
        setGemmCut(cut);
        for (const flags of ALL_FLAGS) {
          const start = block(M * N, random);
          const [one, many] = [block(M * N, 0), block(M * N, 0)];
          const run = (c: number) => {
            heapF32().copyWithin(c >> 2, start.ptr >> 2, (start.ptr >> 2) + M * N);
            kernels.im2colGemm(g, x.ptr, { transA, transB: false, N, b: b.ptr, ldb: N, c, ldc: N, bias: flags.bias ? bias.ptr : 0, relu: flags.relu, accumulate: flags.accumulate });
          };
          const dispatch = runOnOneThenTwoThreads(run, one, many);
          expect(dispatch.threads).toBe(2);
          expect((cut === 'rows' ? dispatch.rowBoundaries : dispatch.columnBoundaries).length).toBeGreaterThan(2);
          expectSameBits(contents(many), contents(one), `transA=${transA} cut=${cut} ${JSON.stringify(flags)}`);
        }
      }
    } finally {
      setGemmCut('auto');
    }
  });

  it('refuses a bad geometry, image or leading dimension before running', () => {
    const g = geometry(1, 4, 4, 4, [2, 2], [1, 1], 'valid');
    const args: Im2colGemmArgs = { transA: false, transB: false, N: 3, b: 64, ldb: 3, c: 64, ldc: 3, bias: 0, relu: false, accumulate: false };
    expect(() => kernels.im2colGemm({ ...g, windowW: 0 }, 64, args)).toThrow(/windowW to be a positive integer, got 0/);
    expect(() => kernels.im2colGemm(g, 0, args)).toThrow(/im2colGemm expected the image x as a positive 4-byte-aligned offset, got 0/);
    expect(() => kernels.im2colGemm(g, 64, { ...args, ldc: 2 })).toThrow(/ldc=2 \(needs >= 3\)/);
  });
});
