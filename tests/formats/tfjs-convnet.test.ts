// tests/formats/tfjs-convnet.test.ts — the convnet layers in TensorFlow.js' Layers format, both
// ways, against @tensorflow/tfjs-layers: Conv2D ('valid' and 'same', strides), MaxPooling2D,
// AveragePooling2D, BatchNormalization (its moving statistics included), the global poolings,
// Reshape. The dense layers' interchange is tests/formats/tfjs.test.ts'.

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AveragePooling2D, BatchNormalization, Conv2D, Dense, Flatten, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D, Reshape, Sequential,
  clearSession, loadModelFromArtifacts, setSeed, tensor,
} from '../../index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** n images 6x6x2 with values in [-1, 1), from a fixed sequence. */
function images(n: number, seed = 3): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n * 72 }, () => (s = (s * 1103515245 + 12345) % 2147483648) / 1073741824 - 1);
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('convnet layers between wasmgrad and TensorFlow.js', () => {
  it('a wasmgrad convnet, trained (so the moving statistics moved), loads in TF.js with the same predictions to 1e-5', async () => {
    clearSession();
    setSeed(2);
    const model = new Sequential([
      new Conv2D(4, 3, { inputShape: [6, 6, 2], padding: 'same', activation: 'relu' }),
      new BatchNormalization(),
      new MaxPooling2D(2),
      new Conv2D(3, [2, 2], { strides: 1, activation: 'tanh' }),
      new AveragePooling2D(2, { padding: 'same' }),
      new Flatten(),
      new Dense(3, { activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const x = images(12);
    await model.fit(tensor(x, [12, 6, 6, 2]), tensor(Float32Array.from({ length: 12 }, (_, i) => i % 3), [12]), { epochs: 2, batchSize: 4, verbose: 0 });
    const { modelJson, weights } = model.toArtifacts({ format: 'tfjs' });
    const theirs = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest[0].weights, weightData: weights }));
    expect(theirs.layers.map((l) => l.getClassName())).toEqual(model.layers.map((l) => l.className));
    const predicted = await (theirs.predict(tf.tensor(x, [12, 6, 6, 2])) as tf.Tensor).data();
    expect(maxDifference(predicted, model.predict(tensor(x, [12, 6, 6, 2])).data)).toBeLessThan(1e-5);
  });

  it('a convnet built and trained in TF.js, captured by its save handler, predicts the same here to 1e-5', async () => {
    const tfModel = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [6, 6, 2], filters: 4, kernelSize: 3, activation: 'relu' }),
        tfl.layers.batchNormalization({ momentum: 0.5 }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 2, kernelSize: 1, strides: 1, padding: 'same', useBias: false }),
        tfl.layers.reshape({ targetShape: [4, 2] }),
        tfl.layers.flatten(),
        tfl.layers.reshape({ targetShape: [2, 2, 2] }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    tfModel.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const x = images(10, 9);
    await tfModel.fit(tf.tensor(x, [10, 6, 6, 2]), tf.tensor(Float32Array.from({ length: 10 }, (_, i) => i % 3), [10]), { epochs: 3, batchSize: 5, verbose: 0 });
    let captured: tf.io.ModelArtifacts | undefined;
    await tfModel.save(tf.io.withSaveHandler(async (a) => ((captured = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    clearSession();
    const model = loadModelFromArtifacts({
      modelJson: { format: 'layers-model', modelTopology: captured!.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: captured!.weightSpecs }] },
      weights: captured!.weightData as ArrayBuffer,
    });
    expect(model.layers.map((l) => l.className)).toEqual(tfModel.layers.map((l) => l.getClassName()));
    const theirs = await (tfModel.predict(tf.tensor(x, [10, 6, 6, 2])) as tf.Tensor).data();
    expect(maxDifference(model.predict(tensor(x, [10, 6, 6, 2])).data, theirs)).toBeLessThan(1e-5);
  });

  it('GlobalMaxPooling2D and a Reshape to images round-trip through TF.js', async () => {
    clearSession();
    const model = new Sequential([new Reshape([6, 6, 2], { inputShape: [72] }), new Conv2D(2, 3), new GlobalMaxPooling2D(), new Dense(2)]);
    const { modelJson, weights } = model.toArtifacts({ format: 'tfjs' });
    const theirs = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest[0].weights, weightData: weights }));
    const x = images(4, 5);
    const predicted = await (theirs.predict(tf.tensor(x, [4, 72])) as tf.Tensor).data();
    expect(maxDifference(predicted, model.predict(tensor(x, [4, 72])).data)).toBeLessThan(1e-5);
  });
});
