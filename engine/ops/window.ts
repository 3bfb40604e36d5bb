// engine/ops/window.ts — where a sliding window (a convolution's kernel, a pooling window) sits over
// an NHWC input: output sizes and padding by TensorFlow's 'valid' and 'same' rules. Pure arithmetic,
// shared by conv2d and the pooling ops (and by layers' computeOutputShape); no tensors are touched.

import type { WindowGeometry } from '../../kernels/index.js';

export type Padding = 'valid' | 'same';

/**
 * Output length and padding before the first position, along one axis of `size` inputs:
 *   'valid': out = floor((size - window) / stride) + 1, no padding (window must fit: window <= size)
 *   'same':  out = ceil(size / stride); padTotal = max((out - 1)·stride + window - size, 0),
 *            padBefore = floor(padTotal / 2), the rest after (an odd total puts the extra at the end).
 */
export function windowAxis(size: number, window: number, stride: number, padding: Padding): { out: number; padBefore: number } {
  if (padding === 'valid') return { out: size >= window ? Math.floor((size - window) / stride) + 1 : 0, padBefore: 0 };
  const out = Math.ceil(size / stride);
  return { out, padBefore: Math.floor(Math.max((out - 1) * stride + window - size, 0) / 2) };
}

export interface WindowOptions {
  window: readonly [number, number];
  strides: readonly [number, number];
  padding: Padding;
}

/**
 * The geometry of a window over inputs of shape [batch, height, width, channels], checked: `op` and
 * the shapes are named when the input is not 4-D or a 'valid' window is larger than the input.
 */
export function windowGeometry(shape: readonly number[], options: WindowOptions, op: string): WindowGeometry {
  if (shape.length !== 4) {
    throw new Error(`wasmgrad: ${op} expected a 4-D input [batch, height, width, channels], got shape [${shape.join(', ')}]`);
  }
  const [batch, height, width, channels] = shape;
  const [windowH, windowW] = options.window;
  const [strideH, strideW] = options.strides;
  if (options.padding === 'valid' && (windowH > height || windowW > width)) {
    throw new Error(
      `wasmgrad: ${op} with padding 'valid' needs a window no larger than its input: the window is ${windowH}x${windowW}, ` +
        `the input ${height}x${width} (shape [${shape.join(', ')}]); use padding 'same' or a smaller window`,
    );
  }
  const h = windowAxis(height, windowH, strideH, options.padding);
  const w = windowAxis(width, windowW, strideW, options.padding);
  return { batch, height, width, channels, windowH, windowW, strideH, strideW, padTop: h.padBefore, padLeft: w.padBefore, outH: h.out, outW: w.out };
}
