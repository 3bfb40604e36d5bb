// tests/engine/losses.test.ts — the fused losses' values and gradients: hand-computed cases,
// stability at extreme logits, sparse vs one-hot labels, Keras' clipping, and error messages.
// (tests/engine/gradients.test.ts checks every loss's gradient against central differences.)

import { describe, expect, it } from 'vitest';
import {
  EPSILON, binaryCrossEntropy, crossEntropyFromProbabilities, meanSquaredError, parameter, softmax,
  softmaxCrossEntropy, tensor, type Tensor,
} from '../../engine/index.js';

/** The loss value and the gradient it writes into pred (backward of the scalar loss, seed 1). */
function lossAndGradient(pred: Tensor, loss: (p: Tensor) => Tensor): { value: number; grad: number[] } {
  parameter(pred);
  pred.grad = null;
  const l = loss(pred);
  expect(l.shape).toEqual([]);
  l.backward();
  return { value: l.item(), grad: Array.from(pred.grad!.data) };
}

function expectAllClose(actual: ArrayLike<number>, expected: number[], digits = 6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i], `element ${i}`).toBeCloseTo(expected[i], digits);
}

describe('softmaxCrossEntropy', () => {
  it('matches a hand-computed case, value and gradient', () => {
    // Row 0: log(e + e² + e³) - 3 = 0.4076060; row 1: log 3 = 1.0986123. Mean 0.7531091.
    // Gradient (softmax - one-hot) / 2: softmax([1, 2, 3]) = [0.0900306, 0.2447285, 0.6652410].
    const { value, grad } = lossAndGradient(tensor([[1, 2, 3], [1, 1, 1]]), (z) => softmaxCrossEntropy(z, tensor([2, 0])));
    expect(value).toBeCloseTo(0.753109126556245, 6);
    expectAllClose(grad, [0.0450152866, 0.1223642355, -0.1673795221, (1 / 3 - 1) / 2, 1 / 6, 1 / 6]);
  });

  it('is exact and finite at logits of ±1000 (log-sum-exp, no overflow)', () => {
    const right = lossAndGradient(tensor([[1000, -1000]]), (z) => softmaxCrossEntropy(z, tensor([0])));
    expect(right.value).toBe(0);
    expect(right.grad).toEqual([0, 0]);
    const wrong = lossAndGradient(tensor([[1000, -1000]]), (z) => softmaxCrossEntropy(z, tensor([1])));
    expect(wrong.value).toBe(2000);
    expect(wrong.grad).toEqual([1, -1]);
    const tie = lossAndGradient(tensor([[1000, 1000], [-1000, -1000]]), (z) => softmaxCrossEntropy(z, tensor([1, 0])));
    expect(tie.value).toBeCloseTo(Math.LN2, 6);
    expectAllClose(tie.grad, [0.25, -0.25, -0.25, 0.25]);
  });

  it('adds into a gradient that already holds something (a second backward doubles it), as every op does', () => {
    const z = parameter(tensor([[0.3, -1.2, 2.0], [1.5, 0.2, -0.7]]));
    const labels = tensor([2, 0]);
    softmaxCrossEntropy(z, labels).backward();
    const once = Array.from(z.grad!.data);
    softmaxCrossEntropy(z, labels).backward();
    expectAllClose(z.grad!.data, once.map((g) => 2 * g));
  });

  it('gives the same loss and gradients for class ids, ids of shape [B, 1], and one-hot rows', () => {
    const logits = [[0.3, -1.2, 2.0, 0.1], [1.5, 0.2, -0.7, 0.4], [-0.2, -0.1, 0.0, 3.1]];
    const ids = [2, 0, 3];
    const oneHot = ids.map((id) => [0, 1, 2, 3].map((j) => (j === id ? 1 : 0)));
    const sparse = lossAndGradient(tensor(logits), (z) => softmaxCrossEntropy(z, tensor(ids)));
    const column = lossAndGradient(tensor(logits), (z) => softmaxCrossEntropy(z, tensor(ids, [3, 1])));
    const dense = lossAndGradient(tensor(logits), (z) => softmaxCrossEntropy(z, tensor(oneHot)));
    expect(sparse.value).toBeGreaterThan(0);
    expect(dense.value).toBe(sparse.value);
    expect(dense.grad).toEqual(sparse.grad);
    expect(column.value).toBe(sparse.value);
    expect(column.grad).toEqual(sparse.grad);
  });

  it('takes soft label rows: -Σ t · log softmax(z)', () => {
    const { value } = lossAndGradient(tensor([[0.5, -1, 2]]), (z) => softmaxCrossEntropy(z, tensor([[0.2, 0.3, 0.5]])));
    expect(value).toBeCloseTo(1.441311296657157, 6);
  });

  it('equals crossEntropyFromProbabilities of the softmax', () => {
    const logits = tensor([[0.3, -1.2, 2.0], [1.5, 0.2, -0.7]]);
    const labels = tensor([1, 2]);
    expect(softmaxCrossEntropy(logits, labels).item()).toBeCloseTo(crossEntropyFromProbabilities(softmax(logits), labels).item(), 6);
  });

  it('rejects out-of-range and non-integer class ids, naming the value and the sample', () => {
    const logits = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(() => softmaxCrossEntropy(logits, tensor([0, 3]))).toThrow(
      'wasmgrad: softmaxCrossEntropy expected class ids in [0, 2], got 3 for sample 1',
    );
    expect(() => softmaxCrossEntropy(logits, tensor([-1, 0]))).toThrow(/got -1 for sample 0/);
    expect(() => softmaxCrossEntropy(logits, tensor([0, 1.5]))).toThrow(/got 1.5 for sample 1/);
    expect(() => crossEntropyFromProbabilities(logits, tensor([7, 0]))).toThrow(
      'wasmgrad: crossEntropyFromProbabilities expected class ids in [0, 2], got 7 for sample 0',
    );
  });

  it('rejects labels and predictions of the wrong shape, naming them', () => {
    const logits = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(() => softmaxCrossEntropy(logits, tensor([[1, 0], [0, 1]]))).toThrow(
      'wasmgrad: softmaxCrossEntropy expected labels as class ids of shape [2] or one-hot rows of shape [2, 3], got [2, 2]',
    );
    expect(() => softmaxCrossEntropy(tensor([1, 2, 3]), tensor([0]))).toThrow(
      'wasmgrad: softmaxCrossEntropy expected predictions of shape [batch, classes], got [3]',
    );
  });
});

