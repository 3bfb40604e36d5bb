// tests/formats/tfjs.test.ts — TensorFlow.js' Layers format against the real thing
// (@tensorflow/tfjs-layers on its cpu backend), both ways: a wasmgrad model saved in TF.js' format
// loads in TF.js with the same predictions, and a model built and trained in TF.js, captured
// through its own IO handler, loads here with the same predictions. Then files written the way
// tensorflowjs_converter writes them (Keras 2 and Keras 3 spellings, sharded, quantized), and
// each way a file can be wrong.

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { planTfjs, toTfjs, TfjsFormatError, type TfjsModelJson } from '../../formats/tfjs.js';
import { Activation, Dense, Dropout, Flatten, ReLU, SavedModelError, Sequential, Softmax, clearSession, loadModelFromArtifacts, setSeed, tensor } from '../../index.js';

/** A model from TF.js' model.json and weight bytes, through the public in-memory loader. */
const modelFromTfjs = (modelJson: unknown, weights: ArrayBuffer | ArrayBufferView) => loadModelFromArtifacts({ modelJson: modelJson as object, weights });
/** A wasmgrad model in TF.js' format, in memory. */
const modelToTfjs = (model: Sequential) => {
  const { modelJson, weights } = model.toArtifacts({ format: 'tfjs' });
  return { modelJson, weightData: new Uint8Array(weights) };
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Samples of shape [2, 3] with values in [-1, 1), from a fixed linear congruential sequence. */
function inputs(n: number, seed = 7): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n * 6 }, () => (s = (s * 1103515245 + 12345) % 2147483648) / 1073741824 - 1);
}

/** The largest |a - b| over two equally long lists. */
function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** TF.js' artifacts as its own save handler captures them → the model.json and weights its file handler writes. */
function asModelJson(artifacts: tf.io.ModelArtifacts): { modelJson: unknown; weightData: ArrayBuffer } {
  return {
    modelJson: {
      format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy,
      modelTopology: artifacts.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    },
    weightData: artifacts.weightData as ArrayBuffer,
  };
}

async function tfjsPredict(model: tfl.LayersModel, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const out = model.predict(tf.tensor(x, shape)) as tf.Tensor;
  return (await out.data()) as Float32Array;
}

describe('a wasmgrad model in TensorFlow.js', () => {
  it('loads with every shared layer type and predicts the same to 1e-5', async () => {
    clearSession();
    setSeed(3);
    const model = new Sequential([
      new Flatten({ inputShape: [2, 3] }),
      new Dense(8, { activation: 'relu', kernelInitializer: 'he_uniform' }),
      new Dropout(0.25),
      new Dense(6, { activation: 'tanh', useBias: false }),
      new ReLU(),
      new Dense(5),
      new Activation('sigmoid'),
      new Dense(4, { activation: 'elu', biasInitializer: 'ones' }),
      new Dense(3, { activation: 'softmax' }),
      new Softmax(),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
    const x = inputs(40);
    await model.fit(tensor(x, [40, 2, 3]), tensor(Float32Array.from({ length: 40 }, (_, i) => i % 3), [40]), { epochs: 2, verbose: 0 });

    const { modelJson, weightData } = modelToTfjs(model);
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory({
      modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest[0].weights,
      weightData: weightData.slice().buffer,
    }));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(['Flatten', 'Dense', 'Dropout', 'Dense', 'ReLU', 'Dense', 'Activation', 'Dense', 'Dense', 'Softmax']);
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    const ours = model.predict(tensor(x, [40, 2, 3])).data;
    expect(maxDifference(await tfjsPredict(loaded, x, [40, 2, 3]), ours)).toBeLessThan(1e-5);
  });

  it('writes Keras topology as TF.js does: class names, batch_input_shape on the first layer, Keras config keys, a weightsManifest', () => {
    clearSession();
    const model = new Sequential([new Dense(4, { inputShape: [3], activation: 'relu' }), new Dense(2, { useBias: false })]);
    const { modelJson, weightData } = modelToTfjs(model);
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.modelTopology.class_name).toBe('Sequential');
    const [first, second] = modelJson.modelTopology.config.layers;
    expect(first).toMatchObject({
      class_name: 'Dense',
      config: { name: 'dense', units: 4, activation: 'relu', use_bias: true, batch_input_shape: [null, 3], dtype: 'float32', kernel_initializer: { class_name: 'GlorotUniform' } },
    });
    expect(second.config).not.toHaveProperty('batch_input_shape');
    expect(modelJson.weightsManifest).toEqual([{
      paths: ['weights.bin'],
      weights: [
        { name: 'dense/kernel', shape: [3, 4], dtype: 'float32' },
        { name: 'dense/bias', shape: [4], dtype: 'float32' },
        { name: 'dense_1/kernel', shape: [4, 2], dtype: 'float32' },
      ],
    }]);
    expect(weightData.byteLength).toBe(4 * (12 + 4 + 8));
    expect(new Float32Array(weightData.slice().buffer, 0, 12)).toEqual(model.layers[0].weights[0].data);
  });
});

