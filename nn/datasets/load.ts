// nn/datasets/load.ts — loadRaw: the four IDX files of MNIST or Fashion-MNIST read into byte
// arrays and checked against each other (28x28 images, as many labels as images, ids 0-9).
// It makes no tensors (index.ts does), so everything here is testable without the engine.

import { FILE_NAMES, datasetInfo, type DatasetName, type FileRole } from './catalog.js';
import { readIdxFile, resolveFiles, type LoadOptions, type ResolvedFiles } from './files.js';

/** Image side length of MNIST and Fashion-MNIST. */
export const IMAGE_SIZE = 28;
/** Both data sets have ten classes, ids 0-9. */
export const NUM_CLASSES = 10;

/** One split: images are n×28×28 bytes row-major (pixel values 0-255), labels n class ids. */
export interface RawSplit {
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
}

export interface RawDataset {
  train: RawSplit;
  test: RawSplit;
  /** Where the files came from: which step of the search, and the folder. */
  source: { kind: ResolvedFiles['kind']; dir: string };
}

/**
 * Finds (or downloads) and reads one data set: `loadRaw('mnist')` or `loadRaw('fashion-mnist')`.
 * See files.ts's LoadOptions for where files are looked for. Throws if a file is not valid IDX,
 * if images are not 28×28, if image and label counts disagree, or if a label is not 0-9.
 */
export async function loadRaw(name: DatasetName, options: LoadOptions = {}): Promise<RawDataset> {
  datasetInfo(name); // rejects an unknown name before anything touches the disk
  const resolved = await resolveFiles(name, options);
  const [train, test] = await Promise.all([
    readSplit(resolved.files, 'trainImages', 'trainLabels'),
    readSplit(resolved.files, 'testImages', 'testLabels'),
  ]);
  return { train, test, source: { kind: resolved.kind, dir: resolved.dir } };
}

async function readSplit(files: Record<FileRole, string>, imagesRole: FileRole, labelsRole: FileRole): Promise<RawSplit> {
  const imagesPath = files[imagesRole];
  const labelsPath = files[labelsRole];
  const [images, labels] = await Promise.all([readIdxFile(imagesPath, 'images'), readIdxFile(labelsPath, 'labels')]);

  const [n, rows, cols] = images.shape;
  if (rows !== IMAGE_SIZE || cols !== IMAGE_SIZE) {
    throw new Error(
      `wasmgrad: ${imagesPath} holds ${rows}x${cols} images; ${FILE_NAMES[imagesRole]} should hold ` +
        `${IMAGE_SIZE}x${IMAGE_SIZE} images`,
    );
  }
  if (labels.shape[0] !== n) {
    throw new Error(
      `wasmgrad: image and label counts disagree: ${imagesPath} holds ${n} images ` +
        `but ${labelsPath} holds ${labels.shape[0]} labels`,
    );
  }
  for (let i = 0; i < labels.data.length; i++) {
    if (labels.data[i] >= NUM_CLASSES) {
      throw new Error(
        `wasmgrad: ${labelsPath} has label ${labels.data[i]} at index ${i}; expected class ids 0-${NUM_CLASSES - 1}`,
      );
    }
  }
  return { images: images.data, labels: labels.data, n };
}
