// tests/nn/errors.test.ts — the audit of wasmgrad's public boundary: every mistake a user can make
// through the public API, one test each, asserting the error's exact class and that its message
// names both what was expected and what was given. Then: a rejected or failed fit() leaves the
// model as it was (weights, optimizer, memory), so nothing half-updated poisons later calls.

import { beforeEach, describe, expect, it } from 'vitest';
import {
  Activation, Callback, Dense, Dropout, Flatten, SavedModelError, Sequential, clearSession, loadModelFromArtifacts, optimizers, setSeed, tensor,
  toCategorical, type LossIdentifier, type Tensor,
} from '../../index.js';
import { add, linear, matmul, memoryStats, reshape, zeros } from '../../engine/index.js';

beforeEach(() => clearSession());

// ---- how every case is checked ---------------------------------------------------------------

type ErrorClass = typeof Error | typeof RangeError | typeof SavedModelError;

interface Expectation {
  /** What the message must say was expected (a substring, or a pattern). */
  expected: string | RegExp;
  /** What the message must say was given. */
  given: string | RegExp;
  /** Anything else it must say (a hint, the file). */
  also?: (string | RegExp)[];
}

function checkError(error: unknown, type: ErrorClass, { expected, given, also = [] }: Expectation): void {
  expect(error, 'an error was thrown').toBeInstanceOf(Error);
  const e = error as Error;
  // The exact class: a RangeError where a plain Error is promised is as wrong as the reverse.
  expect(e.constructor.name).toBe(type.name);
  expect(e.message).toMatch(/^wasmgrad: /);
  for (const part of [expected, given, ...also]) {
    if (typeof part === 'string') expect(e.message).toContain(part);
    else expect(e.message).toMatch(part);
  }
}

function expectThrows(fn: () => unknown, type: ErrorClass, expectation: Expectation): void {
  let error: unknown = null;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  checkError(error, type, expectation);
}

async function expectRejects(fn: () => Promise<unknown>, type: ErrorClass, expectation: Expectation): Promise<void> {
  let error: unknown = null;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  checkError(error, type, expectation);
}

// ---- data and models ---------------------------------------------------------------------------

/** 3 classes, 4 features: the class is the index of the largest of the first 3 features. */
function blobs(n: number): { x: Tensor; y: Tensor } {
  const x = new Float32Array(n * 4), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    for (let j = 0; j < 4; j++) x[i * 4 + j] = Math.sin(i * 7 + j) * 0.3 + (j === c ? 1 : 0);
    y[i] = c;
  }
  return { x: tensor(x, [n, 4]), y: tensor(y, [n]) };
}

function smallModel(): Sequential {
  return new Sequential([new Dense(8, { activation: 'relu', inputShape: [4] }), new Dense(3, { activation: 'softmax' })]);
}

function compiled(loss: LossIdentifier = 'sparse_categorical_crossentropy'): Sequential {
  const model = smallModel();
  model.compile({ optimizer: 'adam', loss, metrics: ['accuracy'] });
  return model;
}

const { x, y } = blobs(12);

// ---- tensors and ops ---------------------------------------------------------------------------

describe('tensors and ops', () => {
  it('tensor data length against shape', () => {
    expectThrows(() => tensor([1, 2, 3], [2, 2]), Error, { expected: 'for shape [2, 2], which holds 4', given: 'got 3 values' });
  });

  it('tensor values that are not numbers', () => {
    expectThrows(() => tensor([1, '2', 3] as unknown as number[]), Error, { expected: 'expected numbers', given: 'got "2" at position 1' });
    expectThrows(() => tensor([[1], [null]] as unknown as number[][]), Error, { expected: 'expected numbers', given: 'got null at position 1' });
    expectThrows(() => tensor('123' as unknown as number[]), Error, { expected: 'a list of numbers', given: 'got "123"' });
  });

  it('a shape that is not a list of non-negative integers', () => {
    expectThrows(() => tensor([1, 2], 2 as unknown as number[]), Error, { expected: 'a list of non-negative integers such as [2, 3]', given: 'got 2' });
    expectThrows(() => zeros([2, -1]), Error, { expected: 'a shape of non-negative integers', given: 'got [2, -1]' });
  });

  it('matmul shapes', () => {
    expectThrows(() => matmul(zeros([2, 3]), zeros([4, 5])), Error, { expected: "a's columns to equal b's rows", given: 'a [2, 3] and b [4, 5] (3 != 4)' });
    expectThrows(() => matmul(zeros([3]), zeros([3, 1])), Error, { expected: 'the left operand to be 2-D', given: 'got shape [3]' });
    expectThrows(() => linear(zeros([2, 3]), zeros([4, 5]), null), Error, { expected: 'input with 4 features', given: 'got input [2, 3]' });
  });

  it('shapes that do not broadcast, and a reshape that does not fit', () => {
    expectThrows(() => add(zeros([2, 3]), zeros([4])), Error, { expected: 'cannot broadcast', given: 'shapes [2, 3] and [4]' });
    expectThrows(() => reshape(zeros([4]), [3, 2]), Error, { expected: 'a shape holding 4 elements', given: 'got [3, 2]' });
  });
});

