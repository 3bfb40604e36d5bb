// nn/namespaces/metrics.ts — Keras' keras.metrics: `new metrics.Precision()`, `new metrics.AUC()`,
// passed to compile({ metrics: [...] }) beside the names ('accuracy', 'mae', ...). nn/metrics.ts
// holds them; this file only names them.

export {
  Metric, Accuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, Precision, Recall, AUC, MetricFunction,
} from '../metrics.js';
export type { MetricIdentifier, MetricLike } from '../metrics.js';
