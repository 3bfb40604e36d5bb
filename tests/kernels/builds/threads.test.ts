// tests/kernels/builds/threads.test.ts — the threaded GEMM of each compiled build under test
// (tests/kernels/builds.ts) gives the same bits on 1 and N threads, on ragged sizes, every layout
// and every epilogue, and its workers really take part; so do the element-wise kernels split across
// threads (optimizer updates, dropout, ReLU backward, the search for NaN and ±Infinity), and the window kernels (im2col, col2im, direct convolution, pooling) split by images. No timings are asserted.
//
// The files in tests/kernels/builds/ are the ones that depend on the build: vitest.config.ts runs
// them again in the relaxed-SIMD project, for the relaxed build only.

import { beforeAll, describe, expect, it } from 'vitest';
import { heapF32, lastGemmDispatch, setThreads, threadsReady, type Kernels, type WindowGeometry } from '../../../kernels/index.js';
import { gradientChunks } from '../../../kernels/conv-types.js';
import { setGemmCut } from '../../../kernels/threads.js';
import { instantiateGemm, wasmBytes, type WasmExports } from '../../../kernels/wasm.js';
import { randomUniform } from '../../seeded.js';
import { builds, kernelsByBuild } from '../builds.js';
import { geometry } from '../windows.js';
import { ALL_FLAGS } from '../flags.js';
import { block, checkSplitIsExact, contents, expectSameBits, TRANSPOSES, useTwoThreads } from '../threaded.js';

// Ragged in every direction: M not a multiple of 4 (and of 8: two pieces of whole tiles cannot be
// equal), N not a multiple of 8 and past the 512-wide blocks, K past the 256-deep blocks, M past
// the 128-row blocks (so that a row piece starts inside one; N = 785 does the same for a column
// piece and the 512-column blocks); the MNIST MLP's M = 128 shapes.
const SHAPES: [number, number, number][] = [
  [8, 1, 1], [9, 5, 3], [12, 17, 9], [13, 785, 5], [37, 41, 300], [64, 9, 513], [130, 10, 512],
  [128, 512, 512], [257, 63, 128], [785, 33, 17],
];

useTwoThreads();

describe.each(builds)('%s build: 1 thread and N threads give the same bits', (build) => {
  const kernels = kernelsByBuild.get(build)!;

  describe.each(TRANSPOSES)('transA=%s transB=%s', (transA, transB) => {
    it.each(SHAPES)('M=%i N=%i K=%i, every epilogue, on 2 threads, cut by rows and by columns', (M, N, K) => {
      try {
        for (const cut of ['rows', 'columns'] as const) {
          setGemmCut(cut);
          ALL_FLAGS.forEach((flags, index) => {
            const dispatch = checkSplitIsExact(kernels, M, N, K, transA, transB, flags, M * 7919 + N * 31 + K + index);
            expect(dispatch.threads).toBe(2);
            // A GEMM one tile high or wide cannot take the cut asked for: it takes the other.
            const cutTaken = dispatch.columnBoundaries.length > 2 ? 'columns' : 'rows';
            expect(cutTaken).toBe(N <= 8 ? 'rows' : cut);
          });
        }
      } finally {
        setGemmCut('auto');
      }
    });
  });

  it('cut into more pieces than threads (tall GEMMs whose op(B) is cheap to pack again), every layout', () => {
    // The conv GEMMs' kind of shape, small: each of the threads claims pieces as it gets free.
    for (const [transA, transB] of TRANSPOSES) {
      for (const [M, N, K] of [[1030, 17, 20], [2048, 8, 9]] as const) {
        const dispatch = checkSplitIsExact(kernels, M, N, K, transA, transB, ALL_FLAGS[M % ALL_FLAGS.length]!, M + N + K);
        expect(dispatch.threads).toBe(2);
        expect(dispatch.rowBoundaries.length - 1).toBeGreaterThan(2);
      }
    }
  });

  it('on 3 threads (more threads than cores still splits exactly)', async () => {
    setThreads(3);
    try {
      await threadsReady();
      for (const [M, N, K] of [[37, 41, 300], [130, 10, 512], [785, 33, 17], [128, 784, 40]] as const) {
        const dispatch = checkSplitIsExact(kernels, M, N, K, false, true, ALL_FLAGS[7]!, M + N + K);
        expect(dispatch.threads).toBe(3);
      }
    } finally {
      setThreads(2);
      await threadsReady();
    }
  });

  it('lets the workers compute pieces, not only the main thread', () => {
    // Which thread claims a piece is timing (a busy machine may keep a worker off its core for a
    // while): retry until a worker took one.
    let byWorker = false;
    for (let attempt = 0; attempt < 100 && !byWorker; attempt++) {
      const dispatch = checkSplitIsExact(kernels, 128, 512, 512, false, false, ALL_FLAGS[attempt % ALL_FLAGS.length]!, attempt);
      byWorker = dispatch.computedBy.some((who) => who !== 0);
    }
    expect(byWorker).toBe(true);
  });
});