describe('a TensorFlow.js model in wasmgrad', () => {
  it('built and trained in TF.js, captured by its own save handler, predicts the same to 1e-5', async () => {
    const tfModel = tfl.sequential({
      layers: [
        tfl.layers.flatten({ inputShape: [2, 3] }),
        tfl.layers.dense({ units: 8, activation: 'relu' }),
        tfl.layers.dropout({ rate: 0.2 }),
        tfl.layers.dense({ units: 6, activation: 'tanh', useBias: false, kernelInitializer: 'heNormal' }),
        tfl.layers.reLU(),
        tfl.layers.dense({ units: 5 }),
        tfl.layers.activation({ activation: 'sigmoid' }),
        tfl.layers.dense({ units: 4, activation: 'elu' }),
        tfl.layers.dense({ units: 3 }),
        tfl.layers.softmax(),
      ],
    });
    tfModel.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const x = inputs(30, 11);
    await tfModel.fit(tf.tensor(x, [30, 2, 3]), tf.tensor(Float32Array.from({ length: 30 }, (_, i) => i % 3), [30]), { epochs: 3, verbose: 0 });
    let captured: tf.io.ModelArtifacts | undefined;
    // includeOptimizer: Adam's slots come along in the 'optimizer' group, which loading skips.
    await tfModel.save(tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }), { includeOptimizer: true });
    expect(captured!.weightSpecs!.some((w) => w.group === 'optimizer')).toBe(true);

    const { modelJson, weightData } = asModelJson(captured!);
    clearSession();
    const model = modelFromTfjs(modelJson, weightData);
    expect(model.layers.map((l) => l.className)).toEqual(tfModel.layers.map((l) => l.getClassName()));
    expect(model.inputShape).toEqual([2, 3]);
    const ours = model.predict(tensor(x, [30, 2, 3])).data;
    expect(maxDifference(ours, await tfjsPredict(tfModel, x, [30, 2, 3]))).toBeLessThan(1e-5);
  });

  it('round-trips: a TF.js model read here and written again loads in TF.js with the same layers and predictions', async () => {
    const tfModel = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [4], activation: 'softmax' })] });
    let captured: tf.io.ModelArtifacts | undefined;
    await tfModel.save(tf.io.withSaveHandler(async (a) => ((captured = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const { modelJson, weightData } = asModelJson(captured!);
    const again = modelToTfjs(modelFromTfjs(modelJson, weightData));
    const reloaded = await tfl.loadLayersModel(tf.io.fromMemory({
      modelTopology: again.modelJson.modelTopology, weightSpecs: again.modelJson.weightsManifest[0].weights, weightData: again.weightData.slice().buffer,
    }));
    const x = Float32Array.from({ length: 20 }, (_, i) => Math.sin(i));
    expect(maxDifference(await tfjsPredict(reloaded, x, [5, 4]), await tfjsPredict(tfModel, x, [5, 4]))).toBeLessThan(1e-6);
  });
});

// ---- files as tensorflowjs_converter writes them from Keras models -------------------------------

