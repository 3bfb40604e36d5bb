// kernels/types.ts — the contract between the engine and whatever computes: one interface, two
// implementations (kernels/reference.ts in plain TypeScript, kernels/wasm.ts in WebAssembly SIMD).
//
// Everything here speaks in pointers (byte offsets into kernels/memory.ts's memory), element
// counts and leading dimensions. Nothing here knows what a Tensor is.

/**
 * GEMM: C = relu?( (accumulate ? C : 0) + op(A) · op(B) + bias )
 *
 *   op(A) is M x K: A itself (row-major, row stride lda) or, with transA, the transpose of a K x M A.
 *   op(B) is K x N: B itself (row-major, row stride ldb) or, with transB, the transpose of an N x K B.
 *   C     is M x N, row-major with row stride ldc.
 *   bias  is N floats added to every row, or 0 for none.
 *   relu  applies max(0, x) last, after the bias (the Dense + ReLU epilogue).
 *
 * Pointers are byte offsets, 4-byte aligned; leading dimensions are in elements (floats).
 * C must not overlap A, B or bias.
 */
export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  a: number;
  lda: number;
  b: number;
  ldb: number;
  c: number;
  ldc: number;
  bias: number;
  relu: boolean;
  accumulate: boolean;
}

export type BackendName = 'wasm' | 'js';

export interface Kernels {
  readonly name: BackendName;
  /** A short description for logs and benchmarks, e.g. "wasm simd128 (relaxed FMA)". */
  readonly description: string;
  gemm(args: GemmArgs): void;
}