// ---- layer arguments ---------------------------------------------------------------------------

describe('layer arguments', () => {
  it('Dense units that are not a positive integer', () => {
    expectThrows(() => new Dense(0), RangeError, { expected: 'units to be a positive integer', given: 'got 0' });
    expectThrows(() => new Dense(2.5), RangeError, { expected: 'units to be a positive integer', given: 'got 2.5' });
    expectThrows(() => new Dense('10' as unknown as number), Error, { expected: 'units to be a positive integer', given: 'got "10"' });
  });

  it("Dense options of the wrong type: Keras' positional activation, a non-boolean useBias", () => {
    expectThrows(() => new Dense(10, 'relu' as never), Error, { expected: 'an options object such as { activation: "relu" }', given: 'got "relu"' });
    expectThrows(() => new Dense(10, { useBias: 'no' as unknown as boolean }), Error, { expected: 'useBias to be true or false', given: 'got "no"' });
  });

  it('an unknown activation name lists the valid ones', () => {
    // @ts-expect-error: the name's type catches the typo in TypeScript; JavaScript callers get this error
    expectThrows(() => new Dense(10, { activation: 'rleu' }), Error, {
      expected: "expected one of 'relu', 'softmax', 'sigmoid', 'tanh', 'elu', 'linear'", given: 'unknown activation "rleu"',
    });
    // @ts-expect-error: as above
    expectThrows(() => new Activation('swish'), Error, { expected: "one of 'relu'", given: 'unknown activation "swish"' });
  });

  it('an Activation layer without an activation', () => {
    expectThrows(() => new Activation(undefined as never), Error, { expected: "an activation name such as 'relu'", given: 'got undefined' });
  });

  it('an unknown initializer name lists the valid ones', () => {
    // @ts-expect-error: the name's type catches the typo in TypeScript; JavaScript callers get this error
    expectThrows(() => new Dense(3, { kernelInitializer: 'xavier' }), Error, { expected: "expected one of 'glorot_uniform'", given: 'unknown initializer "xavier"' });
  });

  it('Dropout rate outside [0, 1), or not a number', () => {
    expectThrows(() => new Dropout(1), RangeError, { expected: 'a rate in [0, 1)', given: 'got 1' });
    expectThrows(() => new Dropout(-0.1), RangeError, { expected: 'a rate in [0, 1)', given: 'got -0.1' });
    expectThrows(() => new Dropout('0.2' as unknown as number), Error, { expected: 'a rate in [0, 1)', given: 'got "0.2"' });
  });

  it('a Dropout seed that is not an integer', () => {
    expectThrows(() => new Dropout(0.2, { seed: 1.5 }), Error, { expected: 'seed to be an integer', given: 'got 1.5' });
  });

  it('a layer name that is not a non-empty string', () => {
    expectThrows(() => new Dense(3, { name: 7 as unknown as string }), Error, { expected: 'name to be a non-empty string', given: 'got 7' });
    expectThrows(() => new Flatten({ name: '' }), Error, { expected: 'name to be a non-empty string', given: 'got ""' });
  });

  it('inputShape that is not a list of positive integers', () => {
    expectThrows(() => new Dense(3, { inputShape: 784 as unknown as number[] }), Error, { expected: 'such as [784]', given: 'got the number 784' });
    expectThrows(() => new Dense(3, { inputShape: [] }), Error, { expected: 'a list of positive integers', given: 'got []' });
    expectThrows(() => new Flatten({ inputShape: [28, 0] }), Error, { expected: 'a list of positive integers', given: 'got [28, 0]' });
    expectThrows(() => new Dense(3, { inputShape: ['784'] as unknown as number[] }), Error, { expected: 'a list of positive integers', given: 'got ["784"]' });
  });

  it('Dense on samples of more than one dimension asks for a Flatten', () => {
    expectThrows(() => new Sequential([new Dense(3, { inputShape: [28, 28] })]), Error, {
      expected: 'inputs of shape [batch, features]', given: 'got samples of shape [28, 28]', also: ['add a Flatten layer before it'],
    });
  });
});

