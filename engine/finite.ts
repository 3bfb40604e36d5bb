// engine/finite.ts — finding NaN and ±Infinity in tensors: fast enough to run on every gradient at
// every training step (and on every number fit() is given), and exact about where the first bad one is.
//
// The search is a kernel (findNonFinite: a SIMD pass over the exponent bits, at memory speed). It
// reads the WebAssembly memory, so numbers in the JavaScript heap (a data set) are copied through
// it a slice at a time, which costs less than a JavaScript loop over them and moves nothing.

import { f32View, findNonFinite } from '../kernels/index.js';
import { empty, scoped, type Tensor } from './tensor.js';

/** Floats copied from the JS heap per findNonFinite call: 256 KiB, small next to any data set. */
const HOST_SLICE = 65536;
/** Below this, a host tensor is scanned in JavaScript: no scratch block for a handful of numbers. */
const HOST_SCAN_BELOW = 1024;

/** Index of the first element of `t` that is NaN or ±Infinity, or -1 if every element is finite. */
export function firstNonFinite(t: Tensor): number {
  if (t.size === 0) return -1;
  if (t.inWasmMemory) return findNonFinite(t.size, t.ptr);
  const d = t.data;
  if (d.length < HOST_SCAN_BELOW) return scan(d);
  return scoped(() => {
    const slice = empty([Math.min(HOST_SLICE, d.length)]);
    const ptr = slice.ptr, view = f32View(ptr, slice.size);
    for (let start = 0; start < d.length; start += HOST_SLICE) {
      const part = d.subarray(start, Math.min(d.length, start + HOST_SLICE));
      view.set(part);
      const i = findNonFinite(part.length, ptr);
      if (i >= 0) return start + i;
    }
    return -1;
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
