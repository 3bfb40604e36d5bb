// tests/nn/saving/tfjs.test.ts — model.save(dir, { format: 'tfjs' }) and loadModel on disk: the
// files TensorFlow.js reads (checked by loading them into @tensorflow/tfjs-layers), loadModel from
// the folder or from model.json, the folder layout TF.js' own Node file handler writes, and the
// options and folders that are refused. The format's translation is tests/formats/tfjs.test.ts'.

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Dense, Dropout, SavedModelError, Sequential, clearSession, loadModel, setSeed, tensor } from '../../../index.js';

let folder: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
});
beforeEach(() => {
  clearSession();
  folder = mkdtempSync(join(tmpdir(), 'wasmgrad-tfjs-save-'));
});
afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

const x = tensor(Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)), [6, 4]);

function trainedModel(): Sequential {
  setSeed(5);
  const model = new Sequential([new Dense(5, { activation: 'relu', inputShape: [4] }), new Dropout(0.3), new Dense(3, { activation: 'softmax' })]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  return model;
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return a.length === b.length ? worst : Infinity;
}

describe("model.save(dir, { format: 'tfjs' })", () => {
  it('writes model.json and weights.bin, which TensorFlow.js loads with the same predictions', async () => {
    const model = trainedModel();
    await model.fit(x, tensor([0, 1, 2, 0, 1, 2], [6]), { epochs: 3, verbose: 0 });
    const dir = join(folder, 'web');
    await model.save(dir, { format: 'tfjs' });
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const bin = readFileSync(join(dir, 'weights.bin'));
    const theirs = await tfl.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }));
    const predicted = await (theirs.predict(tf.tensor(x.data, [6, 4])) as tf.Tensor).data();
    expect(maxDifference(predicted, model.predict(x).data)).toBeLessThan(1e-5);
  });

  it('loadModel reads it back from the folder or from model.json, with the same predictions and uncompiled', async () => {
    const model = trainedModel();
    await model.save(join(folder, 'm'), { format: 'tfjs' });
    for (const path of [join(folder, 'm'), join(folder, 'm', 'model.json')]) {
      const again = await loadModel(path);
      expect(again.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
      expect(Array.from(again.predict(x).data)).toEqual(Array.from(model.predict(x).data));
      expect(again.optimizer).toBeNull();
    }
  });

  it("replaces a model saved in wasmgrad's format, and refuses a folder holding other files or an unknown format", async () => {
    const model = trainedModel();
    const dir = join(folder, 'm');
    await model.save(dir);
    await model.save(dir, { format: 'tfjs' });
    expect(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).format).toBe('layers-model');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await expect(model.save(dir, { format: 'tfjs' })).rejects.toThrow(/holding other files \(notes\.txt\); refusing to replace it/);
    await expect(model.save(join(folder, 'n'), { format: 'keras' as never })).rejects.toThrow(/save expected format 'wasmgrad' \(the default\) or 'tfjs', got "keras"/);
    expect(() => model.toArtifacts({ format: 'h5' as never })).toThrow(/toArtifacts expected format 'wasmgrad' \(the default\) or 'tfjs'/);
  });
});

describe('loadModel on files written by TensorFlow.js', () => {
  it("reads the folder TF.js' Node file handler writes (model.json, weights.bin) for a model trained in TF.js", async () => {
    const tfModel = tfl.sequential({ layers: [tfl.layers.dense({ units: 6, activation: 'tanh', inputShape: [4] }), tfl.layers.dense({ units: 2 })] });
    tfModel.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await tfModel.fit(tf.tensor(x.data, [6, 4]), tf.ones([6, 2]), { epochs: 5, verbose: 0 });
    let captured: tf.io.ModelArtifacts | undefined;
    await tfModel.save(tf.io.withSaveHandler(async (a) => ((captured = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const dir = join(folder, 'exported');
    mkdirSync(dir);
    // What tfjs-node's file:// handler writes: the artifacts as model.json, the weight data as weights.bin.
    const { weightData, weightSpecs, ...rest } = captured!;
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...rest, weightsManifest: [{ paths: ['./weights.bin'], weights: weightSpecs }] }));
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(weightData as ArrayBuffer));
    const model = await loadModel(dir);
    const theirs = await (tfModel.predict(tf.tensor(x.data, [6, 4])) as tf.Tensor).data();
    expect(maxDifference(model.predict(x).data, theirs)).toBeLessThan(1e-5);
  });

  it("reads TF.js' browser downloads, named by the model (my-model.json beside my-model.weights.bin)", async () => {
    const model = trainedModel();
    const { modelJson, weights } = model.toArtifacts({ format: 'tfjs' });
    modelJson.weightsManifest[0].paths = ['./my-model.weights.bin'];
    writeFileSync(join(folder, 'my-model.json'), JSON.stringify(modelJson));
    writeFileSync(join(folder, 'my-model.weights.bin'), new Uint8Array(weights));
    const again = await loadModel(join(folder, 'my-model.json'));
    expect(Array.from(again.predict(x).data)).toEqual(Array.from(model.predict(x).data));
  });

  it('names the file and the problem as a SavedModelError', async () => {
    const dir = join(folder, 'broken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { layers: [{ class_name: 'LSTM', config: { name: 'lstm', batch_input_shape: [null, 3, 2] } }] } }, weightsManifest: [] }));
    const loading = loadModel(dir);
    await expect(loading).rejects.toThrow(SavedModelError);
    await expect(loadModel(dir)).rejects.toThrow(/broken\/model\.json: layer 0 \(LSTM "lstm"\) cannot be read: wasmgrad has no LSTM layer/);
  });
});
