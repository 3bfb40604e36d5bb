// engine/ops/elementwise.ts — ops that act on each element: add/sub/mul/div with broadcasting,
// and the activations (relu, sigmoid, tanh, elu), exp, log, neg, square, sqrt.
//
// Each op computes its output and records a backward closure that *adds* its inputs' gradients.
// Unary ops are written as a forward function plus a derivative dy/dx expressed through the input
// x and the output y, so an op saves only what its backward needs (sigmoid's is y·(1-y)).
// These loops are plain TypeScript: cheap next to the GEMM, and clearest read in one place.

import { empty, formatShape, full, record, type Shape, type Tensor } from '../tensor.js';

// ---- broadcasting ----------------------------------------------------------------------------

/** NumPy's rule: align shapes on the right; each pair of sizes must match or one must be 1. */
export function broadcastShape(a: Shape, b: Shape, op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `wasmgrad: ${op} cannot broadcast shapes ${formatShape(a)} and ${formatShape(b)}: ` +
          `sizes ${da} and ${db} differ in dimension ${i} (counted after right-aligning) and neither is 1`,
      );
    }
    out.push(Math.max(da, db));
  }
  return out;
}

/**
 * How an input of `shape` is read when broadcast to `outShape`: a function from an output element
 * index to an input element index. Two cheap common cases (same shape, and a trailing block such
 * as a bias row [N] under a batch [B, N] or a scalar) avoid building an index table.
 */
export function broadcastIndexer(shape: Shape, outShape: Shape): (i: number) => number {
  let size = 1;
  for (const d of shape) size *= d;
  let outSize = 1;
  for (const d of outShape) outSize *= d;
  if (size === outSize) return (i) => i;
  // Trailing block: shape (without leading 1s) equals the last dimensions of outShape.
  const trimmed = shape.slice(shape.findIndex((d) => d !== 1) === -1 ? shape.length : shape.findIndex((d) => d !== 1));
  const tail = outShape.slice(outShape.length - trimmed.length);
  if (trimmed.every((d, i) => d === tail[i])) return (i) => i % size;
  // General case: walk the output's multi-index and keep the input's index alongside.
  const rank = outShape.length;
  const inStrides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let axis = rank - 1, j = shape.length - 1; axis >= 0; axis--, j--) {
    const d = j >= 0 ? shape[j] : 1;
    inStrides[axis] = d === 1 ? 0 : stride; // a broadcast axis does not move through the input
    stride *= d;
  }
  const table = new Int32Array(outSize);
  const counter = new Array<number>(rank).fill(0);
  let index = 0;
  for (let i = 0; i < outSize; i++) {
    table[i] = index;
    for (let axis = rank - 1; axis >= 0; axis--) {
      counter[axis]++;
      index += inStrides[axis];
      if (counter[axis] < outShape[axis]) break;
      index -= inStrides[axis] * counter[axis];
      counter[axis] = 0;
    }
  }
  return (i) => table[i];
}

function asTensor(x: Tensor | number): Tensor {
  return typeof x === 'number' ? full([], x) : x;
}

/**
 * out = f(a, b) elementwise with broadcasting. `da(x, y, out)` and `db(x, y, out)` are the
 * partial derivatives ∂f/∂a and ∂f/∂b at one element; backward sums dout·∂f over broadcast axes.
 */
function binary(
  name: string,
  aIn: Tensor | number,
  bIn: Tensor | number,
  f: (x: number, y: number) => number,
  da: (x: number, y: number, out: number) => number,
  db: (x: number, y: number, out: number) => number,
): Tensor {
  const a = asTensor(aIn);
  const b = asTensor(bIn);
  const shape = broadcastShape(a.shape, b.shape, name);
  const ia = broadcastIndexer(a.shape, shape);
  const ib = broadcastIndexer(b.shape, shape);
  const out = empty(shape);
  const A = a.data, B = b.data, O = out.data;
  for (let i = 0; i < O.length; i++) O[i] = f(A[ia(i)], B[ib(i)]);
  return record(out, name, [a, b], (dout) => {
    const G = dout.data, Y = out.data, X = a.data, Z = b.data;
    if (a.requiresGrad) {
      const dA = a.gradBuffer().data;
      for (let i = 0; i < G.length; i++) dA[ia(i)] += G[i] * da(X[ia(i)], Z[ib(i)], Y[i]);
    }
    if (b.requiresGrad) {
      const dB = b.gradBuffer().data;
      for (let i = 0; i < G.length; i++) dB[ib(i)] += G[i] * db(X[ia(i)], Z[ib(i)], Y[i]);
    }
  });
}

