// kernels/conv-wasm.ts — the WebAssembly convnet kernels (kernels/assembly/conv.ts) wrapped as the
// ConvKernels part of the 'wasm' backend: arguments checked (the loops trust every number), the
// geometry spelled out as the 12 integers the module takes, a float64 scratch for the batch-norm
// sums and one for the kernel gradients' chunk sums, the window kernels handed to the thread pool
// (which cuts large ones by images, or by chunks of images).
// kernels/wasm.ts includes these in its Kernels. It computes nothing itself.

import { alloc, free } from './memory.js';
import { gradientChunks, type ConvKernels, type WasmConvExports, type WindowGeometry } from './conv-types.js';

type Geometry12 = Parameters<WasmConvExports['im2col']> extends [...infer G, number, number] ? G : never;

const GEOMETRY_KEYS = [
  'batch', 'height', 'width', 'channels', 'windowH', 'windowW', 'strideH', 'strideW', 'padTop', 'padLeft', 'outH', 'outW',
] as const;

/**
 * The geometry as the kernels' 12 integer arguments, checked: a fraction, a negative size or
 * padding as large as the window (which would let a window miss the input entirely) is refused.
 */
export function geometryArgs(g: WindowGeometry, kernel: string): Geometry12 {
  const values = GEOMETRY_KEYS.map((key) => g[key]);
  GEOMETRY_KEYS.forEach((key, i) => {
    const v = values[i];
    const positive = key.startsWith('window') || key.startsWith('stride');
    if (!Number.isInteger(v) || v < (positive ? 1 : 0) || v > 0x7fffffff) {
      throw new RangeError(`wasmgrad: ${kernel} expected ${key} to be a ${positive ? 'positive' : 'non-negative'} integer, got ${v}`);
    }
  });
  if (g.padTop >= g.windowH || g.padLeft >= g.windowW) {
    throw new RangeError(`wasmgrad: ${kernel} expected padding smaller than the window, got padTop ${g.padTop}, padLeft ${g.padLeft} for a ${g.windowH}x${g.windowW} window`);
  }
  return values as unknown as Geometry12;
}

function checkCounts(rows: number, cols: number, kernel: string): void {
  for (const [what, v] of [['rows', rows], ['cols', cols]] as const) {
    if (!(Number.isInteger(v) && v >= 0 && v <= 0x7fffffff)) throw new RangeError(`wasmgrad: ${kernel} expected ${what} to be a non-negative integer, got ${v}`);
  }
}

/** The window kernels that take a geometry: im2col, col2im and pooling. */
export type WindowKernelName =
  | 'im2col' | 'col2imInto' | 'maxPoolForward' | 'maxPoolBackwardInto' | 'maxPoolReluBackward' | 'avgPoolForward' | 'avgPoolBackwardInto' | 'conv2dForward'
  | 'conv2dMaxPoolForward' | 'conv2dMaxPoolKernelGradInto' | 'conv2dKernelGradInto';

/**
 * Runs window kernel `name` on `ints`, its checked geometry (12 integers) followed by the integers
 * it takes next, and its `pointers`: kernels/thread-pool.ts' runWindow, which may split it across threads.
 */
export type RunWindow = (name: WindowKernelName, ints: readonly number[], pointers: readonly number[]) => void;

/** Refuses a filter count or a pooling window that is not a positive integer. */
function checkPool(filters: number, poolH: number, poolW: number, kernel: string): void {
  checkCounts(filters, 0, kernel);
  for (const [what, v] of [['poolH', poolH], ['poolW', poolW]] as const) {
    if (!(Number.isInteger(v) && v >= 1 && v <= 0x7fffffff)) throw new RangeError(`wasmgrad: ${kernel} expected ${what} to be a positive integer, got ${v}`);
  }
}

/**
 * A scratch block that only grows: `at(bytes)` returns one of at least that many bytes (64-byte
 * aligned), the same one as long as it is large enough. So a training step, asking for the same
 * sizes every time, allocates nothing after its first.
 */
function growOnlyScratch(): { at(bytes: number): number } {
  let pointer = 0, size = 0;
  return {
    at(bytes) {
      if (bytes > size) {
        if (pointer !== 0) free(pointer, size);
        size = Math.max(bytes, 64);
        pointer = alloc(size);
      }
      return pointer;
    },
  };
}

/**
 * Wraps one instance's convnet exports, with a grow-only float64 scratch for the batch-norm sums
 * and one for the kernel gradients' chunk sums; the window kernels go through `runWindow`.
 */
