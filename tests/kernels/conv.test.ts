// tests/kernels/conv.test.ts — the WASM convnet kernels (im2col, col2im, max and average pooling,
// the batch-norm sums) in every build this runtime accepts, against the TypeScript reference, on
// ragged shapes: channel counts around the f32x4 width, odd sizes, strides 1 and 2, padding on every
// side, overlapping windows. Both compute the same float32 (and float64) operations in the same
// order, so the results must be bit-identical. Guards around every output catch stray writes.
//
// vitest.config.ts runs this file twice: plainly, and with --experimental-wasm-relaxed-simd.

import { describe, expect, it } from 'vitest';
import { alloc, free, heapF32 } from '../../kernels/index.js';
import { convReferenceKernels, createWasmConvKernels, type ConvKernels, type WindowGeometry } from '../../kernels/conv.js';
import { wasmBuildValidates, type WasmBuild } from '../../kernels/wasm.js';
import { randomUniform } from '../seeded.js';

const GUARD = 4;
const GUARD_VALUE = -12345.5;

/** Geometry of a window over an NHWC input, with TensorFlow's 'valid' / 'same' rule. */
function geometry(batch: number, height: number, width: number, channels: number, window: [number, number], stride: [number, number], padding: 'valid' | 'same'): WindowGeometry {
  const side = (size: number, k: number, s: number) => {
    if (padding === 'valid') return { out: Math.floor((size - k) / s) + 1, before: 0 };
    const out = Math.ceil(size / s);
    return { out, before: Math.floor(Math.max((out - 1) * s + k - size, 0) / 2) };
  };
  const h = side(height, window[0], stride[0]), w = side(width, window[1], stride[1]);
  return {
    batch, height, width, channels, windowH: window[0], windowW: window[1], strideH: stride[0], strideW: stride[1],
    padTop: h.before, padLeft: w.before, outH: h.out, outW: w.out,
  };
}

// (batch, height, width, channels, window, stride, padding): channels 1, 3, 4, 5, 8, 13 (tails of
// 1-3 after the f32x4 body), windows inside and across the borders, overlapping (stride < window).
const CASES: [number, number, number, number, [number, number], [number, number], 'valid' | 'same'][] = [
  [2, 7, 6, 1, [3, 3], [1, 1], 'valid'],
  [2, 7, 6, 1, [3, 3], [1, 1], 'same'],
  [1, 5, 7, 3, [3, 2], [2, 1], 'same'],
  [2, 6, 5, 4, [2, 2], [2, 2], 'valid'],
  [1, 9, 8, 5, [3, 3], [2, 2], 'same'],
  [2, 5, 5, 8, [1, 1], [1, 1], 'valid'],
  [1, 7, 7, 13, [3, 3], [2, 2], 'valid'],
  [1, 6, 9, 13, [4, 3], [1, 2], 'same'],
  [3, 4, 4, 6, [4, 4], [1, 1], 'valid'], // one window covering the whole image: global pooling
];

interface Block { base: number; bytes: number; ptr: number; n: number }

function place(values: Float32Array): Block {
  const n = values.length;
  const bytes = (n + 2 * GUARD) * 4;
  const base = alloc(bytes);
  const heap = heapF32();
  heap.fill(GUARD_VALUE, base >> 2, (base + bytes) >> 2);
  heap.set(values, (base >> 2) + GUARD);
  return { base, bytes, ptr: base + GUARD * 4, n };
}

function read(block: Block, what: string): Float32Array {
  const heap = heapF32();
  for (let k = 1; k <= GUARD; k++) {
    if (heap[(block.ptr >> 2) - k] !== GUARD_VALUE || heap[(block.ptr >> 2) + block.n + k - 1] !== GUARD_VALUE) {
      expect.fail(`${what}: wrote outside its array`);
    }
  }
  return heap.slice(block.ptr >> 2, (block.ptr >> 2) + block.n);
}

/** Runs `call` on fresh copies of `inputs` with each kernel set; returns every array afterwards. */
function run(kernels: ConvKernels, inputs: Float32Array[], call: (k: ConvKernels, ptrs: number[]) => void, what: string): Float32Array[] {
  const blocks = inputs.map(place);
  try {
    call(kernels, blocks.map((b) => b.ptr));
    return blocks.map((b, i) => read(b, `${what}, array ${i}`));
  } finally {
    for (const b of blocks) free(b.base, b.bytes);
  }
}

