// bench/training.ts — training throughput side by side: wasmgrad against TensorFlow.js 4.22 (its
// wasm and cpu backends) and PyTorch (bench/pytorch.ts, when a Python here imports torch) on the two
// tutorials' models, in samples per second through model.fit (PyTorch: its own training loop) and the
// seconds per 60,000-sample epoch that follow. A measurement, not a test: nothing is asserted.
//
// Fair by construction: every system trains the same layers with the same optimizer (Adam, Keras
// defaults), loss, metrics (accuracy), batch size and MNIST pixels through its own model.fit
// (epochs 1, verbose 0, shuffle on): a warm-up fit of a few steps, then three timed fits of a fixed
// number of steps, of which the median counts. Slow systems get few steps and are extrapolated to
// an epoch. TensorFlow.js is a devDependency: it is imported here only, and dynamically.

import { cpus, loadavg, platform, release } from 'node:os';
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { Dense, Dropout, Flatten, Sequential, datasets, toCategorical, type Tensor } from '../index.js';
import * as kernels from '../kernels/index.js';
import { PYTORCH_ONE_THREAD, runPytorch, runPytorchTwoThreads, type PytorchModel, type PytorchResult } from './pytorch.js';
import { median, printTable } from './table.js';

const EPOCH_SAMPLES = 60_000;
/** Timed fits per measurement; the median counts (the machine may be shared: the spread shows it). */
const REPEATS = 3;

type TfCore = typeof import('@tensorflow/tfjs-core');
type TfLayers = typeof import('@tensorflow/tfjs-layers');
type TfjsBackend = 'wasm' | 'cpu';

/** Warm-up and timed steps of one system on one model: enough to measure, few enough for ~3 min. */
interface Steps {
  warmup: number;
  timed: number;
}

export interface ModelSpec {
  name: string;
  batchSize: number;
  /** Shape of one sample as the model takes it. */
  inputShape: number[];
  /** Integer class labels with sparse CE, or one-hot rows with categorical CE. */
  sparseLabels: boolean;
  wasmgrad(): Sequential;
  /** `fused`: Dense({ activation }) as below; otherwise the Keras tutorial's own Dense + Activation layers. */
  tfjs(tfl: TfLayers, fused: boolean): import('@tensorflow/tfjs-layers').Sequential;
  steps: { wasmgrad: Steps; wasm: Steps; cpu: Steps };
  /** The same model in bench/pytorch.py. */
  pytorch: PytorchModel;
}

