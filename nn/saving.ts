// nn/saving.ts — saving and loading models: a folder holding model.json (architecture, compile
// settings, optimizer and random-generator state, and the manifest of the weights) and weights.bin
// (every tensor's numbers as little-endian float32, packed in the manifest's order).
//
// Two forms. In memory — model.toArtifacts() / loadModelFromArtifacts() — with no Node imports, for
// browsers (store the two parts in IndexedDB, send them over the network...). On disk — model.save()
// / loadModel() — built on it, with node:fs loaded on demand and an atomic replace of the folder.
// Not here: Keras' .keras/HDF5 files, TensorFlow.js' format, custom layer classes.
//
// Trust: loading checks everything (files present, JSON valid, format and version known, sizes and
// SHA-256 checksums, configs, shapes against the rebuilt layers) before any number is copied into
// the model it builds; a problem is a SavedModelError naming the file and what is wrong.

import { Adam, Optimizer, Random, RMSprop, SGD, describeValue, formatShape, globalRandom, type RandomState, type Tensor } from '../engine/index.js';
import { Dropout, type Layer } from './layers/index.js';
import { layerClassNames, layerFromConfig } from './layers/registry.js';
import { resolveLoss, resolveMetrics } from './losses.js';
import { Sequential } from './sequential.js';
import { sha256Hex } from './sha256.js';
import { isNode, nodeBuiltin } from '../runtime/node-builtins.js';
import {
  DOWNLOADS_SCHEME, INDEXEDDB_SCHEME, downloadFiles, fetchSavedFiles, isFileSelection, isUrl, loadFromIndexedDb,
  readPickedFiles, saveToIndexedDb, type SavedFiles,
} from './saving/browser.js';

/** What model.json's `format` says; anything else is not ours. */
export const FORMAT_NAME = 'wasmgrad-model';
/** The layout of model.json and weights.bin described here. Bump it on any incompatible change. */
export const FORMAT_VERSION = 1;

/** One tensor in weights.bin: where its bytes are and what they must hash to. */
export interface TensorEntry {
  /** Weights: the parameter's name ('dense/kernel'). Optimizer slots: 'optimizer/<parameter>/<slot index>'. */
  name: string;
  shape: number[];
  /** Where its bytes start in weights.bin; tensors are packed, in manifest order. */
  byteOffset: number;
  /** 4 · the number of elements. */
  byteLength: number;
  /** SHA-256 of its bytes, 64 hex digits. */
  sha256: string;
}

/** One layer: enough to call its constructor again. */
export interface SavedLayer {
  /** 'Dense', 'Activation', 'ReLU', 'Softmax', 'Dropout' or 'Flatten'. */
  className: string;
  /** The layer's getConfig(). */
  config: Record<string, unknown>;
  /** Only for a Dropout with its own seed: where its mask generator had got to. */
  randomState?: RandomState;
}

/** The contents of model.json. */
export interface ModelJson {
  format: typeof FORMAT_NAME;
  formatVersion: number;
  model: {
    className: 'Sequential';
    name: string;
    /** The sample shape the model takes (no batch dimension). */
    inputShape: number[];
    layers: SavedLayer[];
  };
  /** The compile() settings and the optimizer's progress, or null for a model never compiled. */
  training: {
    loss: string;
    metrics: string[];
    optimizer: { name: string; config: Record<string, number | boolean | string>; iterations: number };
  } | null;
  /**
   * The global generator (engine/random.ts) when the model was saved. It drives shuffling and
   * unseeded dropout, so restoring it is what makes fit() after loading continue exactly as if
   * training had never stopped. Keras does not save it; we do, and loadModel restores it unless
   * told not to (options.restoreRandomState = false).
   */
  randomState: RandomState;
  weights: {
    path: 'weights.bin';
    /** The size of weights.bin. */
    byteLength: number;
    checksum: 'sha256';
    /** The model's weights in model.trainableWeights order, then each parameter's optimizer slots. */
    tensors: TensorEntry[];
  };
}

