// kernels/conv-reference.ts — the convnet kernels in plain TypeScript: the fallback for the 'js'
// backend and the oracle the WebAssembly ones (kernels/assembly/conv.ts) are tested against.
// Written for clarity: one pixel, one channel at a time. Contract in kernels/conv-types.ts.
//
// Arithmetic mirrors the WASM kernels: float32 sums and products (Math.fround after each), and
// float64 sums down the rows for batch normalization; so both give the same bits (but the relaxed
// build's direct convolution, which fuses its multiply-adds: within rounding).

import { heapF32 } from './memory.js';
import { gradientChunks, type ConvKernels, type WindowGeometry } from './conv-types.js';

const f32 = Math.fround;

/** Float index of x[b, y, x, c] in an NHWC array starting at float index `base`. */
function pixelIndex(base: number, g: WindowGeometry, b: number, y: number, x: number): number {
  return base + ((b * g.height + y) * g.width + x) * g.channels;
}

/** Calls visit(b, oy, ox, outIndex) for every output pixel, outIndex counting them in order. */
function forEachOutput(g: WindowGeometry, visit: (b: number, oy: number, ox: number, out: number) => void): void {
  let out = 0;
  for (let b = 0; b < g.batch; b++) {
    for (let oy = 0; oy < g.outH; oy++) for (let ox = 0; ox < g.outW; ox++) visit(b, oy, ox, out++);
  }
}

/** The input pixels (y, x) of output (oy, ox)'s window that lie inside the input, in row order. */
function windowPixels(g: WindowGeometry, oy: number, ox: number): [number, number][] {
  const pixels: [number, number][] = [];
  for (let ky = 0; ky < g.windowH; ky++) {
    for (let kx = 0; kx < g.windowW; kx++) {
      const y = oy * g.strideH - g.padTop + ky, x = ox * g.strideW - g.padLeft + kx;
      if (y >= 0 && y < g.height && x >= 0 && x < g.width) pixels.push([y, x]);
    }
  }
  return pixels;
}

/**
 * The direct convolution's value at output (b, oy, ox) for filter f: bias, then each tap inside the
 * input in (ky, kx, c) order, float32 multiply then add; relu: max(0, ·), NaN → 0.
 */
function convolved(g: WindowGeometry, filters: number, relu: boolean, xPtr: number, kernelPtr: number, biasPtr: number, b: number, oy: number, ox: number, f: number): number {
  const heap = heapF32();
  let sum = biasPtr === 0 ? 0 : heap[(biasPtr >> 2) + f]!;
  for (let ky = 0; ky < g.windowH; ky++) {
    for (let kx = 0; kx < g.windowW; kx++) {
      const iy = oy * g.strideH - g.padTop + ky, ix = ox * g.strideW - g.padLeft + kx;
      if (!(iy >= 0 && iy < g.height && ix >= 0 && ix < g.width)) continue; // padding: skipped
      for (let c = 0; c < g.channels; c++) {
        const w = heap[(kernelPtr >> 2) + ((ky * g.windowW + kx) * g.channels + c) * filters + f]!;
        sum = f32(sum + f32(heap[pixelIndex(xPtr >> 2, g, b, iy, ix) + c]! * w));
      }
    }
  }
  return relu && !(sum > 0) ? 0 : sum;
}

/**
 * dkernel[ky, kx, c, f] += Σ x·dz(b, oy, ox, f) and dbias[f] += Σ dz (dbiasPtr 0: skipped) over the
 * output pixels of rows [0, rows), summed in chunks of images (kernels/conv-types.ts' gradientChunks):
 * each chunk's sums from 0 over its pixels in order (b, oy, ox), each pixel adding to dbias first,
 * then to the taps; then dkernel and dbias += the chunks' sums, in chunk order.
 */
