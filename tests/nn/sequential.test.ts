// tests/nn/sequential.test.ts — the Keras contract of Sequential: building, names, summary,
// known-weight outputs, compile/fit/evaluate/predict, History, seeds, weights, callbacks.
// Error cases are errors.test.ts'.

import { beforeEach, describe, expect, it } from 'vitest';
import {
  Activation, Callback, Dense, Dropout, EarlyStopping, Flatten, Layer, ReLU, Reshape, Sequential, Softmax, clearSession, optimizers,
  setSeed, tensor, toCategorical, type ActivationIdentifier, type ForwardStep, type Tensor,
} from '../../index.js';

beforeEach(() => clearSession());

function seedModel(): Sequential {
  const model = new Sequential();
  model.add(new Dense(512, { inputShape: [784] }));
  model.add(new Activation('relu'));
  model.add(new Dropout(0.2));
  model.add(new Dense(512));
  model.add(new Activation('relu'));
  model.add(new Dropout(0.2));
  model.add(new Dense(10));
  model.add(new Activation('softmax'));
  return model;
}

/** A small separable 3-class problem: the class is the index of the largest of 3 features. */
function blobs(n: number, seed: number): { x: Tensor; y: Tensor } {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const x = new Float32Array(n * 4), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    for (let j = 0; j < 4; j++) x[i * 4 + j] = rand() - 0.5 + (j === c ? 1.5 : 0);
    y[i] = c;
  }
  return { x: tensor(x, [n, 4]), y: tensor(y, [n]) };
}

function smallModel(): Sequential {
  return new Sequential([new Dense(16, { activation: 'relu', inputShape: [4] }), new Dense(3, { activation: 'softmax' })]);
}

describe('building and describing a model', () => {
  it('names layers as Keras does and counts the MNIST MLP at 669,706 parameters', () => {
    const model = seedModel();
    expect(model.name).toBe('sequential'); // clearSession() (beforeEach) restarts models' names too
    expect(new Sequential().name).toBe('sequential_1');
    expect(model.layers.map((l) => l.name)).toEqual([
      'dense', 'activation', 'dropout', 'dense_1', 'activation_1', 'dropout_1', 'dense_2', 'activation_2',
    ]);
    expect(model.countParams()).toBe(669706);
    expect(new ReLU().name).toBe('re_lu');
    expect(new Softmax().name).toBe('softmax');
    expect(new Flatten().name).toBe('flatten');
  });

  it('prints the Keras summary table with output shapes and parameter counts', () => {
    const lines: string[] = [];
    seedModel().summary((s) => lines.push(s));
    const text = lines.join('\n');
    expect(text).toContain(' dense (Dense)               (None, 512)               401920');
    expect(text).toContain(' dropout_1 (Dropout)         (None, 512)               0');
    expect(text).toContain(' dense_2 (Dense)             (None, 10)                5130');
    expect(text).toContain('Total params: 669,706');
    expect(text).toContain('Trainable params: 669,706');
    expect(text).toContain('Non-trainable params: 0');
  });

  it('builds a Flatten model from inputShape [28, 28]: weights [784, 512] in Keras layout', () => {
    const model = new Sequential([new Flatten({ inputShape: [28, 28] }), new Dense(512, { activation: 'relu' }), new Dense(10)]);
    expect(model.outputShape).toEqual([10]);
    expect(model.getWeights().map((w) => w.shape)).toEqual([[784, 512], [512], [512, 10], [10]]);
  });

  it('defers building until it sees data when no inputShape is given', () => {
    const model = new Sequential([new Dense(3)]);
    expect(() => model.summary(() => {})).toThrow(/not been built/);
    const out = model.predict(tensor(new Float32Array(10), [5, 2]));
    expect(out.shape).toEqual([5, 3]);
    expect(model.countParams()).toBe(9);
  });
});