/** The saved form in memory: model.json's object and weights.bin's bytes. */
export interface ModelArtifacts {
  modelJson: ModelJson;
  weights: ArrayBuffer;
}

export interface LoadOptions {
  /**
   * Set the global random generator to where it was when the model was saved, so that training
   * resumes with the same shuffles and dropout masks as uninterrupted training. Default true.
   * With false, loading leaves the generator exactly as it found it.
   */
  restoreRandomState?: boolean;
}

/** The compile settings saving needs (Sequential passes its own). */
export interface CompileSettings {
  optimizer: Optimizer;
  loss: string;
  metrics: readonly string[];
}

/** A saved model that cannot be read or written: names the file (or folder) and the problem. */
export class SavedModelError extends Error {
  override readonly name = 'SavedModelError';

  constructor(
    /** The file or folder at fault: a full path in the file form, 'model.json' or 'weights.bin' in memory. */
    readonly file: string,
    /** What is wrong with it. */
    readonly problem: string,
  ) {
    super(`wasmgrad: ${file}: ${problem}`);
  }
}

/** Hex SHA-256 of some bytes. The file form passes node:crypto's (10x faster); same digests. */
type Digest = (bytes: Uint8Array) => string;

/** The names messages use for the two files: bare in memory, full paths in the file form. */
interface FileNames {
  modelJson: string;
  weights: string;
}

const inMemoryNames: FileNames = { modelJson: 'model.json', weights: 'weights.bin' };

/** An Error's message without our 'wasmgrad: ' prefix, for nesting it in another message. */
function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/^wasmgrad: /, '');
}

// ---- optimizers by name --------------------------------------------------------------------------

/** How to recreate each optimizer from its getConfig(): the keys it takes and their types. */
const optimizerBuilders: Record<string, { keys: Record<string, 'number' | 'boolean'>; make: (config: never) => Optimizer }> = {
  adam: { keys: { learningRate: 'number', beta1: 'number', beta2: 'number', epsilon: 'number' }, make: (c) => new Adam(c) },
  sgd: { keys: { learningRate: 'number', momentum: 'number', nesterov: 'boolean' }, make: (c) => new SGD(c) },
  rmsprop: { keys: { learningRate: 'number', rho: 'number', momentum: 'number', epsilon: 'number' }, make: (c) => new RMSprop(c) },
};

// ---- float32 <-> little-endian bytes -------------------------------------------------------------

// Typed arrays use the host's byte order; the format is little-endian. On little-endian hosts
// (x86, ARM: nearly all) the bytes are copied as they are; elsewhere they are converted one by one.
const hostIsLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function writeFloats(out: Uint8Array, at: number, values: Float32Array): void {
  if (hostIsLittleEndian) out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at);
  else {
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    for (let i = 0; i < values.length; i++) view.setFloat32(at + 4 * i, values[i], true);
  }
}

function readFloats(bytes: Uint8Array, at: number, count: number): Float32Array {
  const values = new Float32Array(count);
  if (hostIsLittleEndian) new Uint8Array(values.buffer).set(bytes.subarray(at, at + 4 * count));
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(at + 4 * i, true);
  }
  return values;
}

// ---- what a model holds, in the order the manifest lists it ---------------------------------------

interface ExpectedTensor {
  name: string;
  shape: readonly number[];
  /** Whose it is, for messages: "layer 'dense'" or "the adam optimizer". */
  owner: string;
  tensor: Tensor;
}

/** The model's weights (trainableWeights order), then each parameter's optimizer slots. */
function tensorsOf(model: Sequential, optimizer: Optimizer | null): ExpectedTensor[] {
  const params: { param: Tensor; name: string; layer: Layer }[] = [];
  for (const layer of model.layers) {
    layer.weights.forEach((param, i) => params.push({ param, name: param.name ?? `${layer.name}/weight_${i}`, layer }));
  }
  const list: ExpectedTensor[] = params.map(({ param, name, layer }) => ({ name, shape: param.shape, owner: `layer '${layer.name}'`, tensor: param }));
  if (optimizer !== null) {
    // getState creates zero slots for parameters not yet updated, so the list is always complete.
    const { slots } = optimizer.getState(params.map((p) => p.param));
    slots.forEach((paramSlots, i) =>
      paramSlots.forEach((slot, k) =>
        list.push({ name: `optimizer/${params[i].name}/${k}`, shape: slot.shape, owner: `the ${optimizer.name} optimizer`, tensor: slot }),
      ),
    );
  }
  return list;
}

