// engine/ops/conv.ts — 2-D convolution, NHWC, as one GEMM: im2col lays every window of the input out
// as a row, and the kernel [kh, kw, inChannels, filters] read as a [kh·kw·inChannels, filters]
// matrix multiplies them, bias and ReLU fused into the GEMM's epilogue. Both gradients are GEMMs too.
//
//   x [B, H, W, C]  --im2col-->  cols [B·oh·ow, kh·kw·C]
//   y [B·oh·ow, F] = relu?(cols · kernel + bias)                 (seen as [B, oh, ow, F])
//
// Backward, from dout [B, oh, ow, F] (dz = dout through the ReLU mask):
//   dkernel [kh·kw·C, F] += colsᵀ · dz        dbias [F] += Σ_rows dz
//   dcols   [B·oh·ow, kh·kw·C] = dz · kernelᵀ, then col2im adds each entry back to its pixel of dx.
// A 1x1 kernel with stride 1 and no padding needs no im2col: cols is x itself.

import { col2imInto, columnSumsInto, gemm, im2col, reluBackward } from '../../kernels/index.js';
import { empty, formatShape, record, type Tensor } from '../tensor.js';
import { windowGeometry, type Padding } from './window.js';

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
  if (kernel.rank !== 4) throw new Error(`wasmgrad: conv2d expected a kernel of shape [kh, kw, inChannels, filters], got ${formatShape(kernel.shape)}`);
  const [kh, kw, kernelChannels, filters] = kernel.shape;
  const g = windowGeometry(x.shape, { window: [kh, kw], strides, padding }, 'conv2d');
  if (g.channels !== kernelChannels) {
    throw new Error(`wasmgrad: conv2d expected an input with ${kernelChannels} channels for a kernel of shape ${formatShape(kernel.shape)}, got input ${formatShape(x.shape)}`);
  }
  if (bias !== null && (bias.rank !== 1 || bias.shape[0] !== filters)) {
    throw new Error(`wasmgrad: conv2d expected a bias of shape [${filters}], got ${formatShape(bias.shape)}`);
  }
  const M = g.batch * g.outH * g.outW; // one row per output pixel
  const K = kh * kw * g.channels; // one column per kernel weight of a filter
  const direct = kh === 1 && kw === 1 && strides[0] === 1 && strides[1] === 1; // cols = x
  let cols = x;
  if (!direct) {
    cols = empty([M, K]);
    im2col(g, x.ptr, cols.ptr);
  }
  const y = empty([g.batch, g.outH, g.outW, filters]);
  gemm({ transA: false, transB: false, M, N: filters, K, a: cols.ptr, lda: K, b: kernel.ptr, ldb: filters, c: y.ptr, ldc: filters, bias: bias === null ? 0 : bias.ptr, relu, accumulate: false });

  const inputs = bias === null ? [x, kernel] : [x, kernel, bias];
  return record(y, relu ? 'conv2d+relu' : 'conv2d', inputs, (dout) => {
    let dz = dout;
    if (relu) {
      dz = empty(dout.shape);
      reluBackward(dz.size, dz.ptr, dout.ptr, y.ptr);
    }
    // dkernel [K, F] += colsᵀ · dz
    if (kernel.requiresGrad) {
      gemm({ transA: true, transB: false, M: K, N: filters, K: M, a: cols.ptr, lda: K, b: dz.ptr, ldb: filters, c: kernel.gradBuffer().ptr, ldc: filters, bias: 0, relu: false, accumulate: true });
    }
    if (bias !== null && bias.requiresGrad) columnSumsInto(M, filters, bias.gradBuffer().ptr, dz.ptr);
    if (x.requiresGrad) {
      // dcols [M, K] = dz · kernelᵀ (kernel stored [K, F], so transB), then back to the pixels.
      const dcols = direct ? x.gradBuffer() : empty([M, K]);
      gemm({ transA: false, transB: true, M, N: K, K: filters, a: dz.ptr, lda: filters, b: kernel.ptr, ldb: filters, c: dcols.ptr, ldc: K, bias: 0, relu: false, accumulate: direct });
      if (!direct) col2imInto(g, dcols.ptr, x.gradBuffer().ptr);
    }
  });
}