describe('layers with known weights', () => {
  it('Dense with ones initializers computes x·W + b by hand', () => {
    const model = new Sequential([new Dense(2, { inputShape: [3], kernelInitializer: 'ones', biasInitializer: 'ones' })]);
    const out = model.predict(tensor([[1, 2, 3], [-1, 0, 4]]));
    expect(out.toArray()).toEqual([[7, 7], [4, 4]]);
  });

  it('relu, sigmoid, tanh, softmax activations match their formulas', () => {
    const x = tensor([[-1, 0.5, 2]]);
    const dense = (activation: ActivationIdentifier) =>
      new Sequential([new Dense(3, { inputShape: [3], activation, kernelInitializer: 'zeros', biasInitializer: 'zeros' })]);
    // With zero weights, the output is the activation of the bias (0): check via explicit weights instead.
    const eye = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    const check = (activation: ActivationIdentifier, f: (v: number) => number) => {
      const m = dense(activation);
      m.setWeights([eye, [0, 0, 0]]);
      const got = Array.from(m.predict(x).data);
      const want = [-1, 0.5, 2].map(f);
      got.forEach((g, i) => expect(g).toBeCloseTo(want[i], 6));
    };
    check('relu', (v) => Math.max(0, v));
    check('sigmoid', (v) => 1 / (1 + Math.exp(-v)));
    check('tanh', Math.tanh);
    check('elu', (v) => (v > 0 ? v : Math.exp(v) - 1));
    const total = [-1, 0.5, 2].reduce((s, v) => s + Math.exp(v), 0);
    check('softmax', (v) => Math.exp(v) / total);
  });

  it('a Dense followed by a ReLU layer (fused into one GEMM) computes relu(x·W + b)', () => {
    setSeed(3);
    const separate = new Sequential([new Dense(5, { inputShape: [4] }), new ReLU()]);
    const [W, b] = separate.getWeights().map((w) => w.data);
    const xs = Array.from({ length: 12 }, (_, i) => Math.sin(i) * 2);
    const got = separate.predict(tensor(xs, [3, 4])).data;
    for (let r = 0; r < 3; r++) {
      for (let j = 0; j < 5; j++) {
        let z = b[j];
        for (let k = 0; k < 4; k++) z += xs[r * 4 + k] * W[k * 5 + j];
        expect(got[r * 5 + j]).toBeCloseTo(Math.max(0, z), 5);
      }
    }
    expect(Array.from(got).some((v) => v === 0)).toBe(true); // the ReLU did clip something
  });

  it('Dropout is the identity in predict and scales kept units by 1/(1-rate) in training', () => {
    const model = new Sequential([new Dropout(0.5, { inputShape: [1000], seed: 1 })]);
    const x = tensor(new Float32Array(1000).fill(1), [1, 1000]);
    expect(Array.from(model.predict(x).data).every((v) => v === 1)).toBe(true);
    const layer = model.layers[0];
    const trained = Array.from(layer.call(x, { training: true }).data);
    expect(trained.every((v) => v === 0 || v === 2)).toBe(true);
    const kept = trained.filter((v) => v === 2).length;
    expect(kept).toBeGreaterThan(430);
    expect(kept).toBeLessThan(570);
  });
});

