// tests/engine/ops.test.ts — forward values of the ops against hand-computed numbers and float64
// loops. A gradient check cannot see a forward bug that backward shares (a wrong broadcast index,
// a mean divided by n - 1): these tests can.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Random, add, div, dropout, elu, exp, getBackend, linear, log, logSoftmax, matmul, mean, mul, neg, relu, setBackend,
  sigmoid, softmax, sqrt, square, sub, sum, tanh, tensor, transpose, type Shape, type Tensor,
} from '../../engine/index.js';

function normal(shape: Shape, seed: number): Tensor {
  const random = new Random(seed);
  return tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.normal()), shape);
}

function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const ok = Math.abs(actual[i] - expected[i]) <= tolerance * Math.max(1, Math.abs(expected[i]));
    expect(ok, `element ${i}: got ${actual[i]}, expected ${expected[i]}`).toBe(true);
  }
}

describe('elementwise ops with broadcasting', () => {
  const a = [[1], [2], [3]]; // [3, 1]
  const b = [[10, 20, 30, 40]]; // [1, 4]
  const table = (f: (x: number, y: number) => number) => a.flatMap(([x]) => b[0].map((y) => f(x, y)));

  it('[3, 1] with [1, 4] gives [3, 4], each pair once', () => {
    const cases = [
      [add, (x: number, y: number) => x + y],
      [sub, (x: number, y: number) => x - y],
      [mul, (x: number, y: number) => x * y],
      [div, (x: number, y: number) => x / y],
    ] as const;
    for (const [op, f] of cases) {
      const out = op(tensor(a), tensor(b));
      expect(out.shape).toEqual([3, 4]);
      expectAllClose(out.data, table(f));
    }
  });

  it('a row vector over a batch, a middle axis, and numbers on either side', () => {
    expect(add(tensor([[1, 2], [3, 4], [5, 6]]), tensor([10, 20])).toArray()).toEqual([[11, 22], [13, 24], [15, 26]]);
    expect(sub(tensor([10, 20]), tensor([[1, 2], [3, 4]])).toArray()).toEqual([[9, 18], [7, 16]]);
    // [2, 2, 1] with [2, 3]: out[i, j, k] = x[i, j] * y[j, k].
    const x = tensor([[[1], [2]], [[3], [4]]]), y = tensor([[1, 10, 100], [-1, -2, -3]]);
    const out = mul(x, y);
    expect(out.shape).toEqual([2, 2, 3]);
    expect(Array.from(out.data)).toEqual([1, 10, 100, -2, -4, -6, 3, 30, 300, -4, -8, -12]);
    expect(div(tensor([2, 4]), 2).toArray()).toEqual([1, 2]);
    expect(div(8, tensor([2, 4])).toArray()).toEqual([4, 2]);
    expect(sub(1, tensor([0.25])).toArray()).toEqual([0.75]);
    expect(mul(tensor([[1, 2]]), tensor(3)).toArray()).toEqual([[3, 6]]);
  });

  it('unary ops agree with Math', () => {
    const values = [-3, -0.5, 0, 0.25, 2];
    const x = tensor(values);
    const cases: [Tensor, (v: number) => number][] = [
      [neg(x), (v) => -v],
      [relu(x), (v) => Math.max(0, v)],
      [sigmoid(x), (v) => 1 / (1 + Math.exp(-v))],
      [tanh(x), Math.tanh],
      [elu(x), (v) => (v > 0 ? v : Math.exp(v) - 1)],
      [elu(x, 0.5), (v) => (v > 0 ? v : 0.5 * (Math.exp(v) - 1))],
      [exp(x), Math.exp],
      [square(x), (v) => v * v],
    ];
    for (const [out, f] of cases) expectAllClose(out.data, values.map(f));
    const positive = [0.5, 1, 4];
    expectAllClose(log(tensor(positive)).data, positive.map(Math.log));
    expectAllClose(sqrt(tensor(positive)).data, positive.map(Math.sqrt));
  });

  it('sigmoid saturates to 0 and 1 without NaN at ±1000', () => {
    expect(Array.from(sigmoid(tensor([-1000, 1000])).data)).toEqual([0, 1]);
  });
});

