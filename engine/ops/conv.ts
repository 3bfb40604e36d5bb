// engine/ops/conv.ts — 2-D convolution, NHWC, as one GEMM: im2col lays every window of the input out
// as a row, and the kernel [kh, kw, inChannels, filters] read as a [kh·kw·inChannels, filters]
// matrix multiplies them, bias and ReLU fused into the GEMM's epilogue. Both gradients are GEMMs too.
//
//   x [B, H, W, C]  --im2col-->  cols [B·oh·ow, kh·kw·C]
//   y [B·oh·ow, F] = relu?(cols · kernel + bias)                 (seen as [B, oh, ow, F])
//
// Backward, from dout [B, oh, ow, F] (dz = dout through the ReLU mask):
//   dkernel [kh·kw·C, F] += colsᵀ · dz        dbias [F] += Σ_rows dz
//   dcols   [B·oh·ow, kh·kw·C] = dz · kernelᵀ, then col2im adds each entry back to its pixel of dx
//           (gemmCol2im: block by block as the GEMM computes them, so dcols is never stored either).
// Where x's channels come 4 at a time, cols is never stored: the two GEMMs that read it pack it
// straight from x (im2colGemm). A 1x1 kernel with stride 1 and no padding needs no im2col at all:
// cols is x itself. An input with few channels (a first layer: K = kh·kw·C of 9 for MNIST, 27 for
// RGB) makes a GEMM too shallow to pay for its packing: there the forward pass and the kernel
// gradient are direct loops instead (conv2dForward, conv2dKernelGradInto: no im2col, the ReLU's
// backward folded in), and only dx, when something needs it, goes through dz · kernelᵀ and col2im.

import {
  columnSumsInto, conv2dForward, conv2dKernelGradInto, conv2dMaxPoolForward, conv2dMaxPoolKernelGradInto,
  gemm, gemmCol2im, im2col, im2colGemm, maxPoolForward, maxPoolReluBackward, reluBackward, type WindowGeometry,
} from '../../kernels/index.js';
import { maxPool2d } from './pooling.js';
import { empty, formatShape, record, type Tensor } from '../tensor.js';
import { windowGeometry, type Padding } from './window.js';

/**
 * Up to this GEMM depth K = kh·kw·inChannels the convolution runs as direct loops, not as a GEMM.
 * Measured with bench/convnet.ts on Keras' MNIST convnet's first layer (K = 9).
 */
const DIRECT_MAX_DEPTH = 32;

/** The checked geometry of a convolution, and whether it runs as direct loops (a shallow K). */
function convGeometry(x: Tensor, kernel: Tensor, bias: Tensor | null, strides: readonly [number, number], padding: Padding, op: string) {
  if (kernel.rank !== 4) throw new Error(`wasmgrad: ${op} expected a kernel of shape [kh, kw, inChannels, filters], got ${formatShape(kernel.shape)}`);
  const [kh, kw, kernelChannels, filters] = kernel.shape;
  const g = windowGeometry(x.shape, { window: [kh, kw], strides, padding }, op);
  if (g.channels !== kernelChannels) {
    throw new Error(`wasmgrad: ${op} expected an input with ${kernelChannels} channels for a kernel of shape ${formatShape(kernel.shape)}, got input ${formatShape(x.shape)}`);
  }
  if (bias !== null && (bias.rank !== 1 || bias.shape[0] !== filters)) {
    throw new Error(`wasmgrad: ${op} expected a bias of shape [${filters}], got ${formatShape(bias.shape)}`);
  }
  const K = kh * kw * g.channels; // the GEMM's depth: one column per kernel weight of a filter
  return { g, kh, kw, filters, K, direct: conv2dRunsDirect(kh, kw, g.channels) };
}

/** Whether a kh x kw convolution over `channels` input channels runs as direct loops (not im2col + GEMM). */
export function conv2dRunsDirect(kh: number, kw: number, channels: number): boolean {
  return kh * kw * channels <= DIRECT_MAX_DEPTH && !(kh === 1 && kw === 1);
}

