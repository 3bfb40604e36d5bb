// tests/nn/namespaces.test.ts — the public face: Keras' namespaces beside the flat names, engine
// internals only under 'wasmgrad/engine', and the name types (snake_case and camelCase compile; a
// typo does not: the @ts-expect-error lines fail `npm run typecheck` if a type lets a typo through).

import { describe, expect, it } from 'vitest';
import * as engine from '../../engine/index.js';
import * as wasmgrad from '../../index.js';
import {
  Dense, EarlyStopping, ModelCheckpoint, Precision, Sequential, callbacks, datasets, layers, losses, metrics, optimizers, tensor, toCategorical, utils,
  type CompileOptions,
} from '../../index.js';

describe("Keras' namespaces", () => {
  it('hold the same classes and functions as the flat names', () => {
    expect(layers.Dense).toBe(Dense);
    expect(callbacks.EarlyStopping).toBe(EarlyStopping);
    expect(callbacks.ModelCheckpoint).toBe(ModelCheckpoint);
    expect(metrics.Precision).toBe(Precision);
    expect(typeof optimizers.schedules.ExponentialDecay).toBe('function');
    expect(utils.toCategorical).toBe(toCategorical);
    expect(optimizers.Adam).toBe(engine.Adam);
    expect(typeof datasets.mnist.loadData).toBe('function');
    expect(Array.from(utils.toCategorical([2, 0], 3).data)).toEqual([0, 0, 1, 1, 0, 0]);
  });

  it('the root entry point is the Keras face: no engine internals, and Adam only as optimizers.Adam', () => {
    for (const internal of ['matmul', 'linear', 'scoped', 'record', 'softmaxCrossEntropy', 'Storage', 'setBackend', 'memoryStats', 'Adam', 'SGD', 'Optimizer']) {
      expect(wasmgrad, internal).not.toHaveProperty(internal);
      expect(engine, internal).toHaveProperty(internal);
    }
    for (const keras of ['Sequential', 'Dense', 'Dropout', 'Flatten', 'EarlyStopping', 'loadModel', 'toCategorical', 'tensor', 'Tensor', 'setSeed', 'layers', 'optimizers', 'callbacks', 'metrics', 'losses', 'datasets', 'utils']) {
      expect(wasmgrad, keras).toHaveProperty(keras);
    }
  });

  it("losses are Keras' functions of (yTrue, yPred): the mean over the batch, as fit and evaluate compute it", () => {
    const model = new Sequential([new layers.Dense(3, { inputShape: [2], activation: 'softmax' })]);
    model.compile({ optimizer: new optimizers.SGD(), loss: 'sparseCategoricalCrossentropy' });
    const x = tensor([[1, 2], [0.5, -1], [-2, 0]]);
    const y = tensor([0, 2, 1]);
    const [loss] = model.evaluate(x, y, { verbose: 0 });
    const probabilities = model.predict(x);
    expect(losses.sparseCategoricalCrossentropy(y, probabilities).data[0]).toBeCloseTo(loss, 5);
    expect(losses.categoricalCrossentropy(toCategorical(y, 3), probabilities).data[0]).toBeCloseTo(loss, 5);
    expect(losses.mse(tensor([1, 2]), tensor([2, 4])).data[0]).toBeCloseTo(2.5, 6);
    expect(() => losses.sparseCategoricalCrossentropy(toCategorical(y, 3), probabilities)).toThrow(/expects integer class ids .* use loss 'categorical_crossentropy' for one-hot labels/);
  });
});

describe('name types', () => {
  it('take snake_case and camelCase, and both work at run time', () => {
    const spellings: CompileOptions[] = [
      { loss: 'sparse_categorical_crossentropy', optimizer: 'rmsprop', metrics: ['accuracy'] },
      { loss: 'sparseCategoricalCrossentropy', optimizer: 'RMSprop', metrics: ['acc'] },
    ];
    for (const options of spellings) {
      const model = new Sequential([new Dense(2, { inputShape: [2], activation: 'softmax', kernelInitializer: 'heNormal', biasInitializer: 'zeros' })]);
      model.compile(options);
      expect(model.optimizer?.name).toBe('rmsprop');
    }
  });

  it('reject misspelt names in TypeScript (checked by tsc), and at run time with the valid names', () => {
    const model = new Sequential([new Dense(2, { inputShape: [2] })]);
    // @ts-expect-error: a misspelt loss does not compile
    expect(() => model.compile({ loss: 'sparse_categorical_crossentropyy' })).toThrow(/unknown loss/);
    // @ts-expect-error: a misspelt optimizer does not compile
    expect(() => model.compile({ loss: 'mse', optimizer: 'adamm' })).toThrow(/unknown optimizer/);
    // @ts-expect-error: a misspelt activation does not compile
    expect(() => new Dense(2, { activation: 'rellu' })).toThrow(/unknown activation/);
    // @ts-expect-error: a misspelt initializer does not compile
    expect(() => new Dense(2, { kernelInitializer: 'glorotUnifrom' })).toThrow(/unknown initializer/);
    // @ts-expect-error: a misspelt metric does not compile
    expect(() => model.compile({ loss: 'mse', metrics: ['accuracyy'] })).toThrow(/unknown metric/);
  });
});