// Dense({ activation: 'relu' }) is the tutorial's Dense + Activation('relu'), written so that each
// library takes its fused path (wasmgrad fuses either spelling; tfjs only this one, and is ~15%
// slower on the MNIST MLP with separate Activation layers: the bench shows that too).
/** The two tutorials' models, as each library builds them (bench/step.ts times the same wasmgrad ones). */
export const MODELS: ModelSpec[] = [
  {
    name: 'MNIST MLP 784-512-512-10',
    batchSize: 128,
    inputShape: [784],
    sparseLabels: false,
    wasmgrad() {
      const model = new Sequential([
        new Dense(512, { activation: 'relu', inputShape: [784] }),
        new Dropout(0.2),
        new Dense(512, { activation: 'relu' }),
        new Dropout(0.2),
        new Dense(10, { activation: 'softmax' }),
      ]);
      model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
      return model;
    },
    tfjs(tfl, fused) {
      const { dense, activation, dropout } = tfl.layers;
      const layers = fused
        ? [
            dense({ units: 512, activation: 'relu', inputShape: [784] }),
            dropout({ rate: 0.2 }),
            dense({ units: 512, activation: 'relu' }),
            dropout({ rate: 0.2 }),
            dense({ units: 10, activation: 'softmax' }),
          ]
        : [
            dense({ units: 512, inputShape: [784] }),
            activation({ activation: 'relu' }),
            dropout({ rate: 0.2 }),
            dense({ units: 512 }),
            activation({ activation: 'relu' }),
            dropout({ rate: 0.2 }),
            dense({ units: 10 }),
            activation({ activation: 'softmax' }),
          ];
      const model = tfl.sequential({ layers });
      model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      return model;
    },
    steps: { wasmgrad: { warmup: 5, timed: 200 }, wasm: { warmup: 3, timed: 20 }, cpu: { warmup: 2, timed: 8 } },
    pytorch: 'mlp',
  },
  {
    name: 'Fashion MLP 784-128-10',
    batchSize: 32,
    inputShape: [28, 28],
    sparseLabels: true,
    wasmgrad() {
      const model = new Sequential([
        new Flatten({ inputShape: [28, 28] }),
        new Dense(128, { activation: 'relu' }),
        new Dense(10, { activation: 'softmax' }),
      ]);
      model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
      return model;
    },
    tfjs(tfl, fused) {
      const { flatten, dense, activation } = tfl.layers;
      const layers = fused
        ? [flatten({ inputShape: [28, 28] }), dense({ units: 128, activation: 'relu' }), dense({ units: 10, activation: 'softmax' })]
        : [
            flatten({ inputShape: [28, 28] }),
            dense({ units: 128 }),
            activation({ activation: 'relu' }),
            dense({ units: 10, activation: 'softmax' }), // as Keras' MNIST MLP tutorial writes it
          ];
      const model = tfl.sequential({ layers });
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      return model;
    },
    steps: { wasmgrad: { warmup: 50, timed: 1800 }, wasm: { warmup: 20, timed: 400 }, cpu: { warmup: 10, timed: 120 } },
    pytorch: 'fashion',
  },
];

/** MNIST training pixels scaled to [0, 1] ([60000, 28, 28]) and labels ([60000] class ids). */
interface Data {
  pixels: Tensor;
  labels: Tensor;
}

interface Result {
  system: string;
  model: ModelSpec;
  steps: number;
  /** Seconds of each timed fit. */
  seconds: number[];
  /** CPU seconds of this process (all its threads) during each timed fit. */
  cpuSeconds: number[];
}

interface Timings {
  seconds: number[];
  cpuSeconds: number[];
}

/** Median samples per second of a result's timed fits. */
function samplesPerSecond(result: Result): number {
  return (result.steps * result.model.batchSize) / median(result.seconds);
}

/** A warm-up fit, then REPEATS timed fits; `fit(samples)` trains one epoch on the first samples. */
async function timeFits(fit: (samples: number) => Promise<unknown>, steps: Steps, batchSize: number): Promise<Timings> {
  await fit(steps.warmup * batchSize);
  const timings: Timings = { seconds: [], cpuSeconds: [] };
  for (let i = 0; i < REPEATS; i++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    await fit(steps.timed * batchSize);
    const cpu = process.cpuUsage(cpuStarted);
    timings.seconds.push((performance.now() - started) / 1000);
    timings.cpuSeconds.push((cpu.user + cpu.system) / 1e6);
  }
  return timings;
}

async function timeWasmgrad(spec: ModelSpec, data: Data): Promise<Timings> {
  const model = spec.wasmgrad();
  const x = data.pixels.reshape([EPOCH_SAMPLES, ...spec.inputShape]);
  const y = spec.sparseLabels ? data.labels : toCategorical(data.labels, 10);
  return timeFits(
    (n) => model.fit(x.sliceRows(0, n), y.sliceRows(0, n), { batchSize: spec.batchSize, epochs: 1, verbose: 0 }),
    spec.steps.wasmgrad,
    spec.batchSize,
  );
}

