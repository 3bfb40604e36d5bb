// tests/nn/nonfinite.test.ts — NaN, ±Infinity and non-numbers are refused at every door of a model
// (setWeights, loading weights, fit's inputs and labels), a NaN that reaches a weight's gradient
// during fit stops it naming the epoch, the batch and the weight (before that update lands), and
// predict on finite inputs whose outputs overflow says so instead of returning NaN in silence.

import { beforeEach, describe, expect, it } from 'vitest';
import { Dense, Sequential, clearSession, loadModelFromArtifacts, setSeed, tensor, type Tensor } from '../../index.js';
import { createHash } from 'node:crypto';

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

beforeEach(() => clearSession()); // layer names dense, dense_1 in every test

function model(): Sequential {
  setSeed(5);
  const m = new Sequential([new Dense(4, { inputShape: [3], activation: 'relu' }), new Dense(2, { activation: 'softmax' })]);
  m.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy' });
  return m;
}

const data = () => ({
  x: tensor(Float32Array.from({ length: 24 }, (_, i) => ((i * 7) % 5) / 5), [8, 3]),
  y: tensor(Float32Array.from({ length: 16 }, (_, i) => (i % 2 === (Math.floor(i / 2) % 2) ? 1 : 0)), [8, 2]),
});

const weightsOf = (m: Sequential) => m.getWeights().map((w) => Array.from(w.data));

describe('setWeights refuses what is not a finite number, and changes nothing', () => {
  const bad: [string, unknown][] = [['NaN', Number.NaN], ['Infinity', Infinity], ['-Infinity', -Infinity], ['a string', '0.5'], ['null', null], ['undefined', undefined]];
  for (const [name, value] of bad) {
    it(`${name} in a plain list`, () => {
      const m = model();
      const before = weightsOf(m);
      const lists: unknown[][] = before.map((w) => [...w]);
      lists[2][1] = value; // dense_1/kernel, element 1
      expect(() => m.setWeights(lists as number[][])).toThrow(/setWeights expected finite numbers in weight 2 \(dense_1\/kernel\), got .* at element 1/);
      expect(weightsOf(m)).toEqual(before);
    });
  }
  for (const value of [Number.NaN, Infinity]) {
    it(`${value} in a Tensor`, () => {
      const m = model();
      const before = weightsOf(m);
      const ws: Tensor[] = m.getWeights();
      ws[1].data[3] = value;
      expect(() => m.setWeights(ws)).toThrow(new RegExp(`weight 1 \\(dense/bias\\), got ${value} at element 3`));
      expect(weightsOf(m)).toEqual(before);
    });
  }
});

describe('loading weights', () => {
  it('refuses a NaN in a weights file even when its checksum was recomputed to match', () => {
    const m = model();
    const { modelJson, weights } = m.toArtifacts();
    const bytes = new Uint8Array(weights.slice(0));
    const json = structuredClone(modelJson) as typeof modelJson;
    const entry = json.weights.tensors[0];
    new DataView(bytes.buffer).setFloat32(entry.byteOffset + 8, Number.NaN, true);
    entry.sha256 = sha256Hex(bytes.subarray(entry.byteOffset, entry.byteOffset + entry.byteLength));
    expect(() => loadModelFromArtifacts({ modelJson: json, weights: bytes })).toThrow("wasmgrad: weights.bin: tensor 'dense/kernel' holds NaN at index [0, 2]; saved weights must be finite numbers");
  });
});

describe('fit', () => {
  it('refuses NaN and Infinity in x and in y, naming the sample', async () => {
    const m = model();
    const { x, y } = data();
    x.data[7] = Number.NaN;
    await expect(m.fit(x, y, { verbose: 0 })).rejects.toThrow(/fit\(\) expected finite numbers in x, got NaN in sample 2/);
    const clean = data();
    clean.y.data[5] = Infinity;
    await expect(m.fit(clean.x, clean.y, { verbose: 0 })).rejects.toThrow(/finite numbers in y, got Infinity in sample 2/);
  });

  it('stops when a weight turns NaN during training, naming the epoch, the batch and the weight', async () => {
    const m = model();
    const { x, y } = data();
    // A callback corrupts a hidden weight after batch 2 of epoch 2: a ReLU would hide it from the loss.
    const corrupt = { onBatchEnd: (batch: number) => { if (epochSeen === 1 && batch === 1) (m.layers[0] as Dense).kernel!.data[5] = Number.NaN; } };
    let epochSeen = 0;
    const track = { onEpochBegin: (epoch: number) => { epochSeen = epoch; } };
    await expect(m.fit(x, y, { epochs: 3, batchSize: 2, verbose: 0, shuffle: false, callbacks: [track, corrupt] }))
      .rejects.toThrow(/weight dense\/kernel \[3, 4\] is NaN at index \[1, 1\] at epoch 2, batch 3/);
  });

  it('stops when a gradient turns non-finite, before the update, with the weights as they were', async () => {
    const m = model();
    const { x, y } = data();
    x.data.fill(3e38); // finite inputs whose products overflow
    const before = weightsOf(m);
    await expect(m.fit(x, y, { batchSize: 4, verbose: 0 })).rejects.toThrow(/(gradient of dense(_1)?\/(kernel|bias)|loss became) .*epoch 1, batch 1/);
    expect(weightsOf(m)).toEqual(before);
  });
});

describe('predict', () => {
  it('says so when finite inputs overflow to NaN or Infinity', () => {
    const m = model();
    const x = tensor(new Float32Array(6).fill(3e38), [2, 3]);
    expect(() => m.predict(x)).toThrow(/predict\(\) got finite inputs, but the outputs overflowed: NaN at sample 0/);
  });
});