/** A Keras 2 (tf.keras) Sequential as tensorflowjs_converter --input_format keras writes it. */
function keras2ModelJson(paths: string[]): unknown {
  const initializer = { class_name: 'GlorotUniform', config: { seed: null } };
  return {
    format: 'layers-model', generatedBy: 'keras v2.15.0', convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: '2.15.0', backend: 'tensorflow',
      model_config: {
        class_name: 'Sequential',
        config: {
          name: 'sequential',
          layers: [
            { class_name: 'InputLayer', config: { batch_input_shape: [null, 2, 2], dtype: 'float32', sparse: false, ragged: false, name: 'flatten_input' } },
            { class_name: 'Flatten', config: { name: 'flatten', trainable: true, dtype: 'float32', data_format: 'channels_last' } },
            { class_name: 'Dense', config: {
              name: 'dense', trainable: true, dtype: 'float32', units: 3, activation: 'relu', use_bias: true, kernel_initializer: initializer,
              bias_initializer: { class_name: 'Zeros', config: {} }, kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null,
              kernel_constraint: null, bias_constraint: null,
            } },
            { class_name: 'Dropout', config: { name: 'dropout', trainable: true, dtype: 'float32', rate: 0.5, noise_shape: null, seed: null } },
            { class_name: 'Dense', config: {
              name: 'dense_1', trainable: true, dtype: 'float32', units: 2, activation: 'softmax', use_bias: true, kernel_initializer: initializer,
              bias_initializer: { class_name: 'Zeros', config: {} }, kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null,
              kernel_constraint: null, bias_constraint: null,
            } },
          ],
        },
      },
      training_config: { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'], optimizer_config: { class_name: 'Adam', config: { learning_rate: 0.001 } } },
    },
    weightsManifest: [{
      paths,
      weights: [
        { name: 'dense/kernel', shape: [4, 3], dtype: 'float32' },
        { name: 'dense/bias', shape: [3], dtype: 'float32' },
        { name: 'dense_1/kernel', shape: [3, 2], dtype: 'float32' },
        { name: 'dense_1/bias', shape: [2], dtype: 'float32' },
      ],
    }],
  };
}

/** The converter's weights for keras2ModelJson: 12 + 3 + 6 + 2 values. */
const converterWeights = Float32Array.from({ length: 23 }, (_, i) => Math.cos(1.7 * i) / 2);

/** softmax(relu(flatten(x) · W1 + b1) · W2 + b2), written out: the expected prediction. */
function handPredict(x: Float32Array, w: Float32Array): number[] {
  const out: number[] = [];
  for (let n = 0; n < x.length / 4; n++) {
    const h = [0, 1, 2].map((j) => Math.max(0, w[12 + j] + [0, 1, 2, 3].reduce((s, i) => s + x[4 * n + i] * w[3 * i + j], 0)));
    const z = [0, 1].map((k) => w[21 + k] + h.reduce((s, hj, j) => s + hj * w[15 + 2 * j + k], 0));
    const m = Math.max(...z), e = z.map((v) => Math.exp(v - m)), sum = e[0] + e[1];
    out.push(e[0] / sum, e[1] / sum);
  }
  return out;
}

