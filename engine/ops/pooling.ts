// engine/ops/pooling.ts — max and average pooling over NHWC images, and their global forms (one
// window covering the whole image). The loops are kernels (kernels/assembly/conv.ts); this file
// checks shapes, allocates, and records the backward passes.
//
//   x [B, H, W, C] → y [B, oh, ow, C]          (global: y [B, C])
//   max:     dx += dout at the first pixel of each window that holds its maximum
//   average: dx += dout / (pixels in the window) at each pixel of the window

import {
  avgPoolBackwardInto, avgPoolForward, maxPoolBackwardInto, maxPoolForward, type WindowGeometry,
} from '../../kernels/index.js';
import { empty, record, type Shape, type Tensor } from '../tensor.js';
import { windowGeometry, type Padding } from './window.js';

export interface Pool2dOptions {
  /** [poolH, poolW]. */
  poolSize: readonly [number, number];
  /** [strideH, strideW]. Default: poolSize. */
  strides?: readonly [number, number];
  /** Default 'valid'. */
  padding?: Padding;
}

type Kind = 'max' | 'avg';

function pool(x: Tensor, g: WindowGeometry, outShape: Shape, kind: Kind): Tensor {
  const y = empty(outShape);
  if (kind === 'max') maxPoolForward(g, x.ptr, y.ptr);
  else avgPoolForward(g, x.ptr, y.ptr);
  return record(y, `${kind}Pool2d`, [x], (dout) => {
    if (kind === 'max') maxPoolBackwardInto(g, x.ptr, y.ptr, dout.ptr, x.gradBuffer().ptr);
    else avgPoolBackwardInto(g, dout.ptr, x.gradBuffer().ptr);
  });
}

function pool2d(x: Tensor, options: Pool2dOptions, kind: Kind): Tensor {
  const { poolSize, strides = poolSize, padding = 'valid' } = options;
  const g = windowGeometry(x.shape, { window: poolSize, strides, padding }, `${kind}Pool2d`);
  return pool(x, g, [g.batch, g.outH, g.outW, g.channels], kind);
}

/** y[b, oy, ox, c] = max of x over the window at (oy, ox). */
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  return pool2d(x, options, 'max');
}

/** y[b, oy, ox, c] = mean of x over the window's pixels inside the image. */
export function avgPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  return pool2d(x, options, 'avg');
}

function globalPool(x: Tensor, kind: Kind): Tensor {
  const op = kind === 'max' ? 'globalMaxPool2d' : 'globalAvgPool2d';
  const [, height = 1, width = 1] = x.shape;
  const g = windowGeometry(x.shape, { window: [height, width], strides: [1, 1], padding: 'valid' }, op);
  return pool(x, g, [g.batch, g.channels], kind); // [B, 1, 1, C] is laid out as [B, C]
}

/** y[b, c] = max over every pixel of x[b, ·, ·, c]. */
export function globalMaxPool2d(x: Tensor): Tensor {
  return globalPool(x, 'max');
}

/** y[b, c] = mean over every pixel of x[b, ·, ·, c]. */
export function globalAvgPool2d(x: Tensor): Tensor {
  return globalPool(x, 'avg');
}