describe.each(builds)('%s build: optimizer updates on 1 and N threads give the same bits', (build) => {
  const kernels = kernelsByBuild.get(build)!;
  let oneThread: WasmExports;
  beforeAll(async () => {
    oneThread = await instantiateGemm(await WebAssembly.compile(wasmBytes(build)));
  });

  /** Runs `update` on two identical sets of `arrays` random arrays (0.5·u + offset): once by the raw export, once split. */
  function checkUpdate(
    n: number, arrays: number, seed: number, update: (k: Pick<Kernels, 'adamUpdate' | 'sgdUpdate' | 'rmspropUpdate' | 'reluBackward' | 'mulInto' | 'dropoutForward'>, p: number[]) => void, what: string, offset = arrays > 2 ? 0.6 : 0,
  ): void {
    const random = randomUniform(seed);
    const one = Array.from({ length: arrays }, () => block(n, () => 0.5 * random() + offset));
    const many = one.map((b) => {
      const copy = block(n, 0);
      heapF32().copyWithin(copy.ptr >> 2, b.ptr >> 2, (b.ptr >> 2) + n);
      return copy;
    });
    const oneThreadKernels = {
      adamUpdate: oneThread.adamUpdate,
      rmspropUpdate: oneThread.rmspropUpdate,
      sgdUpdate: (n: number, w: number, g: number, v: number, lr: number, momentum: number, nesterov: boolean) =>
        oneThread.sgdUpdate(n, w, g, v, lr, momentum, nesterov ? 1 : 0),
      reluBackward: oneThread.reluBackward,
      mulInto: oneThread.mulInto,
      dropoutForward: (n: number, x: number, out: number, mask: number, seed: number, rate: number) => oneThread.dropoutForward(n, x, out, mask, seed, rate, 0),
    };
    update(oneThreadKernels, one.map((b) => b.ptr));
    update(kernels, many.map((b) => b.ptr));
    expect(lastGemmDispatch().threads, `${what}: split`).toBe(2);
    one.forEach((b, i) => expectSameBits(contents(many[i]!), contents(b), `${what}, array ${i}, n=${n}`));
  }

  // Past the split threshold (2^15 floats), with a ragged tail: pieces end on 4-float boundaries.
  it.each([2 ** 15 + 5, 100_003])('n=%i: Adam, SGD (plain, momentum, Nesterov) and RMSprop (with and without momentum)', (n) => {
    checkUpdate(n, 4, n + 1, (k, [w, g, m, v]) => k.adamUpdate(n, w!, g!, m!, v!, 0.001, 0.9, 0.999, 1e-7), 'adam');
    checkUpdate(n, 2, n + 2, (k, [w, g]) => k.sgdUpdate(n, w!, g!, 0, 0.01, 0, false), 'sgd');
    checkUpdate(n, 3, n + 3, (k, [w, g, v]) => k.sgdUpdate(n, w!, g!, v!, 0.01, 0.9, false), 'sgd momentum');
    checkUpdate(n, 3, n + 4, (k, [w, g, v]) => k.sgdUpdate(n, w!, g!, v!, 0.01, 0.9, true), 'sgd nesterov');
    checkUpdate(n, 3, n + 5, (k, [w, g, ms]) => k.rmspropUpdate(n, w!, g!, ms!, 0, 0.001, 0.9, 0, 1e-7), 'rmsprop');
    checkUpdate(n, 4, n + 6, (k, [w, g, ms, mom]) => k.rmspropUpdate(n, w!, g!, ms!, mom!, 0.001, 0.9, 0.5, 1e-7), 'rmsprop momentum');
  });

  // ReLU's and dropout's backward passes split the same way; y of both signs, so that the mask both keeps and zeroes.
  it.each([2 ** 15 + 7, 100_001])('n=%i: ReLU backward (into another array, in place, with a dropout\'s scale) and dropout backward', (n) => {
    // The raw export's scale is not optional (a missing f64 is NaN): 1 for a ReLU alone.
    checkUpdate(n, 3, n + 7, (k, [dz, dout, y]) => k.reluBackward(n, dz!, dout!, y!, 1), 'relu backward', 0);
    checkUpdate(n, 2, n + 8, (k, [dout, y]) => k.reluBackward(n, dout!, dout!, y!, 1), 'relu backward in place', 0);
    checkUpdate(n, 3, n + 10, (k, [dz, dout, y]) => k.reluBackward(n, dz!, dout!, y!, 1 / (1 - 0.2)), 'relu and dropout backward (scaled)', 0);
    checkUpdate(n, 3, n + 9, (k, [dx, dout, mask]) => k.mulInto(n, dx!, dout!, mask!), 'dropout backward', 0);
  });

  // Dropout's forward pass: each piece's mask counter starts at the piece's first element, so the
  // mask is the whole call's. With a mask and without (the Dense layer's fused dropout, in place).
  it.each([2 ** 15 + 3, 100_002])("n=%i: dropout forward (with a mask; in place without one), the whole call's mask", (n) => {
    checkUpdate(n, 3, n + 11, (k, [x, out, mask]) => k.dropoutForward(n, x!, out!, mask!, 0x9e3779b9, 0.2), 'dropout forward', 0);
    checkUpdate(n, 1, n + 12, (k, [x]) => k.dropoutForward(n, x!, x!, 0, 12345, 0.5), 'dropout forward in place, no mask', 0);
  });

  // The search for NaN and ±Infinity: the answer is the first bad float of all n, whichever piece
  // (and thread) found it; ragged n, bad floats in the second piece only, in both, at its edges.
  it.each([2 ** 17 + 1, 300_003])('n=%i: findNonFinite answers the first NaN or ±Infinity of the whole array', (n) => {
    const x = block(n, 1);
    const heap = heapF32();
    const at = (i: number) => (x.ptr >> 2) + i;
    const half = Math.floor(n / 2);
    expect(kernels.findNonFinite(n, x.ptr), 'all finite').toBe(-1);
    expect(lastGemmDispatch().threads, 'split').toBe(2);
    for (const [bad, value] of [[[n - 1], Infinity], [[half + 7], NaN], [[half + 7, 3], -Infinity], [[half - 1, half, half + 1], NaN]] as [number[], number][]) {
      for (const i of bad) heap[at(i)] = value;
      // Until a worker computed a piece (a short search may end before it claims one): its answer
      // must be combined too. The answer is checked every time, whoever computed what.
      let workerJoined = false;
      for (let attempt = 0; attempt < 200 && !workerJoined; attempt++) {
        expect(kernels.findNonFinite(n, x.ptr), `${value} at ${bad.join(', ')}`).toBe(Math.min(...bad));
        workerJoined = lastGemmDispatch().computedBy.some((who) => who > 0); // a worker restarted by an earlier test has another number than 1
      }
      expect(workerJoined, 'a worker took part').toBe(true);
      for (const i of bad) heap[at(i)] = 1;
    }
  });
});