/** a + b, broadcasting (a bias row [N] over a batch [B, N], a scalar over anything). */
export function add(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('add', a, b, (x, y) => x + y, () => 1, () => 1);
}

/** a - b, broadcasting. */
export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('sub', a, b, (x, y) => x - y, () => 1, () => -1);
}

/** a * b elementwise, broadcasting. ∂/∂a = b, ∂/∂b = a. */
export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('mul', a, b, (x, y) => x * y, (_x, y) => y, (x) => x);
}

/** a / b elementwise, broadcasting. ∂/∂a = 1/b, ∂/∂b = -a/b². */
export function div(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('div', a, b, (x, y) => x / y, (_x, y) => 1 / y, (x, y) => -x / (y * y));
}

// ---- unary ops -------------------------------------------------------------------------------

/** out = f(x); backward: dx += dout · dydx(x, y). */
function unary(name: string, x: Tensor, f: (v: number) => number, dydx: (x: number, y: number) => number): Tensor {
  const out = empty(x.shape);
  const X = x.data, Y = out.data;
  for (let i = 0; i < X.length; i++) Y[i] = f(X[i]);
  return record(out, name, [x], (dout) => {
    const dX = x.gradBuffer().data, G = dout.data, Xs = x.data, Ys = out.data;
    for (let i = 0; i < G.length; i++) dX[i] += G[i] * dydx(Xs[i], Ys[i]);
  });
}

export function neg(x: Tensor): Tensor {
  return unary('neg', x, (v) => -v, () => -1);
}

/** max(0, x). Its derivative at exactly 0 is taken as 0, as TensorFlow and PyTorch do. */
export function relu(x: Tensor): Tensor {
  return unary('relu', x, (v) => (v > 0 ? v : 0), (v) => (v > 0 ? 1 : 0));
}

/** 1 / (1 + e^-x), computed without overflow for large |x|. dy/dx = y(1 - y). */
export function sigmoid(x: Tensor): Tensor {
  return unary('sigmoid', x, sigmoidScalar, (_x, y) => y * (1 - y));
}

export function sigmoidScalar(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v); // for negative v, e^-v would overflow; rewrite as e^v / (1 + e^v)
  return e / (1 + e);
}

/** tanh(x). dy/dx = 1 - y². */
export function tanh(x: Tensor): Tensor {
  return unary('tanh', x, Math.tanh, (_x, y) => 1 - y * y);
}

/** x for x > 0, alpha·(e^x - 1) otherwise. dy/dx = 1, or y + alpha. */
export function elu(x: Tensor, alpha = 1): Tensor {
  return unary('elu', x, (v) => (v > 0 ? v : alpha * Math.expm1(v)), (v, y) => (v > 0 ? 1 : y + alpha));
}

/** e^x. dy/dx = y. */
export function exp(x: Tensor): Tensor {
  return unary('exp', x, Math.exp, (_x, y) => y);
}

/** Natural log. dy/dx = 1/x. */
export function log(x: Tensor): Tensor {
  return unary('log', x, Math.log, (v) => 1 / v);
}

/** x². dy/dx = 2x. */
export function square(x: Tensor): Tensor {
  return unary('square', x, (v) => v * v, (v) => 2 * v);
}

/** √x. dy/dx = 1 / (2y). */
export function sqrt(x: Tensor): Tensor {
  return unary('sqrt', x, Math.sqrt, (_x, y) => 0.5 / y);
}