describe('the fused plan: layers and the loss decide, the model only walks it', () => {
  it("plan() shows Dense + ReLU as one GEMM and the final softmax left to a cross-entropy", () => {
    const model = seedModel();
    expect(model.plan().split('\n')).toEqual([
      'dense + activation + dropout        ReLU in the GEMM epilogue, dropout in place after it',
      'dense_1 + activation_1 + dropout_1  ReLU in the GEMM epilogue, dropout in place after it', 'dense_2', 'activation_2',
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    expect(model.plan().split('\n').slice(-2)).toEqual(['dense_2', 'activation_2                        softmax left to the loss (from logits)']);
    model.compile({ optimizer: 'adam', loss: 'mse' });
    expect(model.plan().split('\n').slice(-1)).toEqual(['activation_2']);
  });

  it('a Dropout after Dense + ReLU runs in the Dense step, and fit gives the very weights of the layers run apart', async () => {
    const build = (apart: boolean) => {
      const model = new Sequential([
        new Dense(16, { activation: 'relu', inputShape: [4] }),
        ...(apart ? [new Reshape([16])] : []), // a layer between: nothing fuses
        new Dropout(0.3, { seed: 5 }),
        new Dense(3, { activation: 'softmax' }),
      ]);
      model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
      return model;
    };
    const fused = build(false), apart = build(true);
    apart.setWeights(fused.getWeights());
    expect(fused.plan().split('\n')[0]).toMatch(/^dense(_\d+)? \+ dropout(_\d+)?\s+ReLU in the GEMM epilogue, dropout in place after it$/);
    expect(apart.plan()).not.toMatch(/dropout in place/);
    class NoisyDropout extends Dropout {
      override call(x: Tensor) { return x.add(1); }
    }
    const custom = new Sequential([new Dense(4, { activation: 'relu', inputShape: [4] }), new NoisyDropout(0.5)]);
    expect(custom.plan()).not.toMatch(/dropout in place/); // a subclass's own call() runs as written
    const { x, y } = blobs(96, 4);
    for (const model of [fused, apart]) {
      setSeed(2); // the same shuffles
      await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    }
    expect(fused.getWeights().map((w) => Array.from(w.data))).toEqual(apart.getWeights().map((w) => Array.from(w.data)));
    expect(Array.from(fused.predict(x).data)).toEqual(Array.from(apart.predict(x).data)); // no dropout in predict
  });

  it("a Dense with activation 'sigmoid' before binary cross-entropy gives the loss its logits", () => {
    const model = new Sequential([new Dense(1, { inputShape: [2], activation: 'sigmoid' })]);
    model.compile({ optimizer: 'sgd', loss: 'binary_crossentropy' });
    expect(model.plan()).toBe('dense  sigmoid left to the loss (from logits)');
  });

  it('a new layer kind fuses through Layer.fuseWith alone, with no change to Sequential', () => {
    // A stand-in for Conv2D: y = 2x, which absorbs a following ReLU into its own step.
    let fusedRuns = 0;
    class Double extends Layer {
      override get className() { return 'Double'; }
      call(x: Tensor) { return x.mul(2); }
      computeOutputShape(shape: readonly number[]) { return [...shape]; }
      getConfig() { return { name: this.name }; }
      override fuseWith(next: Layer): ForwardStep | null {
        if (next.onlyActivation !== 'relu') return null;
        return { layers: [this, next], fused: 'ReLU fused', run: (x: Tensor) => (fusedRuns++, x.mul(2).relu()) };
      }
    }
    const model = new Sequential([new Double({ inputShape: [3] }), new ReLU()]);
    expect(model.plan()).toBe('double + re_lu  ReLU fused');
    expect(Array.from(model.predict(tensor([[-1, 0.5, 2]])).data)).toEqual([0, 1, 4]);
    expect(fusedRuns).toBe(1);
  });
});

describe('compile, fit, evaluate, predict', () => {
  it('fit resolves to a History with Keras keys, and the model learns', async () => {
    setSeed(1);
    const { x, y } = blobs(300, 7);
    const val = blobs(90, 8);
    const model = smallModel();
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const history = await model.fit(x, y, { epochs: 15, batchSize: 16, verbose: 0, validationData: [val.x, val.y] });
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(history.epoch).toEqual([...Array(15).keys()]);
    expect(history.history.loss[14]).toBeLessThan(history.history.loss[0]);
    const [loss, accuracy] = model.evaluate(val.x, val.y, { verbose: 0 });
    expect(accuracy).toBeGreaterThan(0.95);
    expect(loss).toBeCloseTo(history.history.val_loss[14], 5);
    expect(model.predict(val.x).shape).toEqual([90, 3]);
  });

  it('validationSplit holds out the last samples', async () => {
    const { x, y } = blobs(100, 3);
    const model = smallModel();
    model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
    const history = await model.fit(x, y, { epochs: 2, validationSplit: 0.2, verbose: 0 });
    expect(Object.keys(history.history).sort()).toEqual(['loss', 'val_loss']);
  });

  it('sparse and categorical cross-entropy agree on the same labels', () => {
    setSeed(5);
    const { x, y } = blobs(30, 1);
    const model = smallModel();
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const sparse = model.evaluate(x, y, { verbose: 0 });
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    const categorical = model.evaluate(x, toCategorical(y, 3), { verbose: 0 });
    expect(categorical[0]).toBeCloseTo(sparse[0], 6);
    expect(categorical[1]).toBe(sparse[1]);
  });

  it('the same seed gives the same weights after fit', async () => {
    const train = async () => {
      setSeed(42);
      const { x, y } = blobs(64, 9);
      const model = new Sequential([new Dense(8, { activation: 'relu', inputShape: [4] }), new Dropout(0.3), new Dense(3, { activation: 'softmax' })]);
      model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
      await model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
      return model.getWeights().map((w) => Array.from(w.data));
    };
    const first = await train();
    const second = await train();
    expect(second).toEqual(first);
    setSeed(43);
    const other = new Sequential([new Dense(8, { inputShape: [4] })]).getWeights();
    expect(Array.from(other[0].data)).not.toEqual(first[0]);
  });

  it('trains a regression with mse and an optimizer instance (Celsius to Fahrenheit)', async () => {
    setSeed(0);
    const c = tensor([-40, -10, 0, 8, 15, 22, 38], [7, 1]);
    const f = tensor([-40, 14, 32, 46, 59, 72, 100], [7, 1]);
    const model = new Sequential([new Dense(1, { inputShape: [1] })]);
    model.compile({ loss: 'mean_squared_error', optimizer: new optimizers.Adam({ learningRate: 0.1 }) });
    await model.fit(c, f, { epochs: 500, verbose: 0 });
    // The TensorFlow course's own run of this model prints 211.3-211.7 °F for 100 °C.
    expect(Math.abs(model.predict(tensor([[100]])).item() - 212)).toBeLessThan(2);
  });

  it('binary cross-entropy with a sigmoid output learns a threshold', async () => {
    setSeed(2);
    const xs = Array.from({ length: 64 }, (_, i) => i / 32 - 1);
    const x = tensor(xs, [64, 1]);
    const y = tensor(xs.map((v) => (v > 0.1 ? 1 : 0)), [64, 1]);
    const model = new Sequential([new Dense(1, { inputShape: [1], activation: 'sigmoid' })]);
    model.compile({ optimizer: new optimizers.Adam({ learningRate: 0.1 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
    await model.fit(x, y, { epochs: 100, batchSize: 64, verbose: 0 });
    expect(model.evaluate(x, y, { verbose: 0 })[1]).toBeGreaterThanOrEqual(0.95);
  });
});

describe('weights and callbacks', () => {
  it('getWeights returns copies; setWeights checks sizes before writing anything', () => {
    const model = smallModel();
    const before = model.getWeights();
    before[0].data[0] = 1234;
    expect(model.getWeights()[0].data[0]).not.toBe(1234);
    const bad = model.getWeights().map((w) => Array.from(w.data));
    bad[3] = [1, 2]; // bias of 3 expected
    bad[0] = bad[0].map(() => 7);
    expect(() => model.setWeights(bad)).toThrow(/weight 3 .*shape \[3\], got 2 values/);
    expect(model.getWeights()[0].data[0]).not.toBe(7);
  });

  it('a callback can stop training by setting model.stopTraining', async () => {
    const { x, y } = blobs(30, 2);
    const model = smallModel();
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const seen: number[] = [];
    const stopper = new (class extends Callback {
      override onEpochEnd(epoch: number) {
        seen.push(epoch);
        if (epoch === 2) this.model!.stopTraining = true;
      }
    })();
    const history = await model.fit(x, y, { epochs: 10, verbose: 0, callbacks: [stopper] });
    expect(seen).toEqual([0, 1, 2]);
    expect(history.epoch).toEqual([0, 1, 2]);
  });

  it('EarlyStopping with restoreBestWeights puts back the best epoch', async () => {
    const { x, y } = blobs(60, 4);
    const model = smallModel();
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    // A scripted val_loss: best at epoch 1, then worse; weights are snapshotted per epoch.
    const script = [0.9, 0.5, 0.7, 0.8, 0.95, 0.99];
    const snapshots: number[][][] = [];
    const scripted = new (class extends Callback {
      override onEpochEnd(epoch: number, logs: Record<string, number>) {
        logs.val_loss = script[epoch];
        snapshots.push(this.model!.getWeights().map((w) => Array.from(w.data)));
      }
    })();
    const early = new EarlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true });
    const history = await model.fit(x, y, { epochs: 6, verbose: 0, callbacks: [scripted, early] });
    expect(history.epoch).toEqual([0, 1, 2, 3]);
    expect(early.stoppedEpoch).toBe(3);
    expect(early.bestEpoch).toBe(1);
    expect(model.getWeights().map((w) => Array.from(w.data))).toEqual(snapshots[1]);
  });

  it('EarlyStopping names the missing quantity when it cannot see it', async () => {
    const { x, y } = blobs(30, 5);
    const model = smallModel();
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    await expect(model.fit(x, y, { epochs: 2, verbose: 0, callbacks: [new EarlyStopping()] })).rejects.toThrow(
      /watching 'val_loss'.*available: loss.*validationData/,
    );
  });
});
