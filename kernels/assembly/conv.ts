// kernels/assembly/conv.ts — the convnet loops in WebAssembly SIMD128: im2col and col2im (which turn
// a convolution into one GEMM and back), a direct convolution and its kernel gradient for inputs
// with few channels, max and average pooling forward and backward (max pooling's backward also
// fused with a ReLU's), and the per-channel sums of batch normalization. Not the GEMM itself
// (gemm.ts multiplies the columns).
//
// Contract, for every kernel here (kernels/conv-reference.ts is the plain TypeScript twin and the
// test oracle; kernels/conv-types.ts states the same contract to the engine):
//
//   - Images are NHWC (Keras' channels_last): x[b, y, x, c] at float index ((b·H + y)·W + x)·C + c,
//     so the C channels of one pixel are contiguous. The SIMD loops go across channels, 4 at a time,
//     with a scalar tail doing the same f32 arithmetic: a result never depends on where it sits.
//   - A window (a convolution's kernel, a pooling window) is windowH x windowW, moved by strideH x
//     strideW, over an input padded by padTop rows and padLeft columns (the rest of the padding is at
//     the bottom and right, outside the window positions that outH x outW reach). Padding is never
//     materialized: positions outside the input read as zeros (im2col) or are skipped (pooling).
//   - Pointers are byte offsets into the one imported (shared) memory, 4-byte aligned; counts are
//     in floats. "Into" kernels add (+=) into their output; the others overwrite it.
//   - Plain f32 arithmetic in both builds (no relaxed FMA): these loops are bound by memory traffic,
//     and the two builds then give identical bits, equal to the reference's. One exception: the
//     direct convolution (forward, fused with max pooling, and its kernel gradient), bound by its
//     multiply-adds, fuses them in the relaxed build (multiplyAdd), which is then within rounding
//     of the reference (the simd build: bit for bit). Within a build, the fused and unfused forms
//     and any number of threads still give the same bits.

import { columnSumsInto } from './elementwise';
import { addFloats, copyFloats, zeroFloats } from './floats';

// ---- im2col and col2im ------------------------------------------------------------------------------

/**
 * The columns of a convolution, so that it becomes one GEMM:
 *
 *   x    [batch, height, width, channels]
 *   cols [batch·outH·outW, windowH·windowW·channels]
 *   cols[(b, oy, ox), (ky, kx, c)] = x[b, oy·strideH - padTop + ky, ox·strideW - padLeft + kx, c]
 *                                    (0 outside the input)
 *
 * The column order (ky, kx, c) is the row order of Keras' kernel [kh, kw, inChannels, filters]
 * seen as a [kh·kw·inChannels, filters] matrix, so y = cols · kernel. For one row of the window
 * (fixed ky) the kx·channels values are contiguous in x: one copy of windowW·channels floats when
 * the window lies inside the input, per-pixel copies and zeros at the borders.
 */
export function im2col(
  batch: i32, height: i32, width: i32, channels: i32, windowH: i32, windowW: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  x: usize, cols: usize,
): void {
  const span = windowW * channels; // floats of one window row
  const pixelBytes = <usize>channels << 2;
  let dst = cols;
  for (let b = 0; b < batch; b++) {
    const image = x + <usize>b * <usize>height * <usize>width * pixelBytes;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * strideH - padTop;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * strideW - padLeft;
        const inside = ix0 >= 0 && ix0 + windowW <= width;
        for (let ky = 0; ky < windowH; ky++) {
          const iy = iy0 + ky;
          if (iy < 0 || iy >= height) {
            zeroFloats(dst, span);
          } else if (inside) {
            copyFloats(dst, image + (<usize>iy * <usize>width + <usize>ix0) * pixelBytes, span);
          } else {
            for (let kx = 0; kx < windowW; kx++) {
              const ix = ix0 + kx;
              const to = dst + <usize>(kx * channels) * 4;
              if (ix < 0 || ix >= width) zeroFloats(to, channels);
              else copyFloats(to, image + (<usize>iy * <usize>width + <usize>ix) * pixelBytes, channels);
            }
          }
          dst += <usize>span << 2;
        }
      }
    }
  }
}

/**
 * The adjoint of im2col: every column entry goes back, added, to the pixel it was copied from.
 *
 *   dcols [batch·outH·outW, windowH·windowW·channels]  ->  dx [batch, height, width, channels] +=
 *
 * Entries that came from the padding are dropped. Rows are visited in order, so overlapping
 * windows add into dx in the same order on every backend.
 */
export function col2imInto(
  batch: i32, height: i32, width: i32, channels: i32, windowH: i32, windowW: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  dcols: usize, dx: usize,
): void {
  const span = windowW * channels;
  const pixelBytes = <usize>channels << 2;
  let src = dcols;
  for (let b = 0; b < batch; b++) {
    const image = dx + <usize>b * <usize>height * <usize>width * pixelBytes;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * strideH - padTop;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * strideW - padLeft;
        const inside = ix0 >= 0 && ix0 + windowW <= width;
        for (let ky = 0; ky < windowH; ky++) {
          const iy = iy0 + ky;
          if (iy >= 0 && iy < height) {
            if (inside) {
              addFloats(image + (<usize>iy * <usize>width + <usize>ix0) * pixelBytes, src, span);
            } else {
              for (let kx = 0; kx < windowW; kx++) {
                const ix = ix0 + kx;
                if (ix >= 0 && ix < width) {
                  addFloats(image + (<usize>iy * <usize>width + <usize>ix) * pixelBytes, src + <usize>(kx * channels) * 4, channels);
                }
              }
            }
          }
          src += <usize>span << 2;
        }
      }
    }
  }
}

// ---- direct convolution, for few input channels --------------------------------------------------
// A first layer (1 channel, or 3) has a GEMM depth K = windowH·windowW·channels of 9 or 27: too
// shallow for the GEMM (its packing costs as much as its multiply-adds), and its im2col writes K
// floats per output pixel. These two loops skip both. Filters go 32 at a time in eight f32x4
// accumulators held in registers (eight independent add chains hide the add's latency); the tail
// of filters % 32 adds into memory instead, 4 and then 1 at a time: the same operations in the same
// order. A window row's taps (kx, c) are contiguous in x and in the kernel, so the inner loop walks
// both with one pointer each. Each multiply-add is multiplyAdd (fused in the relaxed build).

// ASC_FEATURE_RELAXED_SIMD is a compile-time constant, as in gemm.ts: `--target relaxed` fuses these
// loops' f32x4 multiply-adds (one rounding instead of two, and one instruction: the sums are chains
// of them, bound by their latency), `--target simd` multiplies then adds. The scalar tails (the last
// filters % 4) multiply then add in both builds.
/** acc + a·b, lane-wise: fused in the relaxed build, f32 multiply then add in the simd build. */
// @ts-ignore: decorator
@inline
function multiplyAdd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** dst[0..n) = dst[0..n) + v·src[0..n) (multiplyAdd; the last n % 4: f32 multiply, then add). */
// @ts-ignore: decorator
@inline
function multiplyAddFloats(dst: usize, v: f32, src: usize, n: i32): void {
  const vx4 = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    v128.store(dst + at, multiplyAdd(vx4, v128.load(src + at), v128.load(dst + at)));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(dst + at, load<f32>(dst + at) + v * load<f32>(src + at));
  }
}

/**
 * One output pixel of the direct convolution: out[f] = relu?(bias[f] + Σ_(ky, kx, c) x·kernel) for
 * every filter f, where `image` is the batch image and (iy0, ix0) the window's top-left corner in
 * it (possibly in the padding). See conv2dForward for the contract.
 */
