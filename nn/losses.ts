// nn/losses.ts — Keras loss names mapped onto the engine's fused losses (metrics: metrics.ts).
//
// Like Keras (TensorFlow), when a model ends in softmax and its loss is a categorical
// cross-entropy, the loss is computed from the logits before the softmax: the same value, but
// stable (no log of 0) and with the simple gradient softmax - target. Likewise sigmoid with binary
// cross-entropy. Otherwise the output is taken as probabilities and clipped, as Keras does.

import {
  binaryCrossEntropy, crossEntropyFromProbabilities, formatShape, meanSquaredError, softmaxCrossEntropy, type SampleWeight, type Tensor,
} from '../engine/index.js';
import { canonicalName, type Spelling } from './activations.js';

export type LossName = 'sparse_categorical_crossentropy' | 'categorical_crossentropy' | 'mean_squared_error' | 'binary_crossentropy';

const lossAliases: Record<string, LossName> = {
  sparsecategoricalcrossentropy: 'sparse_categorical_crossentropy',
  categoricalcrossentropy: 'categorical_crossentropy',
  mse: 'mean_squared_error',
  meansquarederror: 'mean_squared_error',
  binarycrossentropy: 'binary_crossentropy',
};

/** The loss names compile() takes, in snake_case or camelCase: a misspelt one fails tsc. */
export type LossIdentifier = Spelling<LossName | 'mse'>;

export const lossNames: readonly LossIdentifier[] = ['sparse_categorical_crossentropy', 'categorical_crossentropy', 'mean_squared_error', 'mse', 'binary_crossentropy'];

export function resolveLoss(name: unknown): LossName {
  const found = typeof name === 'string' ? lossAliases[canonicalName(name)] : undefined;
  if (found === undefined) {
    throw new Error(
      `wasmgrad: compile() got an unknown loss ${JSON.stringify(name)}; expected one of ${lossNames.map((n) => `'${n}'`).join(', ')} (camelCase works too)`,
    );
  }
  return found;
}

/** Which activation the loss can absorb, computing from the values before it ('logits'). */
export function fusableActivation(loss: LossName): 'softmax' | 'sigmoid' | null {
  if (loss === 'sparse_categorical_crossentropy' || loss === 'categorical_crossentropy') return 'softmax';
  if (loss === 'binary_crossentropy') return 'sigmoid';
  return null;
}

/**
 * The loss of a batch: `fromLogits` when the model's final activation was left to the loss;
 * sampleWeight [batch] (or null) weights each sample's term as Keras' sample_weight does.
 */
export function computeLoss(loss: LossName, output: Tensor, labels: Tensor, fromLogits: boolean, sampleWeight: SampleWeight = null): Tensor {
  switch (loss) {
    case 'sparse_categorical_crossentropy':
    case 'categorical_crossentropy':
      return fromLogits ? softmaxCrossEntropy(output, labels, sampleWeight) : crossEntropyFromProbabilities(output, labels, sampleWeight);
    case 'binary_crossentropy':
      return binaryCrossEntropy(output, labels, { fromLogits, sampleWeight });
    case 'mean_squared_error':
      return meanSquaredError(output, labels, sampleWeight);
  }
}

/**
 * Checks that labels suit the loss before any training starts, in Keras' words where it has them:
 * one-hot rows with a sparse loss, or class ids with a categorical loss, are the classic mix-ups.
 */
export function checkLabels(loss: LossName, labels: Tensor, outputShape: readonly number[], what = 'labels'): void {
  const classes = outputShape[outputShape.length - 1];
  const n = labels.shape[0];
  const isIds = labels.rank === 1 || (labels.rank === 2 && labels.shape[1] === 1);
  if (loss === 'sparse_categorical_crossentropy') {
    if (!isIds) {
      throw new Error(
        `wasmgrad: loss 'sparse_categorical_crossentropy' expects integer class ids of shape [${n}], got ${what} of shape ${formatShape(labels.shape)} ` +
          `(one-hot rows?); use loss 'categorical_crossentropy' for one-hot labels`,
      );
    }
    checkClassIds(labels, classes, loss, what);
  } else if (loss === 'categorical_crossentropy') {
    if (labels.rank !== 2 || labels.shape[1] !== classes) {
      const hint = isIds
        ? `these look like class ids: one-hot encode them with toCategorical(y, ${classes}), or use loss 'sparse_categorical_crossentropy'`
        : `the model outputs ${classes} classes`;
      throw new Error(
        `wasmgrad: loss 'categorical_crossentropy' expects one-hot labels of shape [${n}, ${classes}], got ${what} of shape ${formatShape(labels.shape)}; ${hint}`,
      );
    }
    checkProbabilities(labels, loss, what, 'one-hot (or probability) rows with values in [0, 1]', '');
  } else {
    const expected = [n, ...outputShape];
    const size = expected.reduce((a, b) => a * b, 1);
    if (labels.size !== size) {
      throw new Error(`wasmgrad: loss '${loss}' expects targets of shape ${formatShape(expected)}, got ${what} of shape ${formatShape(labels.shape)}`);
    }
    if (loss === 'binary_crossentropy') {
      const hint = classes === 1
        ? '; for class ids 0, 1, 2, ... use loss \'sparse_categorical_crossentropy\' and a softmax output with one unit per class'
        : '';
      checkProbabilities(labels, loss, what, 'targets in [0, 1]', hint);
    }
  }
}

function checkClassIds(labels: Tensor, classes: number, loss: string, what: string): void {
  const L = labels.data;
  for (let i = 0; i < L.length; i++) {
    if (!Number.isInteger(L[i]) || L[i] < 0 || L[i] >= classes) {
      throw new RangeError(
        `wasmgrad: loss '${loss}' expects class ids in [0, ${classes - 1}] (the model outputs ${classes} classes), got ${L[i]} in ${what} for sample ${i}`,
      );
    }
  }
}

/** Cross-entropies take probabilities as targets: a value outside [0, 1] is a mix-up, not a label. */
function checkProbabilities(labels: Tensor, loss: string, what: string, expected: string, hint: string): void {
  const L = labels.data;
  const rowSize = labels.shape[0] === 0 ? 1 : labels.size / labels.shape[0];
  for (let i = 0; i < L.length; i++) {
    if (!(L[i] >= 0 && L[i] <= 1)) {
      throw new RangeError(
        `wasmgrad: loss '${loss}' expects ${expected}, got ${L[i]} in ${what} for sample ${Math.floor(i / rowSize)}${hint}`,
      );
    }
  }
}
