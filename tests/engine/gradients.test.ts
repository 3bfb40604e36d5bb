// tests/engine/gradients.test.ts — a central-difference gradient check (tests/engine/gradcheck.ts)
// for every differentiable op the engine exports, the GEMM ones under both backends.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Random, add, binaryCrossEntropy, crossEntropyFromProbabilities, div, dropout, elu, empty, exp, gatherRows,
  getBackend, linear, log, logSoftmax, matmul, mean, meanSquaredError, mul, neg, record, relu, reshape, setBackend,
  sigmoid, sliceRows, softmax, softmaxCrossEntropy, sqrt, square, sub, sum, tanh, tensor, transpose,
  type Shape, type Tensor,
} from '../../engine/index.js';
import { describeResult, expectGradientsMatch, gradcheck } from './gradcheck.js';

// ---- inputs ------------------------------------------------------------------------------------

function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Uniform in [lo, hi), seeded. */
function uniform(shape: Shape, lo: number, hi: number, seed: number): Tensor {
  const random = new Random(seed);
  return tensor(Float32Array.from({ length: size(shape) }, () => lo + (hi - lo) * random.uniform()), shape);
}

/** Normal samples, seeded: the generic input. */
function normal(shape: Shape, seed: number): Tensor {
  const random = new Random(seed);
  return tensor(Float32Array.from({ length: size(shape) }, () => random.normal()), shape);
}

/** Magnitudes in [margin, 2) with random signs: kept away from a kink at 0 by more than h. */
function awayFromZero(shape: Shape, margin: number, seed: number): Tensor {
  const random = new Random(seed);
  return tensor(
    Float32Array.from({ length: size(shape) }, () => (random.uniform() < 0.5 ? -1 : 1) * (margin + (2 - margin) * random.uniform())),
    shape,
  );
}

/** Positive inputs for log, sqrt and denominators: [0.5, 2), where their h²-terms stay small. */
function positive(shape: Shape, seed: number): Tensor {
  return uniform(shape, 0.5, 2, seed);
}

function check(f: (...inputs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  const result = expectGradientsMatch(f, inputs);
  if (process.env.GRADCHECK_VERBOSE) console.log(expect.getState().currentTestName, describeResult(result));
  expect(result.ok).toBe(true);
  expect(result.checked).toBe(inputs.reduce((n, x) => n + x.size, 0));
}

// ---- the checker itself ------------------------------------------------------------------------

/** y = x², with a backward that has the wrong sign: dx -= 2x · dout. */
function squareWrongSign(x: Tensor): Tensor {
  const out = empty(x.shape);
  out.data.set(x.data.map((v) => v * v));
  return record(out, 'squareWrongSign', [x], (dout) => {
    const dX = x.gradBuffer().data, G = dout.data, X = x.data;
    for (let i = 0; i < G.length; i++) dX[i] -= 2 * X[i] * G[i];
  });
}

/** The 2-D transpose with a backward that forgets to transpose back (right shape for square x). */
function transposeForgetful(x: Tensor): Tensor {
  const [M, N] = x.shape;
  const out = empty([N, M]);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) out.data[j * M + i] = x.data[i * N + j];
  return record(out, 'transposeForgetful', [x], (dout) => {
    const dX = x.gradBuffer().data, G = dout.data;
    for (let i = 0; i < G.length; i++) dX[i] += G[i];
  });
}