// ---- building a model ----------------------------------------------------------------------------

describe('building a model', () => {
  it('Sequential given something other than layers', () => {
    expectThrows(() => new Sequential([new Dense(3), 5 as unknown as Dense]), Error, { expected: 'expected a layer (such as new Dense(10))', given: 'got 5' });
    expectThrows(() => new Sequential(new Dense(3) as unknown as Dense[]), Error, { expected: 'a list of layers', given: 'got a Dense' });
  });

  it('two layers with the same name', () => {
    const model = new Sequential([new Dense(3, { name: 'hidden', inputShape: [2] })]);
    expectThrows(() => model.add(new Dense(2, { name: 'hidden' })), Error, { expected: 'expected unique layer names', given: "got 'hidden' twice" });
    expect(model.layers).toHaveLength(1);
  });

  it('a layer whose inputShape disagrees with the layer before it', () => {
    const model = new Sequential([new Flatten({ inputShape: [2, 3] })]);
    expectThrows(() => model.add(new Dense(4, { inputShape: [5] })), Error, {
      expected: "layer 'dense' expected inputs of shape [5]", given: "the layer before it ('flatten') outputs [6]",
    });
    expect(model.layers).toHaveLength(1);
  });

  it('the same disagreement found when a model without inputShape is built from data; nothing is left half-built', () => {
    const model = new Sequential([new Flatten(), new Dense(4, { inputShape: [5] })]);
    expectThrows(() => model.predict(zeros([2, 2, 3])), Error, { expected: 'expected inputs of shape [5]', given: 'outputs [6]' });
    expect(model.layers.map((l) => l.built)).toEqual([false, false]);
    expect(model.predict(zeros([2, 5])).shape).toEqual([2, 4]);
  });

  it('a layer that cannot take its input leaves the layers before it unbuilt', () => {
    const model = new Sequential([new Dropout(0.1), new Dense(3)]);
    expectThrows(() => model.predict(zeros([2, 2, 3])), Error, { expected: '[batch, features]', given: 'samples of shape [2, 3]' });
    expect(model.layers.map((l) => l.built)).toEqual([false, false]);
    expect(model.predict(zeros([2, 6])).shape).toEqual([2, 3]); // the right data still works
  });

  it('a layer added after one that cannot feed it is not added', () => {
    const model = new Sequential([new Dropout(0.1, { inputShape: [2, 3] })]);
    expectThrows(() => model.add(new Dense(3)), Error, { expected: '[batch, features]', given: 'samples of shape [2, 3]' });
    expect(model.layers).toHaveLength(1);
    model.add(new Flatten());
    model.add(new Dense(3));
    expect(model.outputShape).toEqual([3]);
  });

  it('model.build with a sample shape that is not positive integers', () => {
    expectThrows(() => new Sequential([new Dense(2)]).build([0]), Error, { expected: 'a sample shape of positive integers such as [784]', given: 'got [0]' });
  });

  it('summary and countParams before the model is built', () => {
    expectThrows(() => new Sequential([new Dense(3)]).countParams(), Error, { expected: 'give its first layer an inputShape', given: 'has not been built yet' });
  });
});

// ---- compile -------------------------------------------------------------------------------------

