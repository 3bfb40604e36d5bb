// kernels/conv.ts — the door to the convnet kernels (im2col/col2im, pooling, batch-norm sums): the
// WebAssembly SIMD ones of kernels/assembly/conv.ts wrapped for JavaScript, and the choice between
// them and the reference (kernels/conv-reference.ts), which follows kernels/index.ts' setBackend.
// It computes nothing itself. Contracts: kernels/conv-types.ts.

import { alloc, free } from './memory.js';
import { getBackend } from './index.js';
import { convReferenceKernels } from './conv-reference.js';
import type { ConvKernels, WindowGeometry } from './conv-types.js';
import { instantiateGemm, wasmBuild, wasmBytes, wasmModule, type WasmBuild } from './wasm.js';

export type { ConvKernels, WindowGeometry } from './conv-types.js';
export { convReferenceKernels } from './conv-reference.js';

type Geometry12 = [number, number, number, number, number, number, number, number, number, number, number, number];

/** The exports of kernels/assembly/conv.ts: the geometry spelled out as 12 integers, then pointers. */
export interface WasmConvExports {
  im2col(...args: [...Geometry12, number, number]): void;
  col2imInto(...args: [...Geometry12, number, number]): void;
  maxPoolForward(...args: [...Geometry12, number, number]): void;
  maxPoolBackwardInto(...args: [...Geometry12, number, number, number, number]): void;
  avgPoolForward(...args: [...Geometry12, number, number]): void;
  avgPoolBackwardInto(...args: [...Geometry12, number, number]): void;
  columnMeanVariance(rows: number, cols: number, x: number, mean: number, variance: number, scratch: number): void;
  columnScaleShift(rows: number, cols: number, x: number, y: number, scale: number, shift: number): void;
  columnCenteredSums(rows: number, cols: number, dy: number, x: number, mean: number, sumDy: number, sumDyCentered: number, scratch: number): void;
  batchNormBackwardInto(rows: number, cols: number, dx: number, dy: number, x: number, mean: number, a: number, b: number, d: number): void;
}

const GEOMETRY_KEYS = [
  'batch', 'height', 'width', 'channels', 'windowH', 'windowW', 'strideH', 'strideW', 'padTop', 'padLeft', 'outH', 'outW',
] as const;

/**
 * The geometry as the kernels' 12 integer arguments, checked: the WASM loops trust every number, so
 * a fraction, a negative size or a window that reaches past the input's padding is refused here.
 */
function geometryArgs(g: WindowGeometry, kernel: string): Geometry12 {
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
  return values as Geometry12;
}

function checkCounts(rows: number, cols: number, kernel: string): void {
  for (const [what, v] of [['rows', rows], ['cols', cols]] as const) {
    if (!(Number.isInteger(v) && v >= 0 && v <= 0x7fffffff)) throw new RangeError(`wasmgrad: ${kernel} expected ${what} to be a non-negative integer, got ${v}`);
  }
}

/** Wraps one instance's exports as ConvKernels, with a grow-only float64 scratch for the batch-norm sums. */
export function convKernelsFromExports(exports: WasmConvExports): ConvKernels {
  let scratch = 0, scratchBytes = 0;
  const scratchFor = (cols: number): number => {
    const needed = Math.max(16 * cols, 64);
    if (needed > scratchBytes) {
      if (scratch !== 0) free(scratch, scratchBytes);
      scratch = alloc(needed);
      scratchBytes = needed;
    }
    return scratch;
  };
  return {
    im2col: (g, x, cols) => exports.im2col(...geometryArgs(g, 'im2col'), x, cols),
    col2imInto: (g, dcols, dx) => exports.col2imInto(...geometryArgs(g, 'col2imInto'), dcols, dx),
    maxPoolForward: (g, x, y) => exports.maxPoolForward(...geometryArgs(g, 'maxPoolForward'), x, y),
    maxPoolBackwardInto: (g, x, y, dy, dx) => exports.maxPoolBackwardInto(...geometryArgs(g, 'maxPoolBackwardInto'), x, y, dy, dx),
    avgPoolForward: (g, x, y) => exports.avgPoolForward(...geometryArgs(g, 'avgPoolForward'), x, y),
    avgPoolBackwardInto: (g, dy, dx) => exports.avgPoolBackwardInto(...geometryArgs(g, 'avgPoolBackwardInto'), dy, dx),
    columnMeanVariance(rows, cols, x, mean, variance) {
      checkCounts(rows, cols, 'columnMeanVariance');
      exports.columnMeanVariance(rows, cols, x, mean, variance, scratchFor(cols));
    },
    columnScaleShift(rows, cols, x, y, scale, shift) {
      checkCounts(rows, cols, 'columnScaleShift');
      exports.columnScaleShift(rows, cols, x, y, scale, shift);
    },
    columnCenteredSums(rows, cols, dy, x, mean, sumDy, sumDyCentered) {
      checkCounts(rows, cols, 'columnCenteredSums');
      exports.columnCenteredSums(rows, cols, dy, x, mean, sumDy, sumDyCentered, scratchFor(cols));
    },
    batchNormBackwardInto(rows, cols, dx, dy, x, mean, a, b, d) {
      checkCounts(rows, cols, 'batchNormBackwardInto');
      exports.batchNormBackwardInto(rows, cols, dx, dy, x, mean, a, b, d);
    },
  };
}

/** The convnet kernels of one build, as a separate instance (tests compare the builds). */
export async function createWasmConvKernels(build: WasmBuild): Promise<ConvKernels> {
  const module = await WebAssembly.compile(wasmBytes(build));
  return convKernelsFromExports((await instantiateGemm(module)) as unknown as WasmConvExports);
}

/** The WASM convnet kernels of the build the 'wasm' backend runs, or null where there is none. */
export const wasmConvKernels: ConvKernels | null =
  wasmModule === null ? null : convKernelsFromExports((await instantiateGemm(wasmModule)) as unknown as WasmConvExports);
/** Which build wasmConvKernels runs. */
export const wasmConvBuild: WasmBuild | null = wasmBuild;

/** The convnet kernels of the backend in use (kernels/index.ts' setBackend chooses). */
export function convKernels(): ConvKernels {
  return getBackend() === 'wasm' && wasmConvKernels !== null ? wasmConvKernels : convReferenceKernels;
}