describe('the gradient checker', () => {
  it('passes a correct op and reports where it looked', () => {
    const result = gradcheck((x) => square(x), [normal([3, 4], 1)]);
    expect(result.ok).toBe(true);
    expect(result.checked).toBe(12);
    expect(result.maxRelativeError).toBeLessThan(1e-3);
  });

  it('fails an op whose backward has the wrong sign, naming the input and index', () => {
    const x = normal([2, 3], 2);
    const result = gradcheck((a, b) => add(a, squareWrongSign(b)), [normal([2, 3], 3), x]);
    expect(result.ok).toBe(false);
    expect(result.worst.input).toBe(1);
    expect(result.worst.relativeError).toBeGreaterThan(1); // the signs disagree: |a - n| = 2|n|
    expect(result.worst.analytic).toBeCloseTo(-result.worst.numeric, 2);
    expect(() => expectGradientsMatch((a) => squareWrongSign(a), [x])).toThrow(/gradient check failed: worst at input 0, index \d/);
  });

  it('fails a backward that does not transpose, because the upstream gradient is random', () => {
    const result = gradcheck((x) => transposeForgetful(x), [normal([3, 3], 4)]);
    expect(result.ok).toBe(false);
    expect(result.worst.index % 4).not.toBe(0); // diagonal elements are right; off-diagonal ones not
    // Under an all-ones upstream gradient (a sum) the same bug is invisible: why R is random.
    expect(gradcheck((x) => sum(transposeForgetful(x)), [normal([3, 3], 4)]).ok).toBe(true);
  });

  it('fails a gradient off by a factor of two', () => {
    const doubled = (x: Tensor): Tensor => {
      const out = empty(x.shape);
      out.data.set(x.data.map((v) => 3 * v));
      return record(out, 'tripleWithDoubleGradient', [x], (dout) => {
        const dX = x.gradBuffer().data;
        for (let i = 0; i < dX.length; i++) dX[i] += 2 * dout.data[i];
      });
    };
    expect(gradcheck(doubled, [normal([4], 5)]).ok).toBe(false);
  });

  it('fails a NaN gradient', () => {
    const nanGrad = (x: Tensor): Tensor => {
      const out = empty(x.shape);
      out.data.set(x.data);
      return record(out, 'nanGradient', [x], () => {
        x.gradBuffer().data.fill(NaN);
      });
    };
    const result = gradcheck(nanGrad, [normal([3], 6)]);
    expect(result.ok).toBe(false);
    expect(describeResult(result)).toMatch(/analytic NaN/);
  });

  it('restores the inputs it nudged', () => {
    const x = normal([2, 2], 7);
    const before = Array.from(x.data);
    gradcheck((a) => tanh(a), [x]);
    expect(Array.from(x.data)).toEqual(before);
  });
});

// ---- elementwise -------------------------------------------------------------------------------

describe('binary ops with broadcasting', () => {
  const ops = { add, sub, mul, div } as const;
  for (const [name, op] of Object.entries(ops)) {
    // div's denominator stays in [0.5, 2): 1/b and -a/b² are smooth there.
    const right = (shape: Shape, seed: number): Tensor => (name === 'div' ? positive(shape, seed) : normal(shape, seed));

    it(`${name}: same shape [3, 4]`, () => {
      check((a, b) => op(a, b), [normal([3, 4], 10), right([3, 4], 11)]);
    });

    it(`${name}: a row vector [4] broadcast over a batch [5, 4], both orders`, () => {
      check((a, b) => op(a, b), [normal([5, 4], 12), right([4], 13)]);
      check((a, b) => op(a, b), [normal([4], 14), right([5, 4], 15)]);
    });

    it(`${name}: [3, 1] with [1, 4] (both operands broadcast)`, () => {
      check((a, b) => op(a, b), [normal([3, 1], 16), right([1, 4], 17)]);
    });

    it(`${name}: [2, 3, 1] with [3, 4] (ranks differ, a middle axis broadcast)`, () => {
      check((a, b) => op(a, b), [normal([2, 3, 1], 18), right([3, 4], 19)]);
    });

    it(`${name}: a scalar number operand on either side, and a 0-d tensor`, () => {
      check((a) => op(a, 1.75), [normal([2, 3], 20)]);
      check((a) => op(name === 'div' ? 1.75 : -0.5, a), [right([2, 3], 21)]);
      check((a, b) => op(a, b), [normal([2, 3], 22), right([], 23)]);
    });
  }

  it('mul and add with the same tensor on both sides (its gradient gets both contributions)', () => {
    check((a) => mul(a, a), [normal([3, 2], 24)]);
    check((a) => add(a, a), [normal([3, 2], 25)]);
  });
});