describe('compile', () => {
  it('an unknown loss lists the valid ones', () => {
    // @ts-expect-error: the name's type catches the typo in TypeScript; JavaScript callers get this error
    expectThrows(() => smallModel().compile({ loss: 'hinge' }), Error, { expected: "expected one of 'sparse_categorical_crossentropy'", given: 'unknown loss "hinge"' });
  });

  it('an unknown optimizer names the valid ones', () => {
    // @ts-expect-error: as above
    expectThrows(() => smallModel().compile({ loss: 'mse', optimizer: 'adamw' }), Error, { expected: "expected 'adam', 'sgd', 'rmsprop'", given: 'unknown optimizer "adamw"' });
  });

  it('an unknown metric, or metrics not given as a list', () => {
    // @ts-expect-error: as above
    expectThrows(() => smallModel().compile({ loss: 'mse', metrics: ['f1_score'] }), Error, { expected: "expected 'accuracy'", given: 'unknown metric "f1_score"' });
    expectThrows(() => smallModel().compile({ loss: 'mse', metrics: 'accuracy' as never }), Error, { expected: "a list such as ['accuracy']", given: 'got "accuracy"' });
  });

  it('compile without a loss, or without options', () => {
    expectThrows(() => smallModel().compile({} as never), Error, { expected: 'needs a loss', given: "e.g. { loss: 'sparse_categorical_crossentropy' }" });
    expectThrows(() => smallModel().compile(undefined as never), Error, { expected: 'an options object such as', given: "{ optimizer: 'adam'" });
  });

  it('optimizer hyper-parameters out of range', () => {
    expectThrows(() => new optimizers.Adam({ learningRate: 0 }), RangeError, { expected: 'learningRate must be a positive number', given: 'got 0' });
    expectThrows(() => new optimizers.Adam({ beta1: 1 }), RangeError, { expected: 'Adam beta1 must be in [0, 1)', given: 'got 1' });
    expectThrows(() => new optimizers.Adam({ epsilon: -1e-7 }), RangeError, { expected: 'Adam epsilon must be in (0, Infinity)', given: 'got -1e-7' });
    expectThrows(() => new optimizers.RMSprop({ rho: 1.5 }), RangeError, { expected: 'RMSprop rho must be in [0, 1)', given: 'got 1.5' });
    expectThrows(() => new optimizers.RMSprop({ momentum: -0.5 }), RangeError, { expected: 'RMSprop momentum must be in [0, 1]', given: 'got -0.5' });
    expectThrows(() => new optimizers.RMSprop({ epsilon: 0 }), RangeError, { expected: 'RMSprop epsilon must be in (0, Infinity)', given: 'got 0' });
    expectThrows(() => new optimizers.SGD({ momentum: 2 }), RangeError, { expected: 'SGD momentum must be in [0, 1]', given: 'got 2' });
  });

  it('optimizer arguments of the wrong type', () => {
    // TensorFlow.js' tf.train.adam(0.01) habit: without this check it would train at the default rate.
    expectThrows(() => new optimizers.Adam(0.01 as never), Error, { expected: 'an options object such as { learningRate: 0.001 }', given: 'got 0.01' });
    expectThrows(() => new optimizers.SGD({ learningRate: '0.1' as unknown as number }), Error, { expected: 'learningRate must be a positive number', given: 'got "0.1"' });
    expectThrows(() => new optimizers.SGD({ nesterov: 'yes' as unknown as boolean }), Error, { expected: 'nesterov must be true or false', given: 'got "yes"' });
  });
});

// ---- fit, evaluate, predict ------------------------------------------------------------------------

