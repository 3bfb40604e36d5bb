// tests/kernels/builds/gemm.test.ts — the WASM GEMM of each compiled build under test
// (tests/kernels/builds.ts) against the TypeScript reference, on ragged sizes, every layout and
// every epilogue. Not a benchmark: speed is measured by bench/gemm.ts.
//
// The files in tests/kernels/builds/ are the ones that depend on the build: vitest.config.ts runs
// them again in the relaxed-SIMD project, for the relaxed build only.

import { describe, expect, it } from 'vitest';
import { free, gemmReference, heapF32, type GemmArgs, type Kernels } from '../../../kernels/index.js';
import { randomUniform } from '../../seeded.js';
import { builds, kernelsByBuild } from '../builds.js';
import { ALL_FLAGS, type Flags } from '../flags.js';
import { copyMatrix, makeMatrix, maxAbs, type Matrix } from '../matrices.js';

const EPS32 = 2 ** -23; // float32 machine epsilon

/** For the large shapes, where the reference is slow: the forward epilogue and the backward one. */
const LARGE_FLAGS: Flags[] = [
  { bias: true, relu: true, accumulate: false },
  { bias: false, relu: false, accumulate: true },
];

/**
 * The rows of C a large shape checks against the reference (the reference is plain TypeScript, and
 * on the MNIST MLP's sizes it would take most of the suite's time): the first and last 8, the 4 on
 * each side of every 128-row block boundary, and every 17th. Every row position in a 4-row tile and
 * every block edge is among them; every column and the whole K sum of each row are checked.
 */
function sampledRows(M: number): number[] {
  const rows: number[] = [];
  for (let i = 0; i < M; i++) {
    if (i < 8 || i >= M - 8 || i % 128 < 4 || i % 128 >= 124 || i % 17 === 0) rows.push(i);
  }
  return rows;
}

/**
 * Runs one GEMM with `kernels` and with the reference on identical inputs and checks:
 *  - inside C's M x N window, agreement within a rounding tolerance (on `rows` only: all by default);
 *  - outside it (a guard row above and below, the padding columns of every row), not one bit changed.
 * A and B are sub-matrix views whose padding holds NaN: reading it would poison C.
 */