describe('unary ops', () => {
  it('neg', () => check((x) => neg(x), [normal([3, 4], 30)]));
  it('relu, inputs at least 0.1 from the kink', () => check((x) => relu(x), [awayFromZero([4, 5], 0.1, 31)]));
  it('sigmoid', () => check((x) => sigmoid(x), [normal([4, 5], 32)]));
  it('sigmoid at large |x|', () => check((x) => sigmoid(x), [awayFromZero([6], 1.9, 33).mul(4)]));
  it('tanh', () => check((x) => tanh(x), [normal([4, 5], 34)]));
  it('elu (alpha 1 and 0.5), away from 0', () => {
    check((x) => elu(x), [awayFromZero([4, 5], 0.1, 35)]);
    check((x) => elu(x, 0.5), [awayFromZero([4, 5], 0.1, 36)]);
  });
  it('exp', () => check((x) => exp(x), [normal([4, 5], 37)]));
  it('log, positive inputs', () => check((x) => log(x), [positive([4, 5], 38)]));
  it('square', () => check((x) => square(x), [normal([4, 5], 39)]));
  it('sqrt, positive inputs', () => check((x) => sqrt(x), [positive([4, 5], 40)]));
  it('a composition: tanh(x · w + b) with a shared input', () => {
    check((x, w, b) => tanh(add(mul(x, w), b)).mul(x), [normal([3, 4], 41), normal([4], 42), normal([3, 1], 43)]);
  });
});

// ---- GEMM ops, under both backends -------------------------------------------------------------

/** Seeds from `seed` on until x · W (+ b) has every entry at least `margin` from 0: ReLU's kink. */
function awayFromKink(B: number, inUnits: number, units: number, withBias: boolean, seed: number, margin = 0.05): Tensor[] {
  for (let s = seed; s < seed + 1000; s++) {
    const x = normal([B, inUnits], s), W = normal([inUnits, units], s + 5000), b = normal([units], s + 9000);
    let ok = true;
    for (let r = 0; r < B && ok; r++) {
      for (let j = 0; j < units && ok; j++) {
        let z = withBias ? b.data[j] : 0;
        for (let k = 0; k < inUnits; k++) z += x.data[r * inUnits + k] * W.data[k * units + j];
        ok = Math.abs(z) >= margin;
      }
    }
    if (ok) return withBias ? [x, W, b] : [x, W];
  }
  throw new Error('no seed gave pre-activations away from 0');
}

for (const backend of ['js', 'wasm'] as const) {
  describe(`GEMM ops on the '${backend}' backend`, () => {
    const previous = getBackend();
    beforeAll(() => setBackend(backend));
    afterAll(() => setBackend(previous));

    it('runs on the backend it claims', () => expect(getBackend()).toBe(backend));

    it('matmul, ragged shapes 5x7 · 7x3', () => {
      check((a, b) => matmul(a, b), [normal([5, 7], 50), normal([7, 3], 51)]);
    });

    it('matmul, a row times a matrix and a matrix times a column (1x6 · 6x4, 4x6 · 6x1)', () => {
      check((a, b) => matmul(a, b), [normal([1, 6], 52), normal([6, 4], 53)]);
      check((a, b) => matmul(a, b), [normal([4, 6], 54), normal([6, 1], 55)]);
    });

    it('matmul, 9x17 · 17x13 (past one 4x8 tile, with tails in every dimension)', () => {
      check((a, b) => matmul(a, b), [normal([9, 17], 56), normal([17, 13], 57)]);
    });

    it('matmul of a row slice (a view at an offset) and of the same tensor twice', () => {
      check((a, b) => matmul(sliceRows(a, 2, 5), b), [normal([6, 4], 58), normal([4, 3], 59)]);
      check((a) => matmul(a, a), [normal([4, 4], 60)]);
    });

    it('linear with bias', () => {
      check((x, W, b) => linear(x, W, b), [normal([5, 7], 61), normal([7, 3], 62), normal([3], 63)]);
    });

    it('linear without bias', () => {
      check((x, W) => linear(x, W, null), [normal([5, 7], 64), normal([7, 3], 65)]);
    });

    it('linear with bias and relu, pre-activations at least 0.05 from the kink', () => {
      check((x, W, b) => linear(x, W, b, { relu: true }), awayFromKink(4, 5, 3, true, 66));
    });

    it('linear without bias, with relu, away from the kink', () => {
      check((x, W) => linear(x, W, null, { relu: true }), awayFromKink(4, 5, 3, false, 67));
    });

    it('linear with relu and a dropout in place (rate 0.4, the same seeded mask each evaluation), away from the kink', () => {
      const inputs = awayFromKink(6, 5, 8, true, 71);
      const y = linear(inputs[0]!, inputs[1]!, inputs[2]!, { relu: true, dropout: { rate: 0.4, random: new Random(3) } });
      const dropped = y.data.filter((v) => v === 0).length;
      expect(dropped).toBeGreaterThan(0); // ReLU zeros and dropped units both: something of each is likely, and
      expect(dropped).toBeLessThan(40); // some units pass (else this checks nothing)
      check((x, W, b) => linear(x, W, b, { relu: true, dropout: { rate: 0.4, random: new Random(3) } }), inputs);
    });

    it('linear with a dropout in place gives the numbers and gradients of dropout(linear(...)), from the same draw', () => {
      const [x, W, b] = awayFromKink(6, 5, 8, true, 72);
      const dout = normal([6, 8], 73);
      const run = (fused: boolean) => {
        for (const t of [x, W, b]) t.grad = null;
        const random = new Random(11);
        const y = fused ? linear(x!, W!, b!, { relu: true, dropout: { rate: 0.3, random } })
          : dropout(linear(x!, W!, b!, { relu: true }), 0.3, { random });
        y.backward(dout);
        return [y, x!.grad!, W!.grad!, b!.grad!].map((t) => Array.from(t.data));
      };
      x!.requiresGrad = W!.requiresGrad = b!.requiresGrad = true;
      expect(run(true)).toEqual(run(false));
    });

    it('a two-layer net into softmaxCrossEntropy (every gradient through two GEMMs)', () => {
      const labels = tensor([2, 0, 1, 2]);
      const [x, W1, b1] = awayFromKink(4, 3, 5, true, 68, 0.1);
      check(
        (x, W1, b1, W2, b2) => softmaxCrossEntropy(linear(linear(x, W1, b1, { relu: true }), W2, b2), labels),
        [x, W1, b1, normal([5, 3], 69), normal([3], 70)],
      );
    });
  });
}

