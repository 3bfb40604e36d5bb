// tests/kernels/gemm.test.ts — the WASM GEMM (every shipped build this runtime accepts) against the
// TypeScript reference, plus backend selection. Not a benchmark: speed is measured by bench/gemm.ts.
//
// vitest.config.ts runs this file twice: plainly, and in a project started with
// --experimental-wasm-relaxed-simd, so that on Node 20 the relaxed (FMA) build is checked too.

import { afterEach, describe, expect, it } from 'vitest';
import {
  alloc, backend, free, gemm, gemmReference, getBackend, heapF32, setBackend,
  type BackendName, type GemmArgs, type Kernels,
} from '../../kernels/index.js';
import {
  createWasmKernels, instantiateGemm, wasmBuild, wasmBuildValidates, wasmKernels, wasmModule,
  wasmUnavailableReason, type WasmBuild,
} from '../../kernels/wasm.js';
import { randomUniform } from '../seeded.js';
import { ALL_FLAGS, type Flags } from './flags.js';

const EPS32 = 2 ** -23; // float32 machine epsilon
const relaxedFlagGiven = process.execArgv.includes('--experimental-wasm-relaxed-simd');

/** A rows x cols matrix with row stride ld >= cols, in a fresh block; the padding holds `padding`. */
interface Matrix {
  ptr: number;
  rows: number;
  cols: number;
  ld: number;
  bytes: number;
}

function makeMatrix(rows: number, cols: number, ld: number, random: () => number, padding: number): Matrix {
  const count = Math.max(1, rows * ld); // an empty matrix (K = 0) still gets a valid pointer
  const bytes = count * 4;
  const ptr = alloc(bytes);
  const heap = heapF32();
  const base = ptr >> 2;
  for (let i = 0; i < count; i++) heap[base + i] = ld > 0 && i % ld < cols ? random() : padding;
  return { ptr, rows, cols, ld, bytes };
}

function copyMatrix(source: Matrix): Matrix {
  const ptr = alloc(source.bytes);
  const heap = heapF32();
  heap.copyWithin(ptr >> 2, source.ptr >> 2, (source.ptr + source.bytes) >> 2);
  return { ...source, ptr };
}

function maxAbs(m: Matrix): number {
  const heap = heapF32();
  let largest = 0;
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) largest = Math.max(largest, Math.abs(heap[(m.ptr >> 2) + r * m.ld + c]!));
  }
  return largest;
}

/** For the large shapes, where the reference is slow: the forward epilogue and the backward one. */
const LARGE_FLAGS: Flags[] = [
  { bias: true, relu: true, accumulate: false },
  { bias: false, relu: false, accumulate: true },
];

/**
 * Runs one GEMM with `kernels` and with the reference on identical inputs and checks:
 *  - inside C's M x N window, agreement within a rounding tolerance;
 *  - outside it (a guard row above and below, the padding columns of every row), not one bit changed.
 * A and B are sub-matrix views whose padding holds NaN: reading it would poison C.
 */
function checkAgainstReference(
  kernels: Kernels, M: number, N: number, K: number, transA: boolean, transB: boolean, flags: Flags, ldPad: number, seed: number,
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
    gemmReference(args(cExpected));
    kernels.gemm(args(cWasm));

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
// (513, 785), N crosses the 512-wide blocks (785), M crosses the 128-row blocks (785); M = 1 and
// N = 1 (vector cases) and K = 0 (epilogue only) are included.
const SMALL_SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 8, 3], [3, 9, 17], [4, 8, 8], [5, 17, 9], [8, 3, 4], [9, 5, 63], [17, 63, 5],
  [63, 17, 128], [128, 9, 1], [4, 785, 3], [785, 4, 17], [3, 128, 785], [1, 785, 63], [785, 1, 9],
  [5, 9, 0], [4, 8, 0], [9, 63, 257],
];
// The seed model's GEMMs and their ragged neighbours.
const LARGE_SHAPES: [number, number, number][] = [
  [128, 784, 512], [128, 512, 785], [785, 512, 128], [128, 10, 512], [63, 785, 513],
];
const TRANSPOSES: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

// Every build this runtime accepts: simd always, relaxed where it validates. Instantiated apart
// from wasmKernels, so the build that was not chosen as default is checked too.
const builds: WasmBuild[] = wasmBuildValidates('relaxed') ? ['simd', 'relaxed'] : ['simd'];
const kernelsByBuild = new Map<WasmBuild, Kernels>();
for (const build of builds) kernelsByBuild.set(build, await createWasmKernels(build));