// @ts-ignore: decorator
@inline
function convolvePixel(
  height: i32, width: i32, channels: i32, windowH: i32, windowW: i32, iy0: i32, ix0: i32,
  filters: i32, relu: bool, image: usize, kernel: usize, bias: usize, out: usize,
): void {
  const pixelBytes = <usize>channels << 2;
  const rowBytes = <usize>filters << 2; // one kernel row (a tap, a channel), one output pixel
  const zero = f32x4.splat(0);
  const blocked = filters & ~31; // filters [0, blocked) in registers, 32 at a time
  const kyBegin = max(0, -iy0), kyEnd = min(windowH, height - iy0);
  const kxBegin = max(0, -ix0), kxEnd = min(windowW, width - ix0);
  // Window row ky's taps inside the input: `span` floats from x's pixel (iy0 + ky, ix0 + kxBegin),
  // matching `span` kernel rows from (ky, kxBegin, 0).
  const span = (kxEnd - kxBegin) * channels;
  const firstPixel = image + <usize>(iy0 * width + ix0 + kxBegin) * pixelBytes;
  const firstRow = kernel + <usize>(kxBegin * channels) * rowBytes;
  const pixelStep = <usize>width * pixelBytes, rowStep = <usize>(windowW * channels) * rowBytes;
  for (let f = 0; f < blocked; f += 32) {
    const fo = <usize>f << 2;
    let a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero;
    if (bias != 0) {
      const p = bias + fo;
      a0 = v128.load(p); a1 = v128.load(p, 16); a2 = v128.load(p, 32); a3 = v128.load(p, 48);
      a4 = v128.load(p, 64); a5 = v128.load(p, 80); a6 = v128.load(p, 96); a7 = v128.load(p, 112);
    }
    for (let ky = kyBegin; ky < kyEnd; ky++) {
      let pixel = firstPixel + <usize>ky * pixelStep;
      let w = firstRow + <usize>ky * rowStep + fo;
      for (let t = 0; t < span; t++) {
        const v = f32x4.splat(load<f32>(pixel));
        a0 = multiplyAdd(v, v128.load(w), a0);
        a1 = multiplyAdd(v, v128.load(w, 16), a1);
        a2 = multiplyAdd(v, v128.load(w, 32), a2);
        a3 = multiplyAdd(v, v128.load(w, 48), a3);
        a4 = multiplyAdd(v, v128.load(w, 64), a4);
        a5 = multiplyAdd(v, v128.load(w, 80), a5);
        a6 = multiplyAdd(v, v128.load(w, 96), a6);
        a7 = multiplyAdd(v, v128.load(w, 112), a7);
        pixel += 4;
        w += rowBytes;
      }
    }
    if (relu) {
      a0 = f32x4.pmax(zero, a0); a1 = f32x4.pmax(zero, a1); a2 = f32x4.pmax(zero, a2); a3 = f32x4.pmax(zero, a3);
      a4 = f32x4.pmax(zero, a4); a5 = f32x4.pmax(zero, a5); a6 = f32x4.pmax(zero, a6); a7 = f32x4.pmax(zero, a7);
    }
    const o = out + fo;
    v128.store(o, a0); v128.store(o, a1, 16); v128.store(o, a2, 32); v128.store(o, a3, 48);
    v128.store(o, a4, 64); v128.store(o, a5, 80); v128.store(o, a6, 96); v128.store(o, a7, 112);
  }
  if (blocked < filters) {
    // The last filters % 32, accumulated in the output row itself.
    const rest = filters - blocked;
    const tail = out + (<usize>blocked << 2);
    if (bias != 0) copyFloats(tail, bias + (<usize>blocked << 2), rest);
    else zeroFloats(tail, rest);
    for (let ky = kyBegin; ky < kyEnd; ky++) {
      let pixel = firstPixel + <usize>ky * pixelStep;
      let w = firstRow + <usize>ky * rowStep + (<usize>blocked << 2);
      for (let t = 0; t < span; t++) {
        multiplyAddFloats(tail, load<f32>(pixel), w, rest);
        pixel += 4;
        w += rowBytes;
      }
    }
    if (relu) {
      let f = 0;
      for (; f + 4 <= rest; f += 4) v128.store(tail + (<usize>f << 2), f32x4.pmax(zero, v128.load(tail + (<usize>f << 2))));
      for (; f < rest; f++) {
        const v = load<f32>(tail + (<usize>f << 2));
        store<f32>(tail + (<usize>f << 2), v > 0 ? v : 0);
      }
    }
  }
}

/**
 * y[b, oy, ox, f] = relu?(bias[f] + Σ_(ky, kx, c) x[b, iy, ix, c]·kernel[ky, kx, c, f])
 *   with iy = oy·strideH - padTop + ky, ix = ox·strideW - padLeft + kx; taps in the padding are skipped.
 *   x [batch, height, width, channels], kernel [windowH, windowW, channels, filters], bias [filters]
 *   (0: none), y [batch, outH, outW, filters]
 * Each y value starts from its bias (or 0) and adds the taps in (ky, kx, c) order; relu last, as
 * max(0, ·) that maps NaN to 0 (f32x4.pmax(0, v)), as the GEMM's epilogue does.
 */
export function conv2dForward(
  batch: i32, height: i32, width: i32, channels: i32, windowH: i32, windowW: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  filters: i32, relu: bool, x: usize, kernel: usize, bias: usize, y: usize,
): void {
  const rowBytes = <usize>filters << 2;
  let out = y;
  for (let b = 0; b < batch; b++) {
    const image = x + <usize>b * <usize>height * <usize>width * (<usize>channels << 2);
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        convolvePixel(height, width, channels, windowH, windowW, oy * strideH - padTop, ox * strideW - padLeft, filters, relu, image, kernel, bias, out);
        out += rowBytes;
      }
    }
  }
}

// ---- the fused first layer: convolution, ReLU and 2x2 max pooling --------------------------------
// Keras' convnets open with Conv2D(relu) then MaxPooling2D(2): these loops compute the pooled output
// (and its argmax) without storing the convolution's, and the kernel gradient straight from the
// pooled output's gradient. Both are multiply-adds over the taps (ky, kx, c) of a window: for one
// channel and 3x3 windows, 9 taps x 32 filters per output pixel, too few for the GEMM.
//
// Forward, register-blocked like the GEMM's 4x8 tile: a 2x2 pooling window's four output pixels
// times 8 filters in eight f32x4 accumulators; per tap, two weight vectors are loaded once for the
// four pixels and each pixel's input is broadcast once for the two vectors (6 loads for 8
// multiply-adds). The ReLU, the max and the argmax of the four are then done in registers.
// Windows that touch the padding, and pooling windows other than 2x2, take the per-pixel path.
//
// Kernel gradient: dkernel[tap, f] = Σ_pixels x(pixel, tap)·dz(pixel, f) is a sum over every output
// pixel of the batch, so it is cut by images into a fixed number of chunks (gradientChunks in
// kernels/conv-types.ts: a function of the batch, never of the thread count), each summed from 0 into
// its own partial dkernel and dbias; addChunkSumsInto then adds the partials into dkernel and dbias
// in chunk order. Threads take ranges of chunks, so 1 and N threads give the same bits. Within a
// chunk, each output row's dz is formed once (in L1) and read by tiles of 3 taps x 8 filters, six
// accumulators: per column, two dz vectors loaded once for the three taps, each input once for both.

/**
 * The ReLU of a 2x2 pooling window's four sums v0..v3 (pixel dy·2 + dx), then their max and its
 * argmax, stored at `out` and (int32) at `index`: maxPoolForward's `m < v ? v : m` from -Infinity
 * (that is f32x4.pmax(m, v)), the first value (at least 0 after the ReLU) always replacing
 * -Infinity. The argmax moves to d where m < v; d grows, so it is max(k, d & (m < v)).
 */
// @ts-ignore: decorator
@inline
function storePooled4(v0: v128, v1: v128, v2: v128, v3: v128, out: usize, index: usize): void {
  const zero = f32x4.splat(0);
  let m = f32x4.pmax(zero, v0);
  let v = f32x4.pmax(zero, v1);
  let k = v128.and(f32x4.lt(m, v), i32x4.splat(1));
  m = f32x4.pmax(m, v);
  v = f32x4.pmax(zero, v2);
  k = i32x4.max_s(k, v128.and(f32x4.lt(m, v), i32x4.splat(2)));
  m = f32x4.pmax(m, v);
  v = f32x4.pmax(zero, v3);
  k = i32x4.max_s(k, v128.and(f32x4.lt(m, v), i32x4.splat(3)));
  m = f32x4.pmax(m, v);
  v128.store(out, m);
  v128.store(index, k);
}

