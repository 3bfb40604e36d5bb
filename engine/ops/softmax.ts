// engine/ops/softmax.ts — softmax and logSoftmax over the last axis.
//
// Both subtract the row's maximum before exponentiating: e^(x - max) never overflows, and the
// result is mathematically the same. (The fused softmax-cross-entropy lives in engine/losses.ts.)

import { empty, formatShape, record, type Tensor } from '../tensor.js';

function rowsAndClasses(x: Tensor, op: string): [number, number] {
  if (x.rank < 1 || x.shape[x.rank - 1] === 0) {
    throw new Error(`wasmgrad: ${op} expected a tensor whose last axis is non-empty, got shape ${formatShape(x.shape)}`);
  }
  const C = x.shape[x.rank - 1];
  return [x.size / C, C];
}

/** For each row r: lse[r] = max + log Σ_j e^(x[r, j] - max), the log-sum-exp. Float64 sums. */
export function logSumExpRows(X: Float32Array, rows: number, C: number, lse: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const base = r * C;
    let max = -Infinity;
    for (let j = 0; j < C; j++) if (X[base + j] > max) max = X[base + j];
    let total = 0;
    for (let j = 0; j < C; j++) total += Math.exp(X[base + j] - max);
    lse[r] = max + Math.log(total);
  }
}

/** y[r, j] = e^x[r, j] / Σ_k e^x[r, k], along the last axis. */
export function softmax(x: Tensor): Tensor {
  const [rows, C] = rowsAndClasses(x, 'softmax');
  const lse = new Float64Array(rows);
  logSumExpRows(x.data, rows, C, lse);
  const out = empty(x.shape);
  const X = x.data, Y = out.data;
  for (let r = 0; r < rows; r++) for (let j = 0; j < C; j++) Y[r * C + j] = Math.exp(X[r * C + j] - lse[r]);
  return record(out, 'softmax', [x], (dout) => {
    // dout [rows, C].  dx[r, j] += y[r, j] · (dout[r, j] - Σ_k dout[r, k] · y[r, k])
    const dX = x.gradBuffer().data, G = dout.data, Ys = out.data;
    for (let r = 0; r < rows; r++) {
      const base = r * C;
      let dot = 0;
      for (let k = 0; k < C; k++) dot += G[base + k] * Ys[base + k];
      for (let j = 0; j < C; j++) dX[base + j] += Ys[base + j] * (G[base + j] - dot);
    }
  });
}

/** y[r, j] = x[r, j] - log Σ_k e^x[r, k], along the last axis: stable log-probabilities. */
export function logSoftmax(x: Tensor): Tensor {
  const [rows, C] = rowsAndClasses(x, 'logSoftmax');
  const lse = new Float64Array(rows);
  logSumExpRows(x.data, rows, C, lse);
  const out = empty(x.shape);
  const X = x.data, Y = out.data;
  for (let r = 0; r < rows; r++) for (let j = 0; j < C; j++) Y[r * C + j] = X[r * C + j] - lse[r];
  return record(out, 'logSoftmax', [x], (dout) => {
    // dout [rows, C].  dx[r, j] += dout[r, j] - softmax[r, j] · Σ_k dout[r, k]
    const dX = x.gradBuffer().data, G = dout.data, Ys = out.data;
    for (let r = 0; r < rows; r++) {
      const base = r * C;
      let total = 0;
      for (let k = 0; k < C; k++) total += G[base + k];
      for (let j = 0; j < C; j++) dX[base + j] += G[base + j] - Math.exp(Ys[base + j]) * total;
    }
  });
}
