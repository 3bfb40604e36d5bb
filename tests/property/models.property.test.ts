// tests/property/models.property.test.ts — properties of whole models over random layer stacks
// (fast-check): Dense layers of random units, activations and bias, Dropout (seeded or not),
// ReLU and Activation layers, a Flatten first for samples of rank 2; each with a final layer that
// suits one loss kind. Every stack must build with the right shapes and parameter count, train a
// step of each optimizer with finite loss, predict deterministically, and come back from
// toArtifacts / loadModelFromArtifacts bit-identical: weights, predictions, summary, and the
// weights after one more epoch of training (optimizer and random-generator state included).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Activation, Dense, Dropout, Flatten, ReLU, Sequential, Softmax, activationNames, loadModelFromArtifacts, setSeed, tensor,
  toCategorical, type Layer, type Tensor,
} from '../../index.js';
import { randomUnit as generator } from '../seeded.js';

const SEED = Number(process.env.FC_SEED ?? 20240611);
const runs = (numRuns: number) => ({ seed: SEED, numRuns });

type LossKind = 'sparse_categorical_crossentropy' | 'categorical_crossentropy' | 'binary_crossentropy' | 'mean_squared_error';

const hiddenLayer = fc.oneof(
  fc.record({
    kind: fc.constant('dense' as const),
    units: fc.integer({ min: 1, max: 8 }),
    activation: fc.constantFrom(...activationNames, undefined),
    useBias: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('dropout' as const), rate: fc.constantFrom(0, 0.1, 0.3, 0.6), seed: fc.option(fc.integer({ min: 0, max: 9999 }), { nil: undefined }) }),
  fc.record({ kind: fc.constant('relu' as const) }),
  fc.record({ kind: fc.constant('activation' as const), name: fc.constantFrom(...activationNames) }),
);

const modelSpec = fc.record({
  /** One sample's shape: features, or a small image that a Flatten layer opens up. */
  sample: fc.oneof(fc.tuple(fc.integer({ min: 1, max: 6 })), fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }))),
  hidden: fc.array(hiddenLayer, { maxLength: 4 }),
  /** Classes for the categorical losses, output units for binary cross-entropy and mse. */
  outputs: fc.integer({ min: 1, max: 5 }),
  /** The final activation inside the last Dense, or as a layer of its own after it. */
  finalAsLayer: fc.constantFrom('dense', 'activation', 'softmax-layer'),
  finalActivation: fc.constantFrom(...activationNames),
  optimizer: fc.constantFrom('adam', 'sgd', 'rmsprop'),
  samples: fc.integer({ min: 1, max: 12 }),
  batchSize: fc.integer({ min: 1, max: 12 }),
  /** Without inputShape the model is built from the data on its first fit. */
  deferBuild: fc.boolean(),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
});
type ModelSpec = typeof modelSpec extends fc.Arbitrary<infer T> ? T : never;

/** The layers of a spec, with the final layer(s) the loss kind needs. */
function layersOf(spec: ModelSpec, loss: LossKind): Layer[] {
  const layers: Layer[] = [];
  const inputShape = spec.deferBuild ? undefined : spec.sample;
  if (spec.sample.length > 1) layers.push(new Flatten({ inputShape }));
  const first = () => (layers.length === 0 ? { inputShape } : {});
  for (const h of spec.hidden) {
    if (h.kind === 'dense') layers.push(new Dense(h.units, { activation: h.activation, useBias: h.useBias, ...first() }));
    else if (h.kind === 'dropout') layers.push(new Dropout(h.rate, { seed: h.seed, ...first() }));
    else if (h.kind === 'relu') layers.push(new ReLU(first()));
    else layers.push(new Activation(h.name, first()));
  }
  const units = loss === 'binary_crossentropy' || loss === 'mean_squared_error' ? spec.outputs : Math.max(2, spec.outputs);
  const activation = loss === 'mean_squared_error' ? spec.finalActivation : loss === 'binary_crossentropy' ? 'sigmoid' : 'softmax';
  if (spec.finalAsLayer === 'dense' || loss === 'mean_squared_error') {
    layers.push(new Dense(units, { activation, ...first() }));
  } else {
    layers.push(new Dense(units, first()));
    layers.push(spec.finalAsLayer === 'softmax-layer' && activation === 'softmax' ? new Softmax() : new Activation(activation));
  }
  return layers;
}