/**
 * One 2x2 pooling window, filters f..f+7, inside the input: pixel (dy, dx)'s sums in a(2dy+dx)·2 and
 * a(2dy+dx)·2 + 1 (filters f..f+3, f+4..f+7), each starting from the bias, then the taps in
 * (ky, kx, c) order. p: x at the top-left pixel's
 * first tap; right, down: bytes from a pixel's taps to its right / lower neighbour's; span: taps in
 * a window row; rowStep: bytes from a window row's start to the next one's; w: the kernel's row 0 at
 * filter f, wStep bytes a row; bias at f (or 0).
 */
// @ts-ignore: decorator
@inline
function poolWindow8(
  windowH: i32, span: i32, p: usize, right: usize, down: usize, rowStep: usize,
  w: usize, wStep: usize, bias: usize, out: usize, index: usize,
): void {
  let a0 = f32x4.splat(0), a1 = a0;
  if (bias != 0) {
    a0 = v128.load(bias);
    a1 = v128.load(bias, 16);
  }
  let a2 = a0, a3 = a1, a4 = a0, a5 = a1, a6 = a0, a7 = a1;
  const downRight = down + right;
  const spanBytes = <usize>span << 2;
  for (let ky = 0; ky < windowH; ky++) {
    // One tap a step: its two weight vectors, then each pixel's input broadcast. (Unrolled by
    // hand, V8 hoists every load of the unrolled taps and spills: 8 accumulators leave 7 registers.)
    const end = p + spanBytes;
    let q = p;
    do {
      const w0 = v128.load(w), w1 = v128.load(w, 16);
      let v = v128.load32_splat(q);
      a0 = multiplyAdd(v, w0, a0);
      a1 = multiplyAdd(v, w1, a1);
      v = v128.load32_splat(q + right);
      a2 = multiplyAdd(v, w0, a2);
      a3 = multiplyAdd(v, w1, a3);
      v = v128.load32_splat(q + down);
      a4 = multiplyAdd(v, w0, a4);
      a5 = multiplyAdd(v, w1, a5);
      v = v128.load32_splat(q + downRight);
      a6 = multiplyAdd(v, w0, a6);
      a7 = multiplyAdd(v, w1, a7);
      q += 4;
      w += wStep;
    } while (q < end);
    p += rowStep;
  }
  storePooled4(a0, a2, a4, a6, out, index);
  storePooled4(a1, a3, a5, a7, out + 16, index + 16);
}

/** poolWindow8 for 4 filters (one f32x4 a pixel). */
// @ts-ignore: decorator
@inline
function poolWindow4(
  windowH: i32, span: i32, p: usize, right: usize, down: usize, rowStep: usize,
  w: usize, wStep: usize, bias: usize, out: usize, index: usize,
): void {
  let a0 = bias != 0 ? v128.load(bias) : f32x4.splat(0);
  let a1 = a0, a2 = a0, a3 = a0;
  const downRight = down + right;
  for (let ky = 0; ky < windowH; ky++) {
    let q = p;
    for (let t = 0; t < span; t++) {
      const w0 = v128.load(w);
      a0 = multiplyAdd(v128.load32_splat(q), w0, a0);
      a1 = multiplyAdd(v128.load32_splat(q + right), w0, a1);
      a2 = multiplyAdd(v128.load32_splat(q + down), w0, a2);
      a3 = multiplyAdd(v128.load32_splat(q + downRight), w0, a3);
      q += 4;
      w += wStep;
    }
    p += rowStep;
  }
  storePooled4(a0, a1, a2, a3, out, index);
}

/** ReLU, then `m < v ? v : m` over the four: poolWindow8's epilogue for one filter. */
// @ts-ignore: decorator
@inline
function storePooled1(v0: f32, v1: f32, v2: f32, v3: f32, out: usize, index: usize): void {
  let m: f32 = v0 > 0 ? v0 : 0;
  let k = 0;
  const r1: f32 = v1 > 0 ? v1 : 0, r2: f32 = v2 > 0 ? v2 : 0, r3: f32 = v3 > 0 ? v3 : 0;
  if (m < r1) { m = r1; k = 1; }
  if (m < r2) { m = r2; k = 2; }
  if (m < r3) { m = r3; k = 3; }
  store<f32>(out, m);
  store<i32>(index, k);
}

/** poolWindow8 for one filter, in scalar f32. */
// @ts-ignore: decorator
@inline
function poolWindow1(
  windowH: i32, span: i32, p: usize, right: usize, down: usize, rowStep: usize,
  w: usize, wStep: usize, bias: usize, out: usize, index: usize,
): void {
  let s0: f32 = bias != 0 ? load<f32>(bias) : 0;
  let s1 = s0, s2 = s0, s3 = s0;
  const downRight = down + right;
  for (let ky = 0; ky < windowH; ky++) {
    let q = p;
    for (let t = 0; t < span; t++) {
      const weight = load<f32>(w);
      s0 += load<f32>(q) * weight;
      s1 += load<f32>(q + right) * weight;
      s2 += load<f32>(q + down) * weight;
      s3 += load<f32>(q + downRight) * weight;
      q += 4;
      w += wStep;
    }
    p += rowStep;
  }
  storePooled1(s0, s1, s2, s3, out, index);
}

/**
 * One pooling window of any size, anywhere (across the padding too): each of its pixels convolved
 * by convolvePixel into `convolved` (filters floats), then max-pooled into out and index.
 */
// @ts-ignore: decorator
@inline
function poolWindowAnyShape(
  height: i32, width: i32, channels: i32, windowH: i32, windowW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32,
  filters: i32, poolH: i32, poolW: i32, py: i32, px: i32, image: usize, kernel: usize, bias: usize, out: usize, index: usize, convolved: usize,
): void {
  const minusInfinity = f32x4.splat(-Infinity);
  let f = 0;
  for (; f + 4 <= filters; f += 4) {
    v128.store(out + (<usize>f << 2), minusInfinity);
    v128.store(index + (<usize>f << 2), i32x4.splat(0));
  }
  for (; f < filters; f++) {
    store<f32>(out + (<usize>f << 2), -Infinity);
    store<i32>(index + (<usize>f << 2), 0);
  }
  for (let dy = 0; dy < poolH; dy++) {
    for (let dx = 0; dx < poolW; dx++) {
      const oy = py * poolH + dy, ox = px * poolW + dx;
      convolvePixel(height, width, channels, windowH, windowW, oy * strideH - padTop, ox * strideW - padLeft, filters, true, image, kernel, bias, convolved);
      const k = i32x4.splat(dy * poolW + dx);
      f = 0;
      for (; f + 4 <= filters; f += 4) {
        const at = <usize>f << 2;
        const m = v128.load(out + at), v = v128.load(convolved + at);
        const greater = f32x4.lt(m, v);
        v128.store(out + at, v128.bitselect(v, m, greater));
        v128.store(index + at, v128.bitselect(k, v128.load(index + at), greater));
      }
      for (; f < filters; f++) {
        const at = <usize>f << 2;
        const m = load<f32>(out + at), v = load<f32>(convolved + at);
        if (m < v) {
          store<f32>(out + at, v);
          store<i32>(index + at, dy * poolW + dx);
        }
      }
    }
  }
}

/**
 * The direct convolution with its ReLU, then max pooling over poolH x poolW windows side by side
 * (strides = pool size, 'valid'), without the convolution's output ever being stored:
 *   pooled[b, py, px, f] = max over (dy, dx) of relu(conv)[b, py·poolH + dy, px·poolW + dx, f]
 *   argmax[b, py, px, f] = dy·poolW + dx of the first (row order) window pixel holding that max
 *   x, kernel, bias as conv2dForward (geometry = the convolution's); pooled [batch, outH / poolH,
 *   outW / poolW, filters] (rounded down), argmax the same shape, int32
 * The values are conv2dForward's bits (relu included) and the max is maxPoolForward's (`m < v ? v : m`
 * from -Infinity), so pooled equals maxPoolForward(conv2dForward(x)). `scratch`: filters floats (a
 * thread's own: split by images, each thread is given its first image's row of a [batch, filters] array),
 * used by the windows that take the per-pixel path.
 */
