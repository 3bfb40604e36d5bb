// tests/nn/weights.test.ts — classWeight and sampleWeight weight the loss as Keras does: each
// sample's term times its weight, the mean still over the batch size. So a class weight of 2 is
// the same gradient as each sample of that class appearing twice (up to the batch-size factor),
// evaluate's weighted loss is the hand-computed mean, and validationSplit splits the weights too.
// (The weighted gradients themselves: tests/engine/gradients.test.ts, 'with sample weights'.)

import { beforeEach, describe, expect, it } from 'vitest';
import { Callback, Dense, Sequential, clearSession, optimizers, setSeed, tensor } from '../../index.js';

beforeEach(() => clearSession());

const x = tensor([[1, 0], [0, 1], [1, 1], [0.5, -1], [-1, 0.3], [0.2, 0.2]]);
const y = tensor([0, 1, 1, 0, 2, 2]);

function model(learningRate: number): Sequential {
  setSeed(11);
  const m = new Sequential([new Dense(3, { inputShape: [2], activation: 'softmax' })]);
  m.compile({ optimizer: new optimizers.SGD({ learningRate }), loss: 'sparse_categorical_crossentropy' });
  return m;
}

const weightsOf = (m: Sequential) => m.getWeights().flatMap((w) => Array.from(w.data));

describe('classWeight and sampleWeight in fit', () => {
  it('a class weight of 2 trains like duplicating that class (full batch SGD, rate scaled by n / (n + k))', async () => {
    const weighted = model(0.1);
    await weighted.fit(x, y, { epochs: 5, batchSize: 6, verbose: 0, shuffle: false, classWeight: { 1: 2 } });
    // Class 1 twice: samples 1 and 2 appear again; 8 samples, so the mean over 8 instead of 6.
    const xd = tensor([[1, 0], [0, 1], [1, 1], [0.5, -1], [-1, 0.3], [0.2, 0.2], [0, 1], [1, 1]]);
    const yd = tensor([0, 1, 1, 0, 2, 2, 1, 1]);
    const duplicated = model(0.1 * 8 / 6);
    await duplicated.fit(xd, yd, { epochs: 5, batchSize: 8, verbose: 0, shuffle: false });
    weightsOf(weighted).forEach((w, i) => expect(w).toBeCloseTo(weightsOf(duplicated)[i], 5));
  });

  it('sampleWeight does the same per sample; classWeight with one-hot labels reads the argmax', async () => {
    const bySample = model(0.1);
    await bySample.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, shuffle: false, sampleWeight: [1, 2, 2, 1, 1, 1] });
    const byClass = model(0.1);
    await byClass.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, shuffle: false, classWeight: { 0: 1, 1: 2 } });
    expect(weightsOf(byClass)).toEqual(weightsOf(bySample));
    const unweighted = model(0.1);
    await unweighted.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, shuffle: false });
    expect(weightsOf(unweighted)).not.toEqual(weightsOf(bySample));
  });

  it('evaluate with sampleWeight: Σ w · loss_i / n, as Keras (sum over the batch size)', () => {
    const m = model(0.1);
    const p = m.predict(x).data;
    const w = [0.5, 1, 0, 2, 1, 3];
    let total = 0;
    for (let i = 0; i < 6; i++) total -= w[i] * Math.log(p[i * 3 + y.data[i]]);
    const [loss] = m.evaluate(x, y, { verbose: 0, batchSize: 4, sampleWeight: tensor(w) });
    expect(loss).toBeCloseTo(total / 6, 5);
    const [plain] = m.evaluate(x, y, { verbose: 0 });
    expect(plain).not.toBeCloseTo(loss, 3);
  });

  it('validationSplit splits the sample weights with the samples; class weights weight training only', async () => {
    const m = model(0.1);
    const logged: number[] = [];
    const spy = new (class extends Callback {
      override onEpochEnd(_: number, logs: Record<string, number>) { logged.push(logs.val_loss); }
    })();
    const w = [1, 1, 1, 1, 3, 0.5];
    await m.fit(x, y, { epochs: 1, batchSize: 6, verbose: 0, shuffle: false, validationSplit: 1 / 3, sampleWeight: w, callbacks: [spy] });
    const probe = model(0.1);
    probe.setWeights(m.getWeights());
    const [expected] = probe.evaluate(tensor([[-1, 0.3], [0.2, 0.2]]), tensor([2, 2]), { verbose: 0, sampleWeight: [3, 0.5] });
    expect(logged[0]).toBeCloseTo(expected, 6);
    const classes = model(0.1);
    const classLogged: number[] = [];
    await classes.fit(x, y, {
      epochs: 1, batchSize: 6, verbose: 0, shuffle: false, validationSplit: 1 / 3, classWeight: { 2: 10 },
      callbacks: [{ onEpochEnd: (_: number, logs: Record<string, number>) => void classLogged.push(logs.val_loss) }],
    });
    const [unweightedVal] = classes.evaluate(tensor([[-1, 0.3], [0.2, 0.2]]), tensor([2, 2]), { verbose: 0 });
    expect(classLogged[0]).toBeCloseTo(unweightedVal, 6);
  });

  it('clear errors: both kinds at once, a wrong count, negative or non-numeric weights', async () => {
    const m = model(0.1);
    await expect(m.fit(x, y, { verbose: 0, classWeight: { 0: 1 }, sampleWeight: [1, 1, 1, 1, 1, 1] })).rejects.toThrow(/classWeight or sampleWeight, got both/);
    await expect(m.fit(x, y, { verbose: 0, sampleWeight: [1, 2] })).rejects.toThrow(/sampleWeight expected 6 weights \(one a sample\), got 2/);
    await expect(m.fit(x, y, { verbose: 0, sampleWeight: [1, 1, -1, 1, 1, 1] })).rejects.toThrow(/non-negative finite weights, got -1 for sample 2/);
    await expect(m.fit(x, y, { verbose: 0, classWeight: { 1: 'heavy' as unknown as number } })).rejects.toThrow(/classWeight as \{ classId: weight \}.*got "heavy" for class "1"/);
    expect(() => m.evaluate(x, y, { verbose: 0, sampleWeight: [1] })).toThrow(/evaluate\(\) sampleWeight expected 6 weights/);
  });
});
