// tests/nn/saving/saving.test.ts — model.save / loadModel and toArtifacts / loadModelFromArtifacts:
// bit-identical round trips, training that resumes exactly, every way a saved model can be broken
// (each a SavedModelError naming the file and the problem), and atomic replacement on disk.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Activation, Dense, Dropout, Flatten, ReLU, SavedModelError, Sequential, Softmax, clearSession, loadModel,
  loadModelFromArtifacts, optimizers, setSeed, tensor, type ModelJson, type OptimizerIdentifier, type Tensor,
} from '../../../index.js';
import { globalRandom, type Optimizer } from '../../../engine/index.js';

// Fault injection for the atomic-save tests: running as root, a read-only folder would not stop a
// write, so the tests make node:fs/promises fail on demand instead (nn/saving/save.ts imports it lazily,
// and vitest's module mock reaches that import too).
const faults = vi.hoisted(() => ({ open: null as RegExp | null, rename: null as RegExp | null }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const injected = (what: string, path: unknown) =>
    Object.assign(new Error(`ENOSPC: no space left on device (injected), ${what} '${String(path)}'`), { code: 'ENOSPC' });
  const open: typeof actual.open = async (path, ...rest) => {
    if (faults.open?.test(String(path))) throw injected('open', path);
    return actual.open(path, ...rest);
  };
  const rename: typeof actual.rename = async (from, to) => {
    if (faults.rename?.test(String(from))) throw injected('rename', from);
    return actual.rename(from, to);
  };
  return { ...actual, open, rename, default: { ...actual, open, rename } };
});

let folder: string;

beforeEach(() => {
  clearSession();
  folder = mkdtempSync(join(tmpdir(), 'wasmgrad-saving-'));
  faults.open = null;
  faults.rename = null;
});

afterEach(() => {
  rmSync(folder, { recursive: true, force: true });
});

/** A 3-class problem on samples of shape [2, 3]: the class is where the largest of 3 sums is. */
function data(n: number, seed: number): { x: Tensor; y: Tensor } {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const x = new Float32Array(n * 6), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    for (let j = 0; j < 6; j++) x[i * 6 + j] = rand() - 0.5 + (j % 3 === c ? 1 : 0);
    y[i] = c;
  }
  return { x: tensor(x, [n, 2, 3]), y: tensor(y, [n]) };
}

/** Every layer class: Flatten, Dense (with and without bias), ReLU, Activation, Dropout (global and seeded), Softmax. */
function makeModel(): Sequential {
  return new Sequential([
    new Flatten({ inputShape: [2, 3] }),
    new Dense(16),
    new ReLU(),
    new Dropout(0.25),
    new Dense(8, { activation: 'tanh', useBias: false }),
    new Activation('elu'),
    new Dropout(0.1, { seed: 11 }),
    new Dense(3),
    new Softmax(),
  ]);
}

