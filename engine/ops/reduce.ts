// engine/ops/reduce.ts — reductions: sum and mean (of everything, or along one axis), argmax.
//
// Along an axis, a tensor is seen as [outer, n, inner]: the axis has n entries and we sum over
// them. Sums run in float64 (JavaScript numbers) and are stored as float32.

import { empty, formatShape, record, type Tensor } from '../tensor.js';

export interface ReduceOptions {
  /** Reduce along this axis only (negative counts from the end); default: all elements. */
  axis?: number;
  /** Keep the reduced axis with size 1, as NumPy's keepdims. Default false. */
  keepDims?: boolean;
}

function resolveAxis(x: Tensor, axis: number, op: string): number {
  const a = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= x.rank) {
    throw new Error(`wasmgrad: ${op} expected an axis in [${-x.rank}, ${x.rank - 1}] for shape ${formatShape(x.shape)}, got ${axis}`);
  }
  return a;
}

/** Splits shape around `axis`: [outer, n, inner] and the output shape. */
function around(x: Tensor, axis: number | undefined, keepDims: boolean, op: string) {
  if (axis === undefined) {
    return { outer: 1, n: x.size, inner: 1, outShape: keepDims ? x.shape.map(() => 1) : [] };
  }
  const a = resolveAxis(x, axis, op);
  let outer = 1, inner = 1;
  for (let i = 0; i < a; i++) outer *= x.shape[i];
  for (let i = a + 1; i < x.rank; i++) inner *= x.shape[i];
  const outShape = keepDims ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a);
  return { outer, n: x.shape[a], inner, outShape };
}

/** scale · Σ over the axis (scale 1 for sum, 1/n for mean). */
function reduceSum(op: string, x: Tensor, options: ReduceOptions, mean: boolean): Tensor {
  const { outer, n, inner, outShape } = around(x, options.axis, options.keepDims ?? false, op);
  const scale = mean ? 1 / n : 1;
  const out = empty(outShape);
  const X = x.data, Y = out.data;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let total = 0;
      for (let k = 0; k < n; k++) total += X[(o * n + k) * inner + j];
      Y[o * inner + j] = total * scale;
    }
  }
  return record(out, op, [x], (dout) => {
    // dout [outer, inner] → every one of the n entries along the axis gets scale · dout.
    const dX = x.gradBuffer().data, G = dout.data;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const g = G[o * inner + j] * scale;
        for (let k = 0; k < n; k++) dX[(o * n + k) * inner + j] += g;
      }
    }
  });
}

/** Σ x, of all elements (a scalar) or along options.axis. */
export function sum(x: Tensor, options: ReduceOptions = {}): Tensor {
  return reduceSum('sum', x, options, false);
}

/** The mean of all elements (a scalar) or along options.axis. */
export function mean(x: Tensor, options: ReduceOptions = {}): Tensor {
  return reduceSum('mean', x, options, true);
}

/** Index of the largest entry along `axis` (default last), as float values. Not differentiable. */
export function argmax(x: Tensor, axis = -1): Tensor {
  const { outer, n, inner, outShape } = around(x, axis, false, 'argmax');
  if (n === 0) throw new Error(`wasmgrad: argmax expected a non-empty axis, got shape ${formatShape(x.shape)}`);
  const out = empty(outShape);
  const X = x.data, Y = out.data;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let best = 0, bestValue = X[o * n * inner + j];
      for (let k = 1; k < n; k++) {
        const v = X[(o * n + k) * inner + j];
        if (v > bestValue) { best = k; bestValue = v; }
      }
      Y[o * inner + j] = best;
    }
  }
  return out;
}