describe.each(builds)('%s build: window kernels (im2col, col2im, direct convolution, pooling) on 1 and N threads give the same bits', (build) => {
  const kernels = kernelsByBuild.get(build)!;
  let oneThread: WasmExports;
  beforeAll(async () => {
    oneThread = await instantiateGemm(await WebAssembly.compile(wasmBytes(build)));
  });

  /**
   * Runs a window kernel on two identical sets of arrays: once by the raw export (one thread), once
   * through the pool, which cuts the batch into ranges of images; every array must match. Values are
   * quarters (ties for max pooling), or with `rounded` false any floats in [0, 1) (sums that round).
   */
  function checkWindow(sizes: number[], seed: number, run: (k: Kernels | null, p: number[]) => void, what: string, rounded = true): void {
    const random = randomUniform(seed);
    const one = sizes.map((n) => block(n, rounded ? () => Math.round(4 * random()) / 4 : random));
    const many = one.map((b) => {
      const copy = block(b.floats, 0);
      heapF32().copyWithin(copy.ptr >> 2, b.ptr >> 2, (b.ptr >> 2) + b.floats);
      return copy;
    });
    run(null, one.map((b) => b.ptr));
    run(kernels, many.map((b) => b.ptr));
    expect(lastGemmDispatch().threads, `${what}: split`).toBe(2);
    one.forEach((b, i) => expectSameBits(contents(many[i]!), contents(b), `${what}, array ${i}`));
  }

  /**
   * A kernel gradient on one thread by the raw export: `sum` fills every chunk's sums (kernels/conv-types.ts'
   * gradientChunks) into scratch filled with NaN (each chunk's sums must start from 0), which are
   * then added into dw and db in chunk order, as the pool's wrapper does.
   */
  function sumChunksOnOneThread(g: WindowGeometry, filters: number, dw: number, db: number, sum: (chunks: number, dkernelChunks: number, dbiasChunks: number, dzRow: number) => void): void {
    const kernelSize = g.windowH * g.windowW * g.channels * filters;
    const chunks = gradientChunks(g.batch);
    const dkernelChunks = block(chunks * kernelSize, NaN), dbiasChunks = block(chunks * filters, NaN);
    sum(chunks, dkernelChunks.ptr, dbiasChunks.ptr, block(g.outW * filters, 0).ptr);
    oneThread.addChunkSumsInto(chunks, kernelSize, dkernelChunks.ptr, dw);
    oneThread.addChunkSumsInto(chunks, filters, dbiasChunks.ptr, db);
  }

  const argsOf = (g: WindowGeometry) => [g.batch, g.height, g.width, g.channels, g.windowH, g.windowW, g.strideH, g.strideW, g.padTop, g.padLeft, g.outH, g.outW] as const;

  /** conv2dMaxPoolKernelGradInto (after the forward pass that gives its pooled and argmax), through the pool or on one thread. */
  function maxPoolKernelGrad(g: WindowGeometry, filters: number) {
    const args = argsOf(g);
    const kernelSize = g.windowH * g.windowW * g.channels * filters;
    return (k: Kernels | null, [x, dp, pooled, argmax, dw, db]: number[]) => {
      oneThread.conv2dMaxPoolForward(...args, filters, 2, 2, x!, block(kernelSize, 0.25).ptr, 0, pooled!, argmax!, block(g.batch * filters, 0).ptr);
      if (k) k.conv2dMaxPoolKernelGradInto(g, filters, 2, 2, x!, dp!, pooled!, argmax!, dw!, db!);
      else sumChunksOnOneThread(g, filters, dw!, db!, (chunks, dkernelChunks, dbiasChunks, dzRow) => oneThread.conv2dMaxPoolKernelGradInto(...args, filters, 2, 2, chunks, 0, chunks, x!, dp!, pooled!, argmax!, dkernelChunks, dbiasChunks, dzRow));
    };
  }

  /** conv2dKernelGradInto (y masking dout where it is <= 0), through the pool or on one thread. */
  function directKernelGrad(g: WindowGeometry, filters: number) {
    const args = argsOf(g);
    return (k: Kernels | null, [x, dout, y, dw, db]: number[]) => {
      if (k) k.conv2dKernelGradInto(g, filters, x!, dout!, y!, dw!, db!);
      else sumChunksOnOneThread(g, filters, dw!, db!, (chunks, dkernelChunks, dbiasChunks, dzRow) => oneThread.conv2dKernelGradInto(...args, filters, chunks, 0, chunks, x!, dout!, y!, dkernelChunks, dbiasChunks, dzRow));
    };
  }

  // The direct convolution's kernel gradients on batches whose chunks hold 1 to 3 images (17 = 16 chunks, one
  // of them 2 images; 37: 2 and 3), a channel count that is not a multiple of 4, 'same' padding too.
  it.each([
    [17, 3, [3, 3], 'valid', 32], [37, 1, [3, 3], 'same', 13], [40, 5, [2, 3], 'valid', 9],
  ] as const)('conv2dMaxPoolKernelGradInto and conv2dKernelGradInto, batch %i, %i channels, window %j, %s, %i filters', (batch, channels, window, padding, filters) => {
    const g = geometry(batch, 11, 10, channels, [...window], [1, 1], padding);
    const input = batch * 11 * 10 * channels, kernelSize = g.windowH * g.windowW * channels * filters;
    const pooledSize = batch * Math.floor(g.outH / 2) * Math.floor(g.outW / 2) * filters;
    // Floats whose sums round: a sum in another order would show.
    checkWindow([input, pooledSize, pooledSize, pooledSize, kernelSize, filters], batch, maxPoolKernelGrad(g, filters), `conv2dMaxPoolKernelGradInto batch ${batch}`, false);
    const ySize = batch * g.outH * g.outW * filters;
    checkWindow([input, ySize, ySize, kernelSize, filters], batch + 1, directKernelGrad(g, filters), `conv2dKernelGradInto batch ${batch}`, false);
  });

  // A batch of 9 (cut 8 + 1 on 4-image granules), ragged sizes and channels, both paddings and strides.
  it.each([
    [[3, 3], [1, 1], 'valid'], [[3, 3], [2, 2], 'same'], [[2, 2], [2, 2], 'valid'], [[3, 2], [2, 1], 'same'],
  ] as const)('window %j, strides %j, padding %s', (window, strides, padding) => {
    const g = geometry(9, 30, 29, 5, [...window], [...strides], padding);
    const args = [g.batch, g.height, g.width, g.channels, g.windowH, g.windowW, g.strideH, g.strideW, g.padTop, g.padLeft, g.outH, g.outW] as const;
    const input = 9 * 30 * 29 * 5, output = 9 * g.outH * g.outW * 5, cols = output * g.windowH * g.windowW;
    const what = `${JSON.stringify(window)} ${JSON.stringify(strides)} ${padding}`;
    checkWindow([input, cols], 1, (k, [x, c]) => (k ? k.im2col(g, x!, c!) : oneThread.im2col(...args, x!, c!)), `im2col ${what}`);
    checkWindow([cols, input], 2, (k, [c, dx]) => (k ? k.col2imInto(g, c!, dx!) : oneThread.col2imInto(...args, c!, dx!)), `col2imInto ${what}`);
    checkWindow([input, output], 3, (k, [x, y]) => (k ? k.maxPoolForward(g, x!, y!) : oneThread.maxPoolForward(...args, x!, y!)), `maxPoolForward ${what}`);
    checkWindow([input, output, output, input], 4, (k, [x, y, dy, dx]) => {
      oneThread.maxPoolForward(...args, x!, y!); // y must be the window maxima of x
      if (k) k.maxPoolBackwardInto(g, x!, y!, dy!, dx!);
      else oneThread.maxPoolBackwardInto(...args, x!, y!, dy!, dx!);
    }, `maxPoolBackwardInto ${what}`);
    const filters = 37, kernelSize = g.windowH * g.windowW * 5 * filters, ySize = 9 * g.outH * g.outW * filters;
    checkWindow([input, kernelSize, filters, ySize], 7, (k, [x, w, b, y]) => (k ? k.conv2dForward(g, filters, true, x!, w!, b!, y!)
      : oneThread.conv2dForward(...args, filters, 1, x!, w!, b!, y!)), `conv2dForward ${what}`);
    const pooledSize = 9 * Math.floor(g.outH / 2) * Math.floor(g.outW / 2) * filters;
    checkWindow([input, kernelSize, filters, pooledSize, pooledSize], 8, (k, [x, w, b, pooled, argmax]) => {
      const scratch = block(9 * filters, 0); // each thread's own row (its first image's)
      if (k) k.conv2dMaxPoolForward(g, filters, 2, 2, x!, w!, b!, pooled!, argmax!, scratch.ptr);
      else oneThread.conv2dMaxPoolForward(...args, filters, 2, 2, x!, w!, b!, pooled!, argmax!, scratch.ptr);
    }, `conv2dMaxPoolForward ${what}`);
    checkWindow([input, pooledSize, pooledSize, pooledSize, kernelSize, filters], 9, maxPoolKernelGrad(g, filters), `conv2dMaxPoolKernelGradInto ${what}`);
    checkWindow([input, ySize, ySize, kernelSize, filters], 11, directKernelGrad(g, filters), `conv2dKernelGradInto ${what}`);
    if (window[0] === strides[0] && window[1] === strides[1] && padding === 'valid') {
      // With the per-image sums of dz (each piece writes its own images' rows).
      checkWindow([input, output, output, input, 9 * 5], 10, (k, [x, y, dy, dz, sums]) => {
        oneThread.maxPoolForward(...args, x!, y!);
        if (k) k.maxPoolReluBackward(g, x!, y!, dy!, dz!, sums!);
        else oneThread.maxPoolReluBackward(...args, x!, y!, dy!, dz!, sums!);
      }, `maxPoolReluBackward ${what}`);
    }
    checkWindow([input, output], 5, (k, [x, y]) => (k ? k.avgPoolForward(g, x!, y!) : oneThread.avgPoolForward(...args, x!, y!)), `avgPoolForward ${what}`);
    checkWindow([output, input], 6, (k, [dy, dx]) => (k ? k.avgPoolBackwardInto(g, dy!, dx!) : oneThread.avgPoolBackwardInto(...args, dy!, dx!)), `avgPoolBackwardInto ${what}`);
  });
});