describe('wasm build selection', () => {
  it('has a wasm backend on this runtime', () => {
    expect(wasmUnavailableReason).toBe('');
    expect(wasmKernels).not.toBeNull();
    expect(wasmModule).toBeInstanceOf(WebAssembly.Module);
  });

  it('uses the relaxed (FMA) build exactly when the runtime validates it', () => {
    expect(wasmBuild).toBe(wasmBuildValidates('relaxed') ? 'relaxed' : 'simd');
    expect(wasmKernels!.description).toMatch(wasmBuild === 'relaxed' ? /relaxed-simd FMA/ : /simd128 mul\+add/);
    // In the project started with the flag, the relaxed build must really be the one under test.
    if (relaxedFlagGiven) expect(builds).toContain('relaxed');
  });
});

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
        checkAgainstReference(kernels, M, N, K, transA, transB, flags, index * 3, M + N + K + index);
      });
    });
  });

  it('rejects sizes and leading dimensions that would reach outside the matrices', () => {
    const args: GemmArgs = {
      transA: false, transB: false, M: 2, N: 2, K: 2, a: 65536, lda: 2, b: 65536, ldb: 2, c: 65536, ldc: 2,
      bias: 0, relu: false, accumulate: false,
    };
    expect(() => kernels.gemm({ ...args, M: -1 })).toThrow(RangeError);
    expect(() => kernels.gemm({ ...args, K: 1.5 })).toThrow(RangeError);
    expect(() => kernels.gemm({ ...args, lda: 1 })).toThrow(/lda=1/);
    expect(() => kernels.gemm({ ...args, transB: true, N: 3, ldb: 2, ldc: 3 })).not.toThrow();
    expect(() => kernels.gemm({ ...args, ldc: 1 })).toThrow(/ldc=1/);
  });
});

describe('the row-range export (for worker threads)', () => {
  it('computes C in two row ranges with two workspaces exactly as in one call', async () => {
    const gemmModule = await instantiateGemm(wasmModule!);
    const [M, N, K] = [37, 41, 300];
    const random = randomUniform(12345);
    const a = makeMatrix(K, M, M, random, NaN); // transA: stored K x M
    const b = makeMatrix(N, K, K, random, NaN); // transB: stored N x K
    const bias = makeMatrix(1, N, N, random, NaN);
    const cWhole = makeMatrix(M, N, N, random, 0);
    const cSplit = copyMatrix(cWhole);
    const workspaceBytes = gemmModule.gemmWorkspaceBytes(M, N, K);
    const workspaces = [alloc(workspaceBytes), alloc(workspaceBytes)];
    try {
      const call = (c: number, workspace: number, rowBegin: number, rowEnd: number) =>
        gemmModule.gemm(1, 1, M, N, K, a.ptr, M, b.ptr, K, c, N, bias.ptr, 1, 1, workspace, rowBegin, rowEnd);
      call(cWhole.ptr, workspaces[0]!, 0, M);
      call(cSplit.ptr, workspaces[0]!, 0, 18); // a split that is not a multiple of the 4-row tile
      call(cSplit.ptr, workspaces[1]!, 18, M);
      const heap = heapF32();
      expect(heap.slice(cSplit.ptr >> 2, (cSplit.ptr >> 2) + M * N)).toEqual(heap.slice(cWhole.ptr >> 2, (cWhole.ptr >> 2) + M * N));
      // The workspace is bounded whatever the sizes: packed panels are blocked.
      expect(gemmModule.gemmWorkspaceBytes(100_000, 100_000, 100_000)).toBeLessThan(1 << 20);
    } finally {
      for (const m of [a, b, bias, cWhole, cSplit]) free(m.ptr, m.bytes);
      for (const w of workspaces) free(w, workspaceBytes);
    }
  });
});

describe('setBackend', () => {
  afterEach(() => setBackend('wasm'));

  it("defaults to 'wasm' and switches to 'js' and back", () => {
    expect(getBackend()).toBe('wasm');
    expect(backend()).toBe(wasmKernels);
    setBackend('js');
    expect(getBackend()).toBe('js');
    expect(backend().description).toBe('TypeScript reference');
    setBackend('wasm');
    expect(getBackend()).toBe('wasm');
  });

  it('routes gemm() to the chosen backend', () => {
    const [M, N, K] = [5, 9, 17];
    const random = randomUniform(7);
    const a = makeMatrix(M, K, K, random, NaN);
    const b = makeMatrix(K, N, N, random, NaN);
    const cOut = makeMatrix(M, N, N, random, 0);
    const cCheck = makeMatrix(M, N, N, random, 0);
    const heap = heapF32();
    const view = (m: Matrix) => heap.slice(m.ptr >> 2, (m.ptr >> 2) + M * N);
    const args = (c: Matrix): GemmArgs => ({
      transA: false, transB: false, M, N, K, a: a.ptr, lda: K, b: b.ptr, ldb: N, c: c.ptr, ldc: N, bias: 0, relu: false, accumulate: false,
    });
    try {
      for (const [name, kernels] of [['js', { gemm: gemmReference }], ['wasm', wasmKernels!]] as const) {
        setBackend(name);
        gemm(args(cOut));
        kernels.gemm(args(cCheck));
        expect(view(cOut)).toEqual(view(cCheck)); // bit-identical: the same code ran
      }
    } finally {
      for (const m of [a, b, cOut, cCheck]) free(m.ptr, m.bytes);
    }
  });

  it('rejects an unknown backend name, naming the valid ones', () => {
    expect(() => setBackend('webgpu' as BackendName)).toThrow(/setBackend expected 'wasm' or 'js', got "webgpu"/);
    expect(getBackend()).toBe('wasm');
  });
});
