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

/**
 * Per-sample weights (Keras' sample_weight): sample r's loss counts weight[r] times. The mean
 * stays over the batch size, not over the weights' sum (Keras' 'sum_over_batch_size'), so a
 * weight of 2 is the same gradient as that sample appearing twice in a batch of the same size.
 * null: every weight 1.
 */
export type SampleWeight = ArrayLike<number> | null;

function checkWeights(weights: SampleWeight, B: number, op: string): void {
  if (weights !== null && weights.length !== B) {
    throw new Error(`wasmgrad: ${op} expected ${B} sample weights (one a sample), got ${weights.length}`);
  }
}

function scalar(value: number): Tensor {
  const t = empty([]);
  t.data[0] = value;
  return t;
}

function expectRows(pred: Tensor, op: string): [number, number] {
  if (pred.rank !== 2) throw new Error(`wasmgrad: ${op} expected predictions of shape [batch, classes], got ${formatShape(pred.shape)}`);
  return [pred.shape[0], pred.shape[1]];
}

/** Labels that are not class ids must be one target row a sample: [B, C]. */
function checkTargetRows(labels: Tensor, B: number, C: number, op: string): void {
  if (labels.rank !== 2 || labels.shape[0] !== B || labels.shape[1] !== C) {
    throw new Error(
      `wasmgrad: ${op} expected labels as class ids of shape [${B}] or one-hot rows of shape [${B}, ${C}], ` +
        `got ${formatShape(labels.shape)}`,
    );
  }
}

/**
 * The class id of each sample when labels are ids ([B], or [B, 1] beside C > 1 classes), checked
 * to be in [0, C - 1]; null when they are target rows [B, C] (one-hot or soft), whose shape is checked.
 */
function classIds(labels: Tensor, B: number, C: number, op: string): Int32Array | null {
  const sparse = labels.size === B && (labels.rank === 1 || (labels.rank === 2 && labels.shape[1] === 1 && C !== 1));
  if (!sparse) {
    checkTargetRows(labels, B, C, op);
    return null;
  }
  const L = labels.data, ids = new Int32Array(B);
  for (let r = 0; r < B; r++) {
    const id = L[r];
    if (!Number.isInteger(id) || id < 0 || id >= C) {
      throw new Error(`wasmgrad: ${op} expected class ids in [0, ${C - 1}], got ${id} for sample ${r}`);
    }
    ids[r] = id;
  }
  return ids;
}

/**
 * Reads labels as one target row per sample: class ids [B] (or [B, 1]) become one-hot rows,
 * [B, C] rows are used as they are (one-hot or soft labels). Calls visit(r, j, t) for nonzero t.
 */
function forEachTarget(labels: Tensor, B: number, C: number, op: string, visit: (r: number, j: number, t: number) => void): void {
  const ids = classIds(labels, B, C, op);
  if (ids !== null) {
    for (let r = 0; r < B; r++) visit(r, ids[r], 1);
    return;
  }
  const L = labels.data;
  for (let r = 0; r < B; r++) for (let j = 0; j < C; j++) if (L[r * C + j] !== 0) visit(r, j, L[r * C + j]);
}

/**
 * Mean over the batch of -w[r] · Σ_j target[r, j] · log softmax(logits)[r, j] (w = 1 without weights).
 * logits [B, C]; labels: class ids [B] or one-hot [B, C]; sampleWeight [B] or null.
 * Backward: dlogits[r, j] += dout · w[r] · (softmax[r, j] · Σ_j target[r, j] - target[r, j]) / B
 * (Σ_j target = 1 for one-hot and id labels: softmax - target).
 *
 * The loops are written out (no visitor closures): this runs on every training step, and its
 * backward is one pass, each element's two terms added in the order a pass each would add them.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, sampleWeight: SampleWeight = null): Tensor {
  const [B, C] = expectRows(logits, 'softmaxCrossEntropy');
  checkWeights(sampleWeight, B, 'softmaxCrossEntropy');
  const ids = classIds(labels, B, C, 'softmaxCrossEntropy');
  const lse = new Float64Array(B);
  logSumExpRows(logits.data, B, C, lse);
  const Z = logits.data, L = labels.data;
  let total = 0;
  for (let r = 0; r < B; r++) {
    const w = sampleWeight === null ? 1 : sampleWeight[r];
    if (ids !== null) total += w * (lse[r] - Z[r * C + ids[r]]); // -t · log p, with log p = z - lse
    else {
      for (let k = r * C; k < (r + 1) * C; k++) if (L[k] !== 0) total += w * L[k] * (lse[r] - Z[k]);
    }
  }
  const out = scalar(B === 0 ? 0 : total / B);
  return record(out, 'softmaxCrossEntropy', [logits], (dout) => {
    // The first contribution to dlogits writes it (no zeros written first); 0 + x keeps the bits of adding.
    const accumulate = logits.startGradContribution();
    const g = dout.data[0] / B, dZ = logits.grad!.data, Zs = logits.data, Ls = labels.data;
    for (let r = 0; r < B; r++) {
      const w = sampleWeight === null ? 1 : sampleWeight[r];
      const scale = g * w, base = r * C, rowLse = lse[r];
      for (let j = 0; j < C; j++) {
        const k = base + j;
        let d = Math.fround((accumulate ? dZ[k] : 0) + scale * Math.exp(Zs[k] - rowLse));
        const t = ids !== null ? (ids[r] === j ? 1 : 0) : Ls[k];
        if (t !== 0) d -= g * w * t;
        dZ[k] = d;
      }
    }
  });
}

/**
 * Cross-entropy from probabilities (a softmax already applied): mean of -Σ t · log clip(p).
 * probs [B, C]; labels: class ids [B] or one-hot [B, C]. Backward: dp += dout · (-t / p) / B
 * where p was not clipped.
 */