export function conv2dMaxPoolForward(
  batch: i32, height: i32, width: i32, channels: i32, windowH: i32, windowW: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  filters: i32, poolH: i32, poolW: i32, x: usize, kernel: usize, bias: usize, pooled: usize, argmax: usize, scratch: usize,
): void {
  const pixelBytes = <usize>channels << 2;
  const rowBytes = <usize>filters << 2;
  const pooledH = outH / poolH, pooledW = outW / poolW;
  const span = windowW * channels; // taps in a window row, contiguous in x
  const right = <usize>strideW * pixelBytes, down = <usize>strideH * <usize>width * pixelBytes;
  const rowStep = <usize>width * pixelBytes; // from a window row's start to the next one's
  const blocked = filters & ~7; // filters [0, blocked) 8 at a time
  const twoByTwo = poolH == 2 && poolW == 2;
  let out = pooled, index = argmax;
  for (let b = 0; b < batch; b++) {
    const image = x + <usize>b * <usize>height * <usize>width * pixelBytes;
    for (let py = 0; py < pooledH; py++) {
      const iy0 = 2 * py * strideH - padTop; // the window's top-left pixel's first input row (2x2)
      const rowsInside = iy0 >= 0 && iy0 + strideH + windowH <= height;
      for (let px = 0; px < pooledW; px++) {
        const ix0 = 2 * px * strideW - padLeft;
        if (twoByTwo && rowsInside && ix0 >= 0 && ix0 + strideW + windowW <= width) {
          const p = image + (<usize>iy0 * <usize>width + <usize>ix0) * pixelBytes;
          let f = 0;
          for (; f < blocked; f += 8) {
            const at = <usize>f << 2;
            poolWindow8(windowH, span, p, right, down, rowStep, kernel + at, rowBytes, bias == 0 ? 0 : bias + at, out + at, index + at);
          }
          if (f + 4 <= filters) {
            const at = <usize>f << 2;
            poolWindow4(windowH, span, p, right, down, rowStep, kernel + at, rowBytes, bias == 0 ? 0 : bias + at, out + at, index + at);
            f += 4;
          }
          for (; f < filters; f++) {
            const at = <usize>f << 2;
            poolWindow1(windowH, span, p, right, down, rowStep, kernel + at, rowBytes, bias == 0 ? 0 : bias + at, out + at, index + at);
          }
        } else {
          poolWindowAnyShape(height, width, channels, windowH, windowW, strideH, strideW, padTop, padLeft, filters, poolH, poolW, py, px, image, kernel, bias, out, index, scratch);
        }
        out += rowBytes;
        index += rowBytes;
      }
    }
  }
}

// ---- the kernel gradient of the direct convolution -------------------------------------------------

/** The first image of chunk c when `batch` images are cut into `chunks`: floor(c·batch / chunks). */
// @ts-ignore: decorator
@inline
function chunkStart(c: i32, batch: i32, chunks: i32): i32 {
  return <i32>((<i64>c * <i64>batch) / <i64>chunks);
}

/** Chunk `chunk`'s row of `sums` (per-chunk sums of `floats` floats each), zeroed; 0 (not wanted) stays 0. */
// @ts-ignore: decorator
@inline
function zeroedChunkRow(sums: usize, chunk: i32, floats: i32): usize {
  if (sums == 0) return 0;
  const row = sums + <usize>chunk * (<usize>floats << 2);
  zeroFloats(row, floats);
  return row;
}

/**
 * One tap's dw[0..n) += Σ over `count` output columns, in order, of x·dz: `first` is the tap's input
 * at the first column and `step` bytes on to the next's; dz is the first column's dz at filter 0,
 * `dzStep` bytes a column. 32 filters at a time in eight registers, the rest in memory.
 */
// @ts-ignore: decorator
@inline
function tapGradInto(dw: usize, first: usize, step: usize, dz: usize, dzStep: usize, count: i32, n: i32): void {
  const blocked = n & ~31;
  for (let f = 0; f < blocked; f += 32) {
    const p = dw + (<usize>f << 2);
    let a0 = v128.load(p), a1 = v128.load(p, 16), a2 = v128.load(p, 32), a3 = v128.load(p, 48);
    let a4 = v128.load(p, 64), a5 = v128.load(p, 80), a6 = v128.load(p, 96), a7 = v128.load(p, 112);
    let pixel = first;
    let d = dz + (<usize>f << 2);
    for (let i = 0; i < count; i++) {
      const v = v128.load32_splat(pixel);
      a0 = multiplyAdd(v, v128.load(d), a0);
      a1 = multiplyAdd(v, v128.load(d, 16), a1);
      a2 = multiplyAdd(v, v128.load(d, 32), a2);
      a3 = multiplyAdd(v, v128.load(d, 48), a3);
      a4 = multiplyAdd(v, v128.load(d, 64), a4);
      a5 = multiplyAdd(v, v128.load(d, 80), a5);
      a6 = multiplyAdd(v, v128.load(d, 96), a6);
      a7 = multiplyAdd(v, v128.load(d, 112), a7);
      pixel += step;
      d += dzStep;
    }
    v128.store(p, a0); v128.store(p, a1, 16); v128.store(p, a2, 32); v128.store(p, a3, 48);
    v128.store(p, a4, 64); v128.store(p, a5, 80); v128.store(p, a6, 96); v128.store(p, a7, 112);
  }
  if (blocked < n) {
    const tail = <usize>blocked << 2;
    let pixel = first;
    let d = dz + tail;
    for (let i = 0; i < count; i++) {
      multiplyAddFloats(dw + tail, load<f32>(pixel), d, n - blocked);
      pixel += step;
      d += dzStep;
    }
  }
}

/**
 * Three taps whose inputs are neighbours in x (4 bytes apart: consecutive (kx, c) of a window row)
 * and 8 filters: their dkernel rows dw, dw + wStep, dw + 2·wStep at filters f..f+7 (dw is at f)
 * += Σ over `count` columns, in order, of x·dz, in six registers. Per column, dz's two vectors are
 * loaded once for the three taps, each tap's input once for the two. Arguments as tapGradInto's.
 */
// @ts-ignore: decorator
@inline
function threeTapsGrad8(dw: usize, wStep: usize, first: usize, step: usize, dz: usize, dzStep: usize, count: i32): void {
  const w1 = dw + wStep, w2 = w1 + wStep;
  let a0 = v128.load(dw), a1 = v128.load(dw, 16);
  let a2 = v128.load(w1), a3 = v128.load(w1, 16);
  let a4 = v128.load(w2), a5 = v128.load(w2, 16);
  let pixel = first, d = dz;
  for (let i = 0; i < count; i++) {
    const d0 = v128.load(d), d1 = v128.load(d, 16);
    let v = v128.load32_splat(pixel);
    a0 = multiplyAdd(v, d0, a0);
    a1 = multiplyAdd(v, d1, a1);
    v = v128.load32_splat(pixel, 4);
    a2 = multiplyAdd(v, d0, a2);
    a3 = multiplyAdd(v, d1, a3);
    v = v128.load32_splat(pixel, 8);
    a4 = multiplyAdd(v, d0, a4);
    a5 = multiplyAdd(v, d1, a5);
    pixel += step;
    d += dzStep;
  }
  v128.store(dw, a0); v128.store(dw, a1, 16);
  v128.store(w1, a2); v128.store(w1, a3, 16);
  v128.store(w2, a4); v128.store(w2, a5, 16);
}

/**
 * One output row's share of the kernel and bias gradients: for the row whose windows start at input
 * row iy0 of image `image`, with its dz row (outW·filters floats), dbias += Σ_ox dz and
 * dkernel[ky, kx, c, f] += Σ_ox x·dz, the columns in order for every element. The columns whose
 * windows lie inside the input go through threeTapsGrad8 (the filters % 8 and taps % 3 left over,
 * tapGradInto); the columns at the borders, where some taps fall in the padding, tap by tap before
 * and after them.
 */
