// examples/mnist-callbacks.ts — Keras' training tools used together, the way a tutorial script
// does: train on MNIST with validationSplit, keep the best epoch with ModelCheckpoint(saveBestOnly),
// lower the learning rate on a plateau (ReduceLROnPlateau), stop when validation stops improving
// (EarlyStopping), log each epoch to CSV (CSVLogger), then load the best checkpoint and evaluate it.
// The model is Keras' "Simple MNIST convnet" (Conv2D 32 and 64, 3x3 relu, max pooling, Dropout 0.5).
//
//   npm run example:callbacks            (all 60,000 training images; checkpoints in a temp folder)

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CSVLogger, Conv2D, Dense, Dropout, EarlyStopping, Flatten, Input, MaxPooling2D, ModelCheckpoint, ReduceLROnPlateau, Sequential,
  datasets, loadModel, setSeed, type History,
} from '../index.js';
import { sliceRows } from '../engine/index.js';

export interface RunOptions {
  /** Where the checkpoint (best/) and the CSV log (training.csv) go. */
  folder: string;
  /** How many training and test images to use, from the first. Default all of them. */
  trainSamples?: number;
  testSamples?: number;
  /** At most this many epochs (EarlyStopping may end sooner). Default 15, as Keras' convnet example. */
  epochs?: number;
  verbose?: 0 | 1 | 2;
}

export interface RunResult {
  history: History;
  /** The epoch (from 0) with the lowest val_loss: the one ModelCheckpoint kept. */
  bestEpoch: number;
  /** The loaded best checkpoint's val_loss, recomputed on the validation images. */
  bestValLoss: number;
  /** [loss, accuracy] of the best checkpoint on the test images. */
  test: number[];
}

export async function run(options: RunOptions): Promise<RunResult> {
  const { folder, epochs = 15, verbose = 2 } = options;
  setSeed(1);
  const [[xAll, yAll], [xTestAll, yTestAll]] = await datasets.mnist.loadData();
  const n = Math.min(options.trainSamples ?? xAll.shape[0], xAll.shape[0]);
  const nTest = Math.min(options.testSamples ?? xTestAll.shape[0], xTestAll.shape[0]);
  // Images as [samples, 28, 28, 1] (channels last, as Keras), pixels scaled to [0, 1].
  const xTrain = sliceRows(xAll, 0, n).reshape([n, 28, 28, 1]).div(255), yTrain = sliceRows(yAll, 0, n);
  const xTest = sliceRows(xTestAll, 0, nTest).reshape([nTest, 28, 28, 1]).div(255), yTest = sliceRows(yTestAll, 0, nTest);

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
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });

  const bestPath = join(folder, 'best');
  const callbacks = [
    new ModelCheckpoint(bestPath, { monitor: 'val_loss', saveBestOnly: true, verbose: verbose > 0 ? 1 : 0 }),
    new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 1, minLr: 1e-5, verbose: verbose > 0 ? 1 : 0 }),
    new EarlyStopping({ monitor: 'val_loss', patience: 3 }),
    new CSVLogger(join(folder, 'training.csv')),
  ];
  const validationSplit = 0.1;
  const history = await model.fit(xTrain, yTrain, { batchSize: 128, epochs, validationSplit, callbacks, verbose });

  // The best epoch's model, as ModelCheckpoint saved it (weights, optimizer state and all).
  const best = await loadModel(bestPath);
  const valLosses = history.history.val_loss;
  const bestEpoch = valLosses.indexOf(Math.min(...valLosses));
  const at = Math.floor(n * (1 - validationSplit)); // fit's split: the last 10% of the samples
  const [bestValLoss] = best.evaluate(sliceRows(xTrain, at, n), sliceRows(yTrain, at, n), { verbose: 0 });
  const test = best.evaluate(xTest, yTest, { verbose: 0 });
  if (verbose > 0) {
    console.log(`Best epoch ${bestEpoch + 1} of ${history.epoch.length}: val_loss ${valLosses[bestEpoch].toFixed(4)} (the loaded checkpoint: ${bestValLoss.toFixed(4)})`);
    console.log(`Learning rates: ${history.history.learning_rate.map((lr) => lr.toExponential(1)).join(', ')}`);
    console.log(`Test loss ${test[0].toFixed(4)}, test accuracy ${test[1].toFixed(4)}; checkpoint and training.csv in ${folder}`);
  }
  return { history, bestEpoch, bestValLoss, test };
}

// Run as a program (not when a test imports run()).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run({ folder: mkdtempSync(join(tmpdir(), 'wasmgrad-mnist-callbacks-')) });
}
