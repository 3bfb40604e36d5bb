// nn/metrics.ts — Keras' metrics, by name in compile({ metrics: [...] }) or as objects: 'accuracy'
// (matched to the loss), top-k accuracies, Precision, Recall, AUC (binary, ROC), 'mse' / 'mae', and
// a custom function (yTrue, yPred) => number. Each is a small state machine, as in Keras:
// resetState(), updateState(yTrue, yPred) batch after batch, result(). The log key is its name.
//
// In fit and evaluate a metric sees the model's outputs; when the loss took the final softmax or
// sigmoid (from logits), metrics that need probabilities get them computed once a batch, and the
// ones that only compare scores (accuracy, top-k) read the logits, which order the same.
// As in Keras 3, compile's `metrics` ignore sampleWeight and classWeight; its `weightedMetrics` are
// weighted means, Σ w · value / Σ w (the loss instead divides by the batch size).

import { describeValue, formatShape, noGrad, sigmoid, softmax, tensor, Tensor, type SampleWeight } from '../engine/index.js';
import { canonicalName, type Spelling } from './activations.js';
import type { LossName } from './losses.js';

/** One batch as a metric sees it in fit / evaluate. */
export interface BatchOutput {
  /** The forward pass's output: logits when fromLogits (the loss took the final activation). */
  output: Tensor;
  fromLogits: boolean;
  /** The model's outputs as predict() gives them (the final softmax/sigmoid applied), computed once. */
  probabilities(): Tensor;
}

/** A metric as saved in a model: its name, or { className, config } when it has options. */
export type SavedMetric = string | { className: string; config: Record<string, unknown> };

const asTensor = (v: Tensor | ArrayLike<number> | number[][]): Tensor => (v instanceof Tensor ? v : tensor(v as number[]));

export abstract class Metric {
  /** The key in logs and History ('precision'; 'val_precision' on validation data). */
  name: string;

  constructor(name: string) {
    if (typeof name !== 'string' || name === '') throw new Error(`wasmgrad: a metric expected name to be a non-empty string, got ${describeValue(name)}`);
    this.name = name;
  }

  abstract resetState(): void;
  abstract result(): number;
  /** Adds one batch from fit / evaluate; with weights, sample r counts sampleWeight[r] times. */
  abstract update(yTrue: Tensor, batch: BatchOutput, sampleWeight?: SampleWeight): void;
  /** What a saved model stores to recreate it; null for a custom function (not saveable). */
  abstract saved(): SavedMetric | null;

  /** Keras' update_state(y_true, y_pred, sample_weight), for using a metric on its own: yPred are the model's outputs. */
  updateState(yTrue: Tensor | ArrayLike<number> | number[][], yPred: Tensor | ArrayLike<number> | number[][], sampleWeight: SampleWeight = null): void {
    const output = asTensor(yPred);
    this.update(asTensor(yTrue), { output, fromLogits: false, probabilities: () => output }, sampleWeight);
  }
}

/** Rows of a [B, C] output (or [B] as [B, 1]). */
function rowsOf(t: Tensor): [number, number] {
  const B = t.rank === 0 ? 1 : t.shape[0];
  return [B, B === 0 ? 0 : t.size / B];
}

function sameSize(name: string, yTrue: Tensor, yPred: Tensor): void {
  if (yTrue.size !== yPred.size) {
    throw new Error(`wasmgrad: metric '${name}' expected targets with the outputs' ${yPred.size} values ${formatShape(yPred.shape)}, got ${formatShape(yTrue.shape)}`);
  }
}

const weightOf = (sampleWeight: SampleWeight | undefined, r: number) => (sampleWeight == null ? 1 : sampleWeight[r]);

/** A metric that is the (weighted) mean over samples of a per-sample value: accuracy, top-k, mse, mae, custom ones. */
abstract class MeanMetric extends Metric {
  protected total = 0;
  protected count = 0;

  protected add(value: number, weight: number): void {
    this.total += weight * value;
    this.count += weight;
  }

