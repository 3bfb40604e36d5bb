// tests/nn/conv-layers.test.ts — the convnet layers as a user meets them: Keras' summary text of the
// Simple MNIST convnet, BatchNormalization's training and inference outputs and moving statistics
// on hand-worked values, bit-identical save/load round trips of every new layer (moving statistics
// included), a small convnet that learns, and the clear errors at the public boundary.

import { describe, expect, it } from 'vitest';
import {
  Activation, AveragePooling2D, BatchNormalization, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling2D, GlobalMaxPooling2D, Input,
  MaxPooling2D, Reshape, Sequential, clearSession, loadModelFromArtifacts, setSeed, tensor, toCategorical, type Tensor,
} from '../../index.js';
import { memoryStats } from '../../engine/index.js';

function images(n: number, h: number, w: number, c: number, seed: number): Tensor {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return tensor(Float32Array.from({ length: n * h * w * c }, () => rand()), [n, h, w, c]);
}

describe('summary', () => {
  it("prints Keras' summary of the Simple MNIST convnet", () => {
    clearSession();
    const model = new Sequential([
      new Input({ shape: [28, 28, 1] }),
      new Conv2D(32, [3, 3], { activation: 'relu' }),
      new MaxPooling2D([2, 2]),
      new Conv2D(64, [3, 3], { activation: 'relu' }),
      new MaxPooling2D([2, 2]),
      new Flatten(),
      new Dropout(0.5),
      new Dense(10, { activation: 'softmax' }),
    ]);
    const table = [
      'Model: "sequential"',
      '_'.repeat(65),
      ' Layer (type)                Output Shape              Param #   ',
      '='.repeat(65),
      ' conv2d (Conv2D)             (None, 26, 26, 32)        320       ',
      ' '.repeat(65),
      ' max_pooling2d (MaxPooling2D  (None, 13, 13, 32)       0         ',
      ' )                                                               ',
      ' '.repeat(65),
      ' conv2d_1 (Conv2D)           (None, 11, 11, 64)        18496     ',
      ' '.repeat(65),
      ' max_pooling2d_1 (MaxPooling  (None, 5, 5, 64)         0         ',
      ' 2D)                                                             ',
      ' '.repeat(65),
      ' flatten (Flatten)           (None, 1600)              0         ',
      ' '.repeat(65),
      ' dropout (Dropout)           (None, 1600)              0         ',
      ' '.repeat(65),
      ' dense (Dense)               (None, 10)                16010     ',
      ' '.repeat(65),
      '='.repeat(65),
      'Total params: 34,826',
      'Trainable params: 34,826',
      'Non-trainable params: 0',
      '_'.repeat(65),
    ];
    expect(model.summaryText().split('\n')).toEqual(table);
  });

  it('counts BatchNormalization\'s moving statistics as non-trainable params', () => {
    clearSession();
    const model = new Sequential([new Conv2D(8, 3, { inputShape: [6, 6, 2], padding: 'same' }), new BatchNormalization(), new GlobalAveragePooling2D()]);
    const lines = model.summaryText().split('\n');
    expect(lines.find((l) => l.startsWith(' batch_normalization'))).toMatch(/\(None, 6, 6, 8\)\s+32\s*$/);
    expect(lines.slice(-4, -1)).toEqual(['Total params: 184', 'Trainable params: 168', 'Non-trainable params: 16']);
  });
});

describe('fusion', () => {
  it('Conv2D absorbs a following ReLU into its GEMM, as Dense does; BatchNormalization one into its pass', () => {
    clearSession();
    const model = new Sequential([
      new Conv2D(4, 3, { inputShape: [6, 6, 1] }), new Activation('relu'), new BatchNormalization(), new Activation('relu'),
      new Conv2D(1, 4), new Flatten(),
    ]);
    expect(model.plan().split('\n')).toEqual([
      'conv2d + activation                 ReLU in the GEMM epilogue',
      'batch_normalization + activation_1  ReLU in the same pass',
      'conv2d_1',
      'flatten',
    ]);
  });
});

describe('fusion with max pooling', () => {
  it("Keras' MNIST convnet: the first Conv2D (1 channel) runs with its ReLU and MaxPooling2D in one loop, the second (8 channels) as a GEMM with them", async () => {
    clearSession();
    const model = new Sequential([
      new Conv2D(8, 3, { activation: 'relu', inputShape: [12, 11, 1] }), new MaxPooling2D(2),
      new Conv2D(4, 3, { activation: 'relu' }), new MaxPooling2D(2), new Flatten(), new Dense(3, { activation: 'softmax' }),
    ]);
    // The same network with the ReLUs as layers of their own: each Conv2D absorbs its ReLU, MaxPooling2D runs apart.
    const apart = new Sequential([
      new Conv2D(8, 3, { inputShape: [12, 11, 1] }), new Activation('relu'), new MaxPooling2D(2),
      new Conv2D(4, 3), new Activation('relu'), new MaxPooling2D(2), new Flatten(), new Dense(3, { activation: 'softmax' }),
    ]);
    for (const m of [model, apart]) m.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy' });
    expect(model.plan().split('\n').slice(0, 3)).toEqual([
      'conv2d + max_pooling2d      ReLU and max pooling in one loop',
      "conv2d_1 + max_pooling2d_1  ReLU in the GEMM epilogue, max pooling's backward with the ReLU's",
      'flatten',
    ]);
    expect(apart.plan().split('\n')[0]).toMatch(/^conv2d_2 \+ activation\s+ReLU in the GEMM epilogue$/);
    apart.setWeights(model.getWeights());
    // Both train to the same bits (the fused op's own test: tests/engine/conv.test.ts).
    const x = tensor(Float32Array.from({ length: 4 * 132 }, (_, i) => Math.sin(i * 0.37)), [4, 12, 11, 1]);
    const y = toCategorical(tensor([0, 1, 2, 1]), 3);
    const fused = await model.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0, shuffle: false });
    const separate = await apart.fit(x, y, { epochs: 2, batchSize: 2, verbose: 0, shuffle: false });
    expect(fused.history['loss']).toEqual(separate.history['loss']);
    expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(apart.getWeights().map((w) => Array.from(w.data)));
  });
});

