// nn/tfjs.ts — a Sequential model to and from TensorFlow.js' Layers format, through the neutral
// ModelDescription of formats/tfjs.ts: the layers' configs and weights, no optimizer or generator
// state (TF.js' format has no place for ours; our own format keeps them, for resuming training).

import { formatShape, globalRandom } from '../engine/index.js';
import { planTfjs, readTfjsWeights, toTfjs, TfjsFormatError, type ModelDescription, type TfjsModelJson, type TfjsPlan, type WeightValues } from '../formats/tfjs.js';
import { layerFromConfig } from './layers/registry.js';
import { Sequential } from './sequential.js';

/** What model.json's generatedBy says for models saved here. */
export const GENERATED_BY = 'wasmgrad';

/** The model's layers and weights in the neutral form both formats hold. */
export function describeModel(model: Sequential): ModelDescription {
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
    weights: model.trainableWeights.map((w) => ({ name: w.name!, shape: [...w.shape], values: new Float32Array(w.data) })),
  };
}

/** The model in TensorFlow.js' Layers format, in memory: model.json's object and its one weight file's bytes. */
export function modelToTfjs(model: Sequential): { modelJson: TfjsModelJson; weightData: Uint8Array } {
  return toTfjs(describeModel(model), GENERATED_BY);
}

/**
 * A new model from a checked plan and its weight values: layers from their configs, built for the
 * input shape, weights checked by name and shape, then copied in. The global random generator is
 * left as it was (building draws initial weights, which the file's values replace).
 */
export function modelFromTfjsPlan(plan: TfjsPlan, weights: WeightValues[], file: string): Sequential {
  const fail = (problem: string): never => {
    throw new TfjsFormatError(file, problem);
  };
  const before = globalRandom.getState();
  try {
    const layers = plan.model.layers.map((saved) => {
      try {
        return layerFromConfig(saved.className, saved.config);
      } catch (error) {
        return fail(`layer '${String(saved.config.name)}' (${saved.className}) cannot be recreated: ${(error as Error).message.replace(/^wasmgrad: /, '')}`);
      }
    });
    let model: Sequential;
    try {
      model = new Sequential(layers, { name: plan.model.name });
      model.build(plan.model.inputShape);
    } catch (error) {
      return fail(`the layers do not form a model for inputs of shape ${formatShape(plan.model.inputShape)}: ${(error as Error).message.replace(/^wasmgrad: /, '')}`);
    }
    const params = model.trainableWeights;
    if (params.length !== weights.length) {
      fail(`the layers need ${params.length} weights (${params.map((p) => p.name).join(', ')}), the file gives ${weights.length}`);
    }
    params.forEach((param, i) => {
      const w = weights[i];
      if (w.name !== param.name || formatShape(w.shape) !== formatShape(param.shape)) {
        fail(`layer weight '${param.name}' has shape ${formatShape(param.shape)}, but the file's '${w.name}' has shape ${formatShape(w.shape)}`);
      }
    });
    model.setWeights(weights.map((w) => w.values));
    return model;
  } finally {
    globalRandom.setState(before);
  }
}

/**
 * A model from TensorFlow.js' Layers format in memory: model.json (object or text) and the bytes of
 * its weight files, concatenated in manifest order (one ArrayBuffer, as TF.js' weightData).
 */
export function modelFromTfjs(modelJson: unknown, weightData: ArrayBuffer | ArrayBufferView, file = 'model.json'): Sequential {
  let value = modelJson;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (error) {
      throw new TfjsFormatError(file, `is not valid JSON: ${(error as Error).message}`);
    }
  }
  const plan = planTfjs(value, file);
  const all = weightData instanceof ArrayBuffer ? new Uint8Array(weightData) : new Uint8Array(weightData.buffer, weightData.byteOffset, weightData.byteLength);
  const total = plan.groups.reduce((n, g) => n + g.byteLength, 0);
  if (all.byteLength !== total) {
    throw new TfjsFormatError(file, `its manifest's weights take ${total} bytes, but the weight data given holds ${all.byteLength}`);
  }
  let at = 0;
  const groups = plan.groups.map((g) => all.subarray(at, (at += g.byteLength)));
  return modelFromTfjsPlan(plan, readTfjsWeights(plan, groups, file), file);
}