function kernelGradSums(
  g: WindowGeometry, filters: number, xPtr: number, dz: (b: number, oy: number, ox: number, f: number) => number,
  rows: number, dkernelPtr: number, dbiasPtr: number,
): void {
  const heap = heapF32();
  const kernelFloats = g.windowH * g.windowW * g.channels * filters;
  const chunks = gradientChunks(g.batch);
  // Float32Arrays: every += rounds to float32, as the WebAssembly loops do.
  const dkernelChunks = new Float32Array(chunks * kernelFloats), dbiasChunks = new Float32Array(chunks * filters);
  for (let chunk = 0; chunk < chunks; chunk++) {
    const dkernel = chunk * kernelFloats, dbias = chunk * filters;
    const firstImage = Math.floor((chunk * g.batch) / chunks), endImage = Math.floor(((chunk + 1) * g.batch) / chunks);
    for (let b = firstImage; b < endImage; b++) {
      for (let oy = 0; oy < rows; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          for (let f = 0; f < filters; f++) {
            const d = dz(b, oy, ox, f);
            dbiasChunks[dbias + f] += d;
            for (let ky = 0; ky < g.windowH; ky++) {
              for (let kx = 0; kx < g.windowW; kx++) {
                const iy = oy * g.strideH - g.padTop + ky, ix = ox * g.strideW - g.padLeft + kx;
                if (!(iy >= 0 && iy < g.height && ix >= 0 && ix < g.width)) continue;
                for (let c = 0; c < g.channels; c++) {
                  dkernelChunks[dkernel + ((ky * g.windowW + kx) * g.channels + c) * filters + f] += f32(heap[pixelIndex(xPtr >> 2, g, b, iy, ix) + c]! * d);
                }
              }
            }
          }
        }
      }
    }
  }
  for (let chunk = 0; chunk < chunks; chunk++) {
    for (let i = 0; i < kernelFloats; i++) heap[(dkernelPtr >> 2) + i] += dkernelChunks[chunk * kernelFloats + i]!;
    if (dbiasPtr !== 0) for (let f = 0; f < filters; f++) heap[(dbiasPtr >> 2) + f] += dbiasChunks[chunk * filters + f]!;
  }
}