describe('files written by tensorflowjs_converter', () => {
  const x = Float32Array.from({ length: 12 }, (_, i) => (i - 5) / 4);

  it('loads a Keras 2 model (model_config, InputLayer, GlorotUniform) and TF.js agrees on its predictions', async () => {
    clearSession();
    const modelJson = keras2ModelJson(['group1-shard1of1.bin']);
    const model = modelFromTfjs(modelJson, converterWeights);
    expect(model.layers.map((l) => `${l.className} ${l.name}`)).toEqual(['Flatten flatten', 'Dense dense', 'Dropout dropout', 'Dense dense_1']);
    const ours = model.predict(tensor(x, [3, 2, 2])).data;
    expect(maxDifference(ours, handPredict(x, converterWeights))).toBeLessThan(1e-6);
    const json = modelJson as TfjsModelJson;
    const theirs = await tfl.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: converterWeights.slice().buffer,
    }));
    expect(maxDifference(ours, await tfjsPredict(theirs, x, [3, 2, 2]))).toBeLessThan(1e-5);
  });

  it('loads Keras 3 spellings: batch_shape, dtype policies, module/registered_name, prefixed weight names', () => {
    clearSession();
    const json = structuredClone(keras2ModelJson(['group1-shard1of1.bin'])) as { modelTopology: { model_config: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } } }; weightsManifest: { weights: { name: string }[] }[] };
    const layers = json.modelTopology.model_config.config.layers;
    layers[0].config = { batch_shape: [null, 2, 2], dtype: 'float32', sparse: false, name: 'input_layer' };
    for (const layer of layers.slice(1)) {
      layer.config.dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
      if (layer.class_name === 'Dense') {
        layer.config.kernel_initializer = { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null };
        layer.config.lora_rank = null;
      }
    }
    for (const w of json.weightsManifest[0].weights) w.name = `sequential/${w.name}`;
    const model = modelFromTfjs(json, converterWeights);
    expect(maxDifference(model.predict(tensor(x, [3, 2, 2])).data, handPredict(x, converterWeights))).toBeLessThan(1e-6);
  });

  it('dequantizes weights stored as uint8 (value = q · scale + min) and float16', () => {
    clearSession();
    const json = keras2ModelJson(['group1-shard1of1.bin']) as { weightsManifest: { weights: Record<string, unknown>[] }[] };
    const [kernel, , kernel2] = json.weightsManifest[0].weights;
    kernel.quantization = { dtype: 'uint8', scale: 0.01, min: -1 };
    kernel2.quantization = { dtype: 'float16' };
    // Bytes: kernel as 12 uint8, bias 3 float32, kernel2 6 float16, bias2 2 float32.
    const q = Uint8Array.from({ length: 12 }, (_, i) => 20 * i);
    const halves = [0x3c00, 0xbc00, 0x3800, 0x0000, 0x4000, 0xc200]; // 1, -1, 0.5, 0, 2, -3
    const bytes = new Uint8Array(12 + 12 + 12 + 8);
    const view = new DataView(bytes.buffer);
    bytes.set(q, 0);
    [0.1, -0.2, 0.3].forEach((v, i) => view.setFloat32(12 + 4 * i, v, true));
    halves.forEach((h, i) => view.setUint16(24 + 2 * i, h, true));
    [0.5, -0.5].forEach((v, i) => view.setFloat32(36 + 4 * i, v, true));
    const model = modelFromTfjs(json, bytes);
    const [W1, b1, W2, b2] = model.getWeights().map((t) => Array.from(t.data));
    expect(W1.map((v) => Math.round(v * 1000) / 1000)).toEqual(Array.from(q, (v) => Math.round((v * 0.01 - 1) * 1000) / 1000));
    expect(b1.map((v) => Math.fround(v))).toEqual([0.1, -0.2, 0.3].map(Math.fround));
    expect(W2).toEqual([1, -1, 0.5, 0, 2, -3]);
    expect(b2).toEqual([0.5, -0.5]);
  });
});

