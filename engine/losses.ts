// engine/losses.ts — loss functions as fused ops: each computes a scalar (the batch mean) and
// writes its gradient in one pass, instead of chaining log, mul and mean ops.
//
// softmaxCrossEntropy is the one classification training uses: it takes logits, so softmax and
// log never meet a 0 (log-sum-exp keeps it finite at logits of ±1000), and its gradient is
// simply (softmax - target) / batch. The *FromProbabilities forms serve models whose output is
// already a probability and clip it into [1e-7, 1 - 1e-7] as Keras does.

import { logSumExpRows } from './ops/softmax.js';
import { sigmoidScalar } from './ops/elementwise.js';
import { empty, formatShape, record, type Tensor } from './tensor.js';

/** Keras' backend epsilon: probabilities are clipped into [EPSILON, 1 - EPSILON] before log. */
export const EPSILON = 1e-7;

function scalar(value: number): Tensor {
  const t = empty([]);
  t.data[0] = value;
  return t;
}

function expectRows(pred: Tensor, op: string): [number, number] {
  if (pred.rank !== 2) throw new Error(`wasmgrad: ${op} expected predictions of shape [batch, classes], got ${formatShape(pred.shape)}`);
  return [pred.shape[0], pred.shape[1]];
}

/**
 * Reads labels as one target row per sample: class ids [B] (or [B, 1]) become one-hot rows,
 * [B, C] rows are used as they are (one-hot or soft labels). Calls visit(r, j, t) for nonzero t.
 */
function forEachTarget(labels: Tensor, B: number, C: number, op: string, visit: (r: number, j: number, t: number) => void): void {
  const L = labels.data;
  const sparse = labels.size === B && (labels.rank === 1 || (labels.rank === 2 && labels.shape[1] === 1 && C !== 1));
  if (sparse) {
    for (let r = 0; r < B; r++) {
      const id = L[r];
      if (!Number.isInteger(id) || id < 0 || id >= C) {
        throw new Error(`wasmgrad: ${op} expected class ids in [0, ${C - 1}], got ${id} for sample ${r}`);
      }
      visit(r, id, 1);
    }
    return;
  }
  if (labels.rank !== 2 || labels.shape[0] !== B || labels.shape[1] !== C) {
    throw new Error(
      `wasmgrad: ${op} expected labels as class ids of shape [${B}] or one-hot rows of shape [${B}, ${C}], ` +
        `got ${formatShape(labels.shape)}`,
    );
  }
  for (let r = 0; r < B; r++) for (let j = 0; j < C; j++) if (L[r * C + j] !== 0) visit(r, j, L[r * C + j]);
}

/**
 * Mean over the batch of -Σ_j target[r, j] · log softmax(logits)[r, j].
 * logits [B, C]; labels: class ids [B] or one-hot [B, C].
 * Backward: dlogits[r, j] += dout · (softmax[r, j] - target[r, j]) / B.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const [B, C] = expectRows(logits, 'softmaxCrossEntropy');
  const lse = new Float64Array(B);
  logSumExpRows(logits.data, B, C, lse);
  const Z = logits.data;
  let total = 0;
  forEachTarget(labels, B, C, 'softmaxCrossEntropy', (r, j, t) => {
    total += t * (lse[r] - Z[r * C + j]); // -t · log p, with log p = z - lse
  });
  const out = scalar(B === 0 ? 0 : total / B);
  return record(out, 'softmaxCrossEntropy', [logits], (dout) => {
    const g = dout.data[0] / B, dZ = logits.gradBuffer().data, Zs = logits.data;
    for (let r = 0; r < B; r++) for (let j = 0; j < C; j++) dZ[r * C + j] += g * Math.exp(Zs[r * C + j] - lse[r]);
    forEachTarget(labels, B, C, 'softmaxCrossEntropy', (r, j, t) => {
      dZ[r * C + j] -= g * t;
    });
  });
}

/**
 * Cross-entropy from probabilities (a softmax already applied): mean of -Σ t · log clip(p).
 * probs [B, C]; labels: class ids [B] or one-hot [B, C]. Backward: dp += dout · (-t / p) / B
 * where p was not clipped.
 */