  resetState(): void {
    this.total = 0;
    this.count = 0;
  }

  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }
}

/** The true class of each row: the id, or the argmax of a one-hot (or soft) row. */
function trueClasses(yTrue: Tensor, B: number, C: number): Int32Array {
  const L = yTrue.data, ids = new Int32Array(B);
  if (yTrue.size === B) {
    for (let r = 0; r < B; r++) ids[r] = L[r];
    return ids;
  }
  for (let r = 0; r < B; r++) {
    let best = 0;
    for (let j = 1; j < C; j++) if (L[r * C + j] > L[r * C + best]) best = j;
    ids[r] = best;
  }
  return ids;
}

/**
 * 'accuracy' the way Keras matches it to the loss: binary (output > 0.5, or logit > 0) for
 * binary_crossentropy and one-output mse, otherwise categorical (argmax = the true class).
 */
export class Accuracy extends MeanMetric {
  constructor(private readonly loss: LossName) {
    super('accuracy');
  }

  update(yTrue: Tensor, { output, fromLogits }: BatchOutput, sampleWeight?: SampleWeight): void {
    const [B, C] = rowsOf(output);
    const O = output.data, L = yTrue.data;
    if (this.loss === 'binary_crossentropy' || (this.loss === 'mean_squared_error' && C === 1)) {
      const threshold = fromLogits ? 0 : 0.5;
      for (let r = 0; r < B; r++) {
        let correct = 0;
        for (let i = r * C; i < (r + 1) * C; i++) if (O[i] > threshold === L[i] > 0.5) correct++;
        this.add(correct / C, weightOf(sampleWeight, r));
      }
    } else {
      const truth = trueClasses(yTrue, B, C);
      for (let r = 0; r < B; r++) {
        let best = 0;
        for (let j = 1; j < C; j++) if (O[r * C + j] > O[r * C + best]) best = j;
        this.add(best === truth[r] ? 1 : 0, weightOf(sampleWeight, r));
      }
    }
  }

  saved(): SavedMetric {
    return 'accuracy';
  }
}

/**
 * Whether the true class is among the k highest scores (Keras' in_top_k: classes tied with the
 * true one's score count in its favour). Logits and probabilities give the same answer.
 */
abstract class TopK extends MeanMetric {
  readonly k: number;

  constructor(name: string, k: number, private readonly sparse: boolean) {
    super(name);
    if (!Number.isInteger(k) || k <= 0) throw new RangeError(`wasmgrad: ${this.constructor.name} expected k to be a positive integer, got ${describeValue(k)}`);
    this.k = k;
  }

  update(yTrue: Tensor, { output }: BatchOutput, sampleWeight?: SampleWeight): void {
    const [B, C] = rowsOf(output);
    if (this.sparse ? yTrue.size !== B : yTrue.size !== B * C) {
      const want = this.sparse ? `class ids of shape [${B}]` : `one-hot rows of shape [${B}, ${C}]`;
      throw new Error(`wasmgrad: metric '${this.name}' expected ${want}, got ${formatShape(yTrue.shape)}`);
    }
    const truth = trueClasses(yTrue, B, C), O = output.data;
    for (let r = 0; r < B; r++) {
      const score = O[r * C + truth[r]];
      let higher = 0;
      for (let j = 0; j < C; j++) if (O[r * C + j] > score) higher++;
      this.add(higher < this.k ? 1 : 0, weightOf(sampleWeight, r));
    }
  }

  saved(): SavedMetric {
    const className = this.sparse ? 'SparseTopKCategoricalAccuracy' : 'TopKCategoricalAccuracy';
    return this.k === 5 && this.name === defaultName[className] ? this.name : { className, config: { k: this.k, name: this.name } };
  }
}

/** Keras' TopKCategoricalAccuracy: one-hot targets. Default k 5. */
export class TopKCategoricalAccuracy extends TopK {
  constructor(options: { k?: number; name?: string } = {}) {
    super(options.name ?? 'top_k_categorical_accuracy', options.k ?? 5, false);
  }
}

