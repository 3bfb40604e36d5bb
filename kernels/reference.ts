// kernels/reference.ts — the plain TypeScript kernels: the fallback backend and the test oracle.
//
// Written for clarity, not speed: the WASM kernels must agree with these on every shape and flag.
// Same contract as kernels/types.ts; reads and writes the shared memory through one Float32Array.

import { heapF32 } from './memory.js';
import type { GemmArgs, Kernels } from './types.js';

/**
 * C[M,N] = relu?((accumulate ? C : 0) + op(A)[M,K] · op(B)[K,N] + bias[N]).
 * The i-k-j loop order streams rows of B and C when B is not transposed. Sums are float32 stores
 * into C after every k, so rounding differs slightly from the WASM kernel's register sums: tests
 * compare with a tolerance scaled by K.
 */
export function gemmReference(p: GemmArgs): void {
  const heap = heapF32();
  const { M, N, K, lda, ldb, ldc, transA, transB } = p;
  const a = p.a >> 2, b = p.b >> 2, c = p.c >> 2, bias = p.bias >> 2;
  for (let i = 0; i < M; i++) {
    const cRow = c + i * ldc;
    if (!p.accumulate) for (let j = 0; j < N; j++) heap[cRow + j] = 0;
    for (let k = 0; k < K; k++) {
      const aik = transA ? heap[a + k * lda + i] : heap[a + i * lda + k];
      if (transB) {
        for (let j = 0; j < N; j++) heap[cRow + j] += aik * heap[b + j * ldb + k];
      } else {
        const bRow = b + k * ldb;
        for (let j = 0; j < N; j++) heap[cRow + j] += aik * heap[bRow + j];
      }
    }
    if (p.bias !== 0) for (let j = 0; j < N; j++) heap[cRow + j] += heap[bias + j];
    if (p.relu) for (let j = 0; j < N; j++) if (!(heap[cRow + j] > 0)) heap[cRow + j] = 0;
  }
}

export const referenceKernels: Kernels = {
  name: 'js',
  description: 'TypeScript reference',
  gemm: gemmReference,
};
