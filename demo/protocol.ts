// demo/protocol.ts — the messages between the demo page (demo/main.ts) and its training Worker
// (demo/train-worker.ts). The page sends commands; the Worker answers with what it did, so the
// page's event loop never runs a training step and stays responsive while the model learns.

/**
 * The two models the page offers: Keras' MNIST MLP (784-512-512-10) and Keras' Simple MNIST
 * convnet (Conv2D 32 3x3, MaxPooling2D 2, Conv2D 64 3x3, MaxPooling2D 2, Flatten, Dropout, Dense 10).
 */
export type ModelName = 'mlp' | 'convnet';

/** Page -> Worker. */
export type ToWorker =
  /**
   * Load MNIST (if not yet) and train `model` for `epochs` epochs on the first `samples` training
   * images (all 60,000, or fewer for the slower convnet); a seed makes the run repeatable.
   */
  | { type: 'train'; model: ModelName; epochs: number; samples: number; seed: number | null }
  /** The ten class probabilities of one 28x28 image (784 floats in [0, 1], row-major) by the last model trained. */
  | { type: 'predict'; id: number; pixels: Float32Array };

/** Worker -> Page. */
export type FromWorker =
  /** Once, at start-up: what the library runs on in this Worker. */
  | { type: 'ready'; backend: string; description: string; threads: number; isolated: boolean; note: string }
  /** MNIST is loaded: the first test images for the grid (count x 784 bytes) and their labels. */
  | { type: 'data'; train: number; test: number; gridImages: Uint8Array; gridLabels: Uint8Array }
  /** A few times a second during an epoch; `seconds` since the epoch began (the page estimates what is left). */
  | { type: 'batch'; epoch: number; epochs: number; step: number; steps: number; loss: number; accuracy: number; seconds: number }
  /** After each epoch: its logs, test accuracy, the grid's predictions and the first layer's weights. */
  | {
      type: 'epoch'; epoch: number; epochs: number; seconds: number; loss: number; accuracy: number;
      testLoss: number; testAccuracy: number; gridPredictions: Uint8Array;
      /**
       * The first layer's weights as `units` square pictures of `size` x `size` floats each: for
       * the MLP, columns of the first Dense kernel (784 weights, 28x28); for the convnet, the first
       * Conv2D's 32 filters (3x3).
       */
      weights: Float32Array; units: number; size: number;
      /** The most threads any GEMM of the epoch (or the test set's evaluation) was cut between. */
      gemmThreads: number;
    }
  /** Training finished. */
  | { type: 'done'; secondsPerEpoch: number }
  /** The answer to a 'predict'. */
  | { type: 'probabilities'; id: number; values: Float32Array }
  | { type: 'error'; message: string };

/** How many test digits the grid shows, and first-layer units of the MLP drawn as pictures. */
export const GRID_DIGITS = 48;
export const WEIGHT_UNITS = 64;
