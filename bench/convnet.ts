// bench/convnet.ts — Keras' Simple MNIST convnet, measured: training throughput through model.fit of
// wasmgrad (1 and 2 threads) beside TensorFlow.js 4.22 (cpu: a short run; wasm: it is tried, and the
// error it stops with is reported) and PyTorch (bench/pytorch.ts, same run); then the convolution's GEMM shapes in
// GFLOP/s on 1 and 2 threads, what the loops around them cost, and one training step broken down by
// kernel call (every kernel timed as fit calls it). Nothing asserted.
//
// `npm run bench:convnet`. The model: Conv2D 32 3x3 relu, MaxPooling2D 2, Conv2D 64 3x3 relu,
// MaxPooling2D 2, Flatten, Dropout 0.5, Dense 10 softmax; Adam, categorical cross-entropy, batch 128.

import { loadavg } from 'node:os';
import { Conv2D, Dense, Dropout, Flatten, MaxPooling2D, Sequential, datasets, toCategorical } from '../index.js';
import { maxPool2d, scoped, tensor, type Tensor } from '../engine/index.js';
import * as kernels from '../kernels/index.js';
import { setAdaptiveSplitting } from '../kernels/threads.js';
import type { WindowGeometry } from '../kernels/index.js';
import { PYTORCH_ONE_THREAD, runPytorch, runPytorchTwoThreads } from './pytorch.js';
import { median, printTable } from './table.js';

const EPOCH_SAMPLES = 60_000;
const BATCH = 128;

interface Timing { seconds: number; cpuPerWall: number; samples: number }

/** A warm-up fit (none for 0 steps), then `repeats` timed fits of `steps` steps; the median fit counts. */
async function timeFit(fit: (samples: number) => Promise<unknown>, warmupSteps: number, steps: number, repeats: number): Promise<Timing[]> {
  if (warmupSteps > 0) await fit(warmupSteps * BATCH);
  const timings: Timing[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    await fit(steps * BATCH);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStarted);
    timings.push({ seconds, cpuPerWall: (cpu.user + cpu.system) / 1e6 / seconds, samples: steps * BATCH });
  }
  return timings;
}

