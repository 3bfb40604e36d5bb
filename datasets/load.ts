// datasets/load.ts — loadRaw: the four IDX files of MNIST or Fashion-MNIST read into byte
// arrays and checked against each other (28x28 images, as many labels as images, ids 0-9).
// It makes no tensors (index.ts does), so everything here is testable without the engine.

import { describeValue } from '../engine/index.js';
import { FILE_NAMES, FILE_ROLES, datasetInfo, type DatasetName, type FileRole } from './catalog.js';
import { readVerifiedIdx, resolveFiles, type LoadOptions, type ResolvedFiles } from './files.js';
import type { IdxArray } from './idx.js';

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

/** The options' types, at the boundary: a path of 5 is named here, not as a TypeError deep in node:path. */
function checkLoadOptions(options: LoadOptions): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`wasmgrad: loadData expected options as an object such as { path: 'data/mnist' }, got ${describeValue(options)}`);
  }
  if (options.path !== undefined && (typeof options.path !== 'string' || options.path === '')) {
    throw new Error(`wasmgrad: loadData expected path to be a folder name (a string), got ${describeValue(options.path)}`);
  }
  for (const key of ['baseUrls', 'installedPaths'] as const) {
    const list: unknown = options[key];
    if (list !== undefined && (!Array.isArray(list) || list.some((v) => typeof v !== 'string'))) {
      throw new Error(`wasmgrad: loadData expected ${key} to be a list of strings, got ${describeValue(list)}`);
    }
  }
  if (options.sha256 !== undefined && (options.sha256 === null || typeof options.sha256 !== 'object')) {
    throw new Error(`wasmgrad: loadData expected sha256 to be an object such as { trainImages: '...' }, got ${describeValue(options.sha256)}`);
  }
  for (const key of ['download', 'verbose'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      throw new Error(`wasmgrad: loadData expected ${key} to be true or false, got ${describeValue(options[key])}`);
    }
  }
}

/**
 * Finds (or downloads) and reads one data set: `loadRaw('mnist')` or `loadRaw('fashion-mnist')`.
 * See files.ts's LoadOptions for where files are looked for. Throws if a file is not valid IDX,
 * if images are not 28×28, if image and label counts disagree, or if a label is not 0-9.
 */
export async function loadRaw(name: DatasetName, options: LoadOptions = {}): Promise<RawDataset> {
  datasetInfo(name); // rejects an unknown name before anything touches the disk
  checkLoadOptions(options);
  const resolved = await resolveFiles(name, options);
  // The four files are read at once, but a problem is reported in a fixed order (train images,
  // train labels, test images, test labels), not in whichever order the reads happened to finish.
  // Every file is verified against its checksum, wherever it was found (flipped pixels are caught).
  const info = datasetInfo(name);
  const read = await Promise.allSettled(FILE_ROLES.map((role) => readVerifiedIdx(resolved.files[role], role, options.sha256?.[role] ?? info.sha256[role])));
  const arrays = {} as Record<FileRole, IdxArray>;
  for (const [i, result] of read.entries()) {
    if (result.status === 'rejected') throw withCacheHint(result.reason, resolved);
    arrays[FILE_ROLES[i]] = result.value;
  }
  try {
    const train = checkSplit(name, resolved.files, arrays, 'trainImages', 'trainLabels');
    const test = checkSplit(name, resolved.files, arrays, 'testImages', 'testLabels');
    return { train, test, source: { kind: resolved.kind, dir: resolved.dir } };
  } catch (error) {
    throw withCacheHint(error, resolved);
  }
}

/**
 * The cache only ever receives files whose checksum matched, so a bad file there was changed
 * afterwards; say how to get a good copy back.
 */
function withCacheHint(error: unknown, resolved: ResolvedFiles): unknown {
  if (resolved.kind !== 'cache' || !(error instanceof Error)) return error;
  return new Error(`${error.message}; this copy in the cache was changed after it was downloaded: delete ${resolved.dir} and load again to download it afresh`, {
    cause: error,
  });
}

function checkSplit(name: DatasetName, files: Record<FileRole, string>, arrays: Record<FileRole, IdxArray>, imagesRole: FileRole, labelsRole: FileRole): RawSplit {
  const imagesPath = files[imagesRole];
  const labelsPath = files[labelsRole];
  const images = arrays[imagesRole], labels = arrays[labelsRole];

  const [n, rows, cols] = images.shape;
  if (n === 0) {
    const split = imagesRole.startsWith('train') ? 'training' : 'test';
    throw new Error(`wasmgrad: ${imagesPath} holds no images; the ${split} split of '${name}' is empty (expected a complete copy of the data set)`);
  }
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