describe('reductions', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);

  it('sum: all, axis 0, axis -1, keepDims', () => {
    expect(sum(x).shape).toEqual([]);
    expect(sum(x).item()).toBe(21);
    expect(sum(x, { axis: 0 }).toArray()).toEqual([5, 7, 9]);
    expect(sum(x, { axis: -1 }).toArray()).toEqual([6, 15]);
    expect(sum(x, { axis: 1, keepDims: true }).toArray()).toEqual([[6], [15]]);
    expect(sum(x, { axis: 0, keepDims: true }).shape).toEqual([1, 3]);
    expect(sum(x, { keepDims: true }).toArray()).toEqual([[21]]);
  });

  it('mean: all, axis 0, axis -1, keepDims', () => {
    expect(mean(x).item()).toBe(3.5);
    expect(mean(x, { axis: 0 }).toArray()).toEqual([2.5, 3.5, 4.5]);
    expect(mean(x, { axis: -1 }).toArray()).toEqual([2, 5]);
    expect(mean(x, { axis: -1, keepDims: true }).toArray()).toEqual([[2], [5]]);
  });

  it('the middle axis of [2, 3, 2]', () => {
    const t = tensor([[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]);
    expect(sum(t, { axis: 1 }).toArray()).toEqual([[9, 12], [27, 30]]);
    expect(mean(t, { axis: -2, keepDims: true }).shape).toEqual([2, 1, 2]);
    expect(Array.from(mean(t, { axis: 1 }).data)).toEqual([3, 4, 9, 10]);
  });

  it('rejects an axis out of range', () => {
    expect(() => sum(x, { axis: 2 })).toThrow('wasmgrad: sum expected an axis in [-2, 1] for shape [2, 3], got 2');
    expect(() => mean(x, { axis: -3 })).toThrow(/mean expected an axis in \[-2, 1\]/);
  });
});

describe('softmax and logSoftmax', () => {
  it('match e^x / Σ e^x per row, and rows sum to 1', () => {
    const rows = [[1, 2, 3], [0, 0, 0]];
    const expected = rows.flatMap((r) => {
      const total = r.reduce((s, v) => s + Math.exp(v), 0);
      return r.map((v) => Math.exp(v) / total);
    });
    expectAllClose(softmax(tensor(rows)).data, expected);
    expectAllClose(logSoftmax(tensor(rows)).data, expected.map(Math.log));
  });

  it('stay finite at logits of ±1000', () => {
    expectAllClose(softmax(tensor([[1000, 1000], [1000, -1000]])).data, [0.5, 0.5, 1, 0]);
    expectAllClose(logSoftmax(tensor([[1000, -1000]])).data, [0, -2000]);
  });
});

describe('transpose', () => {
  it('moves x[i, j] to out[j, i]', () => {
    expect(transpose(tensor([[1, 2, 3], [4, 5, 6]])).toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
  });
});

// ---- GEMM ops against a float64 triple loop, on both backends ----------------------------------

/** relu?(a · b + bias) in float64. */
function product(a: Tensor, b: Tensor, bias: Tensor | null = null, applyRelu = false): Float64Array {
  const [M, K] = a.shape, [, N] = b.shape;
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let total = bias === null ? 0 : bias.data[j];
      for (let k = 0; k < K; k++) total += a.data[i * K + k] * b.data[k * N + j];
      out[i * N + j] = applyRelu ? Math.max(0, total) : total;
    }
  }
  return out;
}