// ---- moving numbers ----------------------------------------------------------------------------

describe('shape ops', () => {
  it('transpose [3, 5]', () => check((x) => transpose(x), [normal([3, 5], 80)]));
  it('reshape [2, 6] to [3, -1] and to a rank-3 shape', () => {
    check((x) => reshape(x, [3, -1]), [normal([2, 6], 81)]);
    check((x) => mul(reshape(x, [-1, 2, 3]), x.reshape([2, 1, 6]).reshape([2, 2, 3])), [normal([2, 6], 82)]);
  });
  it('sliceRows [1, 4) of [5, 3]', () => check((x) => sliceRows(x, 1, 4), [normal([5, 3], 83)]));
  it('gatherRows with a repeated index', () => check((x) => gatherRows(x, [2, 0, 2, 3, 2]), [normal([4, 3], 84)]));
});

describe('reductions', () => {
  for (const op of [sum, mean]) {
    it(`${op.name}: all, axis 0, axis -1, keepDims`, () => {
      check((x) => op(x), [normal([3, 4], 90)]);
      check((x) => op(x, { axis: 0 }), [normal([3, 4], 91)]);
      check((x) => op(x, { axis: -1 }), [normal([3, 4], 92)]);
      check((x) => op(x, { axis: 1, keepDims: true }), [normal([3, 4], 93)]);
      check((x) => op(x, { keepDims: true }), [normal([3, 4], 94)]);
    });
    it(`${op.name}: the middle axis of [2, 3, 4] (outer and inner both > 1)`, () => {
      check((x) => op(x, { axis: 1 }), [normal([2, 3, 4], 95)]);
      check((x) => op(x, { axis: -2, keepDims: true }), [normal([2, 3, 4], 96)]);
    });
  }
});

describe('softmax and logSoftmax', () => {
  it('softmax over the last axis of [4, 5]', () => check((x) => softmax(x), [normal([4, 5], 100)]));
  it('logSoftmax over the last axis of [4, 5]', () => check((x) => logSoftmax(x), [normal([4, 5], 101)]));
  it('softmax and logSoftmax of a rank-3 tensor', () => {
    check((x) => softmax(x), [normal([2, 3, 4], 102)]);
    check((x) => logSoftmax(x), [normal([2, 3, 4], 103)]);
  });
  it('logSoftmax with large logits (shifted by 50)', () => check((x) => logSoftmax(add(x, 50)), [normal([3, 4], 104)]));
});