describe('BatchNormalization', () => {
  it('normalizes with batch statistics in training, updates the moving ones, and uses those in inference', () => {
    const layer = new BatchNormalization({ momentum: 0.9, epsilon: 1e-3 });
    layer.build([2]);
    // Channel 0 holds 1, 2, 3, 4 (mean 2.5, biased variance 1.25); channel 1 holds 0, 0, 4, 4 (mean 2, variance 4).
    const x = tensor([[1, 0], [2, 0], [3, 4], [4, 4]]);
    const y = layer.call(x, { training: true }).data;
    const s0 = Math.sqrt(1.25 + 1e-3), s1 = Math.sqrt(4 + 1e-3);
    expect(y[0]).toBeCloseTo(-1.5 / s0, 6);
    expect(y[6]).toBeCloseTo(1.5 / s0, 6);
    expect(y[1]).toBeCloseTo(-2 / s1, 6);
    // moving = 0.9 · initial (mean 0, variance 1) + 0.1 · batch
    expect(layer.movingMean!.data[0]).toBeCloseTo(0.25, 7);
    expect(layer.movingMean!.data[1]).toBeCloseTo(0.2, 7);
    expect(layer.movingVariance!.data[0]).toBeCloseTo(0.9 + 0.125, 6);
    expect(layer.movingVariance!.data[1]).toBeCloseTo(0.9 + 0.4, 6);
    const z = layer.call(x, { training: false }).data;
    expect(z[0]).toBeCloseTo((1 - 0.25) / Math.sqrt(1.025 + 1e-3), 6);
    expect(z[7]).toBeCloseTo((4 - 0.2) / Math.sqrt(1.3 + 1e-3), 6);
    expect(layer.weights.map((w) => w.name)).toEqual(['batch_normalization/gamma', 'batch_normalization/beta'].map((n) => n.replace('batch_normalization', layer.name)));
    expect(layer.nonTrainableWeights.map((w) => w.name)).toEqual([`${layer.name}/moving_mean`, `${layer.name}/moving_variance`]);
  });
});

