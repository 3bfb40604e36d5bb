// tests/datasets/untrusted-files.test.ts — data set files that are not what they claim: local files
// are verified against their checksums (a flipped pixel is caught), a gzip is inflated only up to
// the size its content can have, a FIFO or a link to /dev/zero is refused at once, and an empty
// split is refused. Also a clear error for a path that is not a string.

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { datasets } from '../../index.js';

const NAMES = {
  trainImages: 'train-images-idx3-ubyte', trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte', testLabels: 't10k-labels-idx1-ubyte',
} as const;
type Role = keyof typeof NAMES;
const ROLES = Object.keys(NAMES) as Role[];

function idx(magic: number, dims: number[], values: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + values.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(values, 4 + 4 * dims.length);
  return out;
}

function set(nTrain: number, nTest: number): Record<Role, Uint8Array> {
  const images = (n: number) => idx(0x803, [n, 28, 28], new Uint8Array(n * 784).map((_, i) => (i * 7) % 256));
  const labels = (n: number) => idx(0x801, [n], new Uint8Array(n).map((_, i) => i % 10));
  return { trainImages: images(nTrain), trainLabels: labels(nTrain), testImages: images(nTest), testLabels: labels(nTest) };
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const hashes = (files: Record<Role, Uint8Array>) => Object.fromEntries(ROLES.map((r) => [r, sha(files[r])])) as Record<Role, string>;

let dir: string;
const savedHome = process.env.WASMGRAD_HOME;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wasmgrad-untrusted-'));
  process.env.WASMGRAD_HOME = join(dir, 'home');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  if (savedHome === undefined) delete process.env.WASMGRAD_HOME;
  else process.env.WASMGRAD_HOME = savedHome;
});

function write(files: Record<Role, Uint8Array>, gz = false): string {
  const folder = join(dir, 'data');
  mkdirSync(folder, { recursive: true });
  for (const role of ROLES) writeFileSync(join(folder, NAMES[role] + (gz ? '.gz' : '')), gz ? gzipSync(files[role]) : files[role]);
  return folder;
}

const load = (options: Parameters<typeof datasets.mnist.loadData>[0]) => datasets.mnist.loadData({ download: false, installedPaths: [], verbose: false, ...options });

describe('local data set files', () => {
  it('load when their checksums match, raw or gzip', async () => {
    const files = set(3, 2);
    for (const gz of [false, true]) {
      const [[x], [xTest]] = await load({ path: write(files, gz), sha256: hashes(files) });
      expect([x.shape, xTest.shape]).toEqual([[3, 28, 28], [2, 28, 28]]);
      rmSync(join(dir, 'data'), { recursive: true });
    }
  });

  it('are verified against their known checksums: one flipped pixel is refused, naming the file', async () => {
    const files = set(3, 2);
    const expected = hashes(files);
    files.trainImages[100] ^= 1;
    await expect(load({ path: write(files), sha256: expected })).rejects.toThrow(/train-images-idx3-ubyte .*SHA-256 [0-9a-f]{64}, expected ba|train-images-idx3-ubyte.*checksum/);
  });

  it('with the built-in checksums, a small look-alike of MNIST is refused as not the real files', async () => {
    await expect(load({ path: write(set(3, 2)) })).rejects.toThrow(/train-images-idx3-ubyte.*(checksum|SHA-256|bytes)/);
  });

  it('refuse a gzip that inflates past the size its file can have (a bomb), before inflating it all', async () => {
    const files = set(3, 2);
    const folder = write(files, true);
    // 48 MB of zeros behind a valid IDX header, gzip'd to ~50 KB: more than 60,000 images can take.
    const bomb = new Uint8Array(16 + 48_000_000);
    bomb.set(idx(0x803, [61_224, 28, 28], new Uint8Array(0)));
    const gz = gzipSync(bomb, { level: 1 });
    expect(gz.length).toBeLessThan(300_000);
    writeFileSync(join(folder, NAMES.trainImages + '.gz'), gz);
    await expect(load({ path: folder, sha256: hashes(files) })).rejects.toThrow(/train-images-idx3-ubyte\.gz inflates to more than the 47040016 bytes/);
  });

  it('refuse a raw file larger than its role allows before reading it', async () => {
    const files = set(3, 2);
    const folder = write(files);
    writeFileSync(join(folder, NAMES.testLabels), new Uint8Array(10_009));
    await expect(load({ path: folder, sha256: hashes(files) })).rejects.toThrow(/t10k-labels-idx1-ubyte has 10009 bytes, more than the 10008 expected at most/);
  });

  it('refuse a FIFO and a link to /dev/zero at once', async () => {
    const files = set(3, 2);
    const folder = write(files);
    rmSync(join(folder, NAMES.trainLabels));
    execFileSync('mkfifo', [join(folder, NAMES.trainLabels)]);
    await expect(load({ path: folder, sha256: hashes(files) })).rejects.toThrow(/train-labels-idx1-ubyte is a FIFO/);
    rmSync(join(folder, NAMES.trainLabels));
    symlinkSync('/dev/zero', join(folder, NAMES.trainLabels));
    await expect(load({ path: folder, sha256: hashes(files) })).rejects.toThrow(/train-labels-idx1-ubyte is a character device/);
  }, 5000);

  it('refuse an empty split', async () => {
    const files = set(3, 0);
    await expect(load({ path: write(files), sha256: hashes(files) })).rejects.toThrow(/t10k-images-idx3-ubyte holds no images; the test split of 'mnist' is empty/);
  });
});

describe('options', () => {
  it('a path that is not a string is a clear error', async () => {
    await expect(datasets.mnist.loadData({ path: 5 as unknown as string })).rejects.toThrow(/loadData expected path to be a folder name \(a string\), got 5/);
  });
});
