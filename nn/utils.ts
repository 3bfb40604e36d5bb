// nn/utils.ts — small helpers users reach for next to a model: one-hot labels (toCategorical)
// and the seed (Keras' keras.utils). Pictures of data and training are in pictures/.

import { Tensor, describeValue, formatShape, zeros } from '../engine/index.js';

/** toCategorical refuses an inferred class count whose one-hot labels pass this size (256 MiB). */
const INFERRED_LIMIT_BYTES = 256 * 2 ** 20;

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
    let at = 0;
    for (let i = 1; i < ids.length; i++) if (ids[i] > ids[at]) at = i;
    classes = ids[at] + 1;
    // An inferred count is a guess from the data: one stray huge id would ask for gigabytes.
    // Refused before allocating, above what any real label set needs; numClasses overrides it.
    const bytes = ids.length * classes * 4;
    if (bytes > INFERRED_LIMIT_BYTES) {
      throw new RangeError(
        `wasmgrad: toCategorical inferred ${classes.toLocaleString('en-US')} classes from the largest id ${ids[at]} (at position ${at}); ` +
          `one-hot labels of shape [${ids.length}, ${classes}] would take ${bytes} bytes. Pass numClasses if you mean that many, or check the ids`,
      );
    }
  }
  if (typeof classes !== 'number' || !Number.isInteger(classes) || classes <= 0) {
    const Kind = typeof classes === 'number' ? RangeError : Error;
    throw new Kind(`wasmgrad: toCategorical expected numClasses to be a positive integer, got ${describeValue(classes)}`);
  }
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] >= classes) {
      throw new RangeError(`wasmgrad: toCategorical expected class ids in [0, ${classes - 1}] for numClasses ${classes}, got ${ids[i]} at position ${i}`);
    }
  }
  const out = zeros([ids.length, classes]); // refuses a shape no memory can hold, before allocating
  const d = out.data;
  for (let i = 0; i < ids.length; i++) d[i * classes + ids[i]] = 1;
  return out;
}