describe('save and load', () => {
  it('round-trips every new layer bit for bit, moving statistics and optimizer state included', async () => {
    clearSession();
    setSeed(5);
    const model = new Sequential([
      new Input({ shape: [9, 7, 2] }),
      new Conv2D(4, [3, 2], { strides: [2, 1], padding: 'same', activation: 'relu' }),
      new BatchNormalization({ momentum: 0.8 }),
      new AveragePooling2D(2, { strides: 1, padding: 'same' }),
      new Conv2D(3, 3, { useBias: false }),
      new MaxPooling2D({ poolSize: [2, 2], padding: 'same' }),
      new Reshape([-1, 3]),
      new Reshape([3, 2, 3]),
      new GlobalMaxPooling2D(),
      new Dense(3, { activation: 'softmax' }),
    ]);
    const branch = new Sequential([new Conv2D(2, 1, { inputShape: [4, 4, 3] }), new GlobalAveragePooling2D(), new Dense(2)]);
    const x = images(12, 9, 7, 2, 3), y = tensor(Float32Array.from({ length: 12 }, (_, i) => i % 3), [12]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
    expect(Array.from(model.weights.find((w) => w.name?.endsWith('moving_mean'))!.data).some((v) => v !== 0)).toBe(true);

    for (const m of [model, branch]) {
      const copy = loadModelFromArtifacts(m.toArtifacts());
      expect(copy.summaryText()).toBe(m.summaryText());
      expect(copy.getWeights().map((w) => Array.from(w.data))).toEqual(m.getWeights().map((w) => Array.from(w.data)));
      const input = m === model ? x : images(3, 4, 4, 3, 9);
      expect(Array.from(copy.predict(input).data)).toEqual(Array.from(m.predict(input).data));
    }
    // Training goes on identically after loading (Adam's slots and the moving statistics came along).
    const copy = loadModelFromArtifacts(model.toArtifacts());
    setSeed(11);
    await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    setSeed(11);
    await copy.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
    expect(copy.getWeights().map((w) => Array.from(w.data))).toEqual(model.getWeights().map((w) => Array.from(w.data)));
  });
});

describe('a small convnet', () => {
  it('learns to tell a bright top half from a bright bottom half', async () => {
    clearSession();
    setSeed(2);
    const n = 64;
    const x = images(n, 8, 8, 1, 7), y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 2;
      for (let p = 0; p < 32; p++) x.data[i * 64 + (y[i] === 0 ? p : 32 + p)] += 1;
      for (let p = 0; p < 64; p++) x.data[i * 64 + p] -= 1; // centred: dark half in [-1, 0), bright in [0, 1)
    }
    const model = new Sequential([
      new Conv2D(4, 3, { inputShape: [8, 8, 1], activation: 'relu' }),
      // A fast momentum: the 60 steps here must bring the moving statistics near the data's.
      new BatchNormalization({ momentum: 0.5 }),
      new MaxPooling2D(2),
      new Flatten(),
      new Dense(2, { activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    await model.fit(x, tensor(y), { epochs: 15, batchSize: 16, verbose: 0 });
    expect(model.evaluate(x, tensor(y), { verbose: 0 })[1]).toBe(1);
  });
});

describe('memory', () => {
  it('a convnet training step takes no new memory after the first epoch (im2col columns, pooling, batch norm)', async () => {
    clearSession();
    setSeed(4);
    const model = new Sequential([
      new Conv2D(8, 3, { inputShape: [10, 10, 2], activation: 'relu', padding: 'same' }),
      new BatchNormalization(),
      new MaxPooling2D(2),
      new Conv2D(8, 3, { strides: 2 }),
      new GlobalAveragePooling2D(),
      new Dense(3, { activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const x = images(40, 10, 10, 2, 5), y = tensor(Float32Array.from({ length: 40 }, (_, i) => i % 3), [40]);
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    const after = memoryStats();
    await model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
    expect(memoryStats().bytesReserved).toBe(after.bytesReserved);
    expect(memoryStats().memoryBytes).toBe(after.memoryBytes);
  });
});

describe('clear errors', () => {
  it('refuses channels_first, non-integer sizes, bad padding', () => {
    expect(() => new Conv2D(8, 3, { dataFormat: 'channels_first' as 'channels_last' })).toThrow(/only dataFormat 'channels_last'.*got 'channels_first'/);
    expect(() => new MaxPooling2D(2, { dataFormat: 'channels_first' as 'channels_last' })).toThrow(/channels_last/);
    expect(() => new Conv2D(8, 2.5)).toThrow(/kernelSize to be a positive integer or a pair .* got 2.5/);
    expect(() => new Conv2D(8.5, 3)).toThrow(/filters to be a positive integer, got 8.5/);
    expect(() => new Conv2D(8, 3, { strides: [1, 0] })).toThrow(/strides to be a positive integer or a pair .* got \[1, 0\]/);
    expect(() => new MaxPooling2D([2, 1.5])).toThrow(/poolSize/);
    expect(() => new Conv2D(8, 3, { padding: 'full' as 'same' })).toThrow(/padding 'valid' or 'same', got "full"/);
    expect(() => new Reshape([2, -1, -1])).toThrow(/targetShape/);
  });

  it('a kernel larger than its input with padding valid', () => {
    expect(() => new Sequential([new Conv2D(4, 5, { inputShape: [4, 8, 1] })])).toThrow(/padding 'valid' needs a window no larger than its input: the window is 5x5, the input 4x8/);
  });

  it('inputs of the wrong rank suggest the reshape', async () => {
    expect(() => new Sequential([new Conv2D(4, 3, { inputShape: [784] })])).toThrow(/got samples of shape \[784\]; for 28x28 one-channel images: x\.reshape\(\[n, 28, 28, 1\]\)/);
    const model = new Sequential([new Conv2D(4, 3), new Flatten(), new Dense(2)]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    await expect(model.fit(tensor(new Float32Array(2 * 28 * 28), [2, 28, 28]), tensor([0, 1]), { verbose: 0 }))
      .rejects.toThrow(/got samples of shape \[28, 28\]; for one-channel images add the channel axis: x\.reshape\(\[n, 28, 28, 1\]\)/);
  });

  it('flat rows given to a convnet name the reshape that fits', () => {
    const model = new Sequential([new Conv2D(2, 3, { inputShape: [28, 28, 1] }), new Flatten(), new Dense(2)]);
    expect(() => model.predict(tensor(new Float32Array(3 * 784), [3, 784]))).toThrow(/expected x of shape \[samples, 28, 28, 1\] .* got \[3, 784\]; reshape it: x\.reshape\(\[3, 28, 28, 1\]\)/);
  });

  it('BatchNormalization on an axis other than the channels, and Input anywhere but first', () => {
    expect(() => new Sequential([new BatchNormalization({ axis: 1, inputShape: [4, 4, 3] })])).toThrow(/only the last axis .* axis -1 or 3 .* got axis 1/);
    expect(() => new Sequential([new Dense(2, { inputShape: [3] }), new Input({ shape: [2] })])).toThrow(/Input\(\{ shape \}\) only as its first entry/);
  });
});