export function crossEntropyFromProbabilities(probs: Tensor, labels: Tensor): Tensor {
  const [B, C] = expectRows(probs, 'crossEntropyFromProbabilities');
  const P = probs.data;
  let total = 0;
  forEachTarget(labels, B, C, 'crossEntropyFromProbabilities', (r, j, t) => {
    total -= t * Math.log(Math.min(Math.max(P[r * C + j], EPSILON), 1 - EPSILON));
  });
  const out = scalar(B === 0 ? 0 : total / B);
  return record(out, 'crossEntropyFromProbabilities', [probs], (dout) => {
    const g = dout.data[0] / B, dP = probs.gradBuffer().data, Ps = probs.data;
    forEachTarget(labels, B, C, 'crossEntropyFromProbabilities', (r, j, t) => {
      const p = Ps[r * C + j];
      if (p > EPSILON && p < 1 - EPSILON) dP[r * C + j] -= (g * t) / p;
    });
  });
}

function expectSameShape(pred: Tensor, target: Tensor, op: string): void {
  if (pred.size !== target.size || (target.rank !== pred.rank && !(target.rank === 1 && pred.rank === 2 && pred.shape[1] === 1))) {
    throw new Error(`wasmgrad: ${op} expected targets of shape ${formatShape(pred.shape)}, got ${formatShape(target.shape)}`);
  }
}

/** Mean over all elements of (pred - target)². Backward: dpred += dout · 2(pred - target) / n. */
export function meanSquaredError(pred: Tensor, target: Tensor): Tensor {
  expectSameShape(pred, target, 'meanSquaredError');
  const P = pred.data, T = target.data, n = pred.size;
  let total = 0;
  for (let i = 0; i < n; i++) total += (P[i] - T[i]) ** 2;
  const out = scalar(n === 0 ? 0 : total / n);
  return record(out, 'meanSquaredError', [pred], (dout) => {
    const g = (2 * dout.data[0]) / n, dP = pred.gradBuffer().data, Ps = pred.data, Ts = target.data;
    for (let i = 0; i < n; i++) dP[i] += g * (Ps[i] - Ts[i]);
  });
}

/**
 * Binary cross-entropy, mean over all elements of -(t·log p + (1-t)·log(1-p)).
 * With fromLogits, pred holds logits x and p = sigmoid(x) is never formed: the loss is
 * max(x, 0) - x·t + log(1 + e^-|x|), stable for any x, and its gradient is (sigmoid(x) - t) / n.
 * Otherwise p is clipped into [1e-7, 1 - 1e-7], as Keras does.
 */
export function binaryCrossEntropy(pred: Tensor, target: Tensor, options: { fromLogits?: boolean } = {}): Tensor {
  expectSameShape(pred, target, 'binaryCrossEntropy');
  const fromLogits = options.fromLogits ?? false;
  const P = pred.data, T = target.data, n = pred.size;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const t = T[i];
    if (fromLogits) {
      const x = P[i];
      total += Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
    } else {
      const p = Math.min(Math.max(P[i], EPSILON), 1 - EPSILON);
      total -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
    }
  }
  const out = scalar(n === 0 ? 0 : total / n);
  return record(out, 'binaryCrossEntropy', [pred], (dout) => {
    const g = dout.data[0] / n, dP = pred.gradBuffer().data, Ps = pred.data, Ts = target.data;
    for (let i = 0; i < n; i++) {
      const t = Ts[i];
      if (fromLogits) dP[i] += g * (sigmoidScalar(Ps[i]) - t);
      else {
        const p = Ps[i];
        if (p > EPSILON && p < 1 - EPSILON) dP[i] += g * ((p - t) / (p * (1 - p)));
      }
    }
  });
}