/** Keras' SparseTopKCategoricalAccuracy: class-id targets. Default k 5. */
export class SparseTopKCategoricalAccuracy extends TopK {
  constructor(options: { k?: number; name?: string } = {}) {
    super(options.name ?? 'sparse_top_k_categorical_accuracy', options.k ?? 5, true);
  }
}

/** 'mse' / 'mae' as metrics: the mean over samples of the mean over each sample's outputs. */
class ErrorMetric extends MeanMetric {
  /** The name it was asked for ('mse'), kept for saving when `name` gets a prefix. */
  private readonly identifier: string;

  constructor(name: string, private readonly absolute: boolean) {
    super(name);
    this.identifier = name;
  }

  update(yTrue: Tensor, batch: BatchOutput, sampleWeight?: SampleWeight): void {
    const p = batch.probabilities();
    sameSize(this.name, yTrue, p);
    const P = p.data, T = yTrue.data;
    const [B, C] = rowsOf(p);
    for (let r = 0; r < B; r++) {
      let sum = 0;
      for (let i = r * C; i < (r + 1) * C; i++) sum += this.absolute ? Math.abs(P[i] - T[i]) : (P[i] - T[i]) ** 2;
      this.add(sum / C, weightOf(sampleWeight, r));
    }
  }

  saved(): SavedMetric {
    return this.identifier;
  }
}

/** A custom metric: fn(yTrue, yPred) gives a batch's value; the result is their mean over samples. */
export class MetricFunction extends MeanMetric {
  constructor(private readonly fn: (yTrue: Tensor, yPred: Tensor) => number, name?: string) {
    super(name ?? (fn.name || 'custom_metric'));
  }

  /** The batch's value counts once a sample (with weights: their sum). */
  update(yTrue: Tensor, batch: BatchOutput, sampleWeight?: SampleWeight): void {
    const value = this.fn(yTrue, batch.probabilities());
    if (typeof value !== 'number' || Number.isNaN(value)) {
      throw new Error(`wasmgrad: metric '${this.name}' expected its function to return a number, got ${describeValue(value)}`);
    }
    const [B] = rowsOf(batch.output);
    let weight = 0;
    for (let r = 0; r < B; r++) weight += weightOf(sampleWeight, r);
    this.add(value, weight);
  }

  saved(): null {
    return null;
  }
}

/** Counts of a binary confusion matrix at one or more thresholds (predicted positive: p > threshold). */
abstract class ConfusionMetric extends Metric {
  protected tp: Float64Array;
  protected fp: Float64Array;
  protected fn: Float64Array;
  protected tn: Float64Array;

  constructor(name: string, protected readonly thresholds: number[]) {
    super(name);
    this.tp = new Float64Array(thresholds.length);
    this.fp = new Float64Array(thresholds.length);
    this.fn = new Float64Array(thresholds.length);
    this.tn = new Float64Array(thresholds.length);
  }

  resetState(): void {
    for (const counts of [this.tp, this.fp, this.fn, this.tn]) counts.fill(0);
  }

  /** Every element counts (Keras flattens), weighted by its sample; a target is positive when it is not 0. */
  update(yTrue: Tensor, batch: BatchOutput, sampleWeight?: SampleWeight): void {
    const p = batch.probabilities();
    sameSize(this.name, yTrue, p);
    const P = p.data, T = yTrue.data;
    const [, C] = rowsOf(p);
    for (let i = 0; i < P.length; i++) {
      const positive = T[i] !== 0, w = weightOf(sampleWeight, Math.floor(i / C));
      for (let k = 0; k < this.thresholds.length; k++) {
        const predicted = P[i] > this.thresholds[k];
        if (predicted) (positive ? this.tp : this.fp)[k] += w;
        else (positive ? this.fn : this.tn)[k] += w;
      }
    }
  }
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

function checkThreshold(metric: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new RangeError(`wasmgrad: ${metric} expected thresholds to be a number in [0, 1], got ${describeValue(value)}`);
  }
  return value;
}