function compileAndFit(model: Sequential, optimizer: OptimizerIdentifier | Optimizer = 'adam'): Sequential {
  model.compile({ optimizer, loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

/** The raw bits of a tensor's numbers: equal bits, not merely close values. */
function bits(t: Tensor): number[] {
  return Array.from(new Uint32Array(Float32Array.from(t.data).buffer));
}

function readJson(dir: string): ModelJson {
  return JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelJson;
}

function writeJson(dir: string, json: unknown): void {
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json, null, 2));
}

/** What is in the folder that holds saved models, hidden temporaries included. */
function entries(): string[] {
  return readdirSync(folder).sort();
}

async function trainedModel(path?: string): Promise<{ model: Sequential; x: Tensor; y: Tensor }> {
  setSeed(7);
  const { x, y } = data(90, 3);
  const model = compileAndFit(makeModel());
  await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
  if (path !== undefined) await model.save(path);
  return { model, x, y };
}

describe('round trips', () => {
  it('gives back a trained model with bit-identical predictions, weights, names, summary and compile settings', async () => {
    const { model, x, y } = await trainedModel();
    const path = join(folder, 'model');
    await model.save(path);
    expect(readdirSync(path).sort()).toEqual(['model.json', 'weights.bin']);

    const loaded = await loadModel(path);
    expect(bits(loaded.predict(x))).toEqual(bits(model.predict(x)));
    const weights = model.getWeights(), loadedWeights = loaded.getWeights();
    expect(loadedWeights.map((w) => w.shape)).toEqual(weights.map((w) => w.shape));
    loadedWeights.forEach((w, i) => expect(bits(w)).toEqual(bits(weights[i])));
    expect(loaded.name).toBe(model.name);
    expect(loaded.layers.map((l) => [l.name, l.className])).toEqual(model.layers.map((l) => [l.name, l.className]));
    expect(loaded.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
    expect(loaded.summaryText()).toBe(model.summaryText());
    expect(loaded.optimizer!.getConfig()).toEqual(model.optimizer!.getConfig());
    expect(loaded.optimizer!.iterations).toBe(model.optimizer!.iterations);
    expect(loaded.evaluate(x, y, { verbose: 0 })).toEqual(model.evaluate(x, y, { verbose: 0 }));
  });

  it('writes model.json with the format, the layers, the compile settings and a checksummed manifest of weights.bin', async () => {
    const path = join(folder, 'model');
    const { model } = await trainedModel(path);
    const json = readJson(path);
    const bin = readFileSync(join(path, 'weights.bin'));
    expect(json.format).toBe('wasmgrad-model');
    expect(json.formatVersion).toBe(1);
    expect(json.model.name).toBe(model.name);
    expect(json.model.inputShape).toEqual([2, 3]);
    expect(json.model.layers.map((l) => l.className)).toEqual(['Flatten', 'Dense', 'ReLU', 'Dropout', 'Dense', 'Activation', 'Dropout', 'Dense', 'Softmax']);
    expect(json.model.layers[0].config).toEqual({ name: 'flatten', inputShape: [2, 3] });
    expect(json.model.layers[1].config).toEqual({
      name: 'dense', units: 16, activation: 'linear', useBias: true, kernelInitializer: 'glorot_uniform', biasInitializer: 'zeros',
    });
    expect(json.model.layers[6].randomState).toBeDefined(); // the seeded Dropout's own generator
    expect(json.training).toEqual({
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
      optimizer: { name: 'adam', config: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, iterations: 12 },
    });
    // Weights in trainableWeights order, then Adam's m and v for each of them.
    const weightNames = ['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_2/kernel', 'dense_2/bias'];
    expect(json.weights.tensors.map((t) => t.name)).toEqual([
      ...weightNames,
      ...weightNames.flatMap((n) => [`optimizer/${n}/0`, `optimizer/${n}/1`]),
    ]);
    expect(json.weights.tensors.slice(0, 3).map((t) => t.shape)).toEqual([[6, 16], [16], [16, 8]]);
    expect(json.weights.byteLength).toBe(bin.length);
    let at = 0;
    for (const t of json.weights.tensors) {
      expect(t.byteOffset).toBe(at);
      expect(t.byteLength).toBe(4 * t.shape.reduce((a, b) => a * b, 1));
      expect(t.sha256).toBe(createHash('sha256').update(bin.subarray(at, at + t.byteLength)).digest('hex'));
      at += t.byteLength;
    }
    // Little-endian float32: the first kernel's numbers, read back by hand.
    const kernel = model.layers[1].weights[0].data;
    for (const i of [0, 1, 95]) expect(bin.readFloatLE(4 * i)).toBe(kernel[i]);
  });

  it('the file form writes exactly what toArtifacts() holds (node:crypto and the pure-TS SHA-256 agree)', async () => {
    const path = join(folder, 'model');
    const { model } = await trainedModel(path);
    const artifacts = model.toArtifacts();
    expect(readJson(path)).toEqual(artifacts.modelJson);
    expect(new Uint8Array(readFileSync(join(path, 'weights.bin')))).toEqual(new Uint8Array(artifacts.weights));
  });

  it('round-trips in memory, as objects and as text and bytes fetched from elsewhere', async () => {
    const { model, x } = await trainedModel();
    const artifacts = model.toArtifacts();
    expect(bits(loadModelFromArtifacts(artifacts).predict(x))).toEqual(bits(model.predict(x)));
    // As a browser would get them back: JSON text, and the bytes inside a larger buffer at an odd offset.
    const padded = new Uint8Array(artifacts.weights.byteLength + 3);
    padded.set(new Uint8Array(artifacts.weights), 1);
    const fetched = { modelJson: JSON.stringify(artifacts.modelJson), weights: padded.subarray(1, 1 + artifacts.weights.byteLength) };
    expect(bits(loadModelFromArtifacts(fetched).predict(x))).toEqual(bits(model.predict(x)));
  });

  it('saves a model that was never compiled, which loads uncompiled and can then be trained', async () => {
    setSeed(1);
    const model = new Sequential([new Dense(4, { inputShape: [3], activation: 'relu' }), new Dense(2)]);
    const x = tensor([[1, 2, 3], [0, -1, 2]]);
    const path = join(folder, 'plain');
    await model.save(path);
    expect(readJson(path).training).toBeNull();
    const loaded = await loadModel(path);
    expect(loaded.optimizer).toBeNull();
    expect(bits(loaded.predict(x))).toEqual(bits(model.predict(x)));
    loaded.compile({ optimizer: 'sgd', loss: 'mse' });
    await loaded.fit(x, tensor([[1, 0], [0, 1]]), { epochs: 1, verbose: 0 });
  });
});

describe('training resumed from a saved model', () => {
  const cases: [string, () => Optimizer][] = [
    ['Adam', () => new optimizers.Adam({ learningRate: 0.01 })],
    ['SGD with Nesterov momentum', () => new optimizers.SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true })],
    ['RMSprop with momentum', () => new optimizers.RMSprop({ learningRate: 0.005, momentum: 0.5 })],
  ];
  for (const [label, optimizer] of cases) {
    it(`ends with the same weights as uninterrupted training (${label}, shuffling, dropout from the global and a seeded generator)`, async () => {
      const { x, y } = data(90, 5);
      const fit = (m: Sequential, epochs: number) => m.fit(x, y, { epochs, batchSize: 16, shuffle: true, verbose: 0 });

      setSeed(42);
      const straight = compileAndFit(makeModel(), optimizer());
      await fit(straight, 4);

      setSeed(42);
      const first = compileAndFit(makeModel(), optimizer());
      await fit(first, 2);
      const path = join(folder, 'checkpoint');
      await first.save(path);
      setSeed(999); // as if in a new process with another seed: loading must restore the stream
      const resumed = await loadModel(path);
      await fit(resumed, 2);

      expect(resumed.optimizer!.iterations).toBe(straight.optimizer!.iterations);
      const expected = straight.getWeights();
      resumed.getWeights().forEach((w, i) => expect(bits(w), `weight ${i}`).toEqual(bits(expected[i])));
    });
  }

  it('without restoring the random state the resumed run differs (so the test above is not vacuous)', async () => {
    const { x, y } = data(90, 5);
    setSeed(42);
    const straight = compileAndFit(makeModel());
    await straight.fit(x, y, { epochs: 4, batchSize: 16, verbose: 0 });
    setSeed(42);
    const first = compileAndFit(makeModel());
    await first.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    const path = join(folder, 'checkpoint');
    await first.save(path);
    setSeed(999);
    const resumed = await loadModel(path, { restoreRandomState: false });
    await resumed.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    expect(bits(resumed.getWeights()[0])).not.toEqual(bits(straight.getWeights()[0]));
  });

  it('loading sets the global generator to its saved state, or with restoreRandomState: false leaves it untouched', async () => {
    const path = join(folder, 'model');
    await trainedModel(path);
    setSeed(123);
    const before = globalRandom.getState();
    await loadModel(path, { restoreRandomState: false });
    expect(globalRandom.getState()).toEqual(before); // not even the throwaway initial weights drew from it
    await loadModel(path);
    expect(globalRandom.getState()).toEqual(readJson(path).randomState);
  });
});

