// nn/saving/format.ts — the saved-model format: a folder holding model.json (architecture, compile
// settings, optimizer and random-generator state, and the manifest of the weights) and weights.bin
// (every tensor's numbers as little-endian float32, packed in the manifest's order). Its types, its
// checks and the order of its tensors live here; save.ts writes it, load.ts reads it.
// Not here: Keras' .keras/HDF5 files, custom layer classes; TensorFlow.js' format is tfjs.ts'.

import { nodeBuiltin } from '../../runtime/node-builtins.js';
import { Adam, Optimizer, Random, RMSprop, SGD, formatShape, withAllocationBudget, type OptimizerConfig, type RandomState, type Tensor } from '../../engine/index.js';
import type { Layer } from '../layers/index.js';
import type { LossName } from '../losses.js';
import type { MetricLike, SavedMetric } from '../metrics.js';

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
    /** Metric names ('accuracy'), or { className, config } for metrics with options (Precision, AUC...). */
    metrics: SavedMetric[];
    /** compile()'s weightedMetrics (absent in files from before they existed: none). */
    weightedMetrics?: SavedMetric[];
    optimizer: { name: string; config: OptimizerConfig; iterations: number };
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
    /** The model's weights in model.weights order (non-trainable ones too), then each parameter's optimizer slots. */
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

/** The compile settings saving needs (the model passes its own). */
export interface CompileSettings {
  optimizer: Optimizer;
  loss: string;
  metrics: readonly SavedMetric[];
  weightedMetrics: readonly SavedMetric[];
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

/** Hex SHA-256 of some bytes: sha256.ts in memory, node:crypto's in the file form (same digests). */
export type Digest = (bytes: Uint8Array) => string;

/** The names messages use for the two files: bare in memory, full paths in the file form. */
export interface FileNames {
  modelJson: string;
  weights: string;
}

export const inMemoryNames: FileNames = { modelJson: 'model.json', weights: 'weights.bin' };

/** An Error's message without our 'wasmgrad: ' prefix, for nesting it in another message. */
export function reason(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/^wasmgrad: /, '');
}

// ---- optimizers by name --------------------------------------------------------------------------

/** The type of an optimizer config value: 'rate' is a number or a schedule's { className, config }. */
export type ConfigType = 'number' | 'boolean' | 'rate';

/** How to recreate each optimizer from its getConfig(): the keys it takes and their types. */
export const optimizerBuilders: Record<string, { keys: Record<string, ConfigType>; make: (config: never) => Optimizer }> = {
  adam: { keys: { learningRate: 'rate', beta1: 'number', beta2: 'number', epsilon: 'number' }, make: (c) => new Adam(c) },
  sgd: { keys: { learningRate: 'rate', momentum: 'number', nesterov: 'boolean' }, make: (c) => new SGD(c) },
  rmsprop: { keys: { learningRate: 'rate', rho: 'number', momentum: 'number', epsilon: 'number' }, make: (c) => new RMSprop(c) },
};

/** Whether a saved config value has the type a key wants. */
export function hasConfigType(value: unknown, type: ConfigType): boolean {
  if (type !== 'rate') return typeof value === type;
  return typeof value === 'number' || (isObject(value) && typeof value.className === 'string' && isObject(value.config));
}

// ---- float32 <-> little-endian bytes -------------------------------------------------------------

// Typed arrays use the host's byte order; the format is little-endian. On little-endian hosts
// (x86, ARM: nearly all) the bytes are copied as they are; elsewhere they are converted one by one.
const hostIsLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function writeFloats(out: Uint8Array, at: number, values: Float32Array): void {
  if (hostIsLittleEndian) out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at);
  else {
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    for (let i = 0; i < values.length; i++) view.setFloat32(at + 4 * i, values[i], true);
  }
}

export function readFloats(bytes: Uint8Array, at: number, count: number): Float32Array {
  const values = new Float32Array(count);
  if (hostIsLittleEndian) new Uint8Array(values.buffer).set(bytes.subarray(at, at + 4 * count));
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(at + 4 * i, true);
  }
  return values;
}

// ---- the model, as saving sees it ------------------------------------------------------------------
// Saving and loading reach the model through these two interfaces, never through Sequential's
// class: Sequential imports saving (model.save), so saving importing Sequential would be a cycle.

/** What saving reads from a model: its name, its layers (with their weights) and its input shape. */
export interface SavableModel {
  readonly name: string;
  readonly layers: readonly Layer[];
  readonly inputShape: number[] | null;
}

