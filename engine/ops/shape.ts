// engine/ops/shape.ts — ops that move numbers without doing arithmetic on them: reshape, 2-D
// transpose, row slicing (a view, no copy) and row gathering (for shuffled batches).
//
// Their backward passes route gradients back to where each number came from.

import { heapF32 } from '../../kernels/index.js';
import { empty, formatShape, record, shapeSize, viewOf, type Shape, type Tensor } from '../tensor.js';

/** The same numbers with a new shape (no copy). One dimension may be -1: inferred from the size. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const inferAt = shape.indexOf(-1);
  let resolved = [...shape];
  if (inferAt >= 0) {
    const known = shapeSize(shape.filter((_, i) => i !== inferAt));
    if (shape.indexOf(-1, inferAt + 1) >= 0 || known === 0 || x.size % known !== 0) {
      throw new Error(`wasmgrad: reshape cannot fit ${x.size} elements (shape ${formatShape(x.shape)}) into ${formatShape(shape)}`);
    }
    resolved[inferAt] = x.size / known;
  }
  if (resolved.some((d) => !Number.isInteger(d) || d < 0) || shapeSize(resolved) !== x.size) {
    throw new Error(
      `wasmgrad: reshape expected a shape holding ${x.size} elements (from ${formatShape(x.shape)}), ` +
        `got ${formatShape(shape)}`,
    );
  }
  const out = viewOf(x, resolved);
  return record(out, 'reshape', [x], (dout) => {
    // dout [new shape] → dx [old shape]: same elements in the same order.
    const dX = x.gradBuffer().data, G = dout.data;
    for (let i = 0; i < G.length; i++) dX[i] += G[i];
  });
}

function rowsOf(x: Tensor, op: string): { rows: number; rowSize: number } {
  if (x.rank < 1) throw new Error(`wasmgrad: ${op} expected a tensor with at least one dimension, got a scalar`);
  const rows = x.shape[0];
  return { rows, rowSize: rows === 0 ? 0 : x.size / rows };
}

/** The 2-D transpose: out[j, i] = x[i, j]. x [M, N] → out [N, M]. */
export function transpose(x: Tensor): Tensor {
  if (x.rank !== 2) throw new Error(`wasmgrad: transpose expected a 2-D tensor, got shape ${formatShape(x.shape)}`);
  const [M, N] = x.shape;
  const out = empty([N, M]);
  const X = x.data, Y = out.data;
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) Y[j * M + i] = X[i * N + j];
  return record(out, 'transpose', [x], (dout) => {
    // dout [N, M] → dx [M, N]
    const dX = x.gradBuffer().data, G = dout.data;
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) dX[i * N + j] += G[j * M + i];
  });
}

/** Rows start..end-1 of x (along the first dimension), as a view: no copy. */
export function sliceRows(x: Tensor, start: number, end: number): Tensor {
  const { rows, rowSize } = rowsOf(x, 'sliceRows');
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > rows || start > end) {
    throw new Error(`wasmgrad: sliceRows expected 0 <= start <= end <= ${rows}, got start ${start}, end ${end}`);
  }
  const out = viewOf(x, [end - start, ...x.shape.slice(1)], start * rowSize);
  return record(out, 'sliceRows', [x], (dout) => {
    // dout [end-start, ...] → rows start..end-1 of dx
    const dX = x.gradBuffer().data, G = dout.data, base = start * rowSize;
    for (let i = 0; i < G.length; i++) dX[base + i] += G[i];
  });
}

/** Where gatherRows leaves the sum of the rows' first numbers, so the reads that start their loads are not optimized away. */
let touched = 0;

/** out[i] = x[indices[i]] along the first dimension (a copy): how shuffled batches are made. */
export function gatherRows(x: Tensor, indices: ArrayLike<number>): Tensor {
  const { rows, rowSize } = rowsOf(x, 'gatherRows');
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i];
    if (!Number.isInteger(r) || r < 0 || r >= rows) {
      throw new Error(`wasmgrad: gatherRows expected row indices in [0, ${rows}), got ${r} at position ${i}`);
    }
  }
  const out = empty([indices.length, ...x.shape.slice(1)]);
  const X = x.data; // throws if x's memory was reclaimed
  if (x.inWasmMemory) {
    // Row by row within the one view of the whole memory: a memmove each, no view per row.
    const heap = heapF32(), from = x.ptr >> 2, to = out.ptr >> 2;
    for (let i = 0; i < indices.length; i++) {
      const source = from + indices[i] * rowSize;
      heap.copyWithin(to + i * rowSize, source, source + rowSize);
    }
  } else {
    // x lives in the JavaScript heap (a data set): read it there; x.ptr would move all of it.
    // Long rows by TypedArray.set (a memcpy each); short ones (labels) by a loop, cheaper than a subarray a row.
    const Y = out.data;
    if (rowSize >= 64) {
      // A shuffled batch's rows lie far apart in a data set far bigger than the caches: each row's
      // first read waits for memory. Reading every row's first number up front lets those waits
      // overlap (the loads are independent), instead of one row's wait starting each copy.
      let first = 0;
      for (let i = 0; i < indices.length; i++) first += X[indices[i] * rowSize];
      touched = first;
      for (let i = 0; i < indices.length; i++) Y.set(X.subarray(indices[i] * rowSize, (indices[i] + 1) * rowSize), i * rowSize);
    } else {
      for (let i = 0; i < indices.length; i++) {
        const from = indices[i] * rowSize, to = i * rowSize;
        for (let k = 0; k < rowSize; k++) Y[to + k] = X[from + k];
      }
    }
  }
  return record(out, 'gatherRows', [x], (dout) => {
    // dout [n, ...] → scatter-add into the gathered rows of dx (a row picked twice gets both)
    const dX = x.gradBuffer().data, G = dout.data;
    for (let i = 0; i < indices.length; i++) {
      const from = i * rowSize, to = indices[i] * rowSize;
      for (let k = 0; k < rowSize; k++) dX[to + k] += G[from + k];
    }
  });
}