export interface Conv2dOptions {
  /** [strideH, strideW]. Default [1, 1]. */
  strides?: readonly [number, number];
  /** Default 'valid'. */
  padding?: Padding;
  /** Apply max(0, ·) in the GEMM's epilogue (Conv2D with activation 'relu'). */
  relu?: boolean;
}

/** y = relu?(conv2d(x, kernel) + bias): x [B, H, W, C], kernel [kh, kw, C, F], bias [F] or null → y [B, oh, ow, F]. */
export function conv2d(x: Tensor, kernel: Tensor, bias: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const { strides = [1, 1], padding = 'valid', relu = false } = options;
  const { g, filters, K, direct: directLoops } = convGeometry(x, kernel, bias, strides, padding, 'conv2d');
  const M = g.batch * g.outH * g.outW; // one row per output pixel
  const inputs = bias === null ? [x, kernel] : [x, kernel, bias];
  if (directLoops) {
    const y = empty([g.batch, g.outH, g.outW, filters]);
    conv2dForward(g, filters, relu, x.ptr, kernel.ptr, bias === null ? 0 : bias.ptr, y.ptr);
    return record(y, relu ? 'conv2d+relu' : 'conv2d', inputs, (dout) => {
      // dkernel and dbias straight from dout (masked by y > 0 when the ReLU is fused).
      const dbias = bias !== null && bias.requiresGrad ? bias.gradBuffer().ptr : 0;
      if (kernel.requiresGrad) conv2dKernelGradInto(g, filters, x.ptr, dout.ptr, relu ? y.ptr : 0, kernel.gradBuffer().ptr, dbias);
      else if (dbias !== 0) columnSumsOfDz(dout, y, relu, M, filters, dbias);
      if (x.requiresGrad) {
        const dz = relu ? empty(dout.shape) : dout;
        if (relu) reluBackward(dz.size, dz.ptr, dout.ptr, y.ptr);
        inputGradInto(dz, x, kernel, g, false, K, filters);
      }
    });
  }

  const { y, cols, colsAreX } = gemmForward(x, kernel, bias, g, K, filters, relu);
  return record(y, relu ? 'conv2d+relu' : 'conv2d', inputs, (dout) => {
    let dz = dout;
    if (relu) {
      dz = empty(dout.shape);
      reluBackward(dz.size, dz.ptr, dout.ptr, y.ptr);
    }
    gemmBackward(dz, x, kernel, bias, g, cols, colsAreX, K, filters);
  });
}

/**
 * Whether cols stays implicit: the GEMMs that read it (the forward pass, the kernel gradient) read
 * it straight from x while packing (im2colGemm), and cols, kh·kw times larger than the output, is
 * never written nor read back. That pays where a pixel's channels come 4 at a time, padding or
 * not (measured on 'same' layers of 7x7x64, 13x13x32 and 14x14x32, the forward pass and the
 * kernel gradient together: as fast as im2col into memory or a little faster, and cols' memory
 * saved); with other channel counts im2col into memory is faster.
 */
function colsStayImplicit(g: WindowGeometry): boolean {
  return g.channels % 4 === 0;
}

/**
 * The convolution as one GEMM: y [B·oh·ow, F] = relu?(cols · kernel + bias), with cols = im2col(x)
 * [B·oh·ow, K] (null: left implicit, colsStayImplicit), or x itself for a 1x1 kernel with stride 1
 * over all of x (colsAreX). cols is kept for the backward pass.
 */
function gemmForward(x: Tensor, kernel: Tensor, bias: Tensor | null, g: WindowGeometry, K: number, filters: number, relu: boolean) {
  const M = g.batch * g.outH * g.outW; // one row per output pixel
  const colsAreX = g.windowH === 1 && g.windowW === 1 && g.strideH === 1 && g.strideW === 1 && g.outH === g.height && g.outW === g.width;
  const y = empty([g.batch, g.outH, g.outW, filters]);
  const epilogue = { N: filters, b: kernel.ptr, ldb: filters, c: y.ptr, ldc: filters, bias: bias === null ? 0 : bias.ptr, relu, accumulate: false, transB: false };
  if (!colsAreX && colsStayImplicit(g)) {
    im2colGemm(g, x.ptr, { transA: false, ...epilogue });
    return { y, cols: null, colsAreX };
  }
  let cols = x;
  if (!colsAreX) {
    cols = empty([M, K]);
    im2col(g, x.ptr, cols.ptr);
  }
  gemm({ transA: false, M, K, a: cols.ptr, lda: K, ...epilogue });
  return { y, cols, colsAreX };
}