describe('fit, evaluate and predict', () => {
  it('fit before compile', async () => {
    await expectRejects(() => smallModel().fit(x, y), Error, { expected: 'needs a compiled model', given: 'fit()' });
  });

  it('evaluate before compile', () => {
    expectThrows(() => smallModel().evaluate(x, y), Error, { expected: 'call model.compile', given: 'evaluate() needs a compiled model' });
  });

  it('predict works without compile, as in Keras', () => {
    expect(smallModel().predict(x).shape).toEqual([12, 3]);
  });

  it("x's shape against inputShape, in fit, evaluate and predict", async () => {
    const bad = zeros([2, 5]);
    await expectRejects(() => compiled().fit(bad, tensor([0, 1]), { verbose: 0 }), Error, { expected: 'expected x of shape [samples, 4]', given: 'got [2, 5]' });
    expectThrows(() => compiled().evaluate(bad, tensor([0, 1]), { verbose: 0 }), Error, { expected: 'expected x of shape [samples, 4]', given: 'got [2, 5]' });
    expectThrows(() => smallModel().predict(bad), Error, { expected: 'expected x of shape [samples, 4]', given: 'got [2, 5]' });
  });

  it('x that is not a batch of samples, or not a tensor', () => {
    expectThrows(() => smallModel().predict(tensor([1, 2, 3, 4])), Error, { expected: 'x of shape [samples, ...features]', given: 'got [4]' });
    expectThrows(() => smallModel().predict([[1, 2, 3, 4]] as unknown as Tensor), Error, { expected: 'x to be a Tensor', given: 'got [[1, 2, 3, 4]]' });
  });

  it('x and y sample counts', async () => {
    await expectRejects(() => compiled().fit(x, tensor([0, 1, 2]), { verbose: 0 }), Error, { expected: 'the same number of samples', given: 'got 12 in x [12, 4] and 3 in y [3]' });
    expectThrows(() => compiled().evaluate(x, tensor([0]), { verbose: 0 }), Error, { expected: 'the same number of samples', given: '1 in y [1]' });
  });

  it('batchSize and epochs that are not positive integers', async () => {
    const model = compiled();
    await expectRejects(() => model.fit(x, y, { batchSize: 0, verbose: 0 }), RangeError, { expected: 'batchSize to be a positive integer', given: 'got 0' });
    await expectRejects(() => model.fit(x, y, { epochs: 1.5, verbose: 0 }), RangeError, { expected: 'epochs to be a positive integer', given: 'got 1.5' });
    await expectRejects(() => model.fit(x, y, { batchSize: NaN, verbose: 0 }), RangeError, { expected: 'batchSize to be a positive integer', given: 'got NaN' });
    await expectRejects(() => model.fit(x, y, { epochs: '5' as unknown as number, verbose: 0 }), Error, { expected: 'epochs to be a positive integer', given: 'got "5"' });
    expectThrows(() => model.evaluate(x, y, { batchSize: -1, verbose: 0 }), RangeError, { expected: 'batchSize to be a positive integer', given: 'got -1' });
    expectThrows(() => model.predict(x, { batchSize: 0 }), RangeError, { expected: 'batchSize to be a positive integer', given: 'got 0' });
  });

  it('other fit options of the wrong kind: verbose, shuffle, callbacks, the options object itself', async () => {
    const model = compiled();
    await expectRejects(() => model.fit(x, y, { verbose: 3 as 0 }), Error, { expected: 'verbose to be 0, 1 or 2', given: 'got 3' });
    expectThrows(() => model.evaluate(x, y, { verbose: 2 as 0 }), Error, { expected: 'verbose to be 0 or 1', given: 'got 2' });
    await expectRejects(() => model.fit(x, y, { verbose: 0, shuffle: 'yes' as unknown as boolean }), Error, { expected: 'shuffle to be true or false', given: 'got "yes"' });
    await expectRejects(() => model.fit(x, y, { verbose: 0, callbacks: new Callback() as never }), Error, { expected: 'callbacks as a list', given: 'got a Callback' });
    await expectRejects(() => model.fit(x, y, 5 as never), Error, { expected: 'an options object such as { epochs: 5, batchSize: 32 }', given: 'got 5' });
  });

  it('validationData that is not a pair [x, y]', async () => {
    await expectRejects(() => compiled().fit(x, y, { verbose: 0, validationData: x as never }), Error, { expected: 'validationData as a pair [xVal, yVal]', given: 'got a Tensor of shape [12, 4]' });
  });

  it('validationData whose x has another sample shape, or whose counts disagree', async () => {
    await expectRejects(() => compiled().fit(x, y, { verbose: 0, validationData: [zeros([2, 5]), tensor([0, 1])] }), Error, {
      expected: 'fit() validationData expected x of shape [samples, 4]', given: 'got [2, 5]',
    });
    await expectRejects(() => compiled().fit(x, y, { verbose: 0, validationData: [x, tensor([0, 1])] }), Error, {
      expected: 'validationData expected x and y to have the same number of samples', given: '2 in y [2]',
    });
  });

  it('validationData labels that do not suit the loss', async () => {
    await expectRejects(() => compiled().fit(x, y, { verbose: 0, validationData: [x, toCategorical(y, 3)] }), Error, {
      expected: 'expects integer class ids of shape [12]', given: 'got validationData labels of shape [12, 3]',
    });
  });

  it('validationSplit outside (0, 1), not a number, or leaving nothing on one side', async () => {
    await expectRejects(() => compiled().fit(x, y, { verbose: 0, validationSplit: 1.5 }), RangeError, { expected: 'validationSplit to be a number in (0, 1)', given: 'got 1.5' });
    await expectRejects(() => compiled().fit(x, y, { verbose: 0, validationSplit: '0.2' as unknown as number }), Error, { expected: 'a number in (0, 1)', given: 'got "0.2"' });
    await expectRejects(() => compiled().fit(x, y, { verbose: 0, validationSplit: 0.95 }), RangeError, { expected: 'leaves no samples for training or for validation', given: 'validationSplit 0.95 of 12 samples' });
  });

  it('non-finite values in inputs: x, y, validation x, predict x', async () => {
    const nanX = tensor([[1, 2, 3, 4], [0, NaN, 0, 0]]);
    await expectRejects(() => compiled().fit(nanX, tensor([0, 1]), { verbose: 0 }), Error, { expected: 'expected finite numbers in x', given: 'got NaN in sample 1 (element 1 of it)' });
    await expectRejects(() => compiled('mse').fit(x, tensor(new Float32Array(36).fill(Infinity), [12, 3]), { verbose: 0 }), Error, { expected: 'finite numbers in y', given: 'got Infinity in sample 0' });
    await expectRejects(() => compiled().fit(x, y, { verbose: 0, validationData: [nanX, tensor([0, 1])] }), Error, { expected: 'validationData expected finite numbers in x', given: 'got NaN' });
    expectThrows(() => smallModel().predict(tensor([[0, -Infinity, 0, 0]])), Error, { expected: 'finite numbers in x', given: 'got -Infinity in sample 0' });
  });

  it('one-hot labels with a sparse loss suggest the categorical loss', async () => {
    await expectRejects(() => compiled().fit(x, toCategorical(y, 3), { verbose: 0 }), Error, {
      expected: 'expects integer class ids of shape [12]', given: 'got y of shape [12, 3]', also: ["use loss 'categorical_crossentropy' for one-hot labels"],
    });
  });

  it('class ids with a categorical loss suggest toCategorical or the sparse loss', async () => {
    await expectRejects(() => compiled('categorical_crossentropy').fit(x, y, { verbose: 0 }), Error, {
      expected: 'expects one-hot labels of shape [12, 3]', given: 'got y of shape [12]',
      also: ["toCategorical(y, 3), or use loss 'sparse_categorical_crossentropy'"],
    });
    await expectRejects(() => compiled('categorical_crossentropy').fit(x, toCategorical(y, 4), { verbose: 0 }), Error, {
      expected: 'one-hot labels of shape [12, 3]', given: 'got y of shape [12, 4]', also: ['the model outputs 3 classes'],
    });
  });

  it('class ids out of range (or not integers) for the model outputs', async () => {
    const labels = tensor([0, 1, 2, 3, 0, 1, 2, 0, 1, 2, 0, 1]);
    await expectRejects(() => compiled().fit(x, labels, { verbose: 0 }), RangeError, {
      expected: 'expects class ids in [0, 2] (the model outputs 3 classes)', given: 'got 3 in y for sample 3',
    });
    const fractional = tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 0.5]);
    expectThrows(() => compiled().evaluate(x, fractional, { verbose: 0 }), RangeError, { expected: 'class ids in [0, 2]', given: 'got 0.5 in y for sample 11' });
  });

  it('categorical and binary targets outside [0, 1]', async () => {
    const rows = toCategorical(y, 3);
    rows.data[4] = 5;
    await expectRejects(() => compiled('categorical_crossentropy').fit(x, rows, { verbose: 0 }), RangeError, {
      expected: 'one-hot (or probability) rows with values in [0, 1]', given: 'got 5 in y for sample 1',
    });
    const binary = new Sequential([new Dense(1, { inputShape: [4], activation: 'sigmoid' })]);
    binary.compile({ optimizer: 'adam', loss: 'binary_crossentropy' });
    await expectRejects(() => binary.fit(x, y, { verbose: 0 }), RangeError, {
      expected: 'targets in [0, 1]', given: 'got 2 in y for sample 2', also: ["use loss 'sparse_categorical_crossentropy'"],
    });
  });

  it('regression targets of the wrong shape', async () => {
    await expectRejects(() => compiled('mse').fit(x, zeros([12, 2]), { verbose: 0 }), Error, { expected: 'expects targets of shape [12, 3]', given: 'got y of shape [12, 2]' });
  });

  it('a loss that becomes NaN or Infinity stops fit, naming the epoch and batch', async () => {
    const inputs = tensor(Array.from({ length: 16 }, (_, i) => i * 10), [16, 1]);
    const targets = tensor(Array.from({ length: 16 }, (_, i) => i * 30), [16, 1]);
    const model = new Sequential([new Dense(1, { inputShape: [1] })]);
    model.compile({ optimizer: new optimizers.SGD({ learningRate: 1e6 }), loss: 'mse' });
    await expectRejects(() => model.fit(inputs, targets, { batchSize: 4, epochs: 50, shuffle: false, verbose: 0 }), Error, {
      expected: /the loss became (NaN|Infinity)/, given: /at epoch \d+, batch \d+/, also: ['Try a lower learning rate'],
    });
  });

  it('setWeights with the wrong number of arrays or a wrong shape', () => {
    const model = smallModel();
    expectThrows(() => model.setWeights([]), Error, { expected: 'expected 4 arrays (dense/kernel [4, 8]', given: 'got 0' });
    const weights = model.getWeights();
    weights[1] = zeros([9]);
    expectThrows(() => model.setWeights(weights), Error, { expected: 'weight 1 (dense/bias) to have shape [8]', given: 'got shape [9]' });
  });
});

