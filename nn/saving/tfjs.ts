// nn/saving/tfjs.ts — a model to and from TensorFlow.js' Layers format, through the neutral
// ModelDescription of formats/tfjs.ts: the layers' configs and weights, no compile settings and no
// optimizer or generator state (the format has no place for ours; our own format keeps them).
// Like the rest of the saving room it sees the model through SavableModel and ModelFactory only.

import { describeIndex, formatShape, globalRandom } from '../../engine/index.js';
import { TfjsFormatError, planTfjs, readTfjsWeights, toTfjs, type ModelDescription, type TfjsModelJson, type TfjsPlan, type WeightValues } from '../../formats/tfjs.js';
import { FileReadError } from '../../files/read.js';
import { readTfjsModel } from '../../formats/tfjs-files.js';
import { layerFromConfig } from '../layers/registry.js';
import { SavedModelError, buildWithinBudget, reason, type LoadableModel, type ModelFactory, type SavableModel } from './format.js';

/** What model.json's generatedBy says for models saved here. */
const GENERATED_BY = 'wasmgrad';

/** A model in TensorFlow.js' Layers format, in memory: model.json's object and its weight file's bytes. */
export interface TfjsArtifacts {
  modelJson: TfjsModelJson;
  /** The weight file's bytes (weights.bin): every weight, float32 little-endian, in manifest order. */
  weights: ArrayBuffer;
}

/** True for a model.json in TensorFlow.js' Layers format (or its graph format, refused later by name). */
export function isTfjsModelJson(value: unknown): boolean {
  return value !== null && typeof value === 'object' && 'modelTopology' in value && !('formatVersion' in value);
}

/** The model's layers and weights in the neutral form both formats hold. */
function describeModel(model: SavableModel): ModelDescription {
  if (model.layers.length === 0 || !model.layers.every((l) => l.built) || model.inputShape === null) {
    throw new Error(
      `wasmgrad: cannot save model '${model.name}': it has not been built yet, so it has no weights; give its first layer an inputShape or call fit/predict first`,
    );
  }
  return {
    name: model.name,
    inputShape: [...model.inputShape],
    layers: model.layers.map((layer) => {
      const { inputShape: _shape, ...config } = layer.getConfig();
      return { className: layer.className, config };
    }),
    // Keras' order: layer by layer, each layer's trainable weights, then the others (BatchNormalization's moving statistics).
    weights: model.layers.flatMap((layer) => [...layer.weights, ...layer.nonTrainableWeights]).map((w) => ({ name: w.name!, shape: [...w.shape], values: new Float32Array(w.data) })),
  };
}

/** The model in TensorFlow.js' Layers format, in memory (what model.toArtifacts({ format: 'tfjs' }) returns). */
export function modelToTfjs(model: SavableModel): TfjsArtifacts {
  const { modelJson, weightData } = toTfjs(describeModel(model), GENERATED_BY);
  return { modelJson, weights: weightData.buffer as ArrayBuffer };
}

/** Our errors carry a file and a problem; so do the format's and the file reader's: one class for the user to catch. */
function asSavedModelError(error: unknown): unknown {
  if (error instanceof TfjsFormatError) return new SavedModelError(error.file, error.problem);
  if (error instanceof FileReadError) return new SavedModelError(error.path, `cannot be read: ${reason(error)}`);
  return error;
}

/**
 * A new model from a checked plan and its weight values: layers from their configs, built for the
 * input shape, weights checked by name and shape, then copied in. The global random generator is
 * left as it was (building draws initial weights, which the file's values replace).
 */
export function modelFromTfjsPlan<M extends LoadableModel>(plan: TfjsPlan, weights: WeightValues[], file: string, makeModel: ModelFactory<M>): M {
  const fail = (problem: string): never => {
    throw new SavedModelError(file, problem);
  };
  const before = globalRandom.getState();
  try {
    const layers = plan.model.layers.map((saved) => {
      try {
        return layerFromConfig(saved.className, saved.config);
      } catch (error) {
        return fail(`layer '${String(saved.config.name)}' (${saved.className}) cannot be recreated: ${reason(error)}`);
      }
    });
    // The manifest says how many bytes the weights take; building may allocate no more.
    const weightBytes = 4 * weights.reduce((n, w) => n + w.values.length, 0);
    let built: { model: M } | { overBudget: number };
    try {
      built = buildWithinBudget(makeModel, layers, plan.model.name, plan.model.inputShape, weightBytes, weights.length);
    } catch (error) {
      return fail(`the layers do not form a model for inputs of shape ${formatShape(plan.model.inputShape)}: ${reason(error)}`);
    }
    if ('overBudget' in built) {
      const layer = layers[built.overBudget];
      return fail(`layer '${layer.name}' (${layer.className}) needs more weights than the manifest lists: its config does not match the saved weights`);
    }
    const model = built.model;
    const params = model.weights; // trainable and not, in setWeights' order
    if (params.length !== weights.length) {
      fail(`the layers need ${params.length} weights (${params.map((p) => p.name).join(', ')}), the file gives ${weights.length}`);
    }
    params.forEach((param, i) => {
      const w = weights[i];
      if (w.name !== param.name || formatShape(w.shape) !== formatShape(param.shape)) {
        fail(`layer weight '${param.name}' has shape ${formatShape(param.shape)}, but the file's '${w.name}' has shape ${formatShape(w.shape)}`);
      }
    });
    // Every number must be finite: NaN or Infinity in a weight would silently spoil every prediction.
    for (const w of weights) {
      for (let k = 0; k < w.values.length; k++) {
        if (w.values[k] - w.values[k] !== 0) fail(`weight '${w.name}' holds ${w.values[k]} at ${describeIndex(w.shape, k)}; saved weights must be finite numbers`);
      }
    }
    model.setWeights(weights.map((w) => w.values));
    return model;
  } finally {
    globalRandom.setState(before);
  }
}

/**
 * A model from TensorFlow.js' Layers format in memory: model.json (parsed) and the bytes of its
 * weight files concatenated in manifest order (one buffer, as TF.js' own weightData).
 */
export function modelFromTfjsArtifacts<M extends LoadableModel>(value: unknown, weights: Uint8Array, makeModel: ModelFactory<M>, file = 'model.json'): M {
  try {
    const plan = planTfjs(value, file);
    const total = plan.groups.reduce((n, g) => n + g.byteLength, 0);
    if (weights.byteLength !== total) {
      throw new TfjsFormatError(file, `its manifest's weights take ${total} bytes, but the weight data given holds ${weights.byteLength}`);
    }
    let at = 0;
    const groups = plan.groups.map((g) => weights.subarray(at, (at += g.byteLength)));
    return modelFromTfjsPlan(plan, readTfjsWeights(plan, groups, file), file, makeModel);
  } catch (error) {
    throw asSavedModelError(error);
  }
}

/**
 * A model from TensorFlow.js' Layers format on disk: `file` is its model.json, `value` the JSON
 * when loadModel has already read it (bounded), else undefined and it is read here.
 */
export async function loadTfjsModel<M extends LoadableModel>(file: string, value: unknown, makeModel: ModelFactory<M>): Promise<M> {
  try {
    const { plan, weights } = await readTfjsModel(file, value === undefined ? undefined : { file, value });
    return modelFromTfjsPlan(plan, weights, file, makeModel);
  } catch (error) {
    throw asSavedModelError(error);
  }
}