/**
 * The GEMM convolution's backward from dz [B·oh·ow, F] (dout through the ReLU mask):
 *   dkernel [K, F] += colsᵀ · dz;   dbias [F] += Σ_rows dz;   dx += col2im(dcols), dcols [B·oh·ow, K] = dz · kernelᵀ
 * each only where that input needs a gradient (cols null: implicit, read from x again).
 */
function gemmBackward(dz: Tensor, x: Tensor, kernel: Tensor, bias: Tensor | null, g: WindowGeometry, cols: Tensor | null, colsAreX: boolean, K: number, filters: number): void {
  const M = g.batch * g.outH * g.outW;
  if (kernel.requiresGrad) {
    const dkernel = { transB: false, N: filters, b: dz.ptr, ldb: filters, c: kernel.gradBuffer().ptr, ldc: filters, bias: 0, relu: false, accumulate: true };
    if (cols === null) im2colGemm(g, x.ptr, { transA: true, ...dkernel });
    else gemm({ transA: true, M: K, K: M, a: cols.ptr, lda: K, ...dkernel });
  }
  if (bias !== null && bias.requiresGrad) columnSumsInto(M, filters, bias.gradBuffer().ptr, dz.ptr);
  if (x.requiresGrad) inputGradInto(dz, x, kernel, g, colsAreX, K, filters);
}

/**
 * dx += col2im(dz · kernelᵀ), dz [B·oh·ow, F], kernel stored [K, F] (so transB): dcols [B·oh·ow, K]
 * is never stored, each block of its rows goes back to the pixels of dx as the GEMM computes it
 * (gemmCol2im); dcols is dx itself when colsAreX. The first contribution to dx writes it: no zeros first.
 */
function inputGradInto(dz: Tensor, x: Tensor, kernel: Tensor, g: WindowGeometry, colsAreX: boolean, K: number, filters: number): void {
  const M = g.batch * g.outH * g.outW;
  const accumulate = x.startGradContribution();
  const dx = x.grad!.ptr;
  const product = { transA: false, transB: true, K: filters, a: dz.ptr, lda: filters, b: kernel.ptr, ldb: filters, accumulate };
  if (colsAreX) gemm({ ...product, M, N: K, c: dx, ldc: K, bias: 0, relu: false });
  else gemmCol2im(g, dx, product);
}

/** dbias += Σ_rows dz, dz = dout through the ReLU mask when `relu` (the kernel itself needs no gradient). */
function columnSumsOfDz(dout: Tensor, y: Tensor, relu: boolean, M: number, filters: number, dbias: number): void {
  let dz = dout;
  if (relu) {
    dz = empty(dout.shape);
    reluBackward(dz.size, dz.ptr, dout.ptr, y.ptr);
  }
  columnSumsInto(M, filters, dbias, dz.ptr);
}

export interface Conv2dReluMaxPoolOptions {
  /** The convolution's [strideH, strideW]. Default [1, 1]. */
  strides?: readonly [number, number];
  /** The convolution's padding. Default 'valid'. */
  padding?: Padding;
  /** The max pooling's window [poolH, poolW]; its strides are the same, its padding 'valid'. */
  poolSize: readonly [number, number];
}

