// nn/utils.ts — small helpers users reach for next to a model: one-hot labels (toCategorical)
// and the seed (Keras' keras.utils). Pictures of data and training are in pictures/.

import { Tensor, describeValue, formatShape, tensor } from '../engine/index.js';

export { setSeed } from '../engine/index.js';

/**
 * One-hot rows from class ids: y [n] (or [n, 1]) with values in [0, numClasses) → [n, numClasses].
 * Keras' keras.utils.to_categorical; numClasses defaults to the largest id + 1.
 */
export function toCategorical(y: Tensor | ArrayLike<number>, numClasses?: number): Tensor {
  if (y === null || typeof y !== 'object' || (typeof (y as ArrayLike<number>).length !== 'number' && !(y instanceof Tensor))) {
    throw new Error(`wasmgrad: toCategorical expected class ids as a Tensor of shape [n] or a list of numbers, got ${describeValue(y)}`);
  }
  if (y instanceof Tensor && !(y.rank === 1 || (y.rank === 2 && y.shape[1] === 1))) {
    throw new Error(`wasmgrad: toCategorical expected class ids of shape [n] or [n, 1], got ${formatShape(y.shape)}`);
  }
  const ids = y instanceof Tensor ? y.data : y;
  // The ids first: a bad id (1.5, -1, NaN) is the mistake to name, not the class count it implies.
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      const Kind = typeof id === 'number' ? RangeError : Error;
      throw new Kind(`wasmgrad: toCategorical expected class ids that are non-negative integers, got ${describeValue(id)} at position ${i}`);
    }
  }
  let classes = numClasses;
  if (classes === undefined) {
    if (ids.length === 0) throw new Error('wasmgrad: toCategorical cannot infer numClasses from an empty list of ids; pass numClasses');
    classes = 0;
    for (let i = 0; i < ids.length; i++) classes = Math.max(classes, ids[i] + 1);
  }
  if (typeof classes !== 'number' || !Number.isInteger(classes) || classes <= 0) {
    const Kind = typeof classes === 'number' ? RangeError : Error;
    throw new Kind(`wasmgrad: toCategorical expected numClasses to be a positive integer, got ${describeValue(classes)}`);
  }
  const out = new Float32Array(ids.length * classes);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id >= classes) {
      throw new RangeError(`wasmgrad: toCategorical expected class ids in [0, ${classes - 1}] for numClasses ${classes}, got ${id} at position ${i}`);
    }
    out[i * classes + id] = 1;
  }
  return tensor(out, [ids.length, classes]);
}
