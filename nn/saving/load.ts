// nn/saving/load.ts — reading a saved model back (format.ts): from memory with
// loadModelFromArtifacts (works in browsers) and from a folder with loadModel (Node). The model
// class comes from the caller (a ModelFactory), so this file knows layers, not Sequential.
//
// Trust: loading checks everything (files present, JSON valid, format and version known, sizes and
// SHA-256 checksums, configs, shapes against the rebuilt layers) before any number is copied into
// the model it builds; a problem is a SavedModelError naming the file and what is wrong.

import {
  describeIndex, describeValue, formatShape, globalRandom, scheduleFromConfig, type Optimizer, type SavedSchedule,
} from '../../engine/index.js';
import { nodeBuiltin } from '../../runtime/node-builtins.js';
import { Dropout } from '../layers/index.js';
import { layerFromConfig } from '../layers/registry.js';
import { resolveLoss } from '../losses.js';
import type { MetricLike } from '../metrics.js';
import {
  SavedModelError, buildWithinBudget, checkModelJson, checkWeightBytes, errorCode, hasConfigType, inMemoryNames, nodeDigest, optimizerBuilders, readFloats, reason, tensorsOf,
  type Digest, type FileNames, type LoadOptions, type LoadableModel, type ModelFactory, type ModelJson,
} from './format.js';
import {
  INDEXEDDB_SCHEME, fetchSavedFiles, isFileSelection, isUrl, loadFromIndexedDb, readPickedFiles, type SavedFiles,
} from './browser.js';
import { modelFolderCandidates, olderLeftovers, readModelJson, readWeights, type Candidate } from './folder.js';
import { sha256Hex } from './sha256.js';
import { isTfjsModelJson, loadTfjsModel, modelFromTfjsArtifacts } from './tfjs.js';

