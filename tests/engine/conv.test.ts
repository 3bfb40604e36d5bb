// tests/engine/conv.test.ts — the convnet ops (conv2d, conv2dReluMaxPool, max/average pooling and their global forms,
// batch normalization): a central-difference gradient check of each (tests/engine/gradcheck.ts) over
// strides 1 and 2, both paddings, odd sizes and several channel counts, on both backends; conv2d
// against a naive direct convolution written here as an independent oracle; and the clear errors.

import { afterAll, describe, expect, it } from 'vitest';
import {
  Random, avgPool2d, batchNormInference, batchNormTraining, conv2d, conv2dReluMaxPool, conv2dRunsDirect, getBackend, globalAvgPool2d, globalMaxPool2d,
  maxPool2d, noGrad, relu, scoped, setBackend, tensor, windowAxis, type Padding, type Shape, type Tensor,
} from '../../engine/index.js';
import { expectGradientsMatch } from './gradcheck.js';

const initialBackend = getBackend();
afterAll(() => setBackend(initialBackend));

function normal(shape: Shape, seed: number, scale = 1): Tensor {
  const random = new Random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float32Array.from({ length: n }, () => scale * random.normal()), shape);
}

/** Distinct values 0.1 apart, shuffled: no two in a pooling window are within a gradcheck step. */
function distinct(shape: Shape, seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: n }, (_, i) => (i - n / 2) * 0.1);
  new Random(seed).shuffle(values);
  return tensor(values, shape);
}

function check(f: (...inputs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  expect(expectGradientsMatch(f, inputs).ok).toBe(true);
}

/**
 * The oracle: the convolution's definition, one output at a time, in float64, padding as TensorFlow's
 * 'same' rule puts it (windowAxis's padBefore, derived independently in window.ts's comment).
 */
function directConv2d(x: Tensor, kernel: Tensor, bias: Tensor | null, strides: [number, number], padding: Padding): { values: Float64Array; shape: number[] } {
  const [B, H, W, C] = x.shape;
  const [kh, kw, , F] = kernel.shape;
  const rowsAxis = windowAxis(H, kh, strides[0], padding), colsAxis = windowAxis(W, kw, strides[1], padding);
  const oh = rowsAxis.out, ow = colsAxis.out;
  const values = new Float64Array(B * oh * ow * F);
  const X = x.data, K = kernel.data;
  for (let b = 0; b < B; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let f = 0; f < F; f++) {
    let sum = bias === null ? 0 : bias.data[f];
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
      const iy = oy * strides[0] - rowsAxis.padBefore + ky, ix = ox * strides[1] - colsAxis.padBefore + kx;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      for (let c = 0; c < C; c++) sum += X[((b * H + iy) * W + ix) * C + c] * K[((ky * kw + kx) * C + c) * F + f];
    }
    values[((b * oh + oy) * ow + ox) * F + f] = sum;
  }
  return { values, shape: [B, oh, ow, F] };
}

// (input [B, H, W, C], kernel [kh, kw], filters, strides, padding): odd sizes, 1-8 channels, a 1x1
// kernel (the no-im2col path), a kernel wider than tall, and 4 or 8 channels with 'valid' windows
// (cols left implicit: the GEMMs pack straight from x).
const CONV_CASES: [Shape, [number, number], number, [number, number], Padding][] = [
  [[2, 5, 5, 1], [3, 3], 2, [1, 1], 'valid'],
  [[2, 6, 5, 4], [3, 3], 3, [1, 1], 'valid'],
  [[1, 7, 6, 8], [3, 2], 5, [2, 1], 'valid'],
  [[1, 5, 6, 3], [3, 3], 4, [1, 1], 'same'],
  [[2, 7, 5, 2], [3, 2], 3, [2, 2], 'valid'],
  [[1, 7, 7, 5], [3, 3], 2, [2, 2], 'same'],
  [[1, 6, 5, 3], [2, 3], 5, [2, 1], 'same'],
  [[2, 3, 4, 3], [1, 1], 4, [1, 1], 'valid'],
];

