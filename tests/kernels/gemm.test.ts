// tests/kernels/gemm.test.ts — the GEMM's build-independent behaviour: which build is chosen,
// argument checks, the row-range export the worker threads use, and backend selection. The
// kernel against the reference, build by build, is tests/kernels/builds/gemm.test.ts.

import { afterEach, describe, expect, it } from 'vitest';
import {
  alloc, backend, free, gemm, gemmReference, getBackend, heapF32, referenceKernels, setBackend,
  type BackendName, type GemmArgs,
} from '../../kernels/index.js';
import * as kernelsIndex from '../../kernels/index.js';
import {
  instantiateGemm, wasmBuild, wasmBuildValidates, wasmKernels, wasmModule, wasmUnavailableReason,
} from '../../kernels/wasm.js';
import { randomUniform } from '../seeded.js';
import { copyMatrix, makeMatrix, type Matrix } from './matrices.js';

describe('wasm build selection', () => {
  it('has a wasm backend on this runtime', () => {
    expect(wasmUnavailableReason).toBe('');
    expect(wasmKernels).not.toBeNull();
    expect(wasmModule).toBeInstanceOf(WebAssembly.Module);
  });

  it('uses the relaxed (FMA) build exactly when the runtime validates it', () => {
    expect(wasmBuild).toBe(wasmBuildValidates('relaxed') ? 'relaxed' : 'simd');
    expect(wasmKernels!.description).toMatch(wasmBuild === 'relaxed' ? /relaxed-simd FMA/ : /simd128 mul\+add/);
  });
});

describe('wasm gemm argument checks', () => {
  const kernels = wasmKernels!;

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

  it('exports one dispatcher for every kernel of the interface', () => {
    const kernelNames = Object.keys(referenceKernels).filter((name) => typeof referenceKernels[name as keyof typeof referenceKernels] === 'function');
    expect(kernelNames).toContain('adamUpdate');
    for (const name of kernelNames) expect(typeof (kernelsIndex as Record<string, unknown>)[name], name).toBe('function');
    expect(Object.keys(wasmKernels!).sort()).toEqual(Object.keys(referenceKernels).sort());
  });

  it('rejects an unknown backend name, naming the valid ones', () => {
    expect(() => setBackend('webgpu' as BackendName)).toThrow(/setBackend expected 'wasm' or 'js', got "webgpu"/);
    expect(getBackend()).toBe('wasm');
  });
});