describe('crossEntropyFromProbabilities', () => {
  it('matches a hand-computed case: -mean log p[label], gradient -1 / (B p)', () => {
    const { value, grad } = lossAndGradient(tensor([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1]]), (p) =>
      crossEntropyFromProbabilities(p, tensor([1, 0])),
    );
    expect(value).toBeCloseTo(-(Math.log(0.5) + Math.log(0.6)) / 2, 6);
    expectAllClose(grad, [0, -1 / (2 * 0.5), 0, -1 / (2 * 0.6), 0, 0], 5);
  });

  it('clips p = 0 to 1e-7 as Keras does: -log(1e-7) ≈ 16.118, finite, zero gradient', () => {
    const { value, grad } = lossAndGradient(tensor([[0, 1]]), (p) => crossEntropyFromProbabilities(p, tensor([0])));
    expect(EPSILON).toBe(1e-7);
    expect(value).toBeCloseTo(16.118095651, 5);
    expect(grad).toEqual([0, 0]);
  });
});

describe('meanSquaredError', () => {
  it('matches a hand-computed case: ((1-1.5)² + 0 + (3-2)²) / 3, gradient 2(p - t) / n', () => {
    const { value, grad } = lossAndGradient(tensor([[1], [2], [3]]), (p) => meanSquaredError(p, tensor([1.5, 2, 2])));
    expect(value).toBeCloseTo(1.25 / 3, 6);
    expectAllClose(grad, [(2 * -0.5) / 3, 0, 2 / 3]);
  });

  it('averages over every element of a [B, N] prediction', () => {
    const { value } = lossAndGradient(tensor([[1, 2], [3, 4]]), (p) => meanSquaredError(p, tensor([[0, 0], [0, 0]])));
    expect(value).toBeCloseTo(30 / 4, 6);
  });

  it('rejects targets of another shape, naming both', () => {
    expect(() => meanSquaredError(tensor([[1, 2], [3, 4]]), tensor([1, 2, 3]))).toThrow(
      'wasmgrad: meanSquaredError expected targets of shape [2, 2], got [3]',
    );
  });
});