// ---- saving ----------------------------------------------------------------------------------------

/** The in-memory saved form of a model (what model.toArtifacts() returns). */
export function modelToArtifacts(model: Sequential, compiled: CompileSettings | null, digest: Digest = sha256Hex): ModelArtifacts {
  const where = `cannot save model '${model.name}'`;
  if (model.layers.length === 0 || !model.layers.every((l) => l.built) || model.inputShape === null) {
    throw new Error(
      `wasmgrad: ${where}: it has not been built yet, so it has no weights; give its first layer an inputShape or call fit/predict first`,
    );
  }
  const layers: SavedLayer[] = model.layers.map((layer, i) => {
    if (!layerClassNames.includes(layer.className)) {
      throw new Error(`wasmgrad: ${where}: layer '${layer.name}' is a ${layer.className}, which loadModel cannot recreate; it knows ${layerClassNames.join(', ')}`);
    }
    const config = layer.getConfig();
    // After the first layer, each input shape follows from the layers before it (as in Keras, which
    // stores it once); writing it again would only give model.json a way to contradict itself.
    if (i > 0) delete config.inputShape;
    const saved: SavedLayer = { className: layer.className, config };
    if (layer instanceof Dropout && layer.random !== undefined) saved.randomState = layer.random.getState();
    return saved;
  });

  let training: ModelJson['training'] = null;
  if (compiled !== null) {
    const { name, ...config } = compiled.optimizer.getConfig();
    if (!Object.hasOwn(optimizerBuilders, compiled.optimizer.name)) {
      throw new Error(`wasmgrad: ${where}: its optimizer '${String(name)}' is not one loadModel can recreate; it knows ${Object.keys(optimizerBuilders).join(', ')}`);
    }
    training = {
      loss: compiled.loss,
      metrics: [...compiled.metrics],
      optimizer: { name: compiled.optimizer.name, config, iterations: compiled.optimizer.iterations },
    };
  }

  const tensors = tensorsOf(model, compiled?.optimizer ?? null);
  const byteLength = tensors.reduce((n, t) => n + 4 * t.tensor.size, 0);
  const bytes = new Uint8Array(byteLength);
  let at = 0;
  const entries: TensorEntry[] = tensors.map(({ name, tensor }) => {
    writeFloats(bytes, at, tensor.data);
    const entry = { name, shape: [...tensor.shape], byteOffset: at, byteLength: 4 * tensor.size, sha256: digest(bytes.subarray(at, at + 4 * tensor.size)) };
    at += entry.byteLength;
    return entry;
  });

  const modelJson: ModelJson = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    model: { className: 'Sequential', name: model.name, inputShape: [...model.inputShape], layers },
    training,
    randomState: globalRandom.getState(),
    weights: { path: 'weights.bin', byteLength, checksum: 'sha256', tensors: entries },
  };
  return { modelJson, weights: bytes.buffer };
}

// ---- checking model.json ---------------------------------------------------------------------------

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isShape(value: unknown, allowZero: boolean): value is number[] {
  return Array.isArray(value) && value.every((d) => Number.isInteger(d) && (allowZero ? d >= 0 : d > 0));
}

/**
 * Checks model.json's structure field by field and returns it typed. It does not yet check that
 * the layers can be built or that the weights fit them: that needs the rebuilt model.
 */