export function crossEntropyFromProbabilities(probs: Tensor, labels: Tensor, sampleWeight: SampleWeight = null): Tensor {
  const [B, C] = expectRows(probs, 'crossEntropyFromProbabilities');
  checkWeights(sampleWeight, B, 'crossEntropyFromProbabilities');
  const P = probs.data;
  const w = (r: number) => (sampleWeight === null ? 1 : sampleWeight[r]);
  let total = 0;
  forEachTarget(labels, B, C, 'crossEntropyFromProbabilities', (r, j, t) => {
    total -= w(r) * t * Math.log(Math.min(Math.max(P[r * C + j], EPSILON), 1 - EPSILON));
  });
  const out = scalar(B === 0 ? 0 : total / B);
  return record(out, 'crossEntropyFromProbabilities', [probs], (dout) => {
    const g = dout.data[0] / B, dP = probs.gradBuffer().data, Ps = probs.data;
    forEachTarget(labels, B, C, 'crossEntropyFromProbabilities', (r, j, t) => {
      const p = Ps[r * C + j];
      if (p > EPSILON && p < 1 - EPSILON) dP[r * C + j] -= (g * w(r) * t) / p;
    });
  });
}

function expectSameShape(pred: Tensor, target: Tensor, op: string): void {
  if (pred.size !== target.size || (target.rank !== pred.rank && !(target.rank === 1 && pred.rank === 2 && pred.shape[1] === 1))) {
    throw new Error(`wasmgrad: ${op} expected targets of shape ${formatShape(pred.shape)}, got ${formatShape(target.shape)}`);
  }
}

/**
 * The weight of element i of a [B, ...] prediction: its sample's. Element-wise losses average each
 * sample's elements, then weight the samples: Σ w[r] · e_i / n over all n elements.
 */
function elementWeights(sampleWeight: SampleWeight, pred: Tensor, op: string): (i: number) => number {
  if (sampleWeight === null) return () => 1;
  const B = pred.rank === 0 ? 1 : pred.shape[0];
  checkWeights(sampleWeight, B, op);
  const rowSize = B === 0 ? 1 : pred.size / B;
  return (i) => sampleWeight[Math.floor(i / rowSize)];
}

/** Mean over all elements of w · (pred - target)². Backward: dpred += dout · 2w(pred - target) / n. */
export function meanSquaredError(pred: Tensor, target: Tensor, sampleWeight: SampleWeight = null): Tensor {
  expectSameShape(pred, target, 'meanSquaredError');
  const w = elementWeights(sampleWeight, pred, 'meanSquaredError');
  const P = pred.data, T = target.data, n = pred.size;
  let total = 0;
  for (let i = 0; i < n; i++) total += w(i) * (P[i] - T[i]) ** 2;
  const out = scalar(n === 0 ? 0 : total / n);
  return record(out, 'meanSquaredError', [pred], (dout) => {
    const g = (2 * dout.data[0]) / n, dP = pred.gradBuffer().data, Ps = pred.data, Ts = target.data;
    for (let i = 0; i < n; i++) dP[i] += g * w(i) * (Ps[i] - Ts[i]);
  });
}

/**
 * Binary cross-entropy, mean over all elements of -(t·log p + (1-t)·log(1-p)).
 * With fromLogits, pred holds logits x and p = sigmoid(x) is never formed: the loss is
 * max(x, 0) - x·t + log(1 + e^-|x|), stable for any x, and its gradient is (sigmoid(x) - t) / n.
 * Otherwise p is clipped into [1e-7, 1 - 1e-7], as Keras does.
 */
export function binaryCrossEntropy(pred: Tensor, target: Tensor, options: { fromLogits?: boolean; sampleWeight?: SampleWeight } = {}): Tensor {
  expectSameShape(pred, target, 'binaryCrossEntropy');
  const fromLogits = options.fromLogits ?? false;
  const w = elementWeights(options.sampleWeight ?? null, pred, 'binaryCrossEntropy');
  const P = pred.data, T = target.data, n = pred.size;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const t = T[i];
    if (fromLogits) {
      const x = P[i];
      total += w(i) * (Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x))));
    } else {
      const p = Math.min(Math.max(P[i], EPSILON), 1 - EPSILON);
      total -= w(i) * (t * Math.log(p) + (1 - t) * Math.log(1 - p));
    }
  }
  const out = scalar(n === 0 ? 0 : total / n);
  return record(out, 'binaryCrossEntropy', [pred], (dout) => {
    const g = dout.data[0] / n, dP = pred.gradBuffer().data, Ps = pred.data, Ts = target.data;
    for (let i = 0; i < n; i++) {
      const t = Ts[i];
      if (fromLogits) dP[i] += g * w(i) * (sigmoidScalar(Ps[i]) - t);
      else {
        const p = Ps[i];
        if (p > EPSILON && p < 1 - EPSILON) dP[i] += g * w(i) * ((p - t) / (p * (1 - p)));
      }
    }
  });
}
