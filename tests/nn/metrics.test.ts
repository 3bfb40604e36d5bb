// tests/nn/metrics.test.ts — each metric on Keras' documented worked examples and on cases
// worked by hand; then in fit / evaluate: Keras' keys in History (and val_ ones), the same
// values whether the loss took the final activation (logits) or not, and saved with the model.

import { beforeEach, describe, expect, it } from 'vitest';
import {
  AUC, Dense, Precision, Recall, Sequential, SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy, clearSession,
  loadModelFromArtifacts, setSeed, tensor, type Metric, type Tensor,
} from '../../index.js';
import { resolveMetrics } from '../../nn/metrics.js';

beforeEach(() => clearSession());

const byName = (name: string, loss = 'mean_squared_error' as const): Metric => resolveMetrics([name], loss)[0];

describe("Keras' worked examples", () => {
  it('Precision: 2 of 3 predicted positives are right; probabilities go through the 0.5 threshold', () => {
    const m = new Precision();
    m.updateState([0, 1, 1, 1], [1, 0, 1, 1]);
    expect(m.result()).toBeCloseTo(2 / 3, 6);
    m.resetState();
    m.updateState([0, 1, 1, 1], [0.2, 0.6, 0.4, 0.9]); // threshold 0.5: predicted positive 0.6 and 0.9
    expect(m.result()).toBe(1);
    expect(new Precision().result()).toBe(0); // no predicted positive yet: 0, as Keras' divide_no_nan
  });

  it("with sample weights (Keras' second Precision example): only the weighted samples count", () => {
    const m = new Precision();
    m.updateState([0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0]);
    expect(m.result()).toBe(1);
    const accuracy = byName('accuracy', 'sparse_categorical_crossentropy' as never);
    accuracy.updateState([0, 1, 2], tensor([[0.9, 0.1, 0], [0.9, 0.1, 0], [0, 0, 1]]), [1, 3, 1]);
    expect(accuracy.result()).toBeCloseTo(2 / 5, 6); // Σ w · correct / Σ w
  });

  it('Recall: 2 of 3 positives found; a threshold of your choice', () => {
    const m = new Recall();
    m.updateState([0, 1, 1, 1], [1, 0, 1, 1]);
    expect(m.result()).toBeCloseTo(2 / 3, 6);
    const strict = new Recall({ thresholds: 0.95 });
    strict.updateState([0, 1, 1, 1], [0.99, 0.96, 0.9, 0.2]);
    expect(strict.result()).toBeCloseTo(1 / 3, 6);
  });

  it('AUC with 3 thresholds: 0.75 (Keras documents the whole confusion matrix)', () => {
    const m = new AUC({ numThresholds: 3 });
    m.updateState([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]);
    expect(m.result()).toBeCloseTo(0.75, 6);
  });

  it('AUC with 200 thresholds approaches the exact ROC area of a ranking', () => {
    const m = new AUC();
    // Positives scored above every negative but one: exact AUC = 1 - 1/(3·3) = 8/9.
    m.updateState([1, 1, 1, 0, 0, 0], [0.9, 0.8, 0.35, 0.4, 0.2, 0.1]);
    expect(m.result()).toBeCloseTo(8 / 9, 2);
  });

  it('TopKCategoricalAccuracy k=1 and SparseTopKCategoricalAccuracy k=1: 0.5', () => {
    const dense = new TopKCategoricalAccuracy({ k: 1 });
    dense.updateState(tensor([[0, 0, 1], [0, 1, 0]]), tensor([[0.1, 0.9, 0.8], [0.05, 0.95, 0]]));
    expect(dense.result()).toBe(0.5);
    const sparse = new SparseTopKCategoricalAccuracy({ k: 1 });
    sparse.updateState([2, 1], tensor([[0.1, 0.9, 0.8], [0.05, 0.95, 0]]));
    expect(sparse.result()).toBe(0.5);
  });

  it('top-k by name defaults to k = 5 and counts ties in favour of the true class', () => {
    const m = byName('sparse_top_k_categorical_accuracy');
    const scores = tensor([[6, 5, 4, 3, 2, 1, 0], [6, 5, 4, 3, 2, 1, 0], [1, 1, 1, 1, 1, 1, 1]]);
    m.updateState([4, 5, 6], scores); // rank 5 in, rank 6 out, all tied in
    expect(m.result()).toBeCloseTo(2 / 3, 6);
    expect(m.name).toBe('sparse_top_k_categorical_accuracy');
  });

  it("'mse' and 'mae': the mean over samples of each sample's mean error", () => {
    const mse = byName('mse'), mae = byName('mae');
    for (const m of [mse, mae]) m.updateState(tensor([[0, 1], [0, 0]]), tensor([[1, 1], [0.5, 0.5]]));
    expect(mse.result()).toBeCloseTo((0.5 + 0.25) / 2, 6);
    expect(mae.result()).toBeCloseTo((0.5 + 0.5) / 2, 6);
    expect([mse.name, mae.name]).toEqual(['mse', 'mae']);
  });
});

/** A binary problem: the class is whether x0 + x1 > 1. */
function binary(n: number): { x: Tensor; y: Tensor } {
  const x = new Float32Array(n * 2), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = (i * 0.37) % 1;
    x[2 * i + 1] = (i * 0.61) % 1;
    y[i] = x[2 * i] + x[2 * i + 1] > 1 ? 1 : 0;
  }
  return { x: tensor(x, [n, 2]), y: tensor(y, [n, 1]) };
}