// @ts-ignore: decorator
@inline
function kernelGradRow(
  height: i32, width: i32, channels: i32, windowH: i32, windowW: i32, strideW: i32, padLeft: i32, outW: i32,
  iy0: i32, filters: i32, image: usize, dz: usize, dkernel: usize, dbias: usize,
): void {
  const pixelBytes = <usize>channels << 2;
  const rowBytes = <usize>filters << 2;
  const span = windowW * channels;
  const step = <usize>strideW * pixelBytes; // from one output column's input pixel to the next
  const blocked = filters & ~7;
  // The row's dz is an outW x filters matrix: its column sums, in registers (elementwise.ts).
  if (dbias != 0) columnSumsInto(outW, filters, dbias, dz);
  // The columns whose whole window lies inside: ox·strideW - padLeft >= 0 and ... + windowW <= width.
  const innerBegin = min(outW, (padLeft + strideW - 1) / strideW);
  const lastInside = width - windowW + padLeft;
  const innerEnd = max(innerBegin, lastInside < 0 ? 0 : min(outW, lastInside / strideW + 1));
  for (let ky = 0; ky < windowH; ky++) {
    const iy = iy0 + ky;
    if (iy < 0 || iy >= height) continue;
    const inputRow = image + <usize>iy * <usize>width * pixelBytes;
    const dwRow = dkernel + <usize>(ky * span) * rowBytes; // tap (ky, 0, 0)
    for (let side = 0; side < 3; side++) {
      if (side == 1) {
        // The inside columns.
        const count = innerEnd - innerBegin;
        if (count == 0) continue;
        const first = inputRow + <usize>(innerBegin * strideW - padLeft) * pixelBytes;
        const dzFirst = dz + <usize>innerBegin * rowBytes;
        let t = 0;
        for (; t + 3 <= span; t += 3) {
          for (let f = 0; f < blocked; f += 8) {
            threeTapsGrad8(dwRow + <usize>t * rowBytes + (<usize>f << 2), rowBytes, first + (<usize>t << 2), step, dzFirst + (<usize>f << 2), rowBytes, count);
          }
        }
        for (; t < span; t++) tapGradInto(dwRow + <usize>t * rowBytes, first + (<usize>t << 2), step, dzFirst, rowBytes, count, blocked);
        if (blocked < filters) {
          const tail = <usize>blocked << 2;
          for (t = 0; t < span; t++) tapGradInto(dwRow + <usize>t * rowBytes + tail, first + (<usize>t << 2), step, dzFirst + tail, rowBytes, count, filters - blocked);
        }
        continue;
      }
      // The border columns [from, to), tap by tap: only the columns whose tap kx lands inside.
      const from = side == 0 ? 0 : innerEnd, to = side == 0 ? innerBegin : outW;
      for (let kx = 0; kx < windowW; kx++) {
        let oxBegin = from, oxEnd = to;
        while (oxBegin < oxEnd && oxBegin * strideW - padLeft + kx < 0) oxBegin++;
        while (oxEnd > oxBegin && (oxEnd - 1) * strideW - padLeft + kx >= width) oxEnd--;
        if (oxBegin == oxEnd) continue;
        for (let c = 0; c < channels; c++) {
          const t = kx * channels + c;
          const first = inputRow + <usize>(oxBegin * strideW - padLeft + kx) * pixelBytes + (<usize>c << 2);
          tapGradInto(dwRow + <usize>t * rowBytes, first, step, dz + <usize>oxBegin * rowBytes, rowBytes, oxEnd - oxBegin, filters);
        }
      }
    }
  }
}

/**
 * The kernel and bias gradients of conv2dForward, with ReLU's backward folded in, as partial sums of
 * chunks [chunkBegin, chunkEnd) of the batch cut into `chunks` (chunk c: images [c·batch / chunks,
 * (c + 1)·batch / chunks), rounded down):
 *   dz[b, oy, ox, f] = y == 0 ? dout : (y[b, oy, ox, f] > 0 ? dout[b, oy, ox, f] : 0)
 *   dkernelChunks[c, ky, kx, ch, f] = Σ_(b in chunk c, oy, ox) x[b, iy, ix, ch]·dz[b, oy, ox, f]   (taps in the padding add nothing)
 *   dbiasChunks[c, f] = Σ_(b in chunk c, oy, ox) dz[b, oy, ox, f]                                  (dbiasChunks == 0: not wanted)
 *   x [batch, height, width, channels], dout and y [batch, outH, outW, filters]
 * Each sum starts from 0 and runs over its chunk's output pixels in order (b, oy, ox), one output
 * row at a time (its dz in `scratch`, outW·filters floats, when y masks it); addChunkSumsInto then
 * adds the chunks' sums into dkernel and dbias.
 */
export function conv2dKernelGradInto(
  batch: i32, height: i32, width: i32, channels: i32, windowH: i32, windowW: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  filters: i32, chunks: i32, chunkBegin: i32, chunkEnd: i32, x: usize, dout: usize, y: usize, dkernelChunks: usize, dbiasChunks: usize, scratch: usize,
): void {
  const rowBytes = <usize>filters << 2;
  const zero = f32x4.splat(0);
  const rowFloats = outW * filters;
  const kernelFloats = windowH * windowW * channels * filters;
  for (let chunk = chunkBegin; chunk < chunkEnd; chunk++) {
    const dkernel = zeroedChunkRow(dkernelChunks, chunk, kernelFloats), dbias = zeroedChunkRow(dbiasChunks, chunk, filters);
    for (let b = chunkStart(chunk, batch, chunks); b < chunkStart(chunk + 1, batch, chunks); b++) {
      const image = x + <usize>b * <usize>height * <usize>width * (<usize>channels << 2);
      for (let oy = 0; oy < outH; oy++) {
        const rowAt = <usize>(b * outH + oy) * <usize>outW * rowBytes; // this output row in dout and y
        let dz = dout + rowAt;
        if (y != 0) {
          const yRow = y + rowAt;
          let i = 0;
          for (; i + 4 <= rowFloats; i += 4) {
            const o = <usize>i << 2;
            v128.store(scratch + o, v128.and(v128.load(dz + o), f32x4.gt(v128.load(yRow + o), zero)));
          }
          for (; i < rowFloats; i++) {
            const o = <usize>i << 2;
            store<f32>(scratch + o, load<f32>(yRow + o) > 0 ? load<f32>(dz + o) : 0);
          }
          dz = scratch;
        }
        kernelGradRow(height, width, channels, windowH, windowW, strideW, padLeft, outW, oy * strideH - padTop, filters, image, dz, dkernel, dbias);
      }
    }
  }
}

/**
 * The kernel and bias gradients of conv2dMaxPoolForward, from dpooled (the pooled output's gradient),
 * as chunk sums like conv2dKernelGradInto's: max pooling's backward (dpooled to its window's argmax
 * pixel) and ReLU's (only where pooled > 0) give dz, then conv2dKernelGradInto's sums over the output
 * rows the pooling windows cover:
 *   dz[b, py·poolH + dy, px·poolW + dx, f] = pooled > 0 ? 0 + dpooled[b, py, px, f] : 0 at the argmax, 0 elsewhere
 *   x [batch, height, width, channels]; dpooled, pooled, argmax [batch, outH / poolH, outW / poolW, filters]
 * Per chunk, the same sums in the same order as maxPoolBackwardInto, ReLU's backward and
 * conv2dKernelGradInto one after the other, for the rows and columns that a pooling window covers
 * (the others add zeros there). `scratch`: outW·filters floats, one output row of dz.
 */