export function wasmgradModel(): Sequential {
  const model = new Sequential([
    new Conv2D(32, 3, { activation: 'relu', inputShape: [28, 28, 1] }),
    new MaxPooling2D(2),
    new Conv2D(64, 3, { activation: 'relu' }),
    new MaxPooling2D(2),
    new Flatten(),
    new Dropout(0.5),
    new Dense(10, { activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

type TfCore = typeof import('@tensorflow/tfjs-core');
type TfLayers = typeof import('@tensorflow/tfjs-layers');

function tfjsModel(tfl: TfLayers) {
  const { conv2d, maxPooling2d, flatten, dropout, dense } = tfl.layers;
  const model = tfl.sequential({
    layers: [
      conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      maxPooling2d({ poolSize: 2 }),
      conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      maxPooling2d({ poolSize: 2 }),
      flatten(),
      dropout({ rate: 0.5 }),
      dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/** Its console advice muted (tfjs-node in Node), a backend switched to and a first tensor made. */
async function selectTfjsBackend(tf: TfCore, backend: 'cpu' | 'wasm'): Promise<void> {
  const { log, warn } = console;
  console.log = console.warn = () => {};
  try {
    if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
    tf.dispose(tf.scalar(0));
  } finally {
    Object.assign(console, { log, warn });
  }
}

async function trainingRows(pixels: Tensor, oneHot: Tensor): Promise<string[][]> {
  const rows: string[][] = [];
  const rate = (t: Timing[]) => median(t.map((x) => x.samples / x.seconds));
  const row = (system: string, steps: number, timings: Timing[], note = '', fastSteps = '-') => {
    const samplesPerSecond = rate(timings);
    rows.push([system, String(steps), samplesPerSecond.toFixed(1), (EPOCH_SAMPLES / samplesPerSecond).toFixed(1), median(timings.map((t) => t.cpuPerWall)).toFixed(2), fastSteps, note]);
  };

  const initialThreads = kernels.getThreads();
  for (const threads of [1, 2]) {
    kernels.setThreads(threads);
    await kernels.threadsReady();
    const model = wasmgradModel();
    const steps = 40;
    // Each step's own time too: on a shared machine the fastest tenth of the steps shows what a
    // step costs when no neighbour takes the core in the middle of it.
    const stepMs: number[] = [];
    let stepStarted = 0;
    const callbacks = [{ onBatchBegin: () => { stepStarted = performance.now(); }, onBatchEnd: () => { stepMs.push(performance.now() - stepStarted); } }];
    const timings = await timeFit((n) => model.fit(pixels.sliceRows(0, n), oneHot.sliceRows(0, n), { batchSize: BATCH, epochs: 1, verbose: 0, callbacks }), 3, steps, 3);
    const timed = stepMs.slice(3).sort((a, b) => a - b);
    const tenth = timed[Math.floor(timed.length / 10)]!;
    row(`wasmgrad, ${threads} thread${threads > 1 ? 's' : ''}`, steps, timings, '', `${tenth.toFixed(1)} ms → ${((tenth * EPOCH_SAMPLES) / BATCH / 1000).toFixed(1)} s`);
  }
  kernels.setThreads(1); // no worker of ours spins beside TensorFlow.js

  // PyTorch (bench/pytorch.py, its own loop on random pixels) in a child process, no worker of ours running.
  for (const measured of [runPytorchTwoThreads(['convnet']), runPytorch(['convnet'], PYTORCH_ONE_THREAD)]) {
    if (typeof measured === 'string') {
      rows.push(['PyTorch', '-', '-', '-', '-', '-', measured]);
      break;
    }
    const result = measured.get('convnet')!;
    const note = result.setting === PYTORCH_ONE_THREAD ? '' : 'the faster 2-thread setting (bench/pytorch.ts)';
    rows.push([`PyTorch ${result.version}, ${result.setting.label}`, String(result.steps), (EPOCH_SAMPLES / result.secondsPerEpoch).toFixed(1), result.secondsPerEpoch.toFixed(1), result.cpuPerWall.toFixed(2), '-', note]);
  }

  let tf: TfCore, tfl: TfLayers;
  try {
    tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    tfl = await import('@tensorflow/tfjs-layers');
    const { createRequire } = await import('node:module');
    const { dirname } = await import('node:path');
    wasm.setWasmPaths(`${dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  } catch (error) {
    rows.push(['TensorFlow.js', '-', '-', '-', '-', '-', `not available: ${(error as Error).message}`]);
    kernels.setThreads(initialThreads);
    return rows;
  }
  const n = BATCH;
  for (const backend of ['wasm', 'cpu'] as const) {
    await selectTfjsBackend(tf, backend);
    // The same first samples, as tensors of this backend (copies: tfjs keeps what it is given).
    const x = tf.tensor(pixels.data.slice(0, n * 784), [n, 28, 28, 1]);
    const y = tf.tensor(oneHot.data.slice(0, n * 10), [n, 10]);
    const model = tfjsModel(tfl);
    const system = `tfjs ${tf.version_core} ${backend}`;
    try {
      // One timed step, no warm-up: the cpu backend takes a minute a step (its first-call costs are
      // nothing beside that); the wasm backend fails inside its first step.
      const timings = await timeFit(async (samples) => {
        const [xs, ys] = [tf.slice(x, 0, samples), tf.slice(y, 0, samples)];
        try {
          await model.fit(xs, ys, { batchSize: BATCH, epochs: 1, verbose: 0 });
        } finally {
          tf.dispose([xs, ys]);
        }
      }, 0, 1, 1);
      row(system, 1, timings, backend === 'cpu' ? 'pure JavaScript kernels' : '');
    } catch (error) {
      rows.push([system, '-', '0', '-', '-', '-', `cannot train: "${(error as Error).message.split('\n')[0]}"`]);
    } finally {
      model.dispose();
      tf.dispose([x, y]);
    }
  }
  kernels.setThreads(initialThreads);
  return rows;
}

/**
 * The convnet's GEMMs at batch 128, as the step calls them, in GFLOP/s (2·M·N·K a call): median and
 * best of 15, every call split on 2 threads. conv2's three read or write the image itself (im2colGemm packs cols from x, gemmCol2im
 * adds dcols into dx as it is computed), over the 10x10 outputs that its 2x2 pooling reads.
 */
async function gemmRows(): Promise<string[][]> {
  const B = BATCH;
  // conv2: 13x13x32 -> 10x10x64 (the 11th row and column no pooling window reads).
  const g2: WindowGeometry = { batch: B, height: 13, width: 13, channels: 32, windowH: 3, windowW: 3, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, outH: 10, outW: 10 };
  const pixels = B * 100, taps = 288, filters = 64;
  const floats = { x: B * 13 * 13 * 32, kernel: taps * filters, z: pixels * filters, flat: B * 1600, dense: 1600 * 10, logits: B * 10 };
  const p = Object.fromEntries(Object.entries(floats).map(([name, n]) => [name, kernels.alloc(n * 4)])) as Record<keyof typeof floats, number>;
  for (const [name, n] of Object.entries(floats)) kernels.fill(n, p[name as keyof typeof floats], 0.25);
  const plain = { bias: 0, relu: false, accumulate: false };
  const calls: [string, number, number, number, () => void][] = [
    ['conv2 forward: cols · kernel (im2colGemm)', pixels, filters, taps,
      () => kernels.im2colGemm(g2, p.x, { transA: false, transB: false, N: filters, b: p.kernel, ldb: filters, c: p.z, ldc: filters, ...plain })],
    ['conv2 dkernel: colsᵀ · dz (im2colGemm)', taps, filters, pixels,
      () => kernels.im2colGemm(g2, p.x, { transA: true, transB: false, N: filters, b: p.z, ldb: filters, c: p.kernel, ldc: filters, ...plain })],
    ['conv2 dx: col2im(dz · kernelᵀ) (gemmCol2im)', pixels, taps, filters,
      () => kernels.gemmCol2im(g2, p.x, { transA: false, transB: true, K: filters, a: p.z, lda: filters, b: p.kernel, ldb: filters, accumulate: false })],
    ['dense forward: x · kernel', B, 10, 1600,
      () => kernels.gemm({ transA: false, transB: false, M: B, N: 10, K: 1600, a: p.flat, lda: 1600, b: p.dense, ldb: 10, c: p.logits, ldc: 10, ...plain })],
    ['dense dkernel: xᵀ · dy', 1600, 10, B,
      () => kernels.gemm({ transA: true, transB: false, M: 1600, N: 10, K: B, a: p.flat, lda: 1600, b: p.logits, ldb: 10, c: p.dense, ldc: 10, ...plain })],
    ['dense dx: dy · kernelᵀ', B, 1600, 10,
      () => kernels.gemm({ transA: false, transB: true, M: B, N: 1600, K: 10, a: p.logits, lda: 10, b: p.dense, ldb: 10, c: p.flat, ldc: 1600, ...plain })],
  ];
  const rows: string[][] = [];
  const initialThreads = kernels.getThreads();
  // The 2-thread column times the cut itself: with adaptive splitting (and so the judge of whole
  // runs) on, a probe of the main thread alone lands on some of these calls (as in bench/gemm.ts).
  setAdaptiveSplitting(false);
  for (const [label, M, N, K, call] of calls) {
    const cells = [label, `${M} x ${N} x ${K}`];
    for (const threads of [1, 2]) {
      kernels.setThreads(threads);
      await kernels.threadsReady();
      const times: number[] = [];
      for (let i = 0; i < 17; i++) {
        const started = performance.now();
        call();
        times.push(performance.now() - started);
      }
      const ms = median(times.slice(2)), best = Math.min(...times.slice(2));
      const gflops = (t: number) => ((2 * M * N * K) / t / 1e6).toFixed(1);
      cells.push(ms.toFixed(2), `${gflops(ms)} / ${gflops(best)}`);
    }
    rows.push(cells);
  }
  setAdaptiveSplitting(true);
  for (const [name, n] of Object.entries(floats)) kernels.free(p[name as keyof typeof floats], n * 4);
  kernels.setThreads(initialThreads);
  return rows;
}

/** The convnet's other loops at batch 128, one thread: the fused first layer and conv2's pooling; median ms of 15. */
function loopRows(): string[][] {
  const B = BATCH;
  const geometry = (height: number, channels: number, out: number): WindowGeometry => ({
    batch: B, height, width: height, channels, windowH: 3, windowW: 3, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, outH: out, outW: out,
  });
  const g1 = geometry(28, 1, 26);
  // conv2's pooling reads its 10x10 outputs that a 2x2 window covers.
  const pool2: WindowGeometry = { ...geometry(10, 64, 5), windowH: 2, windowW: 2, strideH: 2, strideW: 2 };
  const sizes = {
    x1: B * 784, kernel1: 9 * 32, bias1: 32, pooled1: B * 13 * 13 * 32, scratch1: B * 32,
    y2: B * 10 * 10 * 64, dz2: B * 10 * 10 * 64, pooled2: B * 5 * 5 * 64,
  };
  const p = Object.fromEntries(Object.entries(sizes).map(([name, floats]) => [name, kernels.alloc(floats * 4)])) as Record<keyof typeof sizes, number>;
  for (const [name, floats] of Object.entries(sizes)) kernels.fill(floats, p[name as keyof typeof sizes], 0.5);
  const time = (fn: () => void) => {
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const started = performance.now();
      fn();
      times.push(performance.now() - started);
    }
    return median(times).toFixed(2);
  };
  const argmax1 = kernels.alloc(sizes.pooled1 * 4);
  const rows = [
    ['conv1 + ReLU + max pooling, forward (28x28x1 → 13x13x32)', time(() => kernels.conv2dMaxPoolForward(g1, 32, 2, 2, p.x1, p.kernel1, p.bias1, p.pooled1, argmax1, p.scratch1))],
    ['conv1 + ReLU + max pooling, dkernel and dbias', time(() => kernels.conv2dMaxPoolKernelGradInto(g1, 32, 2, 2, p.x1, p.pooled1, p.pooled1, argmax1, p.kernel1, p.bias1))],
    ['max pooling 10x10x64 → 5x5x64', time(() => kernels.maxPoolForward(pool2, p.y2, p.pooled2))],
    ['max pooling 10x10x64, backward', time(() => kernels.maxPoolBackwardInto(pool2, p.y2, p.pooled2, p.pooled2, p.y2))],
    ['max pooling 10x10x64 and ReLU, backward to dz (what conv2 + ReLU + max pooling runs)', time(() => kernels.maxPoolReluBackward(pool2, p.y2, p.pooled2, p.pooled2, p.dz2, 0))],
  ];
  for (const [name, floats] of Object.entries(sizes)) kernels.free(p[name as keyof typeof sizes], floats * 4);
  kernels.free(argmax1, sizes.pooled1 * 4);
  return rows;
}

/**
 * One training step broken down by kernel call: every kernel of the backend is wrapped with a timer
 * for a short fit (then unwrapped), on 1 and 2 threads. What the kernels do not account for is
 * JavaScript: autograd, the batch gather, argument checks, the arena.
 */
async function stepBreakdownRows(pixels: Tensor, oneHot: Tensor): Promise<string[][]> {
  const backend = kernels.backend() as unknown as Record<string, unknown>;
  const originals = new Map<string, (...args: unknown[]) => unknown>();
  const spent = new Map<string, number>();
  let timing = false;
  for (const [name, value] of Object.entries(backend)) {
    if (typeof value !== 'function') continue;
    const kernel = value as (...args: unknown[]) => unknown;
    originals.set(name, kernel);
    backend[name] = (...args: unknown[]) => {
      if (!timing) return kernel(...args);
      const started = performance.now();
      const result = kernel(...args);
      const first = args[0] as { M?: number; N?: number; K?: number; transA?: boolean; transB?: boolean; height?: number; width?: number; channels?: number } | number;
      const key = typeof first === 'number' ? `${name} (${first}${name.startsWith('column') ? ` x ${args[1]}` : ''})`
        : name === 'gemm' ? `gemm ${first.transA ? 'T' : 'N'}${first.transB ? 'T' : 'N'} ${first.M} x ${first.N} x ${first.K}`
        : `${name} (${first.height}x${first.width}x${first.channels})`;
      spent.set(key, (spent.get(key) ?? 0) + performance.now() - started);
      return result;
    };
  }
  kernels.setBackend('wasm'); // rebinds the engine's kernels to the wrapped ones
  const initialThreads = kernels.getThreads();
  const perThreads: { steps: number; stepMs: number; spent: Map<string, number> }[] = [];
  try {
    for (const threads of [1, 2]) {
      kernels.setThreads(threads);
      await kernels.threadsReady();
      const model = wasmgradModel();
      const steps = 30;
      await model.fit(pixels.sliceRows(0, 3 * BATCH), oneHot.sliceRows(0, 3 * BATCH), { batchSize: BATCH, epochs: 1, verbose: 0 });
      spent.clear();
      timing = true;
      const started = performance.now();
      await model.fit(pixels.sliceRows(0, steps * BATCH), oneHot.sliceRows(0, steps * BATCH), { batchSize: BATCH, epochs: 1, verbose: 0 });
      timing = false;
      perThreads.push({ steps, stepMs: (performance.now() - started) / steps, spent: new Map(spent) });
    }
  } finally {
    timing = false;
    for (const [name, kernel] of originals) backend[name] = kernel;
    kernels.setBackend('wasm');
    kernels.setThreads(initialThreads);
  }
  const [one, two] = perThreads as [typeof perThreads[0], typeof perThreads[0]];
  const keys = [...one.spent.keys()].sort((a, b) => one.spent.get(b)! - one.spent.get(a)!);
  const shown = keys.filter((key) => one.spent.get(key)! / one.steps >= 0.1);
  const perStep = (run: typeof one, key: string) => (run.spent.get(key) ?? 0) / run.steps;
  const rows = shown.map((key) => [key, perStep(one, key).toFixed(2), perStep(two, key).toFixed(2)]);
  const rest = (run: typeof one) => [...run.spent.keys()].filter((key) => !shown.includes(key)).reduce((sum, key) => sum + perStep(run, key), 0);
  const inKernels = (run: typeof one) => [...run.spent.keys()].reduce((sum, key) => sum + perStep(run, key), 0);
  rows.push(['the other kernel calls (under 0.1 ms each)', rest(one).toFixed(2), rest(two).toFixed(2)]);
  rows.push(['outside the kernels (JavaScript: autograd, batch gather, checks)', (one.stepMs - inKernels(one)).toFixed(2), (two.stepMs - inKernels(two)).toFixed(2)]);
  rows.push(['the whole step (wall clock, timers included)', one.stepMs.toFixed(2), two.stepMs.toFixed(2)]);
  return rows;
}

/** Runs the convnet benchmark and prints its tables. */
export async function runConvnetBench(): Promise<void> {
  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const [[images, labels]] = await datasets.mnist.loadData();
  const pixels = images.reshape([EPOCH_SAMPLES, 28, 28, 1]).div(255);
  const oneHot = toCategorical(labels, 10);

  console.log(`\nKeras' Simple MNIST convnet, training through model.fit, batch ${BATCH} (${new Date().toISOString().slice(0, 10)})`);
  console.log(`  wasmgrad  ${kernels.backend().description}`);
  const training = await trainingRows(pixels, oneHot);
  printTable(['system', 'timed steps', 'samples/s', 's / 60,000 samples', 'cpu/wall', 'fastest 10% of steps → s / 60,000', 'note'], training);

  console.log('\nThe convolution as GEMMs (batch 128): ms (median) and GFLOP/s (2·M·N·K per call; median / best) of 15 calls after 2 warm-ups');
  printTable(['GEMM', 'M x N x K', '1 thread ms', '1 thread GFLOP/s', '2 threads ms', '2 threads GFLOP/s'], await gemmRows());

  console.log('\nThe loops around them (one thread, median of 15), ms');
  printTable(['loop', 'ms'], loopRows());

  console.log('\nOne training step by kernel call (a 30-step fit, every kernel call timed), ms a step');
  printTable(['kernel call', '1 thread', '2 threads'], await stepBreakdownRows(pixels, oneHot));

  console.log(`\n1-minute load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after (this bench adds ~1-2: more means neighbours).`);
  console.log('cpu/wall = CPU seconds of the process (all threads) per second: under 1 (one thread) or 2 means the cores were shared.');
  console.log(`Convnet bench took ${((performance.now() - started) / 1000).toFixed(0)} s.`);
}
