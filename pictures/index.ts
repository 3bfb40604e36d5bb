// pictures/index.ts — seeing data and training from tensors: digits drawn in the terminal
// (showImages), an SVG grid of images (saveImageGrid) and SVG charts of a History (saveHistoryPlot).
// display.ts does the drawing from plain numbers; this file takes tensors and writes the files.

import { formatShape, type Tensor } from '../engine/index.js';
import { nodeBuiltin } from '../runtime/node-builtins.js';
import { digitsToText, historySvg, imageGridSvg } from './display.js';

/** What saveHistoryPlot reads from a History (nn's History has it): per-epoch series by key. */
export interface HistoryLike {
  history: Record<string, number[]>;
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

/** Draws images in the terminal with their class, as Keras' MNIST MLP tutorial's "print a few input images". */
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
export async function saveHistoryPlot(path: string, history: HistoryLike | Record<string, number[]>): Promise<void> {
  const series = history instanceof Object && 'history' in history ? (history as HistoryLike).history : (history as Record<string, number[]>);
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