// ---- toCategorical -------------------------------------------------------------------------------

describe('toCategorical', () => {
  it('an id outside [0, numClasses)', () => {
    expectThrows(() => toCategorical([0, 3], 3), RangeError, { expected: 'class ids in [0, 2] for numClasses 3', given: 'got 3 at position 1' });
  });

  it('an id that is negative, fractional or NaN is named, not the class count it implies', () => {
    expectThrows(() => toCategorical([0, 1.5]), RangeError, { expected: 'non-negative integers', given: 'got 1.5 at position 1' });
    expectThrows(() => toCategorical([-1, 0]), RangeError, { expected: 'non-negative integers', given: 'got -1 at position 0' });
    expectThrows(() => toCategorical(tensor([NaN])), RangeError, { expected: 'non-negative integers', given: 'got NaN at position 0' });
  });

  it('numClasses that is not a positive integer, or cannot be inferred', () => {
    expectThrows(() => toCategorical([0, 1], 0), RangeError, { expected: 'numClasses to be a positive integer', given: 'got 0' });
    expectThrows(() => toCategorical([0, 1], '2' as unknown as number), Error, { expected: 'numClasses to be a positive integer', given: 'got "2"' });
    expectThrows(() => toCategorical([]), Error, { expected: 'pass numClasses', given: 'from an empty list of ids' });
  });

  it('ids of the wrong shape or kind', () => {
    expectThrows(() => toCategorical(tensor([[0, 1], [1, 0]])), Error, { expected: 'class ids of shape [n] or [n, 1]', given: 'got [2, 2]' });
    expectThrows(() => toCategorical(null as unknown as number[]), Error, { expected: 'a Tensor of shape [n] or a list of numbers', given: 'got null' });
  });
});