/** Precision and Recall: a ratio of the confusion counts at one threshold (default 0.5). */
abstract class ThresholdMetric extends ConfusionMetric {
  constructor(private readonly className: 'Precision' | 'Recall', options: { thresholds?: number; name?: string }) {
    super(options.name ?? className.toLowerCase(), [checkThreshold(className, options.thresholds ?? 0.5)]);
  }

  saved(): SavedMetric {
    return { className: this.className, config: { thresholds: this.thresholds[0], name: this.name } };
  }
}

/** Keras' Precision: tp / (tp + fp); 0 before any positive prediction (Keras' divide_no_nan). */
export class Precision extends ThresholdMetric {
  constructor(options: { thresholds?: number; name?: string } = {}) {
    super('Precision', options);
  }

  result(): number {
    return ratio(this.tp[0], this.tp[0] + this.fp[0]);
  }
}

/** Keras' Recall: tp / (tp + fn); 0 before any positive target. */
export class Recall extends ThresholdMetric {
  constructor(options: { thresholds?: number; name?: string } = {}) {
    super('Recall', options);
  }

  result(): number {
    return ratio(this.tp[0], this.tp[0] + this.fn[0]);
  }
}

/**
 * Keras' AUC with curve 'ROC' and summation 'interpolation': the confusion counts at numThresholds
 * thresholds spread over [0, 1] (plus -1e-7 and 1 + 1e-7 at the ends), then the area under
 * (false positive rate, true positive rate) by the trapezoidal rule. Default 200 thresholds.
 */
export class AUC extends ConfusionMetric {
  readonly numThresholds: number;

  constructor(options: { numThresholds?: number; name?: string } = {}) {
    const n = options.numThresholds ?? 200;
    if (!Number.isInteger(n) || n <= 1) throw new RangeError(`wasmgrad: AUC expected numThresholds to be an integer > 1, got ${describeValue(n)}`);
    const inner = Array.from({ length: n - 2 }, (_, i) => (i + 1) / (n - 1));
    super(options.name ?? 'auc', [-1e-7, ...inner, 1 + 1e-7]);
    this.numThresholds = n;
  }

  result(): number {
    let area = 0;
    for (let k = 0; k + 1 < this.numThresholds; k++) {
      const tpr = (i: number) => ratio(this.tp[i], this.tp[i] + this.fn[i]);
      const fpr = (i: number) => ratio(this.fp[i], this.fp[i] + this.tn[i]);
      area += (fpr(k) - fpr(k + 1)) * ((tpr(k) + tpr(k + 1)) / 2);
    }
    return area;
  }

  saved(): SavedMetric {
    return { className: 'AUC', config: { numThresholds: this.numThresholds, name: this.name } };
  }
}

// ---- by name ---------------------------------------------------------------------------------------

const defaultName: Record<string, string> = {
  TopKCategoricalAccuracy: 'top_k_categorical_accuracy',
  SparseTopKCategoricalAccuracy: 'sparse_top_k_categorical_accuracy',
};

/** Metrics by Keras name (matched after removing '_' and lowercasing); the name given is the log key. */
const byName: Record<string, (name: string) => Metric> = {
  topkcategoricalaccuracy: (name) => new TopKCategoricalAccuracy({ name }),
  sparsetopkcategoricalaccuracy: (name) => new SparseTopKCategoricalAccuracy({ name }),
  mse: (name) => new ErrorMetric(name, false),
  meansquarederror: (name) => new ErrorMetric(name, false),
  mae: (name) => new ErrorMetric(name, true),
  meanabsoluteerror: (name) => new ErrorMetric(name, true),
  precision: (name) => new Precision({ name }),
  recall: (name) => new Recall({ name }),
  auc: (name) => new AUC({ name }),
};

const byClass: Record<string, (config: never) => Metric> = {
  TopKCategoricalAccuracy: (c) => new TopKCategoricalAccuracy(c),
  SparseTopKCategoricalAccuracy: (c) => new SparseTopKCategoricalAccuracy(c),
  Precision: (c) => new Precision(c),
  Recall: (c) => new Recall(c),
  AUC: (c) => new AUC(c),
};