export function conv2dMaxPoolKernelGradInto(
  batch: i32, height: i32, width: i32, channels: i32, windowH: i32, windowW: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  filters: i32, poolH: i32, poolW: i32, chunks: i32, chunkBegin: i32, chunkEnd: i32, x: usize, dpooled: usize, pooled: usize, argmax: usize,
  dkernelChunks: usize, dbiasChunks: usize, scratch: usize,
): void {
  const rowBytes = <usize>filters << 2;
  const pooledH = outH / poolH, pooledW = outW / poolW;
  const zero = f32x4.splat(0);
  const kernelFloats = windowH * windowW * channels * filters;
  // Every column a window covers is written for every row below; the others stay 0.
  zeroFloats(scratch, outW * filters);
  for (let chunk = chunkBegin; chunk < chunkEnd; chunk++) {
    const dkernel = zeroedChunkRow(dkernelChunks, chunk, kernelFloats), dbias = zeroedChunkRow(dbiasChunks, chunk, filters);
    for (let b = chunkStart(chunk, batch, chunks); b < chunkStart(chunk + 1, batch, chunks); b++) {
      const image = x + <usize>b * <usize>height * <usize>width * (<usize>channels << 2);
      for (let oy = 0; oy < pooledH * poolH; oy++) {
        const py = oy / poolH;
        const kBegin = (oy - py * poolH) * poolW; // argmax values that lie on this row: kBegin + dx
        let at = <usize>((b * pooledH + py) * pooledW) * rowBytes; // pooled pixel (b, py, 0)
        for (let px = 0; px < pooledW; px++) {
          const column = scratch + <usize>(px * poolW) * rowBytes; // dz at (oy, px·poolW)
          let f = 0;
          for (; f + 4 <= filters; f += 4) {
            const o = at + (<usize>f << 2);
            const k = v128.load(argmax + o);
            const grad = v128.and(f32x4.add(zero, v128.load(dpooled + o)), f32x4.gt(v128.load(pooled + o), zero));
            for (let dx = 0; dx < poolW; dx++) {
              v128.store(column + <usize>dx * rowBytes + (<usize>f << 2), v128.and(grad, i32x4.eq(k, i32x4.splat(kBegin + dx))));
            }
          }
          for (; f < filters; f++) {
            const o = at + (<usize>f << 2);
            const k = load<i32>(argmax + o);
            const grad: f32 = load<f32>(pooled + o) > 0 ? <f32>0 + load<f32>(dpooled + o) : 0;
            for (let dx = 0; dx < poolW; dx++) store<f32>(column + <usize>dx * rowBytes + (<usize>f << 2), k == kBegin + dx ? grad : 0);
          }
          at += rowBytes;
        }
        kernelGradRow(height, width, channels, windowH, windowW, strideW, padLeft, outW, oy * strideH - padTop, filters, image, scratch, dkernel, dbias);
      }
    }
  }
}

/**
 * dst[j] += sums[0, j], then += sums[1, j], ... in chunk order: the chunk sums of the two kernel
 * gradients above, added into dkernel (n = its floats) or dbias (n = filters). sums [chunks, n].
 */
export function addChunkSumsInto(chunks: i32, n: i32, sums: usize, dst: usize): void {
  const chunkBytes = <usize>n << 2;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const at = <usize>j << 2;
    let acc = v128.load(dst + at);
    for (let c = 0; c < chunks; c++) acc = f32x4.add(acc, v128.load(sums + <usize>c * chunkBytes + at));
    v128.store(dst + at, acc);
  }
  for (; j < n; j++) {
    const at = <usize>j << 2;
    let acc = load<f32>(dst + at);
    for (let c = 0; c < chunks; c++) acc += load<f32>(sums + <usize>c * chunkBytes + at);
    store<f32>(dst + at, acc);
  }
}

// ---- pooling ----------------------------------------------------------------------------------------
// A window is clipped to the input: with 'same' padding the padded positions take no part (neither
// in a max nor in an average's count), as in TensorFlow. Every window holds at least one pixel.

/**
 * Max pooling: y[b, oy, ox, c] = max over the window's pixels of x[b, iy, ix, c].
 *   x [batch, height, width, channels] -> y [batch, outH, outW, channels]
 * `m < v ? v : m`, which is f32x4.pmax (one maxps on x86).
 */
export function maxPoolForward(
  batch: i32, height: i32, width: i32, channels: i32, windowH: i32, windowW: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  x: usize, y: usize,
): void {
  const pixelBytes = <usize>channels << 2;
  const minusInfinity = f32x4.splat(-Infinity);
  let out = y;
  for (let b = 0; b < batch; b++) {
    const image = x + <usize>b * <usize>height * <usize>width * pixelBytes;
    for (let oy = 0; oy < outH; oy++) {
      const yBegin = max(oy * strideH - padTop, 0), yEnd = min(oy * strideH - padTop + windowH, height);
      for (let ox = 0; ox < outW; ox++) {
        const xBegin = max(ox * strideW - padLeft, 0), xEnd = min(ox * strideW - padLeft + windowW, width);
        let c = 0;
        for (; c + 4 <= channels; c += 4) store<v128>(out + (<usize>c << 2), minusInfinity);
        for (; c < channels; c++) store<f32>(out + (<usize>c << 2), -Infinity);
        for (let iy = yBegin; iy < yEnd; iy++) {
          for (let ix = xBegin; ix < xEnd; ix++) {
            const pixel = image + (<usize>iy * <usize>width + <usize>ix) * pixelBytes;
            c = 0;
            for (; c + 4 <= channels; c += 4) {
              const at = <usize>c << 2;
              v128.store(out + at, f32x4.pmax(v128.load(out + at), v128.load(pixel + at)));
            }
            for (; c < channels; c++) {
              const at = <usize>c << 2;
              const m = load<f32>(out + at), v = load<f32>(pixel + at);
              store<f32>(out + at, m < v ? v : m);
            }
          }
        }
        out += pixelBytes;
      }
    }
  }
}

/**
 * Max pooling's backward: each dy goes to the first pixel (in row order) of its window that holds
 * the maximum y, as in TensorFlow; the others get nothing.
 *   x, dx [batch, height, width, channels]; y, dy [batch, outH, outW, channels]; dx +=
 * Per 4 channels, `taken` marks the lanes whose maximum was already found in this window.
 */
export function maxPoolBackwardInto(
  batch: i32, height: i32, width: i32, channels: i32, windowH: i32, windowW: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  x: usize, y: usize, dy: usize, dx: usize,
): void {
  const pixelBytes = <usize>channels << 2;
  const imageBytes = <usize>height * <usize>width * pixelBytes;
  let outAt: usize = 0; // byte offset of the current output pixel in y and dy
  for (let b = 0; b < batch; b++) {
    const image = x + <usize>b * imageBytes;
    const dImage = dx + <usize>b * imageBytes;
    for (let oy = 0; oy < outH; oy++) {
      const yBegin = max(oy * strideH - padTop, 0), yEnd = min(oy * strideH - padTop + windowH, height);
      for (let ox = 0; ox < outW; ox++) {
        const xBegin = max(ox * strideW - padLeft, 0), xEnd = min(ox * strideW - padLeft + windowW, width);
        let c = 0;
        for (; c + 4 <= channels; c += 4) {
          const at = <usize>c << 2;
          const target = v128.load(y + outAt + at);
          const grad = v128.load(dy + outAt + at);
          let taken = i32x4.splat(0);
          for (let iy = yBegin; iy < yEnd; iy++) {
            for (let ix = xBegin; ix < xEnd; ix++) {
              const pixelAt = (<usize>iy * <usize>width + <usize>ix) * pixelBytes + at;
              const hit = v128.andnot(f32x4.eq(v128.load(image + pixelAt), target), taken);
              v128.store(dImage + pixelAt, f32x4.add(v128.load(dImage + pixelAt), v128.and(grad, hit)));
              taken = v128.or(taken, hit);
            }
          }
        }
        for (; c < channels; c++) {
          const at = <usize>c << 2;
          const target = load<f32>(y + outAt + at);
          let found = false;
          for (let iy = yBegin; iy < yEnd && !found; iy++) {
            for (let ix = xBegin; ix < xEnd; ix++) {
              const pixelAt = (<usize>iy * <usize>width + <usize>ix) * pixelBytes + at;
              if (load<f32>(image + pixelAt) == target) {
                store<f32>(dImage + pixelAt, load<f32>(dImage + pixelAt) + load<f32>(dy + outAt + at));
                found = true;
                break;
              }
            }
          }
        }
        outAt += pixelBytes;
      }
    }
  }
}