describe.each(['js', 'wasm'] as const)('on the %s backend', (backend) => {
  const use = () => setBackend(backend);

  describe.each(CONV_CASES)('conv2d, input %j, kernel %j, %i filters, strides %j, %s', (shape, window, filters, strides, padding) => {
    const seed = shape.reduce((a, b) => a * 10 + b, 7) + filters;
    const kernelShape = [window[0], window[1], shape[3], filters];

    it('matches the direct convolution', () => {
      use();
      const x = normal(shape, seed), kernel = normal(kernelShape, seed + 1), bias = normal([filters], seed + 2);
      const oracle = directConv2d(x, kernel, bias, strides, padding);
      scoped(() => {
        const y = conv2d(x, kernel, bias, { strides, padding });
        expect(y.shape).toEqual(oracle.shape);
        const tolerance = 1e-5 * window[0] * window[1] * shape[3];
        y.data.forEach((v, i) => expect(Math.abs(v - oracle.values[i])).toBeLessThan(tolerance));
      });
    });

    it('has the gradients of x, kernel and bias', () => {
      use();
      check((x, k, b) => conv2d(x, k, b, { strides, padding }), [normal(shape, seed + 3), normal(kernelShape, seed + 4), normal([filters], seed + 5)]);
    });

    it('with the ReLU fused, equals relu(conv2d) in value and gradient, bit for bit', () => {
      use();
      const x = normal(shape, seed + 6), kernel = normal(kernelShape, seed + 7), bias = normal([filters], seed + 8);
      const run = (fused: boolean) => scoped(() => {
        for (const t of [x, kernel, bias]) { t.requiresGrad = true; t.grad = null; }
        const y = fused ? conv2d(x, kernel, bias, { strides, padding, relu: true }) : relu(conv2d(x, kernel, bias, { strides, padding }));
        y.backward(normal(y.shape, seed + 9));
        return [y, x.grad!, kernel.grad!, bias.grad!].map((t) => Array.from(t.data));
      });
      expect(run(true)).toEqual(run(false));
    });
  });

  describe.each([
    [[2, 5, 5, 3], [2, 2], [2, 2], 'valid'],
    [[1, 5, 7, 2], [2, 2], [2, 2], 'same'],
    [[1, 6, 6, 5], [3, 3], [1, 1], 'same'],
    [[2, 7, 5, 1], [3, 2], [2, 1], 'valid'],
  ] as [Shape, [number, number], [number, number], Padding][])('pooling, input %j, pool %j, strides %j, %s', (shape, poolSize, strides, padding) => {
    const seed = shape.reduce((a, b) => a * 10 + b, 3);
    it('maxPool2d has the gradient of x', () => {
      use();
      check((x) => maxPool2d(x, { poolSize, strides, padding }), [distinct(shape, seed)]);
    });
    it('avgPool2d has the gradient of x', () => {
      use();
      check((x) => avgPool2d(x, { poolSize, strides, padding }), [normal(shape, seed + 1)]);
    });
  });

  // Conv2D + ReLU + MaxPooling2D in one op: few channels (the direct loops), 32 and 37 filters (a
  // register block, and one with a tail), strides 1 and 2, both paddings, windows that leave a row
  // or a column of the convolution out; and as a GEMM (K = kh·kw·C above the direct loops' depth,
  // or a 1x1 kernel), there with the input's gradient too.
  describe.each([
    [[2, 7, 6, 1], [3, 3], 32, [1, 1], 'valid', [2, 2]],
    [[1, 8, 7, 3], [3, 3], 37, [2, 1], 'same', [2, 3]],
    [[2, 9, 9, 2], [2, 3], 5, [1, 2], 'same', [3, 2]],
    [[2, 7, 6, 5], [3, 3], 6, [1, 1], 'valid', [2, 2]],
    [[2, 7, 6, 4], [3, 3], 6, [1, 1], 'valid', [2, 2]], // cols left implicit
    [[1, 9, 8, 13], [2, 3], 7, [2, 1], 'same', [2, 3]],
    [[2, 5, 7, 3], [1, 1], 4, [1, 1], 'valid', [2, 2]],
  ] as [Shape, [number, number], number, [number, number], Padding, [number, number]][])('conv2dReluMaxPool, input %j, kernel %j, %i filters, strides %j, %s, pool %j', (shape, window, filters, strides, padding, poolSize) => {
    const seed = shape.reduce((a, b) => a * 10 + b, 5) + filters;
    const kernelShape = [window[0], window[1], shape[3], filters];
    const withDx = !conv2dRunsDirect(window[0], window[1], shape[3]); // the direct loops' fused form has no dx

    // As a GEMM, the bias gradient is summed image by image (maxPoolReluBackward's dzSums) where the
    // two ops sum dz row by row: there it agrees within rounding, the rest bit for bit.
    it(`equals maxPool2d(conv2d(relu)) in value and in the ${withDx ? 'input and kernel gradients, bit for bit, and the bias gradient within rounding' : 'kernel and bias gradients, bit for bit'}`, () => {
      use();
      const x = normal(shape, seed), kernel = normal(kernelShape, seed + 1), bias = normal([filters], seed + 2, 0.1);
      const run = (fused: boolean) => scoped(() => {
        const params = withDx ? [x, kernel, bias] : [kernel, bias];
        for (const t of params) { t.requiresGrad = true; t.grad = null; }
        const y = fused ? conv2dReluMaxPool(x, kernel, bias, { strides, padding, poolSize })
          : maxPool2d(conv2d(x, kernel, bias, { strides, padding, relu: true }), { poolSize });
        y.backward(normal(y.shape, seed + 3));
        return [y, ...params.map((t) => t.grad!)].map((t) => Array.from(t.data));
      });
      const [fused, twoOps] = [run(true), run(false)];
      if (!withDx) {
        expect(fused).toEqual(twoOps);
        return;
      }
      expect(fused.slice(0, -1)).toEqual(twoOps.slice(0, -1));
      const [dbias, expected] = [fused.at(-1)!, twoOps.at(-1)!];
      expect(dbias).toHaveLength(expected.length);
      dbias.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(expected[i]!))));
    });

  });

  // The gradient check on small problems: a kernel weight moves every convolution output, so on a
  // large one some window's maximum or some ReLU is always within a step of switching (a kink).
  it.each([
    [[1, 5, 5, 1], [3, 3], 2, [1, 1], 'valid', [2, 2]],
    [[1, 6, 5, 2], [2, 3], 3, [2, 1], 'same', [2, 2]],
    [[1, 4, 5, 1], [3, 2], 33, [1, 2], 'same', [2, 1]],
  ] as [Shape, [number, number], number, [number, number], Padding, [number, number]][])('conv2dReluMaxPool has the gradients of the kernel and bias, input %j, kernel %j, %i filters, strides %j, %s, pool %j', (shape, window, filters, strides, padding, poolSize) => {
    use();
    const seed = shape.reduce((a, b) => a * 10 + b, 9) + filters;
    const x = normal(shape, seed);
    check((k, b) => conv2dReluMaxPool(x, k, b, { strides, padding, poolSize }), [normal([window[0], window[1], shape[3], filters], seed + 1), normal([filters], seed + 2, 0.1)]);
  });

  // As a GEMM (K = 2·2·9 = 36, K = 3·3·4 = 36 with cols left implicit, and a 1x1 kernel), and of
  // the input too: distinct inputs keep each pooling window's maximum apart from the others.
  it.each([
    [[1, 5, 4, 9], [2, 2], 3, [1, 1], 'same', [2, 2]],
    [[2, 6, 5, 4], [3, 3], 3, [1, 1], 'valid', [2, 2]],
    [[1, 6, 5, 3], [1, 1], 2, [2, 1], 'valid', [2, 2]],
  ] as [Shape, [number, number], number, [number, number], Padding, [number, number]][])('conv2dReluMaxPool as a GEMM has the gradients of the input, kernel and bias, input %j, kernel %j, %i filters, strides %j, %s, pool %j', (shape, window, filters, strides, padding, poolSize) => {
    use();
    const seed = shape.reduce((a, b) => a * 10 + b, 13) + filters;
    check((x, k, b) => conv2dReluMaxPool(x, k, b, { strides, padding, poolSize }), [distinct(shape, seed), normal([window[0], window[1], shape[3], filters], seed + 1), normal([filters], seed + 2, 0.1)]);
  });

  it('global pooling: [B, H, W, C] → [B, C], with gradients', () => {
    use();
    const x = distinct([2, 3, 5, 3], 11);
    scoped(() => {
      const avg = globalAvgPool2d(x), max = globalMaxPool2d(x);
      expect(avg.shape).toEqual([2, 3]);
      const X = x.data;
      for (let b = 0; b < 2; b++) for (let c = 0; c < 3; c++) {
        const values = Array.from({ length: 15 }, (_, p) => X[(b * 15 + p) * 3 + c]);
        expect(avg.data[b * 3 + c]).toBeCloseTo(values.reduce((s, v) => s + v, 0) / 15, 5);
        expect(max.data[b * 3 + c]).toBe(Math.max(...values));
      }
    });
    check((t) => globalAvgPool2d(t), [normal([2, 3, 5, 3], 12)]);
    check((t) => globalMaxPool2d(t), [x]);
  });

  describe.each([[[6, 3]], [[2, 3, 3, 5]], [[1, 5, 3, 4]]] as [Shape][])('batch normalization of %j', (shape) => {
    const C = shape[shape.length - 1];
    const seed = shape.reduce((a, b) => a * 10 + b, 5);
    it('training form: gradients of x (through the batch statistics), gamma and beta', () => {
      use();
      check((x, g, b) => batchNormTraining(x, g, b, 1e-3).y, [normal(shape, seed, 2), normal([C], seed + 1), normal([C], seed + 2)]);
    });
    it('training form without gamma and beta (scale and center false)', () => {
      use();
      check((x) => batchNormTraining(x, null, null, 1e-3).y, [normal(shape, seed + 3)]);
    });
    it('with the ReLU fused, equals relu(batch norm) in value and gradient, bit for bit, in both forms', () => {
      use();
      const x = normal(shape, seed + 8), gamma = normal([C], seed + 9), beta = normal([C], seed + 10);
      const mean = normal([C], seed + 11), variance = tensor(Float32Array.from({ length: C }, (_, j) => 0.5 + j), [C]);
      for (const training of [true, false]) {
        const run = (fused: boolean) => scoped(() => {
          for (const t of [x, gamma, beta]) { t.requiresGrad = true; t.grad = null; }
          const bn = (relu: boolean) => (training
            ? batchNormTraining(x, gamma, beta, 1e-3, { relu }).y
            : batchNormInference(x, mean, variance, gamma, beta, 1e-3, { relu }));
          const y = fused ? bn(true) : relu(bn(false));
          y.backward(normal(y.shape, seed + 12));
          return [y, x.grad!, gamma.grad!, beta.grad!].map((t) => Array.from(t.data));
        });
        expect(run(true)).toEqual(run(false));
      }
    });
    it('inference form: gradients of x, gamma and beta with the statistics constant', () => {
      use();
      const mean = normal([C], seed + 4), variance = tensor(Float32Array.from({ length: C }, (_, j) => 0.5 + j), [C]);
      check((x, g, b) => batchNormInference(x, mean, variance, g, b, 1e-3), [normal(shape, seed + 5), normal([C], seed + 6), normal([C], seed + 7)]);
    });
  });

  it('batch normalization on hand-worked values', () => {
    use();
    // One channel holding 1, 2, 3, 4: mean 2.5, biased variance 1.25; the other 10, 10, 10, 10.
    const x = tensor([[1, 10], [2, 10], [3, 10], [4, 10]]);
    scoped(() => noGrad(() => {
      const { y, mean, variance } = batchNormTraining(x, tensor([2, 1]), tensor([0.5, -1]), 1e-3);
      expect(Array.from(mean.data)).toEqual([2.5, 10]);
      expect(Array.from(variance.data)).toEqual([1.25, 0]);
      const s = Math.sqrt(1.25 + 1e-3);
      [1, 2, 3, 4].forEach((v, r) => {
        expect(y.data[r * 2]).toBeCloseTo((2 * (v - 2.5)) / s + 0.5, 6);
        expect(y.data[r * 2 + 1]).toBeCloseTo(-1, 6); // zero variance: (x - mean) is 0, y = beta
      });
      const z = batchNormInference(x, tensor([0.025, 0.1]), tensor([1.0025, 0.99]), null, null, 1e-3);
      expect(z.data[4]).toBeCloseTo((3 - 0.025) / Math.sqrt(1.0035), 6);
      expect(z.data[3]).toBeCloseTo((10 - 0.1) / Math.sqrt(0.991), 5);
    }));
  });
});

describe('errors name what was expected and what was given', () => {
  it('conv2d: wrong rank, channel mismatch, a valid kernel larger than its input', () => {
    const kernel = normal([3, 3, 1, 2], 1);
    expect(() => conv2d(normal([4, 784], 2), kernel, null)).toThrow(/conv2d expected a 4-D input \[batch, height, width, channels\], got shape \[4, 784\]/);
    expect(() => conv2d(normal([1, 5, 5, 3], 3), kernel, null)).toThrow(/expected an input with 1 channels .* got input \[1, 5, 5, 3\]/);
    expect(() => conv2d(normal([1, 2, 5, 1], 4), kernel, null)).toThrow(/window no larger than its input: the window is 3x3, the input 2x5/);
    expect(conv2d(normal([1, 2, 5, 1], 4), kernel, null, { padding: 'same' }).shape).toEqual([1, 2, 5, 2]);
  });
  it('batch normalization: parameters of the wrong length', () => {
    expect(() => batchNormTraining(normal([2, 3], 1), normal([4], 2), null, 1e-3)).toThrow(/expected gamma of shape \[3\], got \[4\]/);
  });
});