export function convKernelsFromExports(exports: WasmConvExports, runWindow: RunWindow): ConvKernels {
  const batchNormScratch = growOnlyScratch(), gradientScratch = growOnlyScratch();
  const scratchFor = (cols: number): number => batchNormScratch.at(16 * cols);
  /**
   * A kernel gradient cut into chunks of images (kernels/conv-types.ts' gradientChunks), which
   * threads take in ranges: the window kernel `name` writes each chunk's dkernel [kh·kw·C·F] and
   * dbias [F] sums into the scratch, each piece with its own row of dz (outW·F floats, at its first
   * chunk's place; one row even with no image to sum), and dkernel and dbias (0: none) += the
   * chunks' sums in chunk order, so any cut gives the same bits.
   */
  const kernelGradInChunks = (
    name: 'conv2dKernelGradInto' | 'conv2dMaxPoolKernelGradInto', g: WindowGeometry, extras: number[], inputs: number[], dkernel: number, dbias: number,
  ): void => {
    const filters = extras[0]!;
    const chunks = gradientChunks(g.batch);
    const kernelFloats = g.windowH * g.windowW * g.channels * filters;
    const sums = gradientScratch.at(4 * (chunks * (kernelFloats + filters) + Math.max(chunks, 1) * g.outW * filters));
    const biasSums = sums + 4 * chunks * kernelFloats;
    runWindow(name, [...geometryArgs(g, name), ...extras, chunks], [...inputs, sums, dbias === 0 ? 0 : biasSums, biasSums + 4 * chunks * filters]);
    exports.addChunkSumsInto(chunks, kernelFloats, sums, dkernel);
    if (dbias !== 0) exports.addChunkSumsInto(chunks, filters, biasSums, dbias);
  };
  return {
    im2col: (g, x, cols) => runWindow('im2col', geometryArgs(g, 'im2col'), [x, cols]),
    col2imInto: (g, dcols, dx) => runWindow('col2imInto', geometryArgs(g, 'col2imInto'), [dcols, dx]),
    conv2dForward(g, filters, relu, x, kernel, bias, y) {
      checkCounts(filters, 0, 'conv2dForward');
      runWindow('conv2dForward', [...geometryArgs(g, 'conv2dForward'), filters, relu ? 1 : 0], [x, kernel, bias, y]);
    },
    conv2dKernelGradInto(g, filters, x, dout, y, dkernel, dbias) {
      checkCounts(filters, 0, 'conv2dKernelGradInto');
      kernelGradInChunks('conv2dKernelGradInto', g, [filters], [x, dout, y], dkernel, dbias);
    },
    conv2dMaxPoolForward(g, filters, poolH, poolW, x, kernel, bias, pooled, argmax, scratch) {
      checkPool(filters, poolH, poolW, 'conv2dMaxPoolForward');
      runWindow('conv2dMaxPoolForward', [...geometryArgs(g, 'conv2dMaxPoolForward'), filters, poolH, poolW], [x, kernel, bias, pooled, argmax, scratch]);
    },
    conv2dMaxPoolKernelGradInto(g, filters, poolH, poolW, x, dpooled, pooled, argmax, dkernel, dbias) {
      checkPool(filters, poolH, poolW, 'conv2dMaxPoolKernelGradInto');
      kernelGradInChunks('conv2dMaxPoolKernelGradInto', g, [filters, poolH, poolW], [x, dpooled, pooled, argmax], dkernel, dbias);
    },
    maxPoolForward: (g, x, y) => runWindow('maxPoolForward', geometryArgs(g, 'maxPoolForward'), [x, y]),
    maxPoolBackwardInto: (g, x, y, dy, dx) => runWindow('maxPoolBackwardInto', geometryArgs(g, 'maxPoolBackwardInto'), [x, y, dy, dx]),
    maxPoolReluBackward(g, x, y, dy, dz, dzSums = 0) {
      const ints = geometryArgs(g, 'maxPoolReluBackward');
      // The loop assumes windows side by side inside the input: each pixel in at most one window.
      if (g.strideH !== g.windowH || g.strideW !== g.windowW || g.padTop !== 0 || g.padLeft !== 0 || g.outH * g.windowH > g.height || g.outW * g.windowW > g.width) {
        throw new RangeError(`wasmgrad: maxPoolReluBackward expected windows side by side (strides = window, no padding) inside the input, got a ${g.windowH}x${g.windowW} window, strides ${g.strideH}x${g.strideW}, padding ${g.padTop}/${g.padLeft}, ${g.outH}x${g.outW} windows over ${g.height}x${g.width}`);
      }
      runWindow('maxPoolReluBackward', ints, [x, y, dy, dz, dzSums]);
    },
    avgPoolForward: (g, x, y) => runWindow('avgPoolForward', geometryArgs(g, 'avgPoolForward'), [x, y]),
    avgPoolBackwardInto: (g, dy, dx) => runWindow('avgPoolBackwardInto', geometryArgs(g, 'avgPoolBackwardInto'), [dy, dx]),
    columnMeanVariance(rows, cols, x, mean, variance) {
      checkCounts(rows, cols, 'columnMeanVariance');
      exports.columnMeanVariance(rows, cols, x, mean, variance, scratchFor(cols));
    },
    columnScaleShift(rows, cols, x, y, scale, shift, relu) {
      checkCounts(rows, cols, 'columnScaleShift');
      exports.columnScaleShift(rows, cols, x, y, scale, shift, relu ? 1 : 0);
    },
    columnCenteredSums(rows, cols, dy, x, mean, sumDy, sumDyCentered) {
      checkCounts(rows, cols, 'columnCenteredSums');
      exports.columnCenteredSums(rows, cols, dy, x, mean, sumDy, sumDyCentered, scratchFor(cols));
    },
    batchNormBackwardInto(rows, cols, dx, dy, x, mean, a, b, d) {
      checkCounts(rows, cols, 'batchNormBackwardInto');
      exports.batchNormBackwardInto(rows, cols, dx, dy, x, mean, a, b, d);
    },
  } satisfies ConvKernels;
}