describe('loading a broken model fails with a SavedModelError naming the file and the problem', () => {
  /** Expects loadModel(path) to fail with a SavedModelError about `file` matching `problem`, and no side effect. */
  async function expectLoadError(path: string, file: string, problem: RegExp): Promise<SavedModelError> {
    setSeed(31);
    const before = globalRandom.getState();
    const error = await loadModel(path).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SavedModelError);
    const e = error as SavedModelError;
    expect(e.file).toBe(join(path, file));
    expect(e.message).toContain(join(path, file));
    expect(e.message).toMatch(problem);
    expect(globalRandom.getState()).toEqual(before); // a failed load changes nothing
    return e;
  }

  it('weights.bin truncated', async () => {
    const path = join(folder, 'model');
    await trainedModel(path);
    const bin = readFileSync(join(path, 'weights.bin'));
    writeFileSync(join(path, 'weights.bin'), bin.subarray(0, bin.length - 10));
    await expectLoadError(path, 'weights.bin', new RegExp(`is truncated: it holds ${bin.length - 10} bytes, but the manifest .*model\\.json lists ${bin.length}`));
  });

  it('weights.bin longer than the manifest says', async () => {
    const path = join(folder, 'model');
    await trainedModel(path);
    const bin = readFileSync(join(path, 'weights.bin'));
    writeFileSync(join(path, 'weights.bin'), Buffer.concat([bin, Buffer.alloc(4)]));
    await expectLoadError(path, 'weights.bin', /is longer than its manifest says/);
  });

  it('one byte of weights.bin flipped', async () => {
    const path = join(folder, 'model');
    await trainedModel(path);
    const bin = readFileSync(join(path, 'weights.bin'));
    const at = 6 * 16 * 4 + 5; // inside dense/bias, just after dense/kernel
    bin[at] ^= 0x01;
    writeFileSync(join(path, 'weights.bin'), bin);
    await expectLoadError(path, 'weights.bin', /tensor 'dense\/bias' \(bytes 384 to 448\) fails its checksum: SHA-256 [0-9a-f]{64}, but .*model\.json expects/);
  });

  it('model.json deleted', async () => {
    const path = join(folder, 'model');
    await trainedModel(path);
    unlinkSync(join(path, 'model.json'));
    await expectLoadError(path, 'model.json', /not found; is .* a folder written by model\.save\(\)\?/);
  });

  it('no saved model at that path at all', async () => {
    await expectLoadError(join(folder, 'nothing-here'), 'model.json', /not found/);
  });

  it('weights.bin deleted', async () => {
    const path = join(folder, 'model');
    await trainedModel(path);
    unlinkSync(join(path, 'weights.bin'));
    await expectLoadError(path, 'weights.bin', /not found/);
  });

  it('model.json not valid JSON', async () => {
    const path = join(folder, 'model');
    await trainedModel(path);
    writeFileSync(join(path, 'model.json'), readFileSync(join(path, 'model.json'), 'utf8').slice(0, 200));
    await expectLoadError(path, 'model.json', /is not valid JSON: /);
  });

  it('model.json of another format', async () => {
    const path = join(folder, 'model');
    await trainedModel(path);
    writeJson(path, { ...readJson(path), format: 'keras' });
    await expectLoadError(path, 'model.json', /is not a saved wasmgrad model: expected format "wasmgrad-model", got "keras"/);
  });

  it('an unknown format version', async () => {
    const path = join(folder, 'model');
    await trainedModel(path);
    writeJson(path, { ...readJson(path), formatVersion: 2 });
    await expectLoadError(path, 'model.json', /unknown formatVersion 2; this wasmgrad reads version 1 \(the model was saved by a newer wasmgrad/);
  });

  it("a layer's units changed so the weights no longer fit", async () => {
    const path = join(folder, 'model');
    await trainedModel(path);
    const json = readJson(path);
    json.model.layers[1].config.units = 15;
    writeJson(path, json);
    const e = await expectLoadError(
      path,
      'model.json',
      /the weights do not fit the model: layer 'dense' needs 'dense\/kernel' of shape \[6, 15\], but tensor 0 in .*weights\.bin is 'dense\/kernel' of shape \[6, 16\]/,
    );
    expect(e.problem).toContain('weights.bin');
  });

  it('a layer removed, so there are fewer weights than the manifest lists', async () => {
    const path = join(folder, 'model');
    await trainedModel(path);
    const json = readJson(path);
    json.model.layers.splice(4, 1); // the Dense without bias
    writeJson(path, json);
    await expectLoadError(path, 'model.json', /the weights do not fit the model: the layers and optimizer in .* need 12 tensors .* but the manifest lists 15/);
  });

  it('layers that do not chain into a model for the saved input shape', async () => {
    const path = join(folder, 'model');
    await trainedModel(path);
    const json = readJson(path);
    json.model.layers.splice(0, 1); // no Flatten: the first Dense now gets samples of shape [2, 3]
    writeJson(path, json);
    await expectLoadError(path, 'model.json', /the layers in model\.layers do not form a model for inputs of shape \[2, 3\]: Dense 'dense' expected inputs of shape \[batch, features\]/);
  });

  it('an unknown layer class, and a bad layer config', async () => {
    const path = join(folder, 'model');
    await trainedModel(path);
    const json = readJson(path);
    writeJson(path, { ...json, model: { ...json.model, layers: [{ className: 'Conv3D', config: { name: 'conv' } }, ...json.model.layers] } });
    await expectLoadError(path, 'model.json', /model\.layers\[0\] \(Conv3D "conv"\) cannot be recreated: unknown layer class "Conv3D"; expected one of Dense, /);
    json.model.layers[3].config.rate = 'half';
    writeJson(path, json);
    await expectLoadError(path, 'model.json', /model\.layers\[3\] \(Dropout "dropout"\) cannot be recreated: Dropout config expected rate to be a number, got "half"/);
  });

  it('an unknown optimizer and an unknown loss', async () => {
    const path = join(folder, 'model');
    await trainedModel(path);
    const json = readJson(path);
    writeJson(path, { ...json, training: { ...json.training, optimizer: { ...json.training!.optimizer, name: 'adagrad' } } });
    await expectLoadError(path, 'model.json', /training\.optimizer\.name is "adagrad"; expected one of adam, sgd, rmsprop/);
    writeJson(path, { ...json, training: { ...json.training, loss: 'hinge' } });
    await expectLoadError(path, 'model.json', /the compile settings in "training" are not valid: .*hinge/);
  });

  it('a manifest whose sizes disagree with the shapes it lists', async () => {
    const path = join(folder, 'model');
    await trainedModel(path);
    const json = readJson(path);
    json.weights.tensors[1].byteLength = 60;
    writeJson(path, json);
    await expectLoadError(path, 'model.json', /weights\.tensors\[1\] \('dense\/bias'\) has shape \[16\], which takes 64 bytes as float32, but its byteLength is 60/);
  });

  it('in memory, the same checks name model.json and weights.bin', async () => {
    const { model } = await trainedModel();
    const { modelJson, weights } = model.toArtifacts();
    const load = (m: unknown, w: ArrayBuffer) => () => loadModelFromArtifacts({ modelJson: m as object, weights: w });
    expect(load(modelJson, weights.slice(0, 100))).toThrow(SavedModelError);
    expect(load(modelJson, weights.slice(0, 100))).toThrow(/^wasmgrad: weights\.bin: is truncated: it holds 100 bytes, but the manifest in model\.json lists/);
    expect(load({ ...modelJson, formatVersion: 0 }, weights)).toThrow(/^wasmgrad: model\.json: has unknown formatVersion 0; this wasmgrad reads version 1$/);
    expect(load('{"format": ', weights)).toThrow(/^wasmgrad: model\.json: is not valid JSON/);
  });
});