export function checkModelJson(value: unknown, file = 'model.json'): ModelJson {
  const fail = (problem: string): never => {
    throw new SavedModelError(file, problem);
  };
  if (!isObject(value)) return fail(`expected a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
  if (value.format !== FORMAT_NAME) {
    return fail(`is not a saved wasmgrad model: expected format ${JSON.stringify(FORMAT_NAME)}, got ${JSON.stringify(value.format)}`);
  }
  if (value.formatVersion !== FORMAT_VERSION) {
    const newer = typeof value.formatVersion === 'number' && value.formatVersion > FORMAT_VERSION;
    return fail(
      `has unknown formatVersion ${JSON.stringify(value.formatVersion)}; this wasmgrad reads version ${FORMAT_VERSION}` +
        (newer ? ' (the model was saved by a newer wasmgrad: upgrade to load it)' : ''),
    );
  }

  const model = value.model;
  if (!isObject(model)) return fail(`expected "model" to be an object, got ${JSON.stringify(model)}`);
  if (model.className !== 'Sequential') return fail(`expected model.className "Sequential", got ${JSON.stringify(model.className)}`);
  if (typeof model.name !== 'string') return fail(`expected model.name to be a string, got ${JSON.stringify(model.name)}`);
  if (!isShape(model.inputShape, false) || model.inputShape.length === 0) {
    return fail(`expected model.inputShape to be a list of positive integers, got ${JSON.stringify(model.inputShape)}`);
  }
  if (!Array.isArray(model.layers) || model.layers.length === 0) return fail(`expected model.layers to be a non-empty list, got ${JSON.stringify(model.layers)}`);
  model.layers.forEach((layer: unknown, i) => {
    if (!isObject(layer) || typeof layer.className !== 'string' || !isObject(layer.config)) {
      fail(`expected model.layers[${i}] to be { className, config }, got ${JSON.stringify(layer)}`);
    }
  });

  const training = value.training;
  if (training !== null) {
    if (!isObject(training)) return fail(`expected "training" to be an object or null, got ${JSON.stringify(training)}`);
    if (typeof training.loss !== 'string') return fail(`expected training.loss to be a string, got ${JSON.stringify(training.loss)}`);
    if (!Array.isArray(training.metrics) || !training.metrics.every((m) => typeof m === 'string')) {
      return fail(`expected training.metrics to be a list of strings, got ${JSON.stringify(training.metrics)}`);
    }
    const optimizer = training.optimizer;
    if (!isObject(optimizer) || typeof optimizer.name !== 'string' || !isObject(optimizer.config)) {
      return fail(`expected training.optimizer to be { name, config, iterations }, got ${JSON.stringify(optimizer)}`);
    }
    if (!Number.isInteger(optimizer.iterations) || (optimizer.iterations as number) < 0) {
      return fail(`expected training.optimizer.iterations to be a non-negative integer, got ${JSON.stringify(optimizer.iterations)}`);
    }
  }

  // Random.setState checks a state thoroughly; borrow it on a throwaway generator.
  const checkRandomState = (state: unknown, what: string): void => {
    try {
      new Random(0).setState(state as RandomState);
    } catch (error) {
      fail(`${what} is not a valid generator state: ${reason(error)}`);
    }
  };
  checkRandomState(value.randomState, 'randomState');
  model.layers.forEach((layer: Json, i) => {
    if (layer.randomState !== undefined) checkRandomState(layer.randomState, `model.layers[${i}].randomState`);
  });

  const weights = value.weights;
  if (!isObject(weights)) return fail(`expected "weights" (the manifest) to be an object, got ${JSON.stringify(weights)}`);
  if (weights.path !== 'weights.bin') return fail(`expected weights.path "weights.bin", got ${JSON.stringify(weights.path)}`);
  if (weights.checksum !== 'sha256') return fail(`expected weights.checksum "sha256", got ${JSON.stringify(weights.checksum)}`);
  if (!Number.isInteger(weights.byteLength) || (weights.byteLength as number) < 0) {
    return fail(`expected weights.byteLength to be a non-negative integer, got ${JSON.stringify(weights.byteLength)}`);
  }
  if (!Array.isArray(weights.tensors)) return fail(`expected weights.tensors to be a list, got ${JSON.stringify(weights.tensors)}`);
  let at = 0;
  weights.tensors.forEach((entry: unknown, i) => {
    const what = `weights.tensors[${i}]`;
    if (!isObject(entry) || typeof entry.name !== 'string' || !isShape(entry.shape, true)) {
      return fail(`expected ${what} to be { name, shape, byteOffset, byteLength, sha256 }, got ${JSON.stringify(entry)}`);
    }
    const size = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.byteLength !== 4 * size) {
      return fail(`${what} ('${entry.name}') has shape ${formatShape(entry.shape)}, which takes ${4 * size} bytes as float32, but its byteLength is ${JSON.stringify(entry.byteLength)}`);
    }
    if (entry.byteOffset !== at) {
      return fail(`${what} ('${entry.name}') starts at byte ${JSON.stringify(entry.byteOffset)}, expected ${at} (tensors are packed in order)`);
    }
    if (typeof entry.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.sha256)) {
      return fail(`${what} ('${entry.name}') expected sha256 to be 64 lowercase hex digits, got ${JSON.stringify(entry.sha256)}`);
    }
    at += entry.byteLength;
  });
  if (at !== weights.byteLength) {
    return fail(`the tensors in weights.tensors take ${at} bytes, but weights.byteLength says ${JSON.stringify(weights.byteLength)}`);
  }
  return value as unknown as ModelJson;
}

/** Checks weights.bin's size and every tensor's checksum against the manifest. */
function checkWeightBytes(manifest: ModelJson['weights'], bytes: Uint8Array, files: FileNames, digest: Digest): void {
  if (bytes.byteLength !== manifest.byteLength) {
    const problem = bytes.byteLength < manifest.byteLength ? 'is truncated' : 'is longer than its manifest says';
    throw new SavedModelError(
      files.weights,
      `${problem}: it holds ${bytes.byteLength} bytes, but the manifest in ${files.modelJson} lists ${manifest.byteLength}`,
    );
  }
  for (const entry of manifest.tensors) {
    const actual = digest(bytes.subarray(entry.byteOffset, entry.byteOffset + entry.byteLength));
    if (actual !== entry.sha256) {
      throw new SavedModelError(
        files.weights,
        `tensor '${entry.name}' (bytes ${entry.byteOffset} to ${entry.byteOffset + entry.byteLength}) fails its checksum: ` +
          `SHA-256 ${actual}, but ${files.modelJson} expects ${entry.sha256}; the file is damaged or was changed after saving`,
      );
    }
  }
}

// ---- loading ---------------------------------------------------------------------------------------

function bytesOf(weights: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (weights instanceof ArrayBuffer) return new Uint8Array(weights);
  if (ArrayBuffer.isView(weights)) return new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  throw new Error(`wasmgrad: loadModelFromArtifacts expected weights to be an ArrayBuffer or a typed array, got ${Object.prototype.toString.call(weights)}`);
}

/**
 * Rebuilds a model from a checked model.json and weights.bin's bytes. Everything is checked
 * before any number is copied in; if anything is wrong, the model being built is dropped and the
 * global random generator is left as it was.
 */
function buildModel(json: ModelJson, bytes: Uint8Array, files: FileNames, digest: Digest, options: LoadOptions): Sequential {
  checkWeightBytes(json.weights, bytes, files, digest);
  const fail = (problem: string): never => {
    throw new SavedModelError(files.modelJson, problem);
  };
  // Building a layer draws its initial weights from the global generator; those draws must not
  // show in the stream that follows loading (they are overwritten anyway).
  const before = globalRandom.getState();
  try {
    const layers = json.model.layers.map((saved, i) => {
      try {
        return layerFromConfig(saved.className, saved.config);
      } catch (error) {
        return fail(`model.layers[${i}] (${saved.className} ${JSON.stringify(saved.config.name)}) cannot be recreated: ${reason(error)}`);
      }
    });
    let model: Sequential;
    try {
      model = new Sequential(layers, { name: json.model.name });
      model.build(json.model.inputShape);
    } catch (error) {
      return fail(`the layers in model.layers do not form a model for inputs of shape ${formatShape(json.model.inputShape)}: ${reason(error)}`);
    }

    let optimizer: Optimizer | null = null;
    if (json.training !== null) {
      const { loss, metrics, optimizer: saved } = json.training;
      const builder = Object.hasOwn(optimizerBuilders, saved.name) ? optimizerBuilders[saved.name] : undefined;
      if (builder === undefined) {
        return fail(`training.optimizer.name is ${JSON.stringify(saved.name)}; expected one of ${Object.keys(optimizerBuilders).join(', ')}`);
      }
      for (const [key, given] of Object.entries(saved.config)) {
        const type = Object.hasOwn(builder.keys, key) ? builder.keys[key] : undefined;
        if (type === undefined) return fail(`training.optimizer.config has an unknown key ${JSON.stringify(key)} for ${saved.name}; expected only ${Object.keys(builder.keys).join(', ')}`);
        if (typeof given !== type) return fail(`training.optimizer.config.${key} should be a ${type}, got ${JSON.stringify(given)}`);
      }
      try {
        optimizer = builder.make(saved.config as never);
        model.compile({ optimizer, loss: resolveLoss(loss), metrics: resolveMetrics(metrics) });
      } catch (error) {
        return fail(`the compile settings in "training" are not valid: ${reason(error)}`);
      }
    }

    // Do the weights fit the rebuilt topology? Same count, same names, same shapes, same order.
    const expected = tensorsOf(model, optimizer);
    const entries = json.weights.tensors;
    if (entries.length !== expected.length) {
      return fail(
        `the weights do not fit the model: the layers${optimizer !== null ? ' and optimizer' : ''} in ${files.modelJson} need ${expected.length} tensors ` +
          `(${expected.map((t) => t.name).join(', ')}), but the manifest lists ${entries.length} for ${files.weights}`,
      );
    }
    expected.forEach((want, i) => {
      const entry = entries[i];
      if (entry.name !== want.name || formatShape(entry.shape) !== formatShape(want.shape)) {
        fail(
          `the weights do not fit the model: ${want.owner} needs '${want.name}' of shape ${formatShape(want.shape)}, ` +
            `but tensor ${i} in ${files.weights} is '${entry.name}' of shape ${formatShape(entry.shape)}`,
        );
      }
    });
    json.model.layers.forEach((saved, i) => {
      const layer = model.layers[i];
      if (saved.randomState !== undefined && !(layer instanceof Dropout && layer.random !== undefined)) {
        fail(`model.layers[${i}] has a randomState, but layer '${layer.name}' has no generator of its own (only a Dropout with a seed does)`);
      }
    });

    // Everything checked: now copy the numbers in. Nothing below can fail on the data.
    const values = entries.map((entry) => readFloats(bytes, entry.byteOffset, entry.byteLength / 4));
    const weightCount = model.trainableWeights.length;
    model.setWeights(values.slice(0, weightCount));
    if (optimizer !== null) {
      const params = model.trainableWeights;
      let next = weightCount;
      const slots = optimizer.getState(params).slots.map((paramSlots, i) => paramSlots.map(() => ({ shape: params[i].shape, data: values[next++] })));
      optimizer.setState(params, { iterations: json.training!.optimizer.iterations, slots });
    }
    json.model.layers.forEach((saved, i) => {
      const layer = model.layers[i];
      if (saved.randomState !== undefined && layer instanceof Dropout) layer.random!.setState(saved.randomState);
    });
    globalRandom.setState((options.restoreRandomState ?? true) ? json.randomState : before);
    return model;
  } catch (error) {
    globalRandom.setState(before);
    throw error;
  }
}

/**
 * Rebuilds a model from its in-memory saved form ({ modelJson, weights } from model.toArtifacts(),
 * or model.json's text and weights.bin's bytes from anywhere). Works in browsers.
 *
 *   const artifacts = model.toArtifacts();
 *   const copy = loadModelFromArtifacts(artifacts);   // same predictions, bit for bit
 */
export function loadModelFromArtifacts(
  artifacts: { modelJson: ModelJson | object | string; weights: ArrayBuffer | ArrayBufferView },
  options: LoadOptions = {},
): Sequential {
  let value: unknown = artifacts.modelJson;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (error) {
      throw new SavedModelError(inMemoryNames.modelJson, `is not valid JSON: ${reason(error)}`);
    }
  }
  const json = checkModelJson(value, inMemoryNames.modelJson);
  return buildModel(json, bytesOf(artifacts.weights), inMemoryNames, sha256Hex, options);
}

// ---- the file form (Node) ----------------------------------------------------------------------------
// node: modules are imported inside the functions, so a browser bundle of the in-memory form never
// loads them.

async function nodeDigest(): Promise<Digest> {
  const { createHash } = await nodeBuiltin('node:crypto', 'saving a model to a folder');
  return (bytes) => createHash('sha256').update(bytes).digest('hex');
}

function errorCode(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}

/**
 * Saves a model into the folder `path` as model.json and weights.bin (model.save(path) calls it).
 *
 * Atomic: both files are written (and flushed to disk) into a temporary folder next to the target,
 * which is then renamed into place. An existing saved model there is first renamed away, the new
 * one renamed in, and only then the old one deleted; if renaming the new one in fails, the old one
 * is put back. So a reader sees the old model or the new one, never a mix, and a failed save leaves
 * the previous model as it was. (A crash between the two renames leaves the old model in the hidden
 * folder `.<name>.old-*` beside the target.) A folder holding anything but model.json and
 * weights.bin is not ours to replace, and is refused.
 */
export async function saveModel(model: Sequential, compiled: CompileSettings | null, path: string): Promise<void> {
  if (typeof path !== 'string') throw new TypeError(`wasmgrad: model.save expected a path or 'indexeddb://name' or 'downloads://name', got ${typeof path}`);
  if (path.startsWith(INDEXEDDB_SCHEME) || path.startsWith(DOWNLOADS_SCHEME)) {
    const artifacts = modelToArtifacts(model, compiled);
    const save = path.startsWith(INDEXEDDB_SCHEME) ? saveToIndexedDb : downloadFiles;
    return save(path, JSON.stringify(artifacts.modelJson), new Uint8Array(artifacts.weights));
  }
  if (!isNode) {
    throw new SavedModelError(path, "cannot be saved here: a page has no file system. Save to 'indexeddb://name' (kept by the browser) or 'downloads://name' (the user's Downloads folder), or take model.toArtifacts()");
  }
  const fs = await nodeBuiltin('node:fs/promises', 'saving a model to a folder');
  const { basename, dirname, join, resolve } = await nodeBuiltin('node:path', 'saving a model to a folder');
  const artifacts = modelToArtifacts(model, compiled, await nodeDigest());
  const target = resolve(path);
  const parent = dirname(target);
  const name = basename(target);

  let replacing = false;
  try {
    const stat = await fs.stat(target);
    if (!stat.isDirectory()) throw new SavedModelError(target, 'exists and is not a folder; refusing to replace it with a saved model');
    const foreign = (await fs.readdir(target)).filter((entry) => entry !== 'model.json' && entry !== 'weights.bin');
    if (foreign.length > 0) {
      throw new SavedModelError(target, `is a folder holding other files (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''}); refusing to replace it with a saved model`);
    }
    replacing = true;
  } catch (error) {
    if (error instanceof SavedModelError) throw error;
    if (errorCode(error) !== 'ENOENT') throw new SavedModelError(target, `cannot be examined before saving: ${reason(error)}`);
  }

  // Hidden names beside the target, unique per attempt. Math.random, not the seeded generator:
  // saving must not change the random stream training goes on with.
  const unique = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const temporary = join(parent, `.${name}.saving-${unique}`);
  const old = join(parent, `.${name}.old-${unique}`);
  try {
    await fs.mkdir(parent, { recursive: true });
    await fs.mkdir(temporary);
    const files: [string, Uint8Array][] = [
      ['weights.bin', new Uint8Array(artifacts.weights)],
      ['model.json', new TextEncoder().encode(JSON.stringify(artifacts.modelJson, null, 2) + '\n')],
    ];
    for (const [file, data] of files) {
      const handle = await fs.open(join(temporary, file), 'w');
      try {
        await handle.writeFile(data);
        await handle.sync(); // on disk before the rename makes it visible
      } finally {
        await handle.close();
      }
    }
    if (replacing) {
      await fs.rename(target, old);
      try {
        await fs.rename(temporary, target);
      } catch (error) {
        try {
          await fs.rename(old, target);
        } catch {
          throw new SavedModelError(target, `could not be saved (${reason(error)}), and the previous model could not be put back: it is in ${old}`);
        }
        throw error;
      }
      // The new model is in place; a leftover old copy is clutter, not a failure.
      await fs.rm(old, { recursive: true, force: true }).catch(() => undefined);
    } else {
      await fs.rename(temporary, target);
    }
  } catch (error) {
    await fs.rm(temporary, { recursive: true, force: true }).catch(() => undefined);
    if (error instanceof SavedModelError) throw error;
    throw new SavedModelError(target, `could not be saved: ${reason(error)}; ${replacing ? 'the previous model there is unchanged' : 'nothing was written'}`);
  }
  // Make the renames themselves durable; not every platform can open a folder (Windows), so best effort.
  try {
    const dir = await fs.open(parent, 'r');
    await dir.sync().finally(() => dir.close());
  } catch {
    /* the files are already flushed; only the rename might be lost on power failure */
  }
}

/**
 * Loads a model saved with model.save(path): its layers, weights, compile settings and optimizer
 * state, so predict() gives the same numbers and fit() continues where training stopped.
 * Throws a SavedModelError naming the file and the problem when anything is missing or wrong.
 *
 *   await model.save('checkpoints/mnist');
 *   const again = await loadModel('checkpoints/mnist');
 */
export async function loadModel(path: string | ArrayLike<File>, options: LoadOptions = {}): Promise<Sequential> {
  if (isFileSelection(path)) return fromSavedFiles(await readPickedFiles(path), sha256Hex, options);
  if (typeof path !== 'string') {
    throw new TypeError(`wasmgrad: loadModel expected a path, a URL, 'indexeddb://name' or the files of an <input type="file">, got ${describeValue(path)}`);
  }
  if (path.startsWith(INDEXEDDB_SCHEME)) return fromSavedFiles(await loadFromIndexedDb(path), sha256Hex, options);
  if (isUrl(path)) return fromSavedFiles(await fetchSavedFiles(path), sha256Hex, options);
  const fs = await nodeBuiltin('node:fs/promises', 'loading a model from a folder');
  const { join, resolve } = await nodeBuiltin('node:path', 'loading a model from a folder');
  const folder = resolve(path);
  const files: FileNames = { modelJson: join(folder, 'model.json'), weights: join(folder, 'weights.bin') };
  const read = async (file: string): Promise<Uint8Array> => {
    try {
      return await fs.readFile(file);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT') throw new SavedModelError(file, `not found; is ${folder} a folder written by model.save()?`);
      throw new SavedModelError(file, `cannot be read: ${reason(error)}`);
    }
  };
  // model.json first, checked before weights.bin is read: a wrong format or version is the clearer message.
  const json = parseModelJson(new TextDecoder().decode(await read(files.modelJson)), files.modelJson);
  const bytes = await read(files.weights);
  return buildModel(json, bytes, files, await nodeDigest(), options);
}

/** model.json's text, parsed and checked. */
function parseModelJson(text: string, file: string): ModelJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SavedModelError(file, `is not valid JSON: ${reason(error)}`);
  }
  return checkModelJson(value, file);
}

/** A model from the two parts of the saved form, however they arrived (nn/saving/browser.ts). */
function fromSavedFiles(files: SavedFiles, digest: Digest, options: LoadOptions): Sequential {
  return buildModel(parseModelJson(files.modelJsonText, files.names.modelJson), files.weights, files.names, digest, options);
}
