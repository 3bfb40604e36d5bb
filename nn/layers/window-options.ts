// nn/layers/window-options.ts — reading the options that Conv2D and the pooling layers share, with
// Keras' spellings and clear errors: sizes as a number or a pair, padding, data format, and the
// check that samples are images [height, width, channels]. Not a layer itself.

import { describeValue, formatShape, windowAxis, type Padding } from '../../engine/index.js';

/** A size given as 3 or [3, 3] (kernelSize, strides, poolSize), as a checked pair of positive integers. */
export function readPair(value: unknown, what: string, where: string): [number, number] {
  const pair = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(pair) || pair.length !== 2 || pair.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d <= 0)) {
    throw new Error(`wasmgrad: ${where} expected ${what} to be a positive integer or a pair of them such as 3 or [3, 3], got ${describeValue(value)}`);
  }
  return [pair[0], pair[1]];
}

/** 'valid' or 'same' (Keras' names; any case). */
export function readPadding(value: unknown, where: string): Padding {
  const padding = value === undefined ? 'valid' : typeof value === 'string' ? value.toLowerCase() : value;
  if (padding !== 'valid' && padding !== 'same') {
    throw new Error(`wasmgrad: ${where} expected padding 'valid' or 'same', got ${describeValue(value)}`);
  }
  return padding;
}

/** Only channels_last (NHWC, Keras' default) exists here; channels_first is refused by name. */
export function checkDataFormat(value: unknown, where: string): void {
  if (value === undefined) return;
  const format = typeof value === 'string' ? value.toLowerCase().replace(/_/g, '') : value;
  if (format === 'channelslast') return;
  if (format === 'channelsfirst') {
    throw new Error(
      `wasmgrad: ${where} supports only dataFormat 'channels_last' (images [batch, height, width, channels], Keras' default), got 'channels_first'; ` +
        'transpose the images to [batch, height, width, channels] and drop the dataFormat option',
    );
  }
  throw new Error(`wasmgrad: ${where} expected dataFormat 'channels_last', got ${describeValue(value)}`);
}

/**
 * Samples must be images [height, width, channels]. For anything else the error shows the reshape
 * that usually fixes it: flat MNIST rows [784] or grey images [28, 28] become [n, 28, 28, 1].
 */
export function checkImageShape(inputShape: readonly number[], where: string): void {
  if (inputShape.length === 3) return;
  let hint = '';
  if (inputShape.length === 2) hint = `; for one-channel images add the channel axis: x.reshape([n, ${inputShape[0]}, ${inputShape[1]}, 1])`;
  else if (inputShape.length === 1) {
    const side = Math.round(Math.sqrt(inputShape[0]));
    hint = side * side === inputShape[0] ? `; for ${side}x${side} one-channel images: x.reshape([n, ${side}, ${side}, 1])` : '';
  }
  throw new Error(
    `wasmgrad: ${where} expected inputs of shape [batch, height, width, channels], got samples of shape ${formatShape(inputShape)}${hint}`,
  );
}

/** [outHeight, outWidth] of a window over [height, width, ...], refusing a 'valid' window larger than the image. */
export function windowOutputSize(inputShape: readonly number[], window: [number, number], strides: [number, number], padding: Padding, where: string): [number, number] {
  const [height, width] = inputShape;
  if (padding === 'valid' && (window[0] > height || window[1] > width)) {
    throw new Error(
      `wasmgrad: ${where} with padding 'valid' needs a window no larger than its input: the window is ${window[0]}x${window[1]}, ` +
        `the input ${height}x${width} (samples of shape ${formatShape(inputShape)}); use padding 'same' or a smaller window`,
    );
  }
  return [windowAxis(height, window[0], strides[0], padding).out, windowAxis(width, window[1], strides[1], padding).out];
}
