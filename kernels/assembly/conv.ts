// kernels/assembly/conv.ts — the convnet loops in WebAssembly SIMD128: im2col and col2im (which turn
// a convolution into one GEMM and back), max and average pooling forward and backward, and the
// per-channel sums of batch normalization. Not the GEMM itself (gemm.ts multiplies the columns).
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
//     and the two builds then give identical bits, equal to the reference's.

// ---- small helpers ----------------------------------------------------------------------------------

/** dst[0..n) = src[0..n). */
// @ts-ignore: decorator
@inline
function copyFloats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/** dst[0..n) += src[0..n). */
// @ts-ignore: decorator
@inline
function addFloats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    v128.store(dst + at, f32x4.add(v128.load(dst + at), v128.load(src + at)));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(dst + at, load<f32>(dst + at) + load<f32>(src + at));
  }
}

/** dst[0..n) = 0. */
// @ts-ignore: decorator
@inline
function zeroFloats(dst: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), zero);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

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