describe('metrics in fit and evaluate', () => {
  it("History and evaluate use Keras' keys; a custom function is logged under its name", async () => {
    setSeed(5);
    const { x, y } = binary(64);
    const model = new Sequential([new Dense(4, { activation: 'relu', inputShape: [2] }), new Dense(1, { activation: 'sigmoid' })]);
    function meanPrediction(_: Tensor, yPred: Tensor): number {
      return yPred.data.reduce((a, b) => a + b, 0) / yPred.size;
    }
    model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy', new Precision(), new Recall(), 'auc', 'mae', meanPrediction] });
    const history = await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0, validationSplit: 0.25 });
    expect(Object.keys(history.history)).toEqual([
      'loss', 'accuracy', 'precision', 'recall', 'auc', 'mae', 'meanPrediction',
      'val_loss', 'val_accuracy', 'val_precision', 'val_recall', 'val_auc', 'val_mae', 'val_meanPrediction',
    ]);
    const results = model.evaluate(x, y, { verbose: 0 });
    expect(results).toHaveLength(7);
    // The last one by hand: the mean of predict()'s outputs, batch means weighted by batch size.
    const p = model.predict(x).data;
    expect(results[6]).toBeCloseTo(p.reduce((a, b) => a + b, 0) / p.length, 5);
  });

  it('metrics see probabilities even when the loss takes logits from the final sigmoid', () => {
    setSeed(6);
    const { x, y } = binary(40);
    const model = new Sequential([new Dense(1, { activation: 'sigmoid', inputShape: [2] })]);
    model.compile({ optimizer: 'sgd', loss: 'binary_crossentropy', metrics: [new Precision({ thresholds: 0.3 }), 'mse'] });
    expect(model.plan()).toContain('sigmoid left to the loss');
    const [, precision, mse] = model.evaluate(x, y, { verbose: 0 });
    const p = model.predict(x).data, t = y.data;
    let tp = 0, fp = 0, squared = 0;
    for (let i = 0; i < p.length; i++) {
      if (p[i] > 0.3) (t[i] === 1 ? tp++ : fp++);
      squared += (p[i] - t[i]) ** 2;
    }
    expect(precision).toBeCloseTo(tp / (tp + fp), 6);
    expect(mse).toBeCloseTo(squared / p.length, 6);
  });

  it('metric objects with options come back from a saved model; a custom function cannot be saved', () => {
    const model = new Sequential([new Dense(5, { inputShape: [3] })]);
    model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy', new TopKCategoricalAccuracy({ k: 2 }), new AUC({ numThresholds: 50 })] });
    const artifacts = model.toArtifacts();
    expect(artifacts.modelJson.training!.metrics).toEqual([
      'accuracy', { className: 'TopKCategoricalAccuracy', config: { k: 2, name: 'top_k_categorical_accuracy' } }, { className: 'AUC', config: { numThresholds: 50, name: 'auc' } },
    ]);
    const copy = loadModelFromArtifacts(artifacts);
    expect(copy.toArtifacts().modelJson.training!.metrics).toEqual(artifacts.modelJson.training!.metrics);
    model.compile({ optimizer: 'adam', loss: 'mse', metrics: [(a: Tensor) => a.size] });
    expect(() => model.toArtifacts()).toThrow(/metric 'custom_metric' is a custom function.*saveWeights/);
  });

  it("weightedMetrics weight by sampleWeight; the same name in both lists logs 'weighted_' (tf.keras' names)", async () => {
    setSeed(8);
    const x = tensor([[1, 0], [0, 1], [1, 1], [0, 0]]), y = tensor([0, 1, 1, 0]);
    const model = new Sequential([new Dense(2, { activation: 'softmax', inputShape: [2] })]);
    model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'], weightedMetrics: ['accuracy', new SparseTopKCategoricalAccuracy({ k: 1 })] });
    const w = [1, 0, 0, 3];
    const [, accuracy, weightedAccuracy, top1] = model.evaluate(x, y, { verbose: 0, sampleWeight: w });
    const p = model.predict(x).data;
    const correct = [0, 1, 2, 3].map((r): number => ((p[2 * r + 1] > p[2 * r] ? 1 : 0) === y.data[r] ? 1 : 0));
    expect(accuracy).toBeCloseTo(correct.reduce((a, b) => a + b, 0) / 4, 6);
    expect(weightedAccuracy).toBeCloseTo((correct[0] + 3 * correct[3]) / 4, 6);
    expect(top1).toBeCloseTo(weightedAccuracy, 6); // top-1 of two classes is accuracy, weighted the same way
    const history = await model.fit(x, y, { epochs: 1, verbose: 0, sampleWeight: w });
    expect(Object.keys(history.history)).toEqual(['loss', 'accuracy', 'weighted_accuracy', 'sparse_top_k_categorical_accuracy']);
    const copy = loadModelFromArtifacts(model.toArtifacts());
    expect(copy.evaluate(x, y, { verbose: 0, sampleWeight: w })).toEqual(model.evaluate(x, y, { verbose: 0, sampleWeight: w }));
  });

  it('two metrics with one name are refused', () => {
    const model = new Sequential([new Dense(1, { inputShape: [1] })]);
    expect(() => model.compile({ loss: 'mse', metrics: ['mae', 'mae'] })).toThrow(/distinct names.*'mae' twice/);
  });
});