/** The most bytes a model.json may have: it holds configs and a manifest, never the numbers. */
const MAX_MODEL_JSON_BYTES = 16 * 2 ** 20;

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
function buildModel<M extends LoadableModel>(
  json: ModelJson, bytes: Uint8Array, files: FileNames, digest: Digest, makeModel: ModelFactory<M>, options: LoadOptions,
): M {
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
    // The manifest says how many bytes the weights take; building may allocate no more.
    let built: { model: M } | { overBudget: number };
    try {
      built = buildWithinBudget(makeModel, layers, json.model.name, json.model.inputShape, json.weights.byteLength, json.weights.tensors.length);
    } catch (error) {
      return fail(`the layers in model.layers do not form a model for inputs of shape ${formatShape(json.model.inputShape)}: ${reason(error)}`);
    }
    if ('overBudget' in built) {
      const at = built.overBudget;
      return fail(
        `model.layers[${at}] (${json.model.layers[at].className} ${JSON.stringify(layers[at].name)}) needs more weights than the ` +
          `${json.weights.byteLength} bytes the manifest lists for ${files.weights}: its config does not match the saved weights`,
      );
    }
    const model = built.model;
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
        if (!hasConfigType(given, type)) {
          return fail(`training.optimizer.config.${key} should be a ${type === 'rate' ? 'number or a schedule { className, config }' : type}, got ${JSON.stringify(given)}`);
        }
      }
      try {
        const config: Record<string, unknown> = { ...saved.config };
        if (typeof config.learningRate === 'object') config.learningRate = scheduleFromConfig(config.learningRate as SavedSchedule);
        optimizer = builder.make(config as never);
        // Saved metrics are names and { className, config } from JSON: compile checks them at run time.
        model.compile({ optimizer, loss: resolveLoss(loss), metrics: metrics as MetricLike[], weightedMetrics: json.training.weightedMetrics as MetricLike[] | undefined });
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

    // Every number must be finite: a checksum only proves the bytes are what was written.
    const values = entries.map((entry) => readFloats(bytes, entry.byteOffset, entry.byteLength / 4));
    values.forEach((v, i) => {
      for (let k = 0; k < v.length; k++) {
        if (v[k] - v[k] !== 0) {
          throw new SavedModelError(files.weights, `tensor '${entries[i].name}' holds ${v[k]} at ${describeIndex(entries[i].shape, k)}; saved weights must be finite numbers`);
        }
      }
    });
    // Everything checked: now copy the numbers in. Nothing below can fail on the data.
    const weightCount = model.weights.length;
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
 * Rebuilds a model with makeModel from its in-memory saved form ({ modelJson, weights }, or
 * model.json's text and weights.bin's bytes). Works in browsers. nn/models.ts binds it to Sequential.
 */
export function loadModelFromArtifacts<M extends LoadableModel>(
  artifacts: { modelJson: ModelJson | object | string; weights: ArrayBuffer | ArrayBufferView },
  makeModel: ModelFactory<M>,
  options: LoadOptions = {},
): M {
  if (artifacts === null || typeof artifacts !== 'object' || !('modelJson' in artifacts) || !('weights' in artifacts)) {
    const missing = artifacts !== null && typeof artifacts === 'object' ? ` (${'modelJson' in artifacts ? 'weights' : 'modelJson'} is missing)` : '';
    throw new Error(
      `wasmgrad: loadModelFromArtifacts expected artifacts { modelJson, weights } (what model.toArtifacts() returns), got ${describeValue(artifacts)}${missing}`,
    );
  }
  const value = typeof artifacts.modelJson === 'string' ? parseJson(artifacts.modelJson, inMemoryNames.modelJson) : artifacts.modelJson;
  if (isTfjsModelJson(value)) return modelFromTfjsArtifacts(value, bytesOf(artifacts.weights), makeModel);
  const json = checkModelJson(value, inMemoryNames.modelJson);
  return buildModel(json, bytesOf(artifacts.weights), inMemoryNames, sha256Hex, makeModel, options);
}

/**
 * Rebuilds a model with makeModel from where saveModel put it: in a page, 'indexeddb://name', a
 * URL (fetch) or the files a user picked in an <input type="file"> (browser.ts); in Node, the
 * folder `path` written by saveModel, or the path of a model.json; a model.json in TensorFlow.js'
 * Layers format goes to tfjs.ts (on disk, and in memory). Each file is
 * read bounded (files/read.ts: regular files only; model.json at most 16 MiB, checked before
 * weights.bin is read; weights.bin exactly the size its manifest declares). A save interrupted
 * by a crash leaves a pair of files that verifies in the folder or its working folder
 * (folder.ts): the folder's own pair is tried first, then those. nn/models.ts binds it to Sequential.
 */
export async function loadModel<M extends LoadableModel>(path: string | ArrayLike<File>, makeModel: ModelFactory<M>, options: LoadOptions = {}): Promise<M> {
  // In a page (browser.ts): the files a user picked, IndexedDB, or a URL.
  if (isFileSelection(path)) return fromSavedFiles(await readPickedFiles(path, MAX_MODEL_JSON_BYTES), makeModel, options);
  if (typeof path !== 'string' || path === '') {
    throw new Error(`wasmgrad: loadModel expected a folder name, a URL, 'indexeddb://name' (a non-empty string) or the files of an <input type="file">, got ${describeValue(path)}`);
  }
  if (path.startsWith(INDEXEDDB_SCHEME)) return fromSavedFiles(await loadFromIndexedDb(path), makeModel, options);
  if (isUrl(path)) return fromSavedFiles(await fetchSavedFiles(path, MAX_MODEL_JSON_BYTES), makeModel, options);
  if (path.endsWith('.json')) {
    // 'dir/model.json' is the folder 'dir'; any other .json (TF.js' browser downloads name theirs
    // 'my-model.json') can only be TensorFlow.js' format, whose manifest names its weight files.
    const { basename, dirname } = await nodeBuiltin('node:path', 'loading a model from a folder');
    if (basename(path) !== 'model.json') return loadTfjsModel(path, undefined, makeModel);
    path = dirname(path);
  }
  const digest = await nodeDigest();
  const candidates = await modelFolderCandidates(path);
  let firstError: unknown = null;
  for (const candidate of candidates) {
    try {
      return await loadCandidate(candidate, digest, makeModel, options);
    } catch (error) {
      if (!(error instanceof SavedModelError)) throw error;
      firstError ??= error;
    }
  }
  const older = await olderLeftovers(path);
  if (older.length > 0) {
    throw new SavedModelError(
      candidates[0].modelJson,
      `${reasonOf(firstError)}; an interrupted save of an earlier wasmgrad left ${older.join(', ')}: a saved model may be in there (load it with loadModel on that folder)`,
    );
  }
  if (candidates.length > 1) {
    throw new SavedModelError(
      candidates[0].modelJson,
      `${reasonOf(firstError)}; an unfinished save was also found in ${candidates[1].modelJson.replace(/\/model\.json$/, '')}, but it does not hold a complete model either`,
    );
  }
  throw firstError;
}

const reasonOf = (error: unknown) => (error as Error).message.replace(/^wasmgrad: /, '');

async function loadCandidate<M extends LoadableModel>(candidate: Candidate, digest: Digest, makeModel: ModelFactory<M>, options: LoadOptions): Promise<M> {
  const files: FileNames = { modelJson: candidate.modelJson, weights: candidate.weights };
  const read = async (file: string, reader: () => Promise<Uint8Array>): Promise<Uint8Array> => {
    try {
      return await reader();
    } catch (error) {
      const code = errorCode(error);
      const longer = /has (\d+) bytes, more than the (\d+) expected/.exec(reason(error));
      if (longer !== null && file === candidate.weights) {
        throw new SavedModelError(file, `is longer than its manifest says: it holds ${longer[1]} bytes, but the manifest in ${candidate.modelJson} lists ${longer[2]}`);
      }
      if (/does not exist/.test(reason(error)) || code === 'ENOENT') {
        throw new SavedModelError(file, `not found; is ${file.replace(/\/[^/]*$/, '')} a folder written by model.save()? (no saved model there)`);
      }
      throw new SavedModelError(file, `cannot be read: ${reason(error)}`);
    }
  };
  // model.json first, checked before weights.bin is read: a wrong format or version is the clearer message.
  const text = new TextDecoder().decode(await read(files.modelJson, () => readModelJson(files.modelJson, MAX_MODEL_JSON_BYTES)));
  const value = parseJson(text, files.modelJson);
  if (isTfjsModelJson(value)) return loadTfjsModel(files.modelJson, value, makeModel);
  const json = checkModelJson(value, files.modelJson);
  const bytes = await read(files.weights, () => readWeights(files.weights, json.weights.byteLength));
  return buildModel(json, bytes, files, digest, makeModel, options);
}

/** model.json's text, parsed; errors name `file`. */
function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SavedModelError(file, `is not valid JSON: ${reason(error)}`);
  }
}

/** model.json's text, parsed and checked as wasmgrad's format. */
function parseModelJson(text: string, file: string): ModelJson {
  return checkModelJson(parseJson(text, file), file);
}

/** A model from the two parts of the saved form, however they arrived in a page (browser.ts). */
function fromSavedFiles<M extends LoadableModel>(files: SavedFiles, makeModel: ModelFactory<M>, options: LoadOptions): M {
  return buildModel(parseModelJson(files.modelJsonText, files.names.modelJson), files.weights, files.names, sha256Hex, makeModel, options);
}