function dataFor(spec: ModelSpec, loss: LossKind, outputUnits: number): { x: Tensor; y: Tensor } {
  const next = generator(spec.seed);
  const n = spec.samples;
  const x = tensor(Array.from({ length: n * spec.sample.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1), [n, ...spec.sample]);
  if (loss === 'sparse_categorical_crossentropy' || loss === 'categorical_crossentropy') {
    const ids = tensor(Array.from({ length: n }, () => Math.floor(next() * outputUnits)), [n]);
    return { x, y: loss === 'categorical_crossentropy' ? toCategorical(ids, outputUnits) : ids };
  }
  const targets = Array.from({ length: n * outputUnits }, () => (loss === 'binary_crossentropy' ? (next() < 0.5 ? 0 : 1) : next() * 4 - 2));
  return { x, y: tensor(targets, [n, outputUnits]) };
}

/** The bits of float32 numbers: bit-identical means these are equal (NaN and -0 included). */
function bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

const weightBits = (model: Sequential) => model.trainableWeights.map((w) => bits(w.data));

/** Dense parameters by hand: each Dense has (inputs + bias) · units, the input being what flows in. */
function expectedParams(spec: ModelSpec, model: Sequential): number {
  let width = spec.sample.reduce((a, b) => a * b, 1), total = 0;
  for (const layer of model.layers) {
    if (layer instanceof Dense) {
      total += (width + (layer.useBias ? 1 : 0)) * layer.units;
      width = layer.units;
    }
  }
  return total;
}

async function checkModel(spec: ModelSpec, loss: LossKind): Promise<void> {
  setSeed(spec.seed);
  const model = new Sequential(layersOf(spec, loss));
  const outputUnits = (model.layers.filter((l) => l instanceof Dense).at(-1) as Dense).units;
  const { x, y } = dataFor(spec, loss, outputUnits);
  model.compile({ optimizer: spec.optimizer, loss, metrics: ['accuracy'] });

  // Builds (now, or from the data) with the shapes and parameter count worked out by hand.
  const history = await model.fit(x, y, { epochs: 1, batchSize: spec.batchSize, verbose: 0 });
  expect(model.inputShape).toEqual(spec.sample);
  expect(model.outputShape).toEqual([outputUnits]);
  expect(model.countParams()).toBe(expectedParams(spec, model));
  expect(model.summaryText()).toContain(`Total params: ${model.countParams().toLocaleString('en-US')}`);

  // Trains a step per batch with a finite loss.
  expect(history.history.loss).toHaveLength(1);
  expect(Number.isFinite(history.history.loss[0])).toBe(true);
  expect(model.optimizer!.iterations).toBe(Math.ceil(spec.samples / spec.batchSize));

  // Predicts finite numbers of the right shape, the same every time (Dropout is off in predict).
  const predicted = model.predict(x, { batchSize: spec.batchSize });
  expect(predicted.shape).toEqual([spec.samples, outputUnits]);
  expect(Array.from(predicted.data).every(Number.isFinite)).toBe(true);
  expect(bits(model.predict(x).data)).toEqual(bits(predicted.data));

  // Round trip through the in-memory saved form, as text and bytes stored elsewhere would be.
  const { modelJson, weights } = model.toArtifacts();
  const stored = { modelJson: JSON.stringify(modelJson), weights: new Uint8Array(weights.slice(0)) };
  const loaded = loadModelFromArtifacts(stored);
  expect(loaded.layers.map((l) => `${l.className} ${l.name}`)).toEqual(model.layers.map((l) => `${l.className} ${l.name}`));
  expect(loaded.summaryText().replace(loaded.name, model.name)).toBe(model.summaryText());
  expect(weightBits(loaded)).toEqual(weightBits(model));
  expect(bits(loaded.predict(x).data)).toEqual(bits(predicted.data));
  expect(loaded.evaluate(x, y, { verbose: 0 })).toEqual(model.evaluate(x, y, { verbose: 0 }));

  // One more epoch on each: loading put the global generator back where it was when saved, and the
  // optimizer's slots and each seeded Dropout's generator came with the model, so the same bits.
  const again = loadModelFromArtifacts(stored); // resets the global generator to the saved state
  await model.fit(x, y, { epochs: 1, batchSize: spec.batchSize, verbose: 0 });
  const trained = weightBits(model);
  loadModelFromArtifacts(stored);
  await again.fit(x, y, { epochs: 1, batchSize: spec.batchSize, verbose: 0 });
  expect(weightBits(again)).toEqual(trained);
}

describe('random layer stacks build, train, predict and round-trip bit-identically', () => {
  const losses: LossKind[] = ['sparse_categorical_crossentropy', 'categorical_crossentropy', 'binary_crossentropy', 'mean_squared_error'];
  for (const loss of losses) {
    it(`with ${loss}`, async () => {
      await fc.assert(fc.asyncProperty(modelSpec, (spec) => checkModel(spec, loss)), runs(75));
    });
  }
});
