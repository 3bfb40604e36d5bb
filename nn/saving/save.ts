// nn/saving/save.ts — writing a model in the saved form (format.ts): in memory with
// modelToArtifacts (no Node imports, for browsers: store the parts in IndexedDB, send them over the
// network...), and with saveModel, built on it: on disk, folder.ts writes the two files by steps
// after which a crash at any point leaves a model that loads (the old one or the new one); in a
// page, browser.ts puts them in IndexedDB or the Downloads folder. With { format: 'tfjs' } the
// same two files hold TensorFlow.js' Layers format, from tfjs.ts (on disk only).

import { describeValue, globalRandom, type Optimizer } from '../../engine/index.js';
import { isNode } from '../../runtime/node-builtins.js';
import { Dropout } from '../layers/index.js';
import { layerClassNames } from '../layers/registry.js';
import {
  FORMAT_NAME, FORMAT_VERSION, SavedModelError, nodeDigest, optimizerBuilders, tensorsOf, writeFloats,
  type CompileSettings, type Digest, type ModelArtifacts, type ModelJson, type SavableModel, type SavedLayer, type TensorEntry,
} from './format.js';
import { DOWNLOADS_SCHEME, INDEXEDDB_SCHEME, downloadFiles, saveToIndexedDb } from './browser.js';
import { SavedModelFolderError, writeModelFolder } from './folder.js';
import { sha256Hex } from './sha256.js';
import { modelToTfjs } from './tfjs.js';

/** The in-memory saved form of a model (what model.toArtifacts() returns). */
export function modelToArtifacts(model: SavableModel, compiled: CompileSettings | null, digest: Digest = sha256Hex): ModelArtifacts {
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
      ...(compiled.weightedMetrics.length > 0 ? { weightedMetrics: [...compiled.weightedMetrics] } : {}),
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

// ---- the file form (Node) ------------------------------------------------------------------------

/** Which format model.save writes: wasmgrad's own (the default) or TensorFlow.js' Layers format. */
export type SaveFormat = 'wasmgrad' | 'tfjs';

export interface SaveOptions {
  /**
   * 'wasmgrad' (default): model.json and weights.bin, with the compile settings, optimizer and
   * generator state, so training resumes exactly. 'tfjs': TensorFlow.js' Layers format (model.json
   * and weights.bin, its manifest naming it) for tf.loadLayersModel and tensorflowjs_converter: layers
   * and weights only.
   */
  format?: SaveFormat;
}

/**
 * Saves a model into the folder `path` as model.json and weights.bin (model.save(path, options)
 * calls it), in wasmgrad's format or with { format: 'tfjs' } in TensorFlow.js'; in a page, to
 * 'indexeddb://name' or 'downloads://name' (browser.ts) instead.
 *
 * Atomic: the files are written (and flushed to disk) into a temporary folder next to the target,
 * which is then renamed into place. An existing saved model there is first renamed away, the new
 * one renamed in, and only then the old one deleted; if renaming the new one in fails, the old one
 * is put back. So a reader sees the old model or the new one, never a mix, and a failed save leaves
 * the previous model as it was. (A crash between the two renames leaves the old model in the hidden
 * folder `.<name>.old-*` beside the target.) A folder holding anything but model.json and
 * weights.bin is not ours to replace, and is refused.
 */
export async function saveModel(model: SavableModel, compiled: CompileSettings | null, path: string, options: SaveOptions = {}): Promise<void> {
  if (typeof path !== 'string' || path === '') {
    throw new Error(`wasmgrad: save expected a folder name, 'indexeddb://name' or 'downloads://name' (a non-empty string), got ${JSON.stringify(path) ?? String(path)}`);
  }
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`wasmgrad: save expected options such as { format: 'tfjs' }, got ${describeValue(options)}`);
  }
  const format = options.format ?? 'wasmgrad';
  if (format !== 'wasmgrad' && format !== 'tfjs') {
    throw new Error(`wasmgrad: save expected format 'wasmgrad' (the default) or 'tfjs', got ${describeValue(options.format)}`);
  }
  // A page has no file system: IndexedDB or the Downloads folder (browser.ts).
  if (path.startsWith(INDEXEDDB_SCHEME) || path.startsWith(DOWNLOADS_SCHEME)) {
    if (format === 'tfjs') {
      throw new SavedModelError(path, "cannot be saved in TensorFlow.js' format: in a page, take model.toArtifacts({ format: 'tfjs' }) and hand it to TensorFlow.js (tf.io.fromMemory)");
    }
    const inMemory = modelToArtifacts(model, compiled);
    const save = path.startsWith(INDEXEDDB_SCHEME) ? saveToIndexedDb : downloadFiles;
    return save(path, JSON.stringify(inMemory.modelJson), new Uint8Array(inMemory.weights));
  }
  if (!isNode) {
    throw new SavedModelError(path, "cannot be saved here: a page has no file system. Save to 'indexeddb://name' (kept by the browser) or 'downloads://name' (the user's Downloads folder), or take model.toArtifacts()");
  }
  // Both formats are the same two files: model.json and weights.bin.
  const artifacts = format === 'tfjs' ? modelToTfjs(model) : modelToArtifacts(model, compiled, await nodeDigest());
  const files = {
    weights: new Uint8Array(artifacts.weights),
    modelJson: new TextEncoder().encode(JSON.stringify(artifacts.modelJson, null, 2) + '\n'),
  };
  try {
    await writeModelFolder(path, files);
  } catch (error) {
    if (error instanceof SavedModelFolderError) throw new SavedModelError(error.path, error.problem);
    throw error;
  }
}
