// engine/ops/batchnorm.ts — batch normalization over the last axis (channels_last): every channel j
// of x, seen as a rows x C matrix (rows = every other index), is normalized and then scaled:
//
//   y = gamma · (x - mean) / sqrt(variance + epsilon) + beta
//
// In training the mean and (biased) variance are the batch's own, and the gradient flows through
// them too; in inference they are given (the layer's moving averages) and are constants.
// Backward of the training form, with xhat = (x - mean)·invstd, invstd = 1/sqrt(variance + epsilon),
// R rows, S1 = Σ_r dout and S2 = Σ_r dout·(x - mean) per channel:
//   dbeta += S1      dgamma += S2·invstd
//   dx += gamma·invstd · (dout - S1/R - (x - mean)·invstd²·S2/R)
// which the kernel computes as a·dout + b·(x - mean) + d with per-channel a, b, d. With `relu`, a
// following ReLU is fused in: y = max(0, ·) in the same pass, and dout is masked by y > 0 first.
// The loops over rows are kernels (kernels/assembly/conv.ts); the per-channel arithmetic is here.

import {
  batchNormBackwardInto, columnCenteredSums, columnMeanVariance, columnScaleShift, reluBackward,
} from '../../kernels/index.js';
import { empty, formatShape, record, tensor, type Tensor } from '../tensor.js';

export interface BatchNormResult {
  y: Tensor;
  /** The batch's mean and biased variance per channel, [C] (training only; the layer's moving averages use them). */
  mean: Tensor;
  variance: Tensor;
}

function channelsOf(x: Tensor, gamma: Tensor | null, beta: Tensor | null, op: string): { rows: number; C: number } {
  if (x.rank < 2) throw new Error(`wasmgrad: ${op} expected an input of shape [batch, ..., channels], got ${formatShape(x.shape)}`);
  const C = x.shape[x.rank - 1];
  for (const [what, t] of [['gamma', gamma], ['beta', beta]] as const) {
    if (t !== null && (t.rank !== 1 || t.shape[0] !== C)) throw new Error(`wasmgrad: ${op} expected ${what} of shape [${C}], got ${formatShape(t.shape)}`);
  }
  return { rows: C === 0 ? 0 : x.size / C, C };
}

/** gamma's values, or ones when there is no gamma (Keras' scale: false). */
function gammaValues(gamma: Tensor | null, C: number): Float32Array {
  return gamma === null ? new Float32Array(C).fill(1) : gamma.data;
}

/**
 * y = scale·x + shift per channel, with scale = gamma·invstd and shift = beta - mean·scale, and the
 * shared part of both backward passes (dgamma, dbeta, and dx through a, b, d).
 */
function normalize(
  x: Tensor, mean: Tensor, invstd: Float64Array, gamma: Tensor | null, beta: Tensor | null, rows: number, C: number, relu: boolean,
  op: string, dxCoefficients: (S1: Float32Array, S2: Float32Array, k: Float64Array) => { b: Float64Array; d: Float64Array },
): Tensor {
  const g = gammaValues(gamma, C), m = mean.data;
  const scale = new Float32Array(C), shift = new Float32Array(C);
  for (let j = 0; j < C; j++) {
    scale[j] = g[j] * invstd[j];
    shift[j] = (beta === null ? 0 : beta.data[j]) - m[j] * scale[j];
  }
  const y = empty(x.shape);
  columnScaleShift(rows, C, x.ptr, y.ptr, tensor(scale).ptr, tensor(shift).ptr, relu);
  const inputs = [x, ...(gamma === null ? [] : [gamma]), ...(beta === null ? [] : [beta])];
  return record(y, relu ? `${op}+relu` : op, inputs, (upstream) => {
    let dout = upstream;
    if (relu) {
      dout = empty(upstream.shape);
      reluBackward(dout.size, dout.ptr, upstream.ptr, y.ptr);
    }
    const sums = empty([2, C]);
    const S1ptr = sums.ptr, S2ptr = sums.ptr + C * 4;
    columnCenteredSums(rows, C, dout.ptr, x.ptr, mean.ptr, S1ptr, S2ptr);
    const S1 = sums.data.subarray(0, C), S2 = sums.data.subarray(C);
    if (beta !== null && beta.requiresGrad) {
      const db = beta.gradBuffer().data;
      for (let j = 0; j < C; j++) db[j] += S1[j];
    }
    if (gamma !== null && gamma.requiresGrad) {
      const dg = gamma.gradBuffer().data;
      for (let j = 0; j < C; j++) dg[j] += S2[j] * invstd[j];
    }
    if (x.requiresGrad) {
      const gv = gammaValues(gamma, C);
      const k = Float64Array.from({ length: C }, (_, j) => gv[j] * invstd[j]);
      const { b, d } = dxCoefficients(S1, S2, k);
      const coefficients = tensor(Float32Array.from([...k, ...b, ...d]), [3, C]);
      const p = coefficients.ptr;
      batchNormBackwardInto(rows, C, x.gradBuffer().ptr, dout.ptr, x.ptr, mean.ptr, p, p + 4 * C, p + 8 * C);
    }
  });
}

/** Training form: normalizes with the batch's own mean and biased variance over all but the last axis. */
export function batchNormTraining(x: Tensor, gamma: Tensor | null, beta: Tensor | null, epsilon: number, options: { relu?: boolean } = {}): BatchNormResult {
  const { rows, C } = channelsOf(x, gamma, beta, 'batchNormTraining');
  if (rows === 0) throw new Error(`wasmgrad: batchNormTraining needs at least one sample, got shape ${formatShape(x.shape)}`);
  const mean = empty([C]), variance = empty([C]);
  columnMeanVariance(rows, C, x.ptr, mean.ptr, variance.ptr);
  const invstd = Float64Array.from(variance.data, (v) => 1 / Math.sqrt(v + epsilon));
  const y = normalize(x, mean, invstd, gamma, beta, rows, C, options.relu ?? false, 'batchNormTraining', (S1, S2, k) => ({
    b: Float64Array.from(k, (kj, j) => (-kj * invstd[j] * invstd[j] * S2[j]) / rows),
    d: Float64Array.from(k, (kj, j) => (-kj * S1[j]) / rows),
  }));
  return { y, mean, variance };
}

/** Inference form: normalizes with a given mean and variance [C] (constants: no gradient reaches them). */
export function batchNormInference(
  x: Tensor, mean: Tensor, variance: Tensor, gamma: Tensor | null, beta: Tensor | null, epsilon: number, options: { relu?: boolean } = {},
): Tensor {
  const { rows, C } = channelsOf(x, gamma, beta, 'batchNormInference');
  const invstd = Float64Array.from(variance.data, (v) => 1 / Math.sqrt(v + epsilon));
  // With constant statistics, dx = gamma·invstd·dout: b = d = 0.
  return normalize(x, mean, invstd, gamma, beta, rows, C, options.relu ?? false, 'batchNormInference', (_S1, _S2, k) => ({
    b: new Float64Array(k.length),
    d: new Float64Array(k.length),
  }));
}