for (const backend of ['js', 'wasm'] as const) {
  describe(`matmul and linear on the '${backend}' backend`, () => {
    const previous = getBackend();
    beforeAll(() => setBackend(backend));
    afterAll(() => setBackend(previous));

    // Float32 sums of K products of normal numbers: error ~ K·ε·Σ|a·b|; 1e-5 covers K up to ~70.
    const shapes: [number, number, number][] = [[1, 1, 1], [5, 7, 3], [4, 8, 8], [9, 17, 13], [33, 65, 18]];
    for (const [M, K, N] of shapes) {
      it(`matmul ${M}x${K} · ${K}x${N}`, () => {
        expect(getBackend()).toBe(backend);
        const a = normal([M, K], M * 100 + K), b = normal([K, N], K * 100 + N);
        expectAllClose(matmul(a, b).data, product(a, b), 1e-5);
      });

      it(`linear ${M}x${K} · ${K}x${N} with bias, with and without relu`, () => {
        const x = normal([M, K], M + K), W = normal([K, N], K + N), bias = normal([N], N);
        expectAllClose(linear(x, W, bias).data, product(x, W, bias), 1e-5);
        const out = linear(x, W, bias, { relu: true });
        expectAllClose(out.data, product(x, W, bias, true), 1e-5);
        expectAllClose(linear(x, W, null, { relu: true }).data, product(x, W, null, true), 1e-5);
        // ReLU really clipped something (seeded normal inputs put some pre-activations below 0).
        if (M * N > 1) expect(Math.min(...out.data)).toBe(0);
      });
    }
  });
}

describe('dropout', () => {
  it('keeps each element with probability 1 - rate, scaled by 1 / (1 - rate): the mean is kept', () => {
    const ones = tensor(new Float32Array(20000).fill(1));
    const out = dropout(ones, 0.25, { random: new Random(3) });
    const kept = out.data.filter((v) => v !== 0);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.75)]));
    expect(kept.length / ones.size).toBeCloseTo(0.75, 2);
    expect(out.data.reduce((s, v) => s + v, 0) / ones.size).toBeCloseTo(1, 1);
  });

  it('draws the same mask from the same seed', () => {
    const x = normal([50], 4);
    expect(Array.from(dropout(x, 0.5, { random: new Random(9) }).data)).toEqual(Array.from(dropout(x, 0.5, { random: new Random(9) }).data));
    expect(Array.from(dropout(x, 0.5, { random: new Random(9) }).data)).not.toEqual(Array.from(dropout(x, 0.5, { random: new Random(10) }).data));
  });

  it("draws the same mask on the 'js' and 'wasm' backends, and backward multiplies by it", () => {
    // The mask of element i is a hash of (one seed drawn from the generator, i): the same bits in
    // the TypeScript reference and in WASM. 37 x 5 = 185 elements: SIMD groups and a tail.
    const x = normal([37, 5], 6);
    const previous = getBackend();
    const runs = (['js', 'wasm'] as const).map((backend) => {
      setBackend(backend);
      try {
        const input = tensor(x.data, x.shape);
        input.requiresGrad = true;
        const out = dropout(input, 0.3, { random: new Random(4) });
        out.backward(tensor(new Float32Array(out.size).fill(2), out.shape));
        return { out: Array.from(out.data), dx: Array.from(input.grad!.data) };
      } finally {
        setBackend(previous);
      }
    });
    expect(runs[0].out).toEqual(runs[1].out);
    expect(runs[0].dx).toEqual(runs[1].dx);
    const scale = Math.fround(1 / 0.7);
    runs[1].dx.forEach((d, i) => expect(d).toBe(runs[1].out[i] === 0 && x.data[i] !== 0 ? 0 : Math.fround(2 * scale)));
  });

  it('is the identity at inference and at rate 0, and rejects a rate outside [0, 1)', () => {
    const x = normal([4], 5);
    expect(dropout(x, 0.5, { training: false })).toBe(x);
    expect(dropout(x, 0)).toBe(x);
    expect(() => dropout(x, 1)).toThrow('wasmgrad: dropout expected a rate in [0, 1), got 1');
    expect(() => dropout(x, -0.1)).toThrow(/got -0.1/);
    expect(() => dropout(x, NaN)).toThrow(/got NaN/);
  });
});