function checkAgainstReference(
  kernels: Kernels, M: number, N: number, K: number, transA: boolean, transB: boolean, flags: Flags, ldPad: number, seed: number,
  rows: number[] | null = null,
): void {
  const random = randomUniform(seed);
  const blocks: Matrix[] = [];
  const track = (m: Matrix): Matrix => (blocks.push(m), m);
  try {
    // Stored shapes: A is M x K (or K x M with transA), B is K x N (or N x K with transB).
    const a = track(transA ? makeMatrix(K, M, M + ldPad, random, NaN) : makeMatrix(M, K, K + ldPad, random, NaN));
    const b = track(transB ? makeMatrix(N, K, K + ldPad, random, NaN) : makeMatrix(K, N, N + ldPad, random, NaN));
    const bias = track(makeMatrix(1, N, N, random, NaN));
    // C with one guard row above and below its M rows, and ldPad + 1 guard columns on the right.
    const ldc = N + ldPad + 1;
    const cWasm = track(makeMatrix(M + 2, ldc, ldc, random, 0));
    const cExpected = track(copyMatrix(cWasm));
    const cBefore = track(copyMatrix(cWasm));

    const args = (c: Matrix): GemmArgs => ({
      transA, transB, M, N, K,
      a: a.ptr, lda: a.ld, b: b.ptr, ldb: b.ld,
      c: c.ptr + ldc * 4, ldc, // skip the guard row
      bias: flags.bias ? bias.ptr : 0, relu: flags.relu, accumulate: flags.accumulate,
    });
    if (rows === null) gemmReference(args(cExpected));
    else {
      // Row i of C is row i of op(A) times op(B): a 1-row GEMM from row i of A (column i when transposed).
      for (const i of rows) {
        const whole = args(cExpected);
        gemmReference({ ...whole, M: 1, a: a.ptr + 4 * (transA ? i : i * a.ld), c: whole.c + 4 * i * ldc });
      }
    }
    kernels.gemm(args(cWasm));
    const checked = new Uint8Array(M).fill(rows === null ? 1 : 0);
    for (const i of rows ?? []) checked[i] = 1;

    // Rounding: a sum of K products of random sign has magnitude ~ sqrt(K)·max|a|·max|b|, and each
    // of its K roundings adds a relative error up to EPS32 that also walks like sqrt(K). Both
    // implementations round differently (block sums, FMA), so allow a few times that, plus the
    // roundings of the epilogue (C and bias terms).
    const scale = maxAbs(a) * maxAbs(b);
    const tolerance = 8 * EPS32 * (Math.sqrt(K) * Math.sqrt(K) * scale + 4 * (1 + scale));

    const heap = heapF32();
    const where = `M=${M} N=${N} K=${K} transA=${transA} transB=${transB} ${JSON.stringify(flags)} ldPad=${ldPad}`;
    for (let row = 0; row < M + 2; row++) {
      for (let col = 0; col < ldc; col++) {
        const offset = row * ldc + col;
        const got = heap[(cWasm.ptr >> 2) + offset]!;
        const inside = row >= 1 && row <= M && col < N;
        if (inside) {
          if (checked[row - 1] === 0) continue;
          const expected = heap[(cExpected.ptr >> 2) + offset]!;
          if (!(Math.abs(got - expected) <= tolerance)) {
            expect.fail(`C[${row - 1}][${col}] = ${got}, reference ${expected} (tolerance ${tolerance}) at ${where}`);
          }
        } else if (!Object.is(got, heap[(cBefore.ptr >> 2) + offset]!)) {
          expect.fail(`wrote outside C: guard at stored row ${row}, column ${col} changed at ${where}`);
        }
      }
    }
  } finally {
    for (const m of blocks) free(m.ptr, m.bytes);
  }
}

// Sizes from {1, 3, 4, 5, 8, 9, 17, 63, 128, 785}: every value appears as M, N and K; every
// remainder mod 4 (rows of a tile) and mod 8 (columns) appears; K crosses the 256-deep blocks
// (257 is still one block, 385 the first depth that is two, 513, 785), N crosses the 512-wide
// blocks (785), M crosses the 128-row blocks (785); M = 1 and N = 1 (vector cases) and K = 0
// (epilogue only) are included.
const SMALL_SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 8, 3], [3, 9, 17], [4, 8, 8], [5, 17, 9], [8, 3, 4], [9, 5, 63], [17, 63, 5],
  [63, 17, 128], [128, 9, 1], [4, 785, 3], [785, 4, 17], [3, 128, 785], [1, 785, 63], [785, 1, 9],
  [5, 9, 0], [4, 8, 0], [9, 63, 257], [6, 12, 385],
];
// The MNIST MLP's GEMMs and their ragged neighbours.
const LARGE_SHAPES: [number, number, number][] = [
  [128, 784, 512], [128, 512, 785], [785, 512, 128], [128, 10, 512], [63, 785, 513],
];
const TRANSPOSES: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

describe.each(builds)('wasm gemm, %s build, against the reference', (build) => {
  const kernels = kernelsByBuild.get(build)!;

  describe.each(TRANSPOSES)('transA=%s transB=%s', (transA, transB) => {
    it.each(SMALL_SHAPES)('M=%i N=%i K=%i, every epilogue', (M, N, K) => {
      ALL_FLAGS.forEach((flags, index) => {
        checkAgainstReference(kernels, M, N, K, transA, transB, flags, index % 3 === 0 ? 0 : index, M * 7919 + N * 31 + K + index);
      });
    });

    it.each(LARGE_SHAPES)('M=%i N=%i K=%i, forward and backward epilogues', (M, N, K) => {
      LARGE_FLAGS.forEach((flags, index) => {
        checkAgainstReference(kernels, M, N, K, transA, transB, flags, index * 3, M + N + K + index, sampledRows(M));
      });
    });
  });
});