describe('files that cannot be loaded', () => {
  const plan = (change: (json: Record<string, any>) => void): (() => unknown) => () => {
    const json = structuredClone(keras2ModelJson(['w.bin'])) as Record<string, any>;
    change(json);
    return planTfjs(json, 'model.json');
  };
  const layersOf = (json: Record<string, any>): Record<string, any>[] => json.modelTopology.model_config.config.layers;

  it('an unsupported layer is named, with the layers that are supported', () => {
    const load = plan((json) => layersOf(json).splice(2, 0, { class_name: 'LSTM', config: { name: 'lstm', units: 4 } }));
    expect(load).toThrow(TfjsFormatError);
    expect(load).toThrow(/layer 2 \(LSTM "lstm"\) cannot be read: wasmgrad has no LSTM layer; it reads InputLayer, Dense, Activation, ReLU, Softmax, Dropout, Flatten/);
  });

  it('options that change what a layer computes are refused, naming the option', () => {
    expect(plan((json) => (layersOf(json)[2].config.kernel_regularizer = { class_name: 'L2', config: { l2: 0.01 } }))).toThrow(/layer 2 \(Dense "dense"\) cannot be read: it sets kernel_regularizer to .*L2.* \(a regularizer\)/);
    expect(plan((json) => (layersOf(json)[2].config.dtype = 'float16'))).toThrow(/its dtype is "float16"; wasmgrad computes in float32 only/);
    expect(plan((json) => (layersOf(json)[2].config.kernel_initializer = { class_name: 'Orthogonal', config: {} }))).toThrow(/kernel_initializer is .*Orthogonal.*, which wasmgrad does not have/);
    expect(plan((json) => (layersOf(json)[3].config.noise_shape = [null, 1]))).toThrow(/noise_shape/);
  });

  it('graph models, functional models and models without an input shape are refused with the reason', () => {
    expect(plan((json) => (json.format = 'graph-model'))).toThrow(/is a TensorFlow.js graph model .* wasmgrad reads layers models only/);
    expect(plan((json) => (json.modelTopology.model_config.class_name = 'Functional'))).toThrow(/holds a "Functional" model; wasmgrad reads Sequential models only/);
    expect(plan((json) => layersOf(json).shift())).toThrow(/the first layer has no batch_input_shape/);
    expect(plan((json) => (layersOf(json)[0].config.batch_input_shape = [null, null, 2]))).toThrow(/known sample dimensions/);
  });

  it('a manifest that does not fit the layers names the weight', () => {
    expect(plan((json) => json.modelTopology && json.weightsManifest[0].weights.pop())).toThrow(/layer 'dense_1' needs the weight 'dense_1\/bias', which the manifest does not list/);
    expect(plan((json) => json.weightsManifest[0].weights.push({ name: 'extra/kernel', shape: [1], dtype: 'float32' }))).toThrow(/lists weights no layer has: 'extra\/kernel'/);
    expect(plan((json) => (json.weightsManifest[0].weights[0].dtype = 'int32'))).toThrow(/'dense\/kernel'\) has dtype "int32"/);
    expect(() => modelFromTfjs(keras2ModelJson(['w.bin']), converterWeights.subarray(1))).toThrow(SavedModelError);
    expect(() => modelFromTfjs(keras2ModelJson(['w.bin']), converterWeights.subarray(1))).toThrow(/weights take 92 bytes, but the weight data given holds 88/);
    const wrongShape = structuredClone(keras2ModelJson(['w.bin'])) as Record<string, any>;
    wrongShape.weightsManifest[0].weights[0].shape = [3, 4];
    expect(() => modelFromTfjs(wrongShape, converterWeights)).toThrow(/'dense\/kernel' has shape \[4, 3\], but the file's 'dense\/kernel' has shape \[3, 4\]/);
  });

  it('a config asking for more weights than the manifest lists fails small, and non-finite weights are refused', () => {
    const huge = structuredClone(keras2ModelJson(['w.bin'])) as Record<string, any>;
    layersOf(huge)[2].config.units = 250_000_000;
    huge.weightsManifest[0].weights[0].shape = [4, 250_000_000];
    huge.weightsManifest[0].weights[1].shape = [250_000_000];
    huge.weightsManifest[0].weights.splice(2, 2);
    layersOf(huge).splice(3, 2);
    // The manifest claims 5 GB that the data does not hold: refused before any layer is built.
    expect(() => modelFromTfjs(huge, converterWeights)).toThrow(/weights take 5000000000 bytes, but the weight data given holds 92/);
    const lying = structuredClone(keras2ModelJson(['w.bin'])) as Record<string, any>;
    layersOf(lying)[4].config.units = 250_000_000; // the manifest still lists dense_1 as [3, 2]
    expect(() => modelFromTfjs(lying, converterWeights)).toThrow(/layer 'dense_1' \(Dense\) needs more weights than the manifest lists/);
    const poisoned = converterWeights.slice();
    poisoned[13] = NaN;
    expect(() => modelFromTfjs(keras2ModelJson(['w.bin']), poisoned)).toThrow(/weight 'dense\/bias' holds NaN at element 1; saved weights must be finite numbers/);
  });

  it('a layer TF.js cannot be given is refused when saving, naming it', () => {
    const described = { name: 'm', inputShape: [2], layers: [{ className: 'Conv3D', config: { name: 'c' } }], weights: [] };
    expect(() => toTfjs(described, 'wasmgrad')).toThrow(/cannot save layer 0 \('c', a Conv3D\) in TensorFlow.js' format/);
  });
});

describe('the convnet layers, translated', () => {
  it("reads Keras' Simple MNIST convnet as tensorflowjs_converter writes it (Keras 3: batch_shape, sizes as pairs)", () => {
    const conv = (name: string, filters: number, inChannels: number) => ({
      class_name: 'Conv2D',
      config: { name, filters, kernel_size: [3, 3], strides: [1, 1], padding: 'valid', data_format: 'channels_last', dilation_rate: [1, 1], groups: 1, activation: 'relu', use_bias: true, kernel_initializer: { module: 'keras.initializers', class_name: 'GlorotUniform', config: { seed: null }, registered_name: null }, bias_initializer: { class_name: 'Zeros', config: {} }, kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null, trainable: true, dtype: 'float32' },
      weights: [{ name: `${name}/kernel`, shape: [3, 3, inChannels, filters], dtype: 'float32' }, { name: `${name}/bias`, shape: [filters], dtype: 'float32' }],
    });
    const pool = (name: string) => ({ class_name: 'MaxPooling2D', config: { name, pool_size: [2, 2], padding: 'valid', strides: [2, 2], data_format: 'channels_last', trainable: true } });
    const c1 = conv('conv2d', 32, 1), c2 = conv('conv2d_1', 64, 32);
    const json = {
      format: 'layers-model',
      modelTopology: {
        model_config: {
          class_name: 'Sequential',
          config: {
            name: 'sequential',
            layers: [
              { class_name: 'InputLayer', config: { batch_shape: [null, 28, 28, 1], dtype: 'float32', sparse: false, name: 'input_layer' } },
              { class_name: c1.class_name, config: c1.config }, pool('max_pooling2d'), { class_name: c2.class_name, config: c2.config }, pool('max_pooling2d_1'),
              { class_name: 'Flatten', config: { name: 'flatten', data_format: 'channels_last' } },
              { class_name: 'Dropout', config: { name: 'dropout', rate: 0.5, noise_shape: null, seed: null } },
              { class_name: 'Dense', config: { name: 'dense', units: 10, activation: 'softmax', use_bias: true } },
            ],
          },
        },
      },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [...c1.weights, ...c2.weights, { name: 'dense/kernel', shape: [1600, 10], dtype: 'float32' }, { name: 'dense/bias', shape: [10], dtype: 'float32' }] }],
    };
    const { model, weights, groups } = planTfjs(json);
    expect(model.inputShape).toEqual([28, 28, 1]);
    expect(model.layers).toEqual([
      { className: 'Conv2D', config: { name: 'conv2d', filters: 32, kernelSize: [3, 3], strides: [1, 1], padding: 'valid', activation: 'relu', useBias: true, kernelInitializer: 'glorot_uniform', biasInitializer: 'zeros' } },
      { className: 'MaxPooling2D', config: { name: 'max_pooling2d', poolSize: [2, 2], strides: [2, 2], padding: 'valid' } },
      { className: 'Conv2D', config: { name: 'conv2d_1', filters: 64, kernelSize: [3, 3], strides: [1, 1], padding: 'valid', activation: 'relu', useBias: true, kernelInitializer: 'glorot_uniform', biasInitializer: 'zeros' } },
      { className: 'MaxPooling2D', config: { name: 'max_pooling2d_1', poolSize: [2, 2], strides: [2, 2], padding: 'valid' } },
      { className: 'Flatten', config: { name: 'flatten' } },
      { className: 'Dropout', config: { name: 'dropout', rate: 0.5 } },
      { className: 'Dense', config: { name: 'dense', units: 10, activation: 'softmax', useBias: true } },
    ]);
    expect(weights.map((w) => w.name)).toEqual(['conv2d/kernel', 'conv2d/bias', 'conv2d_1/kernel', 'conv2d_1/bias', 'dense/kernel', 'dense/bias']);
    expect(groups[0].byteLength).toBe(4 * (288 + 32 + 18432 + 64 + 16000 + 10));
  });

  it('reads BatchNormalization with its four weights, refusing a normalization over another axis, and dilated or channels-first convolutions', () => {
    const bn = (config: Record<string, unknown>) => ({
      format: 'layers-model',
      modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'BatchNormalization', config: { name: 'bn', batch_input_shape: [null, 4, 4, 3], momentum: 0.9, epsilon: 0.001, center: true, scale: true, ...config } }] } },
      weightsManifest: [{ paths: ['w.bin'], weights: ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((w) => ({ name: `bn/${w}`, shape: [3], dtype: 'float32' })) }],
    });
    const plan = planTfjs(bn({ axis: 3 }));
    expect(plan.model.layers[0]).toMatchObject({ className: 'BatchNormalization', config: { name: 'bn', axis: -1, momentum: 0.9, epsilon: 0.001 } });
    expect(plan.weights.map((w) => w.name)).toEqual(['bn/gamma', 'bn/beta', 'bn/moving_mean', 'bn/moving_variance']);
    expect(() => planTfjs(bn({ axis: 1 }))).toThrow(/normalizes over axis 1; wasmgrad's BatchNormalization works over the last axis/);
    const conv = (config: Record<string, unknown>) => ({
      format: 'layers-model',
      modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Conv2D', config: { name: 'c', batch_input_shape: [null, 8, 8, 1], filters: 2, kernel_size: 3, ...config } }] } },
      weightsManifest: [],
    });
    expect(() => planTfjs(conv({ dilation_rate: 2 }))).toThrow(/dilation_rate to 2 \(a dilated convolution\)/);
    expect(() => planTfjs(conv({ data_format: 'channels_first' }))).toThrow(/data_format to "channels_first" \(channels-first images\)/);
  });
});
