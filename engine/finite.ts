// engine/finite.ts — finding NaN and ±Infinity in tensors: fast enough to run on every weight and
// gradient at every training step, and exact about where the first bad number is.
//
// The fast test rides on a kernel: a column sum over the tensor (viewed as rows x cols) is NaN or
// ±Infinity in a column as soon as one number of that column is (NaN + x = NaN, Inf + finite = Inf,
// Inf + -Inf = NaN). A finite column sum proves the column finite; a non-finite one sends us to
// a plain scan, which also tells a real NaN from a sum that merely overflowed (then all is finite).

import { columnSumsInto, fill } from '../kernels/index.js';
import { empty, scoped, type Tensor } from './tensor.js';

/** Index of the first element of `t` that is NaN or ±Infinity, or -1 if every element is finite. */
export function firstNonFinite(t: Tensor): number {
  if (t.size === 0) return -1;
  if (t.inWasmMemory && !columnSumsFinite(t)) return scan(t.data);
  return t.inWasmMemory ? -1 : scan(t.data);
}

function columnSumsFinite(t: Tensor): boolean {
  // [rows, cols]: a matrix's own shape, or a vector as one row (its column sums are itself).
  const cols = t.rank >= 2 ? t.shape[t.rank - 1] : t.size;
  const rows = t.size / cols;
  return scoped(() => {
    const sums = empty([cols]);
    fill(cols, sums.ptr, 0);
    columnSumsInto(rows, cols, sums.ptr, t.ptr);
    return scan(sums.data) < 0;
  });
}

function scan(d: Float32Array): number {
  for (let i = 0; i < d.length; i++) if (d[i] - d[i] !== 0) return i; // NaN and ±Inf give NaN
  return -1;
}

/** "row 2, column 5" for element i of a tensor of `shape` (row-major), or "element i" for a vector. */
export function describeIndex(shape: readonly number[], i: number): string {
  if (shape.length < 2) return `element ${i}`;
  const at: number[] = [];
  let rest = i;
  for (let k = shape.length - 1; k >= 0; k--) {
    at.unshift(rest % shape[k]);
    rest = Math.floor(rest / shape[k]);
  }
  return `index [${at.join(', ')}]`;
}