/** What loading needs of the model it rebuilds: build, compile, and take the saved weights. */
export interface LoadableModel extends SavableModel {
  build(inputShape: readonly number[]): void;
  compile(options: { optimizer: Optimizer; loss: LossName; metrics?: MetricLike[]; weightedMetrics?: MetricLike[] }): void;
  readonly trainableWeights: Tensor[];
  /** Every weight, trainable and not, in setWeights' order. */
  readonly weights: Tensor[];
  setWeights(weights: ArrayLike<Tensor | ArrayLike<number>>): void;
}

/** How loading makes the model from its rebuilt layers; nn/models.ts passes Sequential's constructor. */
export type ModelFactory<M extends LoadableModel> = (layers: Layer[], name: string) => M;

/**
 * Makes the model and builds it for `inputShape` (which a model does as layers join it, when their
 * input shape is known), allowing it to allocate only the bytes the saved weights take plus
 * rounding, so that a config that lies (units: 250000000) fails before it allocates. Returns the
 * model, or the index of the layer that asked for more; any other error is thrown as it is.
 */
export function buildWithinBudget<M extends LoadableModel>(
  makeModel: ModelFactory<M>, layers: Layer[], name: string, inputShape: readonly number[], weightBytes: number, tensorCount: number,
): { model: M } | { overBudget: number } {
  const budget = weightBytes + 64 * (tensorCount + 4) + 2 ** 16;
  try {
    return {
      model: withAllocationBudget(budget, () => {
        const built = makeModel(layers, name);
        built.build(inputShape);
        return built;
      }),
    };
  } catch (error) {
    // Layers build in order and mark themselves built before allocating: the last marked failed.
    const at = layers.map((l) => l.built).lastIndexOf(true);
    if (error instanceof RangeError && /allowed for this task/.test(error.message) && at >= 0) return { overBudget: at };
    throw error;
  }
}

// ---- what a model holds, in the order the manifest lists it ---------------------------------------

export interface ExpectedTensor {
  name: string;
  shape: readonly number[];
  /** Whose it is, for messages: "layer 'dense'" or "the adam optimizer". */
  owner: string;
  tensor: Tensor;
}

/** The model's weights (model.weights order: non-trainable ones too), then each parameter's optimizer slots. */
export function tensorsOf(model: SavableModel, optimizer: Optimizer | null): ExpectedTensor[] {
  const params: { param: Tensor; name: string; layer: Layer }[] = [];
  const list: ExpectedTensor[] = [];
  for (const layer of model.layers) {
    // Each layer's trainable weights, then its non-trainable ones (model.weights' order); only
    // the trainable ones have optimizer slots.
    layer.weights.forEach((param, i) => params.push({ param, name: param.name ?? `${layer.name}/weight_${i}`, layer }));
    [...layer.weights, ...layer.nonTrainableWeights].forEach((tensor, i) =>
      list.push({ name: tensor.name ?? `${layer.name}/weight_${i}`, shape: tensor.shape, owner: `layer '${layer.name}'`, tensor }),
    );
  }
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
    const isMetric = (m: unknown) => typeof m === 'string' || (isObject(m) && typeof m.className === 'string' && isObject(m.config));
    if (!Array.isArray(training.metrics) || !training.metrics.every(isMetric)) {
      return fail(`expected training.metrics to be a list of names or { className, config }, got ${JSON.stringify(training.metrics)}`);
    }
    if (training.weightedMetrics !== undefined && (!Array.isArray(training.weightedMetrics) || !training.weightedMetrics.every(isMetric))) {
      return fail(`expected training.weightedMetrics to be a list of names or { className, config }, got ${JSON.stringify(training.weightedMetrics)}`);
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
export function checkWeightBytes(manifest: ModelJson['weights'], bytes: Uint8Array, files: FileNames, digest: Digest): void {
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

// ---- Node helpers for the file form -----------------------------------------------------------------
// Node's modules come from runtime/node-builtins.ts on first use, so a browser bundle never meets them.

/** node:crypto's SHA-256 (about 10x faster than sha256.ts, same digests). */
export async function nodeDigest(): Promise<Digest> {
  const { createHash } = await nodeBuiltin('node:crypto', 'saving or loading a model in a folder');
  return (bytes) => createHash('sha256').update(bytes).digest('hex');
}

export function errorCode(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}
