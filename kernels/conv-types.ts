// kernels/conv-types.ts — the contract of the convnet kernels (im2col/col2im, pooling, batch-norm
// sums), part of the Kernels interface (kernels/types.ts): kernels/conv-reference.ts computes them
// in plain TypeScript, kernels/assembly/conv.ts in WebAssembly SIMD (wrapped by kernels/conv-wasm.ts,
// reached through kernels/index.ts like every kernel). Nothing here knows Tensor.
//
// Images are NHWC (channels_last): pixel (b, y, x) holds its C channels contiguously. Pointers are
// byte offsets into the one memory, 4-byte aligned; counts are floats. "Into" kernels add (+=).

/**
 * Where a window (a convolution's kernel or a pooling window) sits over an NHWC input:
 * output pixel (oy, ox) covers input rows oy·strideH - padTop + [0, windowH) and columns
 * ox·strideW - padLeft + [0, windowW); positions outside the input are padding.
 */
export interface WindowGeometry {
  batch: number;
  height: number;
  width: number;
  channels: number;
  windowH: number;
  windowW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

/**
 * The direct convolution's kernel gradients (conv2dKernelGradInto, conv2dMaxPoolKernelGradInto) are
 * sums over every output pixel of the batch. So that threads can share one and still give the bits
 * of one thread, the batch is cut into gradientChunks(batch) chunks of consecutive images (chunk c:
 * images [floor(c·batch / chunks), floor((c + 1)·batch / chunks))); each chunk's sum runs from 0
 * over its own images, and the chunks' sums are then added into dkernel and dbias in chunk order.
 * The count depends on the batch alone, never on the threads; 16 lets up to 16 threads share the
 * work, and its cost (16 partial gradients zeroed and added) is a few thousand floats.
 */
export const GRADIENT_CHUNKS = 16;

/** How many chunks a batch's kernel gradient is summed in: one per image up to GRADIENT_CHUNKS. */
export function gradientChunks(batch: number): number {
  return Math.min(batch, GRADIENT_CHUNKS);
}

export interface ConvKernels {
  /**
   * cols[(b, oy, ox), (ky, kx, c)] = x[b, oy·sH - padTop + ky, ox·sW - padLeft + kx, c], 0 in the padding.
   * x [batch, height, width, channels] -> cols [batch·outH·outW, windowH·windowW·channels].
   */
  im2col(g: WindowGeometry, x: number, cols: number): void;
  /** The adjoint of im2col: dx [batch, height, width, channels] += each dcols entry at its source pixel. */
  col2imInto(g: WindowGeometry, dcols: number, dx: number): void;
  /**
   * A convolution without im2col, for inputs with few channels: y[b, oy, ox, f] = relu?(bias[f] +
   * Σ_(ky, kx, c) x[b, iy, ix, c]·kernel[ky, kx, c, f]), taps in the padding skipped, summed from the
   * bias (0 when bias is 0) in (ky, kx, c) order, float32 multiply then add (fused in the relaxed
   * WebAssembly build: within rounding); relu: max(0, ·), NaN → 0.
   * x [batch, height, width, channels], kernel [windowH, windowW, channels, filters], y [batch, outH, outW, filters].
   */
  conv2dForward(g: WindowGeometry, filters: number, relu: boolean, x: number, kernel: number, bias: number, y: number): void;
  /**
   * conv2dForward's kernel and bias gradients, ReLU's backward folded in: dz = y > 0 ? dout : 0
   * (dz = dout when y is 0); dkernel[ky, kx, c, f] += Σ_(b, oy, ox) x[b, iy, ix, c]·dz[b, oy, ox, f]
   * and dbias[f] += Σ dz[b, oy, ox, f] (skipped when dbias is 0), in chunks of images (GRADIENT_CHUNKS):
   * each chunk's sums from 0, its output pixels in order, float32 multiply then add (fused in the
   * relaxed WebAssembly build: within rounding); then dkernel and dbias += the chunks' sums in order.
   */
  conv2dKernelGradInto(g: WindowGeometry, filters: number, x: number, dout: number, y: number, dkernel: number, dbias: number): void;
  /**
   * conv2dForward with its ReLU, then max pooling over pool.h x pool.w windows side by side (strides
   * = pool size, 'valid'), the convolution's output never stored: pooled [batch, outH / poolH,
   * outW / poolW, filters] (rounded down) = maxPoolForward(conv2dForward(x)) to the bit (on the same backend), and argmax
   * (int32, same shape) = dy·poolW + dx of the first window pixel holding the max. scratch: [batch, filters].
   */
  conv2dMaxPoolForward(g: WindowGeometry, filters: number, poolH: number, poolW: number, x: number, kernel: number, bias: number, pooled: number, argmax: number, scratch: number): void;
  /**
   * conv2dMaxPoolForward's kernel and bias gradients from dpooled: dz = (pooled > 0 ? 0 + dpooled : 0)
   * at each window's argmax pixel, 0 elsewhere, then conv2dKernelGradInto's sums (dbias skipped when
   * 0, the same chunks) over the output rows the windows cover.
   */
  conv2dMaxPoolKernelGradInto(g: WindowGeometry, filters: number, poolH: number, poolW: number, x: number, dpooled: number, pooled: number, argmax: number, dkernel: number, dbias: number): void;
  /** y [batch, outH, outW, channels] = the max of x over each window (padding takes no part). */
  maxPoolForward(g: WindowGeometry, x: number, y: number): void;
  /** dx += dy at the first pixel (row order) of each window where x equals the window's max y. */
  maxPoolBackwardInto(g: WindowGeometry, x: number, y: number, dy: number, dx: number): void;
  /**
   * Max pooling's and ReLU's backward in one pass, for windows side by side (strides = window, no
   * padding) over x, a ReLU's output: dz = 0 + dy at the first pixel (row order) of each window where
   * x equals the window's max y, when x > 0 there; 0 at every other pixel. dz [batch, height, width,
   * channels] is overwritten: what maxPoolBackwardInto into zeros, then reluBackward, leave.
   * With dzSums (0: none), [batch, channels] is overwritten with each image's column sums of dz (a
   * convolution's bias gradient, image by image): from 0, windows in (oy, ox) order, each window's
   * pixels by rows, f32 additions (the pixels no window covers add nothing: they are zeros).
   */
  maxPoolReluBackward(g: WindowGeometry, x: number, y: number, dy: number, dz: number, dzSums?: number): void;
  /** y = the mean of x over each window's pixels inside the input (sum in row order, then one division). */
  avgPoolForward(g: WindowGeometry, x: number, y: number): void;
  /** dx += dy / (pixels of its window) at every pixel of each window. */
  avgPoolBackwardInto(g: WindowGeometry, dy: number, dx: number): void;
  /**
   * Per column j of a rows x cols matrix x: mean[j] = Σ_r x[r, j] / rows and variance[j] =
   * Σ_r (x[r, j] - mean)² / rows (biased), summed in float64 down the rows, stored as float32.
   */
  columnMeanVariance(rows: number, cols: number, x: number, mean: number, variance: number): void;
  /** y[r, j] = relu?(x[r, j]·scale[j] + shift[j]) (float32 multiply, then add; relu: max(0, ·), NaN → 0). y may be x. */
  columnScaleShift(rows: number, cols: number, x: number, y: number, scale: number, shift: number, relu: boolean): void;
  /** sumDy[j] = Σ_r dy[r, j], sumDyCentered[j] = Σ_r dy[r, j]·(x[r, j] - mean[j]), in float64, stored as float32. */
  columnCenteredSums(rows: number, cols: number, dy: number, x: number, mean: number, sumDy: number, sumDyCentered: number): void;
  /** dx[r, j] += (a[j]·dy[r, j] + b[j]·(x[r, j] - mean[j])) + d[j], in float32, in that order. */
  batchNormBackwardInto(rows: number, cols: number, dx: number, dy: number, x: number, mean: number, a: number, b: number, d: number): void;
}

// ---- the WebAssembly module's raw exports (kernels/assembly/conv.ts) -------------------------------

type Geometry12 = [number, number, number, number, number, number, number, number, number, number, number, number];

/**
 * The convnet exports as kernels/assembly/conv.ts declares them: a WindowGeometry spelled out as its
 * 12 integers (batch, height, width, channels, windowH, windowW, strideH, strideW, padTop, padLeft,
 * outH, outW), then pointers; the batch-norm sums take a float64 scratch of 16·cols bytes last.
 */
export interface WasmConvExports {
  im2col(...args: [...Geometry12, number, number]): void;
  col2imInto(...args: [...Geometry12, number, number]): void;
  /** Geometry, filters, relu (0/1), then x, kernel, bias, y. */
  conv2dForward(...args: [...Geometry12, number, number, number, number, number, number]): void;
  /**
   * Geometry, filters, the chunk count and the chunks [chunkBegin, chunkEnd) to sum, then x, dout, y,
   * dkernelChunks [chunks, kh·kw·C·F] and dbiasChunks [chunks, F] (each chunk's sums, overwritten;
   * dbiasChunks 0: no bias), and a scratch of 4·outW·filters bytes.
   */
  conv2dKernelGradInto(...args: [...Geometry12, number, number, number, number, number, number, number, number, number, number]): void;
  /** Geometry, filters, poolH, poolW, then x, kernel, bias, pooled, argmax, scratch. */
  conv2dMaxPoolForward(...args: [...Geometry12, number, number, number, number, number, number, number, number, number]): void;
  /**
   * Geometry, filters, poolH, poolW, the chunk count and the chunks [chunkBegin, chunkEnd) to sum,
   * then x, dpooled, pooled, argmax, dkernelChunks, dbiasChunks (as conv2dKernelGradInto's), and a
   * scratch of 4·outW·filters bytes.
   */
  conv2dMaxPoolKernelGradInto(...args: [...Geometry12, number, number, number, number, number, number, number, number, number, number, number, number, number]): void;
  /** chunks, n, sums [chunks, n], dst [n]: dst += sums[0], then += sums[1], ... (f32 additions, in chunk order). */
  addChunkSumsInto(chunks: number, n: number, sums: number, dst: number): void;
  maxPoolForward(...args: [...Geometry12, number, number]): void;
  maxPoolBackwardInto(...args: [...Geometry12, number, number, number, number]): void;
  /** Geometry, then x, y, dy, dz, dzSums (0: none). */
  maxPoolReluBackward(...args: [...Geometry12, number, number, number, number, number]): void;
  avgPoolForward(...args: [...Geometry12, number, number]): void;
  avgPoolBackwardInto(...args: [...Geometry12, number, number]): void;
  columnMeanVariance(rows: number, cols: number, x: number, mean: number, variance: number, scratch: number): void;
  columnScaleShift(rows: number, cols: number, x: number, y: number, scale: number, shift: number, relu: number): void;
  columnCenteredSums(rows: number, cols: number, dy: number, x: number, mean: number, sumDy: number, sumDyCentered: number, scratch: number): void;
  batchNormBackwardInto(rows: number, cols: number, dx: number, dy: number, x: number, mean: number, a: number, b: number, d: number): void;
}