/**
 * Max pooling's and ReLU's backward in one pass, for windows side by side (strides = window, no
 * padding) over x, the output of a ReLU (a Conv2D with activation 'relu' then MaxPooling2D):
 *
 *   dz[b, iy, ix, c] = 0 + dy[b, oy, ox, c]  at the first pixel (row order) of window (oy, ox)
 *                                            where x equals y, when x > 0 there
 *                    = 0                     everywhere else (rows and columns no window covers too)
 *   x, dz [batch, height, width, channels]; y, dy [batch, outH, outW, channels]; dz overwritten.
 *
 * Bit for bit what maxPoolBackwardInto into zeros and then ReLU's backward (x > 0 ? · : 0) leave,
 * in one pass over dz instead of three (the zeros, the scatter, the mask): every pixel of dz is
 * written once, the windows' pixels by the windows, the rest (the last row or column of an odd
 * size) with zeros.
 *
 * With dzSums (0: none), [batch, channels], the convolution's bias gradient comes along, image by
 * image, so that it never reads dz again: dzSums[b, c] = the sum from 0 of image b's dz[·, ·, c] in
 * window order ((oy, ox), then the window's pixels by rows; the pixels no window covers are zeros),
 * f32 additions. Per image, so that a split by images gives the same bits.
 */
export function maxPoolReluBackward(
  batch: i32, height: i32, width: i32, channels: i32, windowH: i32, windowW: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  x: usize, y: usize, dy: usize, dz: usize, dzSums: usize,
): void {
  const pixelBytes = <usize>channels << 2;
  const imageBytes = <usize>height * <usize>width * pixelBytes;
  const zero = f32x4.splat(0);
  let outAt: usize = 0; // byte offset of the current output pixel in y and dy
  for (let b = 0; b < batch; b++) {
    const image = x + <usize>b * imageBytes;
    const dImage = dz + <usize>b * imageBytes;
    // What no window covers: the columns right of the last window on its rows, the rows below it.
    const coveredW = outW * strideW, coveredH = outH * strideH;
    for (let iy = 0; iy < coveredH; iy++) {
      zeroFloats(dImage + (<usize>iy * <usize>width + <usize>coveredW) * pixelBytes, (width - coveredW) * channels);
    }
    zeroFloats(dImage + <usize>coveredH * <usize>width * pixelBytes, (height - coveredH) * width * channels);
    const sums = dzSums + <usize>b * pixelBytes; // this image's row of dzSums (unused when dzSums is 0)
    if (dzSums != 0) zeroFloats(sums, channels);
    for (let oy = 0; oy < outH; oy++) {
      const yBegin = oy * strideH - padTop; // padTop is 0 and strideH is windowH: the window lies inside
      for (let ox = 0; ox < outW; ox++) {
        const xBegin = ox * strideW - padLeft;
        let c = 0;
        for (; c + 4 <= channels; c += 4) {
          const at = <usize>c << 2;
          const target = v128.load(y + outAt + at);
          const grad = f32x4.add(zero, v128.load(dy + outAt + at));
          let taken = i32x4.splat(0);
          let sum = dzSums != 0 ? v128.load(sums + at) : zero;
          for (let iy = yBegin; iy < yBegin + windowH; iy++) {
            for (let ix = xBegin; ix < xBegin + windowW; ix++) {
              const pixelAt = (<usize>iy * <usize>width + <usize>ix) * pixelBytes + at;
              const value = v128.load(image + pixelAt);
              const hit = v128.andnot(f32x4.eq(value, target), taken);
              taken = v128.or(taken, hit);
              const d = v128.and(grad, v128.and(hit, f32x4.gt(value, zero)));
              v128.store(dImage + pixelAt, d);
              sum = f32x4.add(sum, d);
            }
          }
          if (dzSums != 0) v128.store(sums + at, sum);
        }
        for (; c < channels; c++) {
          const at = <usize>c << 2;
          const target = load<f32>(y + outAt + at);
          let found = false;
          let sum: f32 = dzSums != 0 ? load<f32>(sums + at) : 0;
          for (let iy = yBegin; iy < yBegin + windowH; iy++) {
            for (let ix = xBegin; ix < xBegin + windowW; ix++) {
              const pixelAt = (<usize>iy * <usize>width + <usize>ix) * pixelBytes + at;
              const value = load<f32>(image + pixelAt);
              const hit = !found && value == target;
              found = found || hit;
              const d: f32 = hit && value > 0 ? <f32>0 + load<f32>(dy + outAt + at) : 0;
              store<f32>(dImage + pixelAt, d);
              sum += d;
            }
          }
          if (dzSums != 0) store<f32>(sums + at, sum);
        }
        outAt += pixelBytes;
      }
    }
  }
}

/**
 * Average pooling: y[b, oy, ox, c] = (Σ over the window's pixels of x[b, iy, ix, c]) / pixels,
 * summed in row order, one f32 division at the end.
 *   x [batch, height, width, channels] -> y [batch, outH, outW, channels]
 */
export function avgPoolForward(
  batch: i32, height: i32, width: i32, channels: i32, windowH: i32, windowW: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  x: usize, y: usize,
): void {
  const pixelBytes = <usize>channels << 2;
  let out = y;
  for (let b = 0; b < batch; b++) {
    const image = x + <usize>b * <usize>height * <usize>width * pixelBytes;
    for (let oy = 0; oy < outH; oy++) {
      const yBegin = max(oy * strideH - padTop, 0), yEnd = min(oy * strideH - padTop + windowH, height);
      for (let ox = 0; ox < outW; ox++) {
        const xBegin = max(ox * strideW - padLeft, 0), xEnd = min(ox * strideW - padLeft + windowW, width);
        zeroFloats(out, channels);
        for (let iy = yBegin; iy < yEnd; iy++) {
          for (let ix = xBegin; ix < xEnd; ix++) {
            addFloats(out, image + (<usize>iy * <usize>width + <usize>ix) * pixelBytes, channels);
          }
        }
        const count = <f32>((yEnd - yBegin) * (xEnd - xBegin));
        const countx4 = f32x4.splat(count);
        let c = 0;
        for (; c + 4 <= channels; c += 4) {
          const at = <usize>c << 2;
          v128.store(out + at, f32x4.div(v128.load(out + at), countx4));
        }
        for (; c < channels; c++) {
          const at = <usize>c << 2;
          store<f32>(out + at, load<f32>(out + at) / count);
        }
        out += pixelBytes;
      }
    }
  }
}

/**
 * Average pooling's backward: every pixel of a window gets dy / pixels (that f32 quotient, added).
 *   dy [batch, outH, outW, channels] -> dx [batch, height, width, channels] +=
 */
export function avgPoolBackwardInto(
  batch: i32, height: i32, width: i32, channels: i32, windowH: i32, windowW: i32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, outH: i32, outW: i32,
  dy: usize, dx: usize,
): void {
  const pixelBytes = <usize>channels << 2;
  let grad = dy;
  for (let b = 0; b < batch; b++) {
    const dImage = dx + <usize>b * <usize>height * <usize>width * pixelBytes;
    for (let oy = 0; oy < outH; oy++) {
      const yBegin = max(oy * strideH - padTop, 0), yEnd = min(oy * strideH - padTop + windowH, height);
      for (let ox = 0; ox < outW; ox++) {
        const xBegin = max(ox * strideW - padLeft, 0), xEnd = min(ox * strideW - padLeft + windowW, width);
        const count = <f32>((yEnd - yBegin) * (xEnd - xBegin));
        const countx4 = f32x4.splat(count);
        for (let iy = yBegin; iy < yEnd; iy++) {
          for (let ix = xBegin; ix < xEnd; ix++) {
            const pixel = dImage + (<usize>iy * <usize>width + <usize>ix) * pixelBytes;
            let c = 0;
            for (; c + 4 <= channels; c += 4) {
              const at = <usize>c << 2;
              v128.store(pixel + at, f32x4.add(v128.load(pixel + at), f32x4.div(v128.load(grad + at), countx4)));
            }
            for (; c < channels; c++) {
              const at = <usize>c << 2;
              store<f32>(pixel + at, load<f32>(pixel + at) + load<f32>(grad + at) / count);
            }
          }
        }
        grad += pixelBytes;
      }
    }
  }
}

