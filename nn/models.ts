// nn/models.ts — Keras' keras.models.load_model for wasmgrad: the loaders of nn/saving/load.ts
// bound to Sequential. This is the one file that knows both, so saving never imports the model.

import { loadModel as loadFromFolder, loadModelFromArtifacts as loadFromArtifacts } from './saving/load.js';
import type { LoadOptions, ModelJson } from './saving/format.js';
import { Sequential } from './sequential.js';
import type { Layer } from './layers/index.js';

const makeSequential = (layers: Layer[], name: string): Sequential => new Sequential(layers, { name });

/**
 * Loads a model saved with model.save(path): its layers, weights, compile settings and optimizer
 * state, so predict() gives the same numbers and fit() continues where training stopped.
 * Also reads TensorFlow.js' Layers format (from model.save({ format: 'tfjs' }), TF.js' own
 * model.save, or tensorflowjs_converter from Keras): layers and weights, to be compiled again.
 * `path` is the folder or its model.json. Throws a SavedModelError naming the file and the
 * problem when anything is missing or wrong.
 *
 *   await model.save('checkpoints/mnist');               // Node: a folder
 *   const again = await loadModel('checkpoints/mnist');
 *   const converted = await loadModel('exported/model.json');
 *   await loadModel('indexeddb://mnist');                // a page: what model.save('indexeddb://mnist') kept
 *   await loadModel('https://example.com/mnist.json');   // a URL (fetch)
 *   await loadModel(input.files);                        // the .json and .bin a user picked
 */
export function loadModel(path: string | ArrayLike<File>, options: LoadOptions = {}): Promise<Sequential> {
  return loadFromFolder(path, makeSequential, options);
}

/**
 * Rebuilds a model from its in-memory saved form ({ modelJson, weights } from model.toArtifacts(),
 * or model.json's text and weights.bin's bytes from anywhere). Works in browsers. A model.json in
 * TensorFlow.js' Layers format is read too, with `weights` its weight files' bytes concatenated
 * in manifest order.
 *
 *   const copy = loadModelFromArtifacts(model.toArtifacts());   // same predictions, bit for bit
 */
export function loadModelFromArtifacts(
  artifacts: { modelJson: ModelJson | object | string; weights: ArrayBuffer | ArrayBufferView },
  options: LoadOptions = {},
): Sequential {
  return loadFromArtifacts(artifacts, makeSequential, options);
}