// ---- saved models --------------------------------------------------------------------------------

describe('saved models (tests/nn/saving/saving.test.ts has every case; one of each kind here)', () => {
  it('a corrupted weights.bin is a SavedModelError naming the file, the expected and the actual checksum', () => {
    const { modelJson, weights } = smallModel().toArtifacts();
    const bytes = new Uint8Array(weights.slice(0));
    bytes[0] ^= 1;
    expectThrows(() => loadModelFromArtifacts({ modelJson, weights: bytes }), SavedModelError, {
      expected: /model\.json expects [0-9a-f]{64}/, given: /fails its checksum: SHA-256 [0-9a-f]{64}/, also: ['weights.bin', "tensor 'dense/kernel'"],
    });
  });

  it('a model.json of another format is a SavedModelError naming the file', () => {
    const { modelJson, weights } = smallModel().toArtifacts();
    expectThrows(() => loadModelFromArtifacts({ modelJson: { ...modelJson, format: 'keras' }, weights }), SavedModelError, {
      expected: 'expected format "wasmgrad-model"', given: 'got "keras"', also: ['model.json'],
    });
  });
});

// ---- a failure leaves the model usable -------------------------------------------------------------

/** The weights' numbers, read in place (getWeights() would allocate copies and move memoryStats). */
function weightsOf(model: Sequential): number[][] {
  return model.trainableWeights.map((w) => Array.from(w.data));
}

/** What fit() may change: weights, the optimizer's progress, which layers are built. */
function snapshot(model: Sequential) {
  return { weights: weightsOf(model), iterations: model.optimizer?.iterations ?? null, built: model.layers.map((l) => l.built) };
}

// Memory: a rejected or failed fit() must not hold on to blocks. The garbage collector may return
// unrelated blocks meanwhile (FinalizationRegistry), so bytes in use may fall, never rise.