/**
 * maxPool2d(conv2d(x, kernel, bias, { relu: true }), { poolSize }) with the same values and
 * gradients, bit for bit (but, in the GEMM form, the bias gradient, summed image by image, and
 * the kernel gradient, summed over fewer output pixels and so in other blocks once they are more
 * than 384: within rounding); the pooling windows lie side by side (strides = poolSize, 'valid').
 *   x [B, H, W, C], kernel [kh, kw, C, F], bias [F] or null → [B, floor(oh / poolH), floor(ow / poolW), F]
 * Two ways, by the convolution's:
 *   - direct loops (a model's first layer), when nothing needs dx: the pooled output is computed
 *     without the convolution's output ever being stored, and the backward pass goes from dout
 *     straight to dkernel and dbias (conv2dMaxPoolForward, conv2dMaxPoolKernelGradInto): the
 *     [B, oh, ow, F] arrays, 4x larger than the pooled one, are never written or read.
 *   - a GEMM: the convolution's forward pass as conv2d's (on the outputs the pooling reads), then max pooling; backward, dz comes from
 *     dout in one pass (maxPoolReluBackward: the pooling's scatter and the ReLU's mask together, and
 *     the bias gradient's sums on the way), not four (zeroing the convolution's output gradient,
 *     the scatter into it, the mask, and the column sums reading dz back).
 * Elsewhere (direct loops and dx needed, or windows larger than the convolution's output) it is the two ops.
 */
export function conv2dReluMaxPool(x: Tensor, kernel: Tensor, bias: Tensor | null, options: Conv2dReluMaxPoolOptions): Tensor {
  const { strides = [1, 1], padding = 'valid', poolSize } = options;
  const { g, filters, K, direct } = convGeometry(x, kernel, bias, strides, padding, 'conv2dReluMaxPool');
  const [poolH, poolW] = poolSize;
  if ((direct && x.requiresGrad) || g.outH < poolH || g.outW < poolW) {
    return maxPool2d(conv2d(x, kernel, bias, { strides, padding, relu: true }), { poolSize });
  }
  const inputs = bias === null ? [x, kernel] : [x, kernel, bias];
  const shape = [g.batch, Math.floor(g.outH / poolH), Math.floor(g.outW / poolW), filters];
  const pooled = empty(shape);
  if (!direct) {
    // Only the convolution's outputs that a pooling window reads: an odd size leaves its last row
    // and column out (Keras' MNIST convnet: 10x10 of conv2's 11x11, 17% fewer rows in each of its
    // three GEMMs). Every output computed is the same sum as in the whole convolution, and the
    // ones left out would have had a zero gradient.
    const read = { ...g, outH: shape[1]! * poolH, outW: shape[2]! * poolW };
    const { y, cols, colsAreX } = gemmForward(x, kernel, bias, read, K, filters, true);
    const pool = windowGeometry(y.shape, { window: poolSize, strides: poolSize, padding: 'valid' }, 'conv2dReluMaxPool');
    maxPoolForward(pool, y.ptr, pooled.ptr);
    return record(pooled, 'conv2d+relu+maxPool2d', inputs, (dout) => {
      const dz = empty(y.shape);
      // dbias comes along with dz, image by image (dzSums [B, F]), then over the images: dz is not read again for it.
      const dzSums = bias !== null && bias.requiresGrad ? empty([g.batch, filters]) : null;
      maxPoolReluBackward(pool, y.ptr, pooled.ptr, dout.ptr, dz.ptr, dzSums === null ? 0 : dzSums.ptr);
      if (dzSums !== null) columnSumsInto(g.batch, filters, bias!.gradBuffer().ptr, dzSums.ptr);
      gemmBackward(dz, x, kernel, null, read, cols, colsAreX, K, filters);
    });
  }
  const argmax = empty(shape); // int32 window positions, in float32 storage
  const scratch = empty([g.batch, filters]);
  conv2dMaxPoolForward(g, filters, poolH, poolW, x.ptr, kernel.ptr, bias === null ? 0 : bias.ptr, pooled.ptr, argmax.ptr, scratch.ptr);
  return record(pooled, 'conv2d+relu+maxPool2d', inputs, (dout) => {
    const dbias = bias !== null && bias.requiresGrad ? bias.gradBuffer().ptr : 0;
    if (!kernel.requiresGrad && dbias === 0) return;
    const dkernel = kernel.requiresGrad ? kernel.gradBuffer().ptr : empty(kernel.shape).ptr; // a bias alone: dkernel thrown away
    conv2dMaxPoolKernelGradInto(g, filters, poolH, poolW, x.ptr, dout.ptr, pooled.ptr, argmax.ptr, dkernel, dbias);
  });
}