describe('binaryCrossEntropy', () => {
  it('matches a hand-computed case on probabilities: -(log 0.9 + log 0.8) / 2', () => {
    const { value, grad } = lossAndGradient(tensor([0.9, 0.2]), (p) => binaryCrossEntropy(p, tensor([1, 0])));
    expect(value).toBeCloseTo(0.164252033486018, 6);
    // d/dp = (p - t) / (p (1 - p)) / n: -1/0.9/2 and 1/0.8/2.
    expectAllClose(grad, [-1 / 0.9 / 2, 1 / 0.8 / 2], 5);
  });

  it('matches a hand-computed case from logits: (log 2 + 2 + log(1 + e^-2)) / 2, gradient (σ(x) - t) / n', () => {
    const { value, grad } = lossAndGradient(tensor([0, 2]), (z) => binaryCrossEntropy(z, tensor([1, 0]), { fromLogits: true }));
    expect(value).toBeCloseTo(1.410037595801459, 6);
    expectAllClose(grad, [(0.5 - 1) / 2, 1 / (1 + Math.exp(-2)) / 2]);
  });

  it('from logits is exact and finite at ±1000', () => {
    const { value, grad } = lossAndGradient(tensor([1000, -1000, 1000, -1000]), (z) =>
      binaryCrossEntropy(z, tensor([0, 1, 1, 0]), { fromLogits: true }),
    );
    expect(value).toBe(500); // (1000 + 1000 + 0 + 0) / 4
    expectAllClose(grad, [0.25, -0.25, 0, 0]);
  });

  it('clips p = 0 and p = 1 into [1e-7, 1 - 1e-7] as Keras does: finite, ≈ -log(1e-7) = 16.118', () => {
    const zero = lossAndGradient(tensor([0]), (p) => binaryCrossEntropy(p, tensor([1])));
    expect(zero.value).toBeCloseTo(16.118095651, 5); // Keras: 16.1180956 (float32)
    expect(zero.grad).toEqual([0]); // clipped: no gradient, as with tf.clip_by_value
    const one = lossAndGradient(tensor([1]), (p) => binaryCrossEntropy(p, tensor([0])));
    expect(Number.isFinite(one.value)).toBe(true);
    // -log(1 - (1 - 1e-7)): 16.118 in float64, as here. Keras computes in float32, where 1 - 1e-7
    // rounds to 1 - 2^-23, and reports 15.942 — the same clip, a different rounding.
    expect(one.value).toBeCloseTo(16.118095651, 3);
    expect(one.grad).toEqual([0]);
    // Both ends at once, and the right answers at the ends cost nothing.
    const both = lossAndGradient(tensor([0, 1, 0, 1]), (p) => binaryCrossEntropy(p, tensor([0, 1, 1, 0])));
    expect(both.value).toBeCloseTo((2 * 16.118095651) / 4, 3);
  });

  it('rejects targets of another size, naming both shapes', () => {
    expect(() => binaryCrossEntropy(tensor([0.5, 0.5]), tensor([1, 0, 1]))).toThrow(
      'wasmgrad: binaryCrossEntropy expected targets of shape [2], got [3]',
    );
  });
});