export const convReferenceKernels: ConvKernels = {
  im2col(g, xPtr, colsPtr) {
    const heap = heapF32();
    const x = xPtr >> 2, cols = colsPtr >> 2;
    const rowLength = g.windowH * g.windowW * g.channels;
    forEachOutput(g, (b, oy, ox, m) => {
      for (let ky = 0; ky < g.windowH; ky++) {
        for (let kx = 0; kx < g.windowW; kx++) {
          const y = oy * g.strideH - g.padTop + ky, xx = ox * g.strideW - g.padLeft + kx;
          const inside = y >= 0 && y < g.height && xx >= 0 && xx < g.width;
          for (let c = 0; c < g.channels; c++) {
            heap[cols + m * rowLength + (ky * g.windowW + kx) * g.channels + c] = inside ? heap[pixelIndex(x, g, b, y, xx) + c] : 0;
          }
        }
      }
    });
  },

  col2imInto(g, dcolsPtr, dxPtr) {
    const heap = heapF32();
    const dcols = dcolsPtr >> 2, dx = dxPtr >> 2;
    const rowLength = g.windowH * g.windowW * g.channels;
    forEachOutput(g, (b, oy, ox, m) => {
      for (let ky = 0; ky < g.windowH; ky++) {
        for (let kx = 0; kx < g.windowW; kx++) {
          const y = oy * g.strideH - g.padTop + ky, xx = ox * g.strideW - g.padLeft + kx;
          if (!(y >= 0 && y < g.height && xx >= 0 && xx < g.width)) continue;
          for (let c = 0; c < g.channels; c++) {
            heap[pixelIndex(dx, g, b, y, xx) + c] += heap[dcols + m * rowLength + (ky * g.windowW + kx) * g.channels + c];
          }
        }
      }
    });
  },

  conv2dForward(g, filters, relu, xPtr, kernelPtr, biasPtr, yPtr) {
    const heap = heapF32();
    forEachOutput(g, (b, oy, ox, out) => {
      for (let f = 0; f < filters; f++) heap[(yPtr >> 2) + out * filters + f] = convolved(g, filters, relu, xPtr, kernelPtr, biasPtr, b, oy, ox, f);
    });
  },

  conv2dMaxPoolForward(g, filters, poolH, poolW, xPtr, kernelPtr, biasPtr, pooledPtr, argmaxPtr) {
    const heap = heapF32();
    const indices = new Int32Array(heap.buffer);
    const pooledH = Math.floor(g.outH / poolH), pooledW = Math.floor(g.outW / poolW);
    let out = 0;
    for (let b = 0; b < g.batch; b++) {
      for (let py = 0; py < pooledH; py++) {
        for (let px = 0; px < pooledW; px++, out++) {
          for (let f = 0; f < filters; f++) {
            let m = -Infinity, k = 0;
            for (let dy = 0; dy < poolH; dy++) {
              for (let dx = 0; dx < poolW; dx++) {
                const v = convolved(g, filters, true, xPtr, kernelPtr, biasPtr, b, py * poolH + dy, px * poolW + dx, f);
                if (m < v) [m, k] = [v, dy * poolW + dx];
              }
            }
            heap[(pooledPtr >> 2) + out * filters + f] = m;
            indices[(argmaxPtr >> 2) + out * filters + f] = k;
          }
        }
      }
    }
  },

  conv2dMaxPoolKernelGradInto(g, filters, poolH, poolW, xPtr, dpooledPtr, pooledPtr, argmaxPtr, dkernelPtr, dbiasPtr) {
    // dz as maxPoolBackwardInto and ReLU's backward would leave it (zeros outside the windows), then
    // the kernel gradient's sums over the rows the windows cover: the unfused ops, one after the other.
    const heap = heapF32();
    const indices = new Int32Array(heap.buffer);
    const pooledH = Math.floor(g.outH / poolH), pooledW = Math.floor(g.outW / poolW);
    const dz = new Float32Array(g.batch * g.outH * g.outW * filters);
    for (let b = 0; b < g.batch; b++) {
      for (let py = 0; py < pooledH; py++) {
        for (let px = 0; px < pooledW; px++) {
          for (let f = 0; f < filters; f++) {
            const at = ((b * pooledH + py) * pooledW + px) * filters + f;
            const k = indices[(argmaxPtr >> 2) + at]!;
            const oy = py * poolH + Math.floor(k / poolW), ox = px * poolW + (k % poolW);
            if (heap[(pooledPtr >> 2) + at]! > 0) dz[((b * g.outH + oy) * g.outW + ox) * filters + f] = 0 + heap[(dpooledPtr >> 2) + at]!;
          }
        }
      }
    }
    kernelGradSums(g, filters, xPtr, (b, oy, ox, f) => dz[((b * g.outH + oy) * g.outW + ox) * filters + f]!, pooledH * poolH, dkernelPtr, dbiasPtr);
  },

  conv2dKernelGradInto(g, filters, xPtr, doutPtr, yPtr, dkernelPtr, dbiasPtr) {
    const heap = heapF32();
    const dz = (b: number, oy: number, ox: number, f: number) => {
      const at = ((b * g.outH + oy) * g.outW + ox) * filters + f;
      return yPtr !== 0 && !(heap[(yPtr >> 2) + at]! > 0) ? 0 : heap[(doutPtr >> 2) + at]!;
    };
    kernelGradSums(g, filters, xPtr, dz, g.outH, dkernelPtr, dbiasPtr);
  },

  maxPoolForward(g, xPtr, yPtr) {
    const heap = heapF32();
    const x = xPtr >> 2, y = yPtr >> 2;
    forEachOutput(g, (b, oy, ox, out) => {
      for (let c = 0; c < g.channels; c++) {
        let m = -Infinity;
        for (const [iy, ix] of windowPixels(g, oy, ox)) {
          const v = heap[pixelIndex(x, g, b, iy, ix) + c];
          m = m < v ? v : m;
        }
        heap[y + out * g.channels + c] = m;
      }
    });
  },

  maxPoolBackwardInto(g, xPtr, yPtr, dyPtr, dxPtr) {
    const heap = heapF32();
    const x = xPtr >> 2, y = yPtr >> 2, dy = dyPtr >> 2, dx = dxPtr >> 2;
    forEachOutput(g, (b, oy, ox, out) => {
      for (let c = 0; c < g.channels; c++) {
        const target = heap[y + out * g.channels + c];
        const first = windowPixels(g, oy, ox).find(([iy, ix]) => heap[pixelIndex(x, g, b, iy, ix) + c] === target);
        if (first !== undefined) heap[pixelIndex(dx, g, b, first[0], first[1]) + c] += heap[dy + out * g.channels + c];
      }
    });
  },

  maxPoolReluBackward(g, xPtr, yPtr, dyPtr, dzPtr, dzSumsPtr = 0) {
    const heap = heapF32();
    const x = xPtr >> 2, y = yPtr >> 2, dy = dyPtr >> 2, dz = dzPtr >> 2, sums = dzSumsPtr >> 2;
    heap.fill(0, dz, dz + g.batch * g.height * g.width * g.channels);
    if (dzSumsPtr !== 0) heap.fill(0, sums, sums + g.batch * g.channels);
    forEachOutput(g, (b, oy, ox, out) => {
      for (let c = 0; c < g.channels; c++) {
        const target = heap[y + out * g.channels + c];
        const first = windowPixels(g, oy, ox).find(([iy, ix]) => heap[pixelIndex(x, g, b, iy, ix) + c] === target);
        if (first !== undefined && heap[pixelIndex(x, g, b, first[0], first[1]) + c]! > 0) {
          const d = 0 + heap[dy + out * g.channels + c]!;
          heap[pixelIndex(dz, g, b, first[0], first[1]) + c] = d;
          // The window's other pixels hold zeros: adding them would change no sum.
          if (dzSumsPtr !== 0) heap[sums + b * g.channels + c] += d;
        }
      }
    });
  },

  avgPoolForward(g, xPtr, yPtr) {
    const heap = heapF32();
    const x = xPtr >> 2, y = yPtr >> 2;
    forEachOutput(g, (b, oy, ox, out) => {
      const pixels = windowPixels(g, oy, ox);
      for (let c = 0; c < g.channels; c++) {
        let sum = 0;
        for (const [iy, ix] of pixels) sum = f32(sum + heap[pixelIndex(x, g, b, iy, ix) + c]);
        heap[y + out * g.channels + c] = sum / pixels.length;
      }
    });
  },

  avgPoolBackwardInto(g, dyPtr, dxPtr) {
    const heap = heapF32();
    const dy = dyPtr >> 2, dx = dxPtr >> 2;
    forEachOutput(g, (b, oy, ox, out) => {
      const pixels = windowPixels(g, oy, ox);
      for (let c = 0; c < g.channels; c++) {
        const share = f32(heap[dy + out * g.channels + c] / pixels.length);
        for (const [iy, ix] of pixels) heap[pixelIndex(dx, g, b, iy, ix) + c] += share;
      }
    });
  },

  columnMeanVariance(rows, cols, xPtr, meanPtr, variancePtr) {
    if (rows <= 0) return;
    const heap = heapF32();
    const x = xPtr >> 2;
    for (let j = 0; j < cols; j++) {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += heap[x + r * cols + j];
      const mean = sum / rows;
      let squares = 0;
      for (let r = 0; r < rows; r++) {
        const deviation = heap[x + r * cols + j] - mean;
        squares += deviation * deviation;
      }
      heap[(meanPtr >> 2) + j] = mean;
      heap[(variancePtr >> 2) + j] = squares / rows;
    }
  },

  columnScaleShift(rows, cols, xPtr, yPtr, scalePtr, shiftPtr, relu) {
    const heap = heapF32();
    const x = xPtr >> 2, y = yPtr >> 2, scale = scalePtr >> 2, shift = shiftPtr >> 2;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) {
        const v = f32(f32(heap[x + r * cols + j] * heap[scale + j]) + heap[shift + j]);
        heap[y + r * cols + j] = relu && !(v > 0) ? 0 : v;
      }
    }
  },

  columnCenteredSums(rows, cols, dyPtr, xPtr, meanPtr, sumDyPtr, sumDyCenteredPtr) {
    const heap = heapF32();
    const dy = dyPtr >> 2, x = xPtr >> 2;
    for (let j = 0; j < cols; j++) {
      const mean = heap[(meanPtr >> 2) + j];
      let sumDy = 0, sumDyCentered = 0;
      for (let r = 0; r < rows; r++) {
        const g = heap[dy + r * cols + j];
        sumDy += g;
        sumDyCentered += g * (heap[x + r * cols + j] - mean);
      }
      heap[(sumDyPtr >> 2) + j] = sumDy;
      heap[(sumDyCenteredPtr >> 2) + j] = sumDyCentered;
    }
  },

  batchNormBackwardInto(rows, cols, dxPtr, dyPtr, xPtr, meanPtr, aPtr, bPtr, dPtr) {
    const heap = heapF32();
    const dx = dxPtr >> 2, dy = dyPtr >> 2, x = xPtr >> 2;
    const mean = meanPtr >> 2, a = aPtr >> 2, b = bPtr >> 2, d = dPtr >> 2;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) {
        const i = r * cols + j;
        const t = f32(f32(f32(heap[a + j] * heap[dy + i]) + f32(heap[b + j] * f32(heap[x + i] - heap[mean + j]))) + heap[d + j]);
        heap[dx + i] += t;
      }
    }
  },
};