describe('a failure inside fit leaves the model usable', () => {
  it('a label error is raised before any weight changes, and the model then trains', async () => {
    setSeed(1);
    const model = compiled();
    await model.fit(x, y, { epochs: 1, verbose: 0 }); // optimizer slots exist: they must not move either
    const slotsOf = () => model.optimizer!.getState(model.trainableWeights).slots.map((s) => s.map((t) => Array.from(t.data)));
    const slots = slotsOf();
    const before = snapshot(model);
    const badLabels = tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 7]); // the bad id is in the last batch
    await expectRejects(() => model.fit(x, badLabels, { epochs: 3, batchSize: 4, verbose: 0 }), RangeError, { expected: 'class ids in [0, 2]', given: 'got 7' });
    expect(snapshot(model)).toEqual(before);
    expect(slotsOf()).toEqual(slots);
    const history = await model.fit(x, y, { epochs: 2, verbose: 0 });
    expect(history.history.loss.every(Number.isFinite)).toBe(true);
  });

  it('every rejected fit() leaves weights, optimizer, building and memory as they were', async () => {
    const model = compiled();
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    const before = snapshot(model);
    const [wideX, twoIds, oneHot, badIds, wideValX, nanX, oneId] = [
      zeros([2, 5]), tensor([0, 1]), toCategorical(y, 3), tensor(new Float32Array(12).fill(9)), zeros([12, 5]), tensor([[NaN, 0, 0, 0]]), tensor([0]),
    ];
    const inUse = memoryStats().bytesInUse;
    const rejected: (() => Promise<unknown>)[] = [
      () => model.fit(wideX, twoIds, { verbose: 0 }),
      () => model.fit(x, oneHot, { verbose: 0 }),
      () => model.fit(x, y, { verbose: 0, validationData: [x, badIds] }),
      () => model.fit(x, y, { verbose: 0, validationData: [wideValX, y] }),
      () => model.fit(x, y, { verbose: 0, validationSplit: 2 }),
      () => model.fit(x, y, { verbose: 0, batchSize: 0 }),
      () => model.fit(nanX, oneId, { verbose: 0 }),
    ];
    for (const call of rejected) {
      await expect(call()).rejects.toThrow(/^wasmgrad: /);
      expect(snapshot(model)).toEqual(before);
    }
    expect(memoryStats().bytesInUse).toBeLessThanOrEqual(inUse);
  });

  it('an unbuilt model whose fit is rejected for its labels can still be trained on other data', async () => {
    const model = new Sequential([new Dense(3, { activation: 'softmax' })]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    await expectRejects(() => model.fit(x, tensor(new Float32Array(12).fill(3)), { verbose: 0 }), RangeError, { expected: 'class ids in [0, 2]', given: 'got 3' });
    await model.fit(x, y, { verbose: 0 });
    expect(model.predict(x).shape).toEqual([12, 3]);
  });

  it('a callback that throws mid-epoch ends fit with its error; memory goes back and the next fit runs', async () => {
    const model = compiled();
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    const inUse = memoryStats().bytesInUse;
    const failing = new (class extends Callback {
      override onBatchEnd(batch: number) {
        if (batch === 1) throw new Error('callback failed');
      }
    })();
    await expect(model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, callbacks: [failing] })).rejects.toThrow('callback failed');
    expect(memoryStats().bytesInUse).toBeLessThanOrEqual(inUse);
    const history = await model.fit(x, y, { epochs: 2, verbose: 0 });
    expect(history.epoch).toEqual([0, 1]);
  });

  it('after a loss turns NaN, the batch that did it has not been applied and the model still answers', async () => {
    const inputs = tensor(Array.from({ length: 16 }, (_, i) => i * 10), [16, 1]);
    const targets = tensor(Array.from({ length: 16 }, (_, i) => i * 30), [16, 1]);
    const model = new Sequential([new Dense(1, { inputShape: [1] })]);
    const sgd = new optimizers.SGD({ learningRate: 1e6 });
    model.compile({ optimizer: sgd, loss: 'mse' });
    let lastGood: number[][] = [];
    const recorder = new (class extends Callback {
      override onBatchEnd() {
        lastGood = weightsOf(model);
      }
    })();
    // One harmless epoch first, so that the weights' gradient buffers (long-lived) exist already.
    sgd.learningRate = 1e-9;
    await model.fit(inputs, targets, { batchSize: 4, epochs: 1, verbose: 0 });
    sgd.learningRate = 1e6;
    const inUse = memoryStats().bytesInUse;
    await expect(model.fit(inputs, targets, { batchSize: 4, epochs: 50, shuffle: false, verbose: 0, callbacks: [recorder] })).rejects.toThrow(/loss became/);
    expect(lastGood.length).toBe(2); // at least one batch went through before the loss blew up
    expect(weightsOf(model)).toEqual(lastGood);
    expect(memoryStats().bytesInUse).toBeLessThanOrEqual(inUse);
    expect(model.predict(inputs).shape).toEqual([16, 1]);
    model.setWeights([[3], [0]]);
    expect(model.evaluate(inputs, targets, { verbose: 0 })[0]).toBeCloseTo(0, 5);
  });
});