function expectBitIdentical(got: Float32Array[], expected: Float32Array[], what: string): void {
  got.forEach((array, a) => {
    for (let i = 0; i < array.length; i++) {
      if (!Object.is(array[i], expected[a]![i])) expect.fail(`${what}: array ${a} element ${i} is ${array[i]}, reference ${expected[a]![i]}`);
    }
  });
}

function randomArray(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const random = randomUniform(seed);
  return Float32Array.from({ length: n }, () => offset + scale * random());
}

/** Ties in every window: values from a small set, so max pooling's "first maximum" rule is exercised. */
function tiedArray(n: number, seed: number): Float32Array {
  const random = randomUniform(seed);
  return Float32Array.from({ length: n }, () => Math.round(2 * random()));
}

const builds: WasmBuild[] = wasmBuildValidates('relaxed') ? ['simd', 'relaxed'] : ['simd'];
const kernelsByBuild = new Map<WasmBuild, ConvKernels>();
for (const build of builds) kernelsByBuild.set(build, await createWasmConvKernels(build));

describe.each(builds)('wasm convnet kernels, %s build, against the reference', (build) => {
  const kernels = kernelsByBuild.get(build)!;
  const compare = (inputs: Float32Array[], call: (k: ConvKernels, p: number[]) => void, what: string) =>
    expectBitIdentical(run(kernels, inputs, call, what), run(convReferenceKernels, inputs, call, `${what} (reference)`), what);

  describe.each(CASES)('batch %i, %ix%i, %i channels, window %j, stride %j, %s', (batch, height, width, channels, window, stride, padding) => {
    const g = geometry(batch, height, width, channels, window, stride, padding);
    const inputSize = batch * height * width * channels;
    const outSize = batch * g.outH * g.outW * channels;
    const colsSize = batch * g.outH * g.outW * g.windowH * g.windowW * channels;
    const seed = batch * 1000 + height * 100 + width * 10 + channels;

    it('im2col and col2imInto', () => {
      compare([randomArray(inputSize, seed), new Float32Array(colsSize).fill(NaN)], (k, [x, cols]) => k.im2col(g, x!, cols!), 'im2col');
      compare([randomArray(colsSize, seed + 1), randomArray(inputSize, seed + 2)], (k, [dcols, dx]) => k.col2imInto(g, dcols!, dx!), 'col2imInto');
    });

    it('max pooling forward and backward (with ties)', () => {
      for (const x of [randomArray(inputSize, seed + 3), tiedArray(inputSize, seed + 4)]) {
        compare([x, new Float32Array(outSize).fill(NaN)], (k, [xp, y]) => k.maxPoolForward(g, xp!, y!), 'maxPoolForward');
        const [, y] = run(convReferenceKernels, [x, new Float32Array(outSize)], (k, [xp, yp]) => k.maxPoolForward(g, xp!, yp!), 'y');
        compare([x, y!, randomArray(outSize, seed + 5), randomArray(inputSize, seed + 6)],
          (k, [xp, yp, dy, dx]) => k.maxPoolBackwardInto(g, xp!, yp!, dy!, dx!), 'maxPoolBackwardInto');
      }
    });

    it('average pooling forward and backward', () => {
      compare([randomArray(inputSize, seed + 7), new Float32Array(outSize).fill(NaN)], (k, [x, y]) => k.avgPoolForward(g, x!, y!), 'avgPoolForward');
      compare([randomArray(outSize, seed + 8), randomArray(inputSize, seed + 9)], (k, [dy, dx]) => k.avgPoolBackwardInto(g, dy!, dx!), 'avgPoolBackwardInto');
    });
  });

  // Batch normalization's column kernels: rows x cols with cols around the f32x4 width.
  describe.each([[1, 1], [7, 3], [5, 4], [33, 5], [64, 13], [1000, 32]])('batch-norm kernels, %i rows x %i columns', (rows, cols) => {
    const seed = rows * 100 + cols;
    it('columnMeanVariance (offset data: the float64 two-pass sums)', () => {
      compare([randomArray(rows * cols, seed, 1, 100), new Float32Array(cols), new Float32Array(cols)],
        (k, [x, mean, variance]) => k.columnMeanVariance(rows, cols, x!, mean!, variance!), 'columnMeanVariance');
    });
    it('columnScaleShift, in place too', () => {
      const inputs = [randomArray(rows * cols, seed + 1), new Float32Array(rows * cols), randomArray(cols, seed + 2), randomArray(cols, seed + 3)];
      compare(inputs, (k, [x, y, scale, shift]) => k.columnScaleShift(rows, cols, x!, y!, scale!, shift!), 'columnScaleShift');
      compare(inputs, (k, [x, , scale, shift]) => k.columnScaleShift(rows, cols, x!, x!, scale!, shift!), 'columnScaleShift in place');
    });
    it('columnCenteredSums and batchNormBackwardInto', () => {
      const x = randomArray(rows * cols, seed + 4), dy = randomArray(rows * cols, seed + 5), mean = randomArray(cols, seed + 6);
      compare([dy, x, mean, new Float32Array(cols), new Float32Array(cols)],
        (k, [d, xp, m, s1, s2]) => k.columnCenteredSums(rows, cols, d!, xp!, m!, s1!, s2!), 'columnCenteredSums');
      compare([randomArray(rows * cols, seed + 7), dy, x, mean, randomArray(cols, seed + 8), randomArray(cols, seed + 9), randomArray(cols, seed + 10)],
        (k, [dx, d, xp, m, a, b, c]) => k.batchNormBackwardInto(rows, cols, dx!, d!, xp!, m!, a!, b!, c!), 'batchNormBackwardInto');
    });
  });

  it('refuses a fractional or negative size, or padding as large as the window, before running', () => {
    const g = geometry(1, 4, 4, 2, [2, 2], [1, 1], 'valid');
    expect(() => kernels.im2col({ ...g, channels: 2.5 }, 0, 0)).toThrow(/channels to be a non-negative integer, got 2.5/);
    expect(() => kernels.maxPoolForward({ ...g, strideH: 0 }, 0, 0)).toThrow(/strideH to be a positive integer, got 0/);
    expect(() => kernels.avgPoolForward({ ...g, padTop: 2 }, 0, 0)).toThrow(/padding smaller than the window/);
    expect(() => kernels.columnMeanVariance(-1, 2, 0, 0, 0)).toThrow(/rows to be a non-negative integer, got -1/);
  });
});

