// nn/utils.ts — small helpers users reach for next to a model: one-hot labels (toCategorical),
// the seed, and pictures of data and training written to files (SVG, viewable in any browser).

import { Tensor, describeValue, formatShape, tensor } from '../engine/index.js';
import type { History } from './callbacks.js';
import { digitsToText, historySvg, imageGridSvg } from './display.js';
import { nodeBuiltin } from '../runtime/node-builtins.js';

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

/** Images [n, h, w] (or [n, h·w] with a given height and width) as the display helpers want them. */
function imageArgs(images: Tensor, count: number, size?: [number, number]) {
  const [height, width] = size ?? (images.rank === 3 ? [images.shape[1], images.shape[2]] : [0, 0]);
  if (height * width === 0 || images.size / images.shape[0] !== height * width) {
    throw new Error(`wasmgrad: expected images of shape [n, height, width] (or give { size: [height, width] }), got ${formatShape(images.shape)}`);
  }
  return { values: images.data.subarray(0, Math.min(count, images.shape[0]) * height * width), count: Math.min(count, images.shape[0]), height, width };
}

export interface ShowImagesOptions {
  /** How many images, from the first. Default 10. */
  count?: number;
  /** True class ids, shown with each image. */
  labels?: Tensor | ArrayLike<number>;
  /** Predicted class ids: mistakes are marked. */
  predicted?: Tensor | ArrayLike<number>;
  /** [height, width] when images are flattened rows. */
  size?: [number, number];
  /** Names to show instead of class ids (e.g. Fashion-MNIST's). */
  classNames?: readonly string[];
  /** Pixel value of full white: 255 for raw data (default), 1 for scaled data. */
  maxValue?: number;
}

function idsOf(v: Tensor | ArrayLike<number> | undefined): ArrayLike<number> | undefined {
  return v === undefined ? undefined : 'storage' in (v as object) ? (v as Tensor).data : (v as ArrayLike<number>);
}

function scaled(values: Float32Array, maxValue: number): Float32Array {
  if (maxValue === 255) return values;
  return values.map((v) => (v / maxValue) * 255);
}

/** Draws images in the terminal with their class, as seed 003's "print a few input images". */
export function showImages(images: Tensor, options: ShowImagesOptions = {}): string {
  const { values, count, height, width } = imageArgs(images, options.count ?? 10, options.size);
  return digitsToText(scaled(values, options.maxValue ?? 255), count, height, width, idsOf(options.labels), idsOf(options.predicted));
}

/** Writes an SVG grid of images with true (and predicted) labels to `path`. Node only. */
export async function saveImageGrid(path: string, images: Tensor, options: ShowImagesOptions & { columns?: number } = {}): Promise<void> {
  const { values, count, height, width } = imageArgs(images, options.count ?? 25, options.size);
  const svg = imageGridSvg({
    images: scaled(values, options.maxValue ?? 255), count, height, width,
    labels: idsOf(options.labels), predicted: idsOf(options.predicted), columns: options.columns, classNames: options.classNames,
  });
  await writeTextFile(path, svg);
}

/** Writes an SVG chart of a History's loss and accuracy per epoch to `path`. Node only. */
export async function saveHistoryPlot(path: string, history: History | Record<string, number[]>): Promise<void> {
  const series = history instanceof Object && 'history' in history ? (history as History).history : (history as Record<string, number[]>);
  await writeTextFile(path, historySvg(series));
}

/** Writes a file atomically (a temporary file renamed into place), so nothing is ever half-written. */
async function writeTextFile(path: string, text: string): Promise<void> {
  const fs = await nodeBuiltin('node:fs/promises', 'writing a picture file');
  const nodePath = await nodeBuiltin('node:path', 'writing a picture file');
  await fs.mkdir(nodePath.dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await fs.writeFile(temp, text);
  await fs.rename(temp, path);
}