async function timeTfjs(tf: TfCore, tfl: TfLayers, backend: TfjsBackend, spec: ModelSpec, fused: boolean, data: Data): Promise<Timings> {
  const steps = spec.steps[backend];
  const n = steps.timed * spec.batchSize;
  const features = spec.inputShape.reduce((a, b) => a * b, 1);
  // Copies (slice) of the first n samples: tfjs keeps the arrays it is given.
  const x = tf.tensor(data.pixels.data.slice(0, n * features), [n, ...spec.inputShape]);
  const ids = tf.tensor1d(data.labels.data.slice(0, n), 'float32');
  const y = spec.sparseLabels ? ids : tf.tidy(() => tf.cast(tf.oneHot(tf.cast(ids, 'int32'), 10), 'float32'));
  const model = spec.tfjs(tfl, fused);
  try {
    return await timeFits(
      async (samples) => {
        const [xs, ys] = samples === n ? [x, y] : [tf.slice(x, 0, samples), tf.slice(y, 0, samples)];
        try {
          await model.fit(xs, ys, { batchSize: spec.batchSize, epochs: 1, verbose: 0 });
        } finally {
          if (xs !== x) tf.dispose([xs, ys]);
        }
      },
      steps,
      spec.batchSize,
    );
  } finally {
    model.optimizer.dispose();
    model.dispose();
    tf.dispose(ids === y ? [x, y] : [x, y, ids]);
  }
}

interface ThreadsApi {
  setThreads(count: number): void;
  getThreads(): number;
  threadsReady?(): Promise<void>;
}

/** setThreads/getThreads from kernels/index.ts where they exist (worker threads may land later). */
function wasmgradThreads(): ThreadsApi | null {
  const api = kernels as unknown as Partial<ThreadsApi>;
  if (typeof api.setThreads !== 'function' || typeof api.getThreads !== 'function') return null;
  return api as ThreadsApi;
}