describe('the reference kernels on hand-worked values', () => {
  it('im2col of a 3x3 image with a 2x2 window, same padding: zeros at the bottom and right', () => {
    const g = geometry(1, 3, 3, 1, [2, 2], [1, 1], 'same');
    const [, cols] = run(convReferenceKernels, [Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), new Float32Array(36)], (k, [x, c]) => k.im2col(g, x!, c!), 'im2col');
    expect(Array.from(cols!.subarray(0, 8))).toEqual([1, 2, 4, 5, 2, 3, 5, 6]);
    expect(Array.from(cols!.subarray(32, 36))).toEqual([9, 0, 0, 0]);
  });
  it('max pooling sends the gradient to the first maximum only; average pooling counts only real pixels', () => {
    const g = geometry(1, 2, 3, 1, [2, 2], [2, 2], 'same'); // output 1x2, the second window half outside
    const x = Float32Array.from([5, 1, 2, 5, 0, 3]);
    const [, y] = run(convReferenceKernels, [x, new Float32Array(2)], (k, [xp, yp]) => k.maxPoolForward(g, xp!, yp!), 'max');
    expect(Array.from(y!)).toEqual([5, 3]);
    const [, , , dx] = run(convReferenceKernels, [x, y!, Float32Array.from([10, 20]), new Float32Array(6)], (k, [a, b, c, d]) => k.maxPoolBackwardInto(g, a!, b!, c!, d!), 'max back');
    expect(Array.from(dx!)).toEqual([10, 0, 0, 0, 0, 20]);
    const [, avg] = run(convReferenceKernels, [x, new Float32Array(2)], (k, [xp, yp]) => k.avgPoolForward(g, xp!, yp!), 'avg');
    expect(Array.from(avg!)).toEqual([11 / 4, 2.5]);
  });
});