describe('saving on disk', () => {
  it('replaces an earlier save atomically: the new model loads and no temporary folder is left', async () => {
    const path = join(folder, 'model');
    const { model, x, y } = await trainedModel(path);
    const beforeMore = model.predict(x);
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    await model.save(path);
    const loaded = await loadModel(path);
    expect(bits(loaded.predict(x))).toEqual(bits(model.predict(x)));
    expect(bits(loaded.predict(x))).not.toEqual(bits(beforeMore));
    expect(entries()).toEqual(['model']);
  });

  it('a write failing midway leaves the previous model intact and loadable', async () => {
    const path = join(folder, 'model');
    const { model, x, y } = await trainedModel(path);
    const saved = model.predict(x);
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    faults.open = /\.saving-.*model\.json$/; // weights.bin is written, then model.json fails
    const error = await model.save(path).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(SavedModelError);
    expect((error as SavedModelError).file).toBe(path);
    expect((error as Error).message).toMatch(/could not be saved: ENOSPC: no space left on device \(injected\).*; the previous model there is unchanged$/);
    faults.open = null;
    expect(bits((await loadModel(path)).predict(x))).toEqual(bits(saved));
    expect(entries()).toEqual(['model']);
  });

  it('renaming the new model into place failing puts the previous one back', async () => {
    const path = join(folder, 'model');
    const { model, x, y } = await trainedModel(path);
    const saved = model.predict(x);
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    faults.rename = /\.saving-/; // the old model has been renamed away when this fails
    await expect(model.save(path)).rejects.toThrow(/could not be saved: .*injected.*the previous model there is unchanged/);
    faults.rename = null;
    expect(bits((await loadModel(path)).predict(x))).toEqual(bits(saved));
    expect(entries()).toEqual(['model']);
  });

  it('a failed first save leaves nothing behind', async () => {
    const { model } = await trainedModel();
    faults.open = /\.saving-.*weights\.bin$/;
    await expect(model.save(join(folder, 'model'))).rejects.toThrow(/could not be saved: .*nothing was written$/);
    expect(entries()).toEqual([]);
  });

  it('creates missing parent folders', async () => {
    const { model, x } = await trainedModel();
    const path = join(folder, 'runs', 'today', 'model');
    await model.save(path);
    expect(bits((await loadModel(path)).predict(x))).toEqual(bits(model.predict(x)));
  });

  it('refuses to replace a file, or a folder holding anything but a saved model', async () => {
    const { model } = await trainedModel();
    const file = join(folder, 'notes.txt');
    writeFileSync(file, 'keep me');
    await expect(model.save(file)).rejects.toThrow(/notes\.txt: exists and is not a folder; refusing to replace it/);
    const dir = join(folder, 'photos');
    mkdirSync(dir);
    writeFileSync(join(dir, 'cat.jpg'), 'meow');
    await expect(model.save(dir)).rejects.toThrow(/photos: is a folder holding other files \(cat\.jpg\); refusing to replace it/);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(existsSync(join(dir, 'cat.jpg'))).toBe(true);
  });

  it('refuses to save a model that is not built, or whose layers cannot be recreated', async () => {
    const unbuilt = new Sequential([new Dense(3)]);
    await expect(unbuilt.save(join(folder, 'm'))).rejects.toThrow(/cannot save model '.*': it has not been built yet/);
    class Custom extends Activation {
      override get className(): string {
        return 'Custom';
      }
    }
    const custom = new Sequential([new Dense(3, { inputShape: [2] }), new Custom('relu')]);
    expect(() => custom.toArtifacts()).toThrow(/layer 'custom' is a Custom, which loadModel cannot recreate; it knows Dense, Activation, ReLU, Softmax, Dropout, Flatten/);
    expect(entries()).toEqual([]);
  });
});
