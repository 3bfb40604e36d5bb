// tests/kernels/matrices.ts — matrices in the shared memory for the GEMM tests: a sub-matrix view
// with a row stride and chosen padding, a copy, the largest magnitude. Not a test file.

import { alloc, heapF32 } from '../../kernels/index.js';

/** A rows x cols matrix with row stride ld >= cols, in a fresh block; the padding holds `padding`. */
export interface Matrix {
  ptr: number;
  rows: number;
  cols: number;
  ld: number;
  bytes: number;
}

export function makeMatrix(rows: number, cols: number, ld: number, random: () => number, padding: number): Matrix {
  const count = Math.max(1, rows * ld); // an empty matrix (K = 0) still gets a valid pointer
  const bytes = count * 4;
  const ptr = alloc(bytes);
  const heap = heapF32();
  const base = ptr >> 2;
  for (let i = 0; i < count; i++) heap[base + i] = ld > 0 && i % ld < cols ? random() : padding;
  return { ptr, rows, cols, ld, bytes };
}

export function copyMatrix(source: Matrix): Matrix {
  const ptr = alloc(source.bytes);
  const heap = heapF32();
  heap.copyWithin(ptr >> 2, source.ptr >> 2, (source.ptr + source.bytes) >> 2);
  return { ...source, ptr };
}

export function maxAbs(m: Matrix): number {
  const heap = heapF32();
  let largest = 0;
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) largest = Math.max(largest, Math.abs(heap[(m.ptr >> 2) + r * m.ld + c]!));
  }
  return largest;
}