// ---- batch normalization ----------------------------------------------------------------------------
// The data is a rows x cols matrix, one column per channel (rows = batch·height·width for images).
// Sums over rows are taken in float64, walking down the rows in order (two f64x2 lanes per f32x4 of
// a row), so they do not drift over ~10^5 rows and match the reference's float64 sums to the bit.
// `scratch` is 2·cols float64 (16·cols bytes, 8-byte aligned) for those running sums.

/** The low two lanes of an f32x4, and its high two, widened to f64x2. */
// @ts-ignore: decorator
@inline
function lowF64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}
// @ts-ignore: decorator
@inline
function highF64(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/**
 * mean[j] = Σ_r x[r, j] / rows;  variance[j] = Σ_r (x[r, j] - mean_j)² / rows  (biased, as Keras'
 * batch statistics), both in float64 with the float64 mean, stored as float32. x is rows x cols.
 */
export function columnMeanVariance(rows: i32, cols: i32, x: usize, mean: usize, variance: usize, scratch: usize): void {
  if (rows <= 0) return;
  const rowBytes = <usize>cols << 2;
  const end = x + <usize>rows * rowBytes;
  const n = <f64>rows;
  // Pass 1: the sums, then the means (kept in float64 in scratch for pass 2).
  for (let j = 0; j < cols; j++) store<f64>(scratch + (<usize>j << 3), 0);
  for (let row = x; row < end; row += rowBytes) {
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const v = v128.load(row + (<usize>j << 2));
      const s = scratch + (<usize>j << 3);
      v128.store(s, f64x2.add(v128.load(s), lowF64(v)));
      v128.store(s, f64x2.add(v128.load(s, 16), highF64(v)), 16);
    }
    for (; j < cols; j++) {
      const s = scratch + (<usize>j << 3);
      store<f64>(s, load<f64>(s) + <f64>load<f32>(row + (<usize>j << 2)));
    }
  }
  const squares = scratch + (<usize>cols << 3);
  for (let j = 0; j < cols; j++) {
    const m = load<f64>(scratch + (<usize>j << 3)) / n;
    store<f64>(scratch + (<usize>j << 3), m);
    store<f64>(squares + (<usize>j << 3), 0);
  }
  // Pass 2: the squared deviations from the mean.
  for (let row = x; row < end; row += rowBytes) {
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const v = v128.load(row + (<usize>j << 2));
      const m = scratch + (<usize>j << 3);
      const s = squares + (<usize>j << 3);
      const d0 = f64x2.sub(lowF64(v), v128.load(m));
      const d1 = f64x2.sub(highF64(v), v128.load(m, 16));
      v128.store(s, f64x2.add(v128.load(s), f64x2.mul(d0, d0)));
      v128.store(s, f64x2.add(v128.load(s, 16), f64x2.mul(d1, d1)), 16);
    }
    for (; j < cols; j++) {
      const d = <f64>load<f32>(row + (<usize>j << 2)) - load<f64>(scratch + (<usize>j << 3));
      const s = squares + (<usize>j << 3);
      store<f64>(s, load<f64>(s) + d * d);
    }
  }
  for (let j = 0; j < cols; j++) {
    store<f32>(mean + (<usize>j << 2), <f32>load<f64>(scratch + (<usize>j << 3)));
    store<f32>(variance + (<usize>j << 2), <f32>(load<f64>(squares + (<usize>j << 3)) / n));
  }
}

/**
 * y[r, j] = relu?(x[r, j]·scale[j] + shift[j]) (f32 multiply, then add; then max(0, ·) with relu):
 * batch normalization's output, with a following ReLU fused in. relu maps NaN to 0, as the GEMM's does.
 */
export function columnScaleShift(rows: i32, cols: i32, x: usize, y: usize, scale: usize, shift: usize, relu: bool): void {
  const rowBytes = <usize>cols << 2;
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * rowBytes;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const c = <usize>j << 2;
      const v = f32x4.add(f32x4.mul(v128.load(x + at + c), v128.load(scale + c)), v128.load(shift + c));
      v128.store(y + at + c, relu ? f32x4.pmax(zero, v) : v);
    }
    for (; j < cols; j++) {
      const c = <usize>j << 2;
      const v = load<f32>(x + at + c) * load<f32>(scale + c) + load<f32>(shift + c);
      store<f32>(y + at + c, relu ? (v > 0 ? v : 0) : v);
    }
  }
}

/**
 * The two sums batch normalization's backward needs, per column, in float64:
 *   sumDy[j] = Σ_r dy[r, j]          sumDyCentered[j] = Σ_r dy[r, j]·(x[r, j] - mean[j])
 * dy and x are rows x cols, mean is cols floats; the sums are stored as float32.
 */
export function columnCenteredSums(
  rows: i32, cols: i32, dy: usize, x: usize, mean: usize, sumDy: usize, sumDyCentered: usize, scratch: usize,
): void {
  const rowBytes = <usize>cols << 2;
  const s2 = scratch + (<usize>cols << 3);
  for (let j = 0; j < cols; j++) {
    store<f64>(scratch + (<usize>j << 3), 0);
    store<f64>(s2 + (<usize>j << 3), 0);
  }
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * rowBytes;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const c = <usize>j << 2;
      const g = v128.load(dy + at + c);
      const m = v128.load(mean + c);
      const v = v128.load(x + at + c);
      const a = scratch + (<usize>j << 3), b = s2 + (<usize>j << 3);
      const g0 = lowF64(g), g1 = highF64(g);
      v128.store(a, f64x2.add(v128.load(a), g0));
      v128.store(a, f64x2.add(v128.load(a, 16), g1), 16);
      v128.store(b, f64x2.add(v128.load(b), f64x2.mul(g0, f64x2.sub(lowF64(v), lowF64(m)))));
      v128.store(b, f64x2.add(v128.load(b, 16), f64x2.mul(g1, f64x2.sub(highF64(v), highF64(m)))), 16);
    }
    for (; j < cols; j++) {
      const c = <usize>j << 2;
      const g = <f64>load<f32>(dy + at + c);
      const a = scratch + (<usize>j << 3), b = s2 + (<usize>j << 3);
      store<f64>(a, load<f64>(a) + g);
      store<f64>(b, load<f64>(b) + g * (<f64>load<f32>(x + at + c) - <f64>load<f32>(mean + c)));
    }
  }
  for (let j = 0; j < cols; j++) {
    store<f32>(sumDy + (<usize>j << 2), <f32>load<f64>(scratch + (<usize>j << 3)));
    store<f32>(sumDyCentered + (<usize>j << 2), <f32>load<f64>(s2 + (<usize>j << 3)));
  }
}

/**
 * Batch normalization's input gradient, with per-column coefficients the caller derived from the
 * sums above:  dx[r, j] += ((a[j]·dy[r, j] + b[j]·(x[r, j] - mean[j])) + d[j])   in f32, in that order.
 */
export function batchNormBackwardInto(
  rows: i32, cols: i32, dx: usize, dy: usize, x: usize, mean: usize, a: usize, b: usize, d: usize,
): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const at = <usize>r * rowBytes;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const c = <usize>j << 2;
      const t = f32x4.add(
        f32x4.add(
          f32x4.mul(v128.load(a + c), v128.load(dy + at + c)),
          f32x4.mul(v128.load(b + c), f32x4.sub(v128.load(x + at + c), v128.load(mean + c))),
        ),
        v128.load(d + c),
      );
      v128.store(dx + at + c, f32x4.add(v128.load(dx + at + c), t));
    }
    for (; j < cols; j++) {
      const c = <usize>j << 2;
      const t = load<f32>(a + c) * load<f32>(dy + at + c) + load<f32>(b + c) * (load<f32>(x + at + c) - load<f32>(mean + c)) + load<f32>(d + c);
      store<f32>(dx + at + c, load<f32>(dx + at + c) + t);
    }
  }
}