describe('dropout', () => {
  it('rate 0.4 with the same seeded mask on every evaluation', () => {
    const x = normal([6, 5], 110);
    // The mask really drops something and keeps something (else this checks only a scale).
    const y = dropout(x, 0.4, { random: new Random(7) });
    const zeros = y.data.filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(0);
    expect(zeros).toBeLessThan(30);
    check((a) => dropout(a, 0.4, { random: new Random(7) }), [x]);
  });
});

// ---- losses ------------------------------------------------------------------------------------

describe('losses', () => {
  const ids = tensor([2, 0, 1, 2, 1]);
  const oneHot = tensor([[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0]]);

  it('softmaxCrossEntropy with class ids', () => check((z) => softmaxCrossEntropy(z, ids), [normal([5, 3], 120)]));
  it('softmaxCrossEntropy with one-hot labels', () => check((z) => softmaxCrossEntropy(z, oneHot), [normal([5, 3], 121)]));
  it('softmaxCrossEntropy with class ids of shape [B, 1]', () => {
    check((z) => softmaxCrossEntropy(z, reshape(ids, [5, 1])), [normal([5, 3], 122)]);
  });

  // Probabilities in [0.3, 0.9): -log p's h²-term (~ h²/3p³) stays small, and no clipping happens.
  it('crossEntropyFromProbabilities with class ids', () => {
    check((p) => crossEntropyFromProbabilities(p, ids), [uniform([5, 3], 0.3, 0.9, 123)]);
  });
  it('crossEntropyFromProbabilities with one-hot labels', () => {
    check((p) => crossEntropyFromProbabilities(p, oneHot), [uniform([5, 3], 0.3, 0.9, 124)]);
  });
  it('crossEntropyFromProbabilities after a softmax', () => {
    check((z) => crossEntropyFromProbabilities(softmax(z), ids), [normal([5, 3], 125)]);
  });

  it('meanSquaredError', () => check((p) => meanSquaredError(p, normal([4, 3], 126)), [normal([4, 3], 127)]));
  it('meanSquaredError, predictions [B, 1] against targets [B]', () => {
    check((p) => meanSquaredError(p, normal([6], 128)), [normal([6, 1], 129)]);
  });

  it('binaryCrossEntropy on probabilities (soft and hard targets)', () => {
    const targets = tensor([[0, 1, 0.3], [1, 0, 0.8]]);
    check((p) => binaryCrossEntropy(p, targets), [uniform([2, 3], 0.3, 0.7, 130)]);
  });
  it('binaryCrossEntropy fromLogits', () => {
    const targets = tensor([[0, 1, 0.3], [1, 0, 0.8]]);
    check((z) => binaryCrossEntropy(z, targets, { fromLogits: true }), [normal([2, 3], 131).mul(2)]);
  });
  it('binaryCrossEntropy on probabilities from a sigmoid', () => {
    const targets = tensor([1, 0, 1, 0]);
    check((z) => binaryCrossEntropy(sigmoid(z), targets), [normal([4], 132)]);
  });

  // Sample weights (Keras' sample_weight): each sample's term scaled, the mean still over the batch.
  describe('with sample weights', () => {
    const weights = [0.5, 2, 0, 1, 3];
    it('softmaxCrossEntropy', () => check((z) => softmaxCrossEntropy(z, ids, weights), [normal([5, 3], 140)]));
    it('crossEntropyFromProbabilities', () => {
      check((p) => crossEntropyFromProbabilities(p, oneHot, weights), [uniform([5, 3], 0.3, 0.9, 141)]);
    });
    it('meanSquaredError', () => check((p) => meanSquaredError(p, normal([5, 2], 142), weights), [normal([5, 2], 143)]));
    it('binaryCrossEntropy, probabilities and fromLogits', () => {
      const targets = tensor([[0, 1], [1, 0], [0.3, 1], [1, 1], [0, 0.8]]);
      check((p) => binaryCrossEntropy(p, targets, { sampleWeight: weights }), [uniform([5, 2], 0.3, 0.7, 144)]);
      check((z) => binaryCrossEntropy(z, targets, { fromLogits: true, sampleWeight: weights }), [normal([5, 2], 145)]);
    });
  });
});
