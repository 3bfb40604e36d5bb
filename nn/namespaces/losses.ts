// nn/namespaces/losses.ts — Keras' keras.losses as functions of (yTrue, yPred), for computing a loss
// outside fit: `losses.sparseCategoricalCrossentropy(y, model.predict(x))`. Each is the mean over
// the batch (Keras' loss classes' default reduction) and differentiable; compile() takes the names.

import {
  binaryCrossEntropy, crossEntropyFromProbabilities, meanSquaredError as meanSquaredErrorOp, softmaxCrossEntropy, type Tensor,
} from '../../engine/index.js';
import { checkLabels, type LossName } from '../losses.js';

export { lossNames as names } from '../losses.js';
export type { LossIdentifier } from '../losses.js';

export interface CrossentropyOptions {
  /** yPred holds logits (no softmax or sigmoid applied yet). Default false: probabilities. */
  fromLogits?: boolean;
}

function categorical(loss: LossName, yTrue: Tensor, yPred: Tensor, options: CrossentropyOptions): Tensor {
  checkLabels(loss, yTrue, yPred.shape.slice(1), 'yTrue');
  return options.fromLogits ? softmaxCrossEntropy(yPred, yTrue) : crossEntropyFromProbabilities(yPred, yTrue);
}

/** Mean of -log p[id]: yTrue class ids [batch], yPred probabilities (or logits) [batch, classes]. */
export function sparseCategoricalCrossentropy(yTrue: Tensor, yPred: Tensor, options: CrossentropyOptions = {}): Tensor {
  return categorical('sparse_categorical_crossentropy', yTrue, yPred, options);
}

/** Mean of -Σ t · log p: yTrue one-hot rows [batch, classes], yPred probabilities (or logits) [batch, classes]. */
export function categoricalCrossentropy(yTrue: Tensor, yPred: Tensor, options: CrossentropyOptions = {}): Tensor {
  return categorical('categorical_crossentropy', yTrue, yPred, options);
}

/** Mean of -(t · log p + (1 - t) · log(1 - p)) over every element; targets in [0, 1]. */
export function binaryCrossentropy(yTrue: Tensor, yPred: Tensor, options: CrossentropyOptions = {}): Tensor {
  checkLabels('binary_crossentropy', yTrue, yPred.shape.slice(1), 'yTrue');
  return binaryCrossEntropy(yPred, yTrue, { fromLogits: options.fromLogits ?? false });
}

/** Mean of (yPred - yTrue)² over every element. */
export function meanSquaredError(yTrue: Tensor, yPred: Tensor): Tensor {
  return meanSquaredErrorOp(yPred, yTrue);
}

/** Keras' short name for meanSquaredError. */
export const mse = meanSquaredError;