/** Sets the thread count and waits for the workers; the reason when it cannot. */
async function useThreads(threads: ThreadsApi, count: number): Promise<string | null> {
  try {
    threads.setThreads(count);
    await threads.threadsReady?.();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** TensorFlow.js, or the reason it cannot be loaded. The wasm backend reads its .wasm from the package. */
async function loadTfjs(): Promise<{ tf: TfCore; tfl: TfLayers; wasmNote: string } | string> {
  try {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const tfl = await import('@tensorflow/tfjs-layers');
    // A directory path with a trailing slash works in Node (Emscripten reads it with fs); no fetch.
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    if (!(await selectTfjsBackend(tf, 'wasm'))) throw new Error('tf.setBackend("wasm") failed');
    const wasmNote =
      `XNNPACK, ${simd ? 'SIMD' : 'no SIMD'} build, ${wasm.getThreadsCount()} thread` +
      (threaded ? '' : ' (tfjs-backend-wasm turns threads off in Node)');
    return { tf, tfl, wasmNote };
  } catch (error) {
    return `not available (${(error as Error).message}); npm install brings it`;
  }
}

/**
 * Switches tfjs to a backend. Its cpu backend prints advice (install tfjs-node) on its first
 * tensor in Node; that tensor is made here, with the console muted, so the table stays clean.
 */
async function selectTfjsBackend(tf: TfCore, backend: TfjsBackend): Promise<boolean> {
  const { log, warn } = console;
  console.log = console.warn = () => {};
  try {
    const ok = await tf.setBackend(backend);
    tf.dispose(tf.scalar(0));
    return ok;
  } finally {
    Object.assign(console, { log, warn });
  }
}

/** A PyTorch measurement as a row of the table: its timed runs, as fits of the same number of steps. */
function pytorchRow(spec: ModelSpec, result: PytorchResult): Result {
  const seconds = result.samples.map((perEpoch) => (perEpoch * result.steps * spec.batchSize) / EPOCH_SAMPLES);
  return {
    system: `PyTorch ${result.version}, ${result.setting.label}`,
    model: spec,
    steps: result.steps,
    seconds,
    cpuSeconds: seconds.map((s) => s * result.cpuPerWall),
  };
}

/** Runs the training benchmark and prints its table. */
export async function runTrainingBench(): Promise<void> {
  for (const spec of MODELS) {
    for (const [system, steps] of Object.entries(spec.steps)) {
      if (steps.timed * spec.batchSize > EPOCH_SAMPLES) {
        throw new Error(`bench: ${steps.timed} steps of ${spec.batchSize} for ${system} on ${spec.name} need more than ${EPOCH_SAMPLES} samples`);
      }
    }
  }
  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const [[images, labels]] = await datasets.mnist.loadData();
  const data: Data = { pixels: images.div(255), labels };
  const results: Result[] = [];
  const notes: string[] = [];

  // wasmgrad: as it comes (the baseline of the last column), then on 1 and 2 threads, whichever is
  // not the default, where kernels/ offers setThreads; on one thread while TensorFlow.js runs, so
  // that no worker of ours waits beside it.
  const threads = wasmgradThreads();
  const defaultThreads = threads?.getThreads();
  const plural = (n: number) => `${n} thread${n === 1 ? '' : 's'}`;
  const defaultLabel = defaultThreads === undefined ? 'wasmgrad' : `wasmgrad, ${plural(defaultThreads)} (default)`;
  for (const spec of MODELS) {
    results.push({ system: defaultLabel, model: spec, steps: spec.steps.wasmgrad.timed, ...(await timeWasmgrad(spec, data)) });
  }
  if (threads !== null) {
    for (const count of [1, 2].filter((n) => n !== defaultThreads)) {
      const refused = await useThreads(threads, count);
      if (refused !== null) {
        notes.push(`wasmgrad on ${plural(count)}: ${refused}`);
        continue;
      }
      for (const spec of MODELS) {
        results.push({ system: `wasmgrad, ${plural(count)}`, model: spec, steps: spec.steps.wasmgrad.timed, ...(await timeWasmgrad(spec, data)) });
      }
    }
    await useThreads(threads, 1);
  }

  // PyTorch, in a child process, while no worker of ours runs.
  let pytorchVersion = '';
  const pytorchModels = MODELS.map((spec) => spec.pytorch);
  for (const measured of [runPytorchTwoThreads(pytorchModels), runPytorch(pytorchModels, PYTORCH_ONE_THREAD)]) {
    if (typeof measured === 'string') {
      notes.push(`PyTorch: ${measured}`);
      break;
    }
    for (const spec of MODELS) {
      const result = measured.get(spec.pytorch);
      if (result === undefined) continue;
      pytorchVersion = result.version;
      results.push(pytorchRow(spec, result));
    }
  }

  const tfjs = await loadTfjs();
  if (typeof tfjs !== 'string') {
    const { tf, tfl } = tfjs;
    for (const backend of ['wasm', 'cpu'] as const) {
      await selectTfjsBackend(tf, backend);
      for (const spec of MODELS) {
        const system = `tfjs ${tf.version_core} ${backend}`;
        results.push({ system, model: spec, steps: spec.steps[backend].timed, ...(await timeTfjs(tf, tfl, backend, spec, true, data)) });
        if (backend === 'wasm' && spec === MODELS[0]) {
          const timings = await timeTfjs(tf, tfl, backend, spec, false, data);
          results.push({ system: `${system}, Dense + Activation layers`, model: spec, steps: spec.steps[backend].timed, ...timings });
        }
      }
    }
  }
  if (threads !== null && defaultThreads !== undefined) await useThreads(threads, defaultThreads);

  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const describeThreads = threads === null ? '; one thread (kernels/ has no setThreads yet)' : `; ${plural(defaultThreads!)} by default`;
  console.log(`\nTraining throughput through model.fit, extrapolated to 60,000-sample epochs (${new Date().toISOString().slice(0, 10)})`);
  console.log(`  machine   ${cpu}, ${cpus().length} cores, ${platform()} ${release()}, Node ${process.version}`);
  console.log(`  load      1-minute load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after (this bench adds ~1; more means a neighbour)`);
  console.log(`  wasmgrad  ${kernels.backend().description}${describeThreads}`);
  console.log(`  tfjs wasm ${typeof tfjs === 'string' ? tfjs : tfjs.wasmNote}`);
  console.log('  tfjs cpu  pure JavaScript kernels');
  if (pytorchVersion !== '') {
    console.log(`  PyTorch   ${pytorchVersion} on the CPU (bench/pytorch.py: nn.Sequential, Adam with Keras' defaults, a plain loop over`);
    console.log('            shuffled batches of random pixels); 2 threads: the faster of torch 2 + OpenBLAS 1 and torch 1 + OpenBLAS 2');
  }
  console.log('  method    each system\'s own model.fit (epochs 1, verbose 0, shuffle), Adam, accuracy metric, the same');
  console.log('            batch size; a warm-up fit, then 3 timed fits of the steps shown; samples/s is their median,');
  console.log('            s/epoch = 60,000 / (samples/s). Dense layers carry their activation (tfjs\'s fused path),');
  console.log('            except where a row says otherwise. Data: MNIST training images / 255 for both models');
  console.log('            (the Fashion model is timed on MNIST: same shape and count; Fashion-MNIST may be absent).');
  for (const note of notes) console.log(`  note      ${note}`);

  const rows = results.map((result) => {
    const baseline = results.find((r) => r.model === result.model)!; // wasmgrad as it comes, timed first
    const rate = samplesPerSecond(result);
    const secondsPerEpoch = EPOCH_SAMPLES / rate;
    const ratio = samplesPerSecond(baseline) / rate;
    const spread = (Math.max(...result.seconds) - Math.min(...result.seconds)) / median(result.seconds);
    const cpuPerWall = result.cpuSeconds.reduce((a, b) => a + b, 0) / result.seconds.reduce((a, b) => a + b, 0);
    return [
      result.system,
      `${result.model.name}, batch ${result.model.batchSize}`,
      `${result.steps}`,
      rate.toFixed(0),
      secondsPerEpoch < 10 ? secondsPerEpoch.toFixed(2) : secondsPerEpoch.toFixed(1),
      `${(spread * 100).toFixed(0)}%`,
      cpuPerWall.toFixed(2),
      `${ratio < 10 ? ratio.toFixed(2) : ratio.toFixed(1)}x`,
    ];
  });
  printTable(['system', 'model', 'timed steps', 'samples/s', 's/epoch', 'spread', 'cpu/wall', 'time / wasmgrad'], rows);

  const seedEpoch = (system: string) => {
    const r = results.find((x) => x.model === MODELS[0] && x.system === system);
    return r === undefined ? 'n/a' : (EPOCH_SAMPLES / samplesPerSecond(r)).toFixed(0);
  };
  if (typeof tfjs !== 'string') {
    const v = tfjs.tf.version_core;
    console.log(
      `MNIST MLP, measured on the previous machines (2026-11): tfjs cpu ~320 s/epoch, tfjs wasm ~99 s/epoch; here ${seedEpoch(`tfjs ${v} cpu`)} and ` +
        `${seedEpoch(`tfjs ${v} wasm`)} (${seedEpoch(`tfjs ${v} wasm, Dense + Activation layers`)} with the tutorial's separate Activation layers).`,
    );
  }
  console.log('spread = (slowest - fastest) / median of the 3 timed fits. cpu/wall = CPU seconds of the process (all threads:');
  console.log('GC helpers, workers) per second: well under 1 on a one-thread row means a neighbour took the core, and');
  console.log('that row is slow for it. time / wasmgrad = the default wasmgrad\'s samples/s over the row\'s: above 1, wasmgrad is faster.');
  console.log(`Training bench took ${((performance.now() - started) / 1000).toFixed(0)} s.`);
}