export const metricNames = ['accuracy', 'top_k_categorical_accuracy', 'sparse_top_k_categorical_accuracy', 'mse', 'mae', 'precision', 'recall', 'auc'];

/** The metric names compile() takes, in snake_case or camelCase ('accuracy', 'topKCategoricalAccuracy'); Keras also says 'acc'. */
export type MetricIdentifier = Spelling<'accuracy' | 'acc' | 'top_k_categorical_accuracy' | 'sparse_top_k_categorical_accuracy' | 'mse' | 'mae' | 'precision' | 'recall' | 'auc'>;

/** What compile() accepts in its metrics list: a name (a typo fails tsc), a Metric, a function, or a saved metric's form. */
export type MetricLike = MetricIdentifier | Metric | ((yTrue: Tensor, yPred: Tensor) => number) | { className: string; config: Record<string, unknown> };

/** compile()'s metrics list as Metric objects for this loss; names checked, duplicates refused. */
export function resolveMetrics(metrics: unknown, loss: LossName, what = 'metrics'): Metric[] {
  if (metrics === undefined || metrics === null) return [];
  if (!Array.isArray(metrics)) throw new Error(`wasmgrad: compile() expected ${what} as a list such as ['accuracy'], got ${JSON.stringify(metrics)}`);
  const resolved = metrics.map((m: unknown): Metric => {
    if (m instanceof Metric) return m;
    if (typeof m === 'function') return new MetricFunction(m as (yTrue: Tensor, yPred: Tensor) => number);
    if (typeof m === 'string') {
      if (['accuracy', 'acc'].includes(canonicalName(m))) return new Accuracy(loss);
      const make = byName[canonicalName(m)];
      if (make !== undefined) return make(m);
    } else if (m !== null && typeof m === 'object' && typeof (m as { className?: unknown }).className === 'string') {
      const { className, config } = m as { className: string; config: Record<string, unknown> };
      if (Object.hasOwn(byClass, className)) return byClass[className]((config ?? {}) as never);
    }
    throw new Error(
      `wasmgrad: compile() got an unknown metric ${typeof m === 'string' ? JSON.stringify(m) : describeValue(m)}; expected ${metricNames.map((n) => `'${n}'`).join(', ')}, a metric object such as new Precision(), or a function (yTrue, yPred) => number`,
    );
  });
  checkDistinct(resolved.map((m) => m.name));
  return resolved;
}

function checkDistinct(names: string[]): void {
  const twice = names.find((n, i) => names.indexOf(n) !== i || n === 'loss');
  if (twice !== undefined) throw new Error(`wasmgrad: compile() expected metrics with distinct names (not 'loss'), got '${twice}' twice`);
}

/**
 * compile()'s weightedMetrics: as resolveMetrics, and a name already used by an unweighted metric
 * gets the prefix 'weighted_' (as tf.keras does: metrics ['accuracy'] and weightedMetrics
 * ['accuracy'] log accuracy and weighted_accuracy).
 */
export function resolveWeightedMetrics(weighted: unknown, loss: LossName, unweighted: readonly Metric[]): Metric[] {
  const resolved = resolveMetrics(weighted, loss, 'weightedMetrics');
  for (const m of resolved) if (unweighted.some((u) => u.name === m.name)) m.name = `weighted_${m.name}`;
  checkDistinct([...unweighted, ...resolved].map((m) => m.name));
  return resolved;
}

/** The batch as metrics see it; probabilities are made on first use, inside the caller's scope. */
export function batchOutput(output: Tensor, fromLogits: boolean, finalActivation: 'softmax' | 'sigmoid' | null): BatchOutput {
  let probabilities: Tensor | null = null;
  return {
    output,
    fromLogits,
    probabilities: () => (probabilities ??= !fromLogits ? output : noGrad(() => (finalActivation === 'sigmoid' ? sigmoid(output) : softmax(output)))),
  };
}
