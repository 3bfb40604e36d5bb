// files/read.ts — reading a file from disk without trusting it (Node): regular files only, the
// size checked against what the caller expects before a byte is read, and gzip inflated only up to
// the size its content is known to have. What the bytes mean is the caller's business
// (datasets/ parses IDX, nn/saving/ parses a saved model).
//
// Why each rule: a FIFO never ends (a read blocks for ever: the process cannot exit), a link to
// /dev/zero never ends either (memory fills), a directory is not a file, and a small gzip can
// inflate to gigabytes. Each check happens on the opened file itself (fstat on the handle), so a
// file swapped between a check and the read cannot slip through.
//
// Node's modules come from runtime/node-builtins.ts on first use, never from an import a bundler
// follows, so a browser bundle that reaches this file (through the library's root index) builds.

import { nodeBuiltin } from '../runtime/node-builtins.js';

/** What a file must be to be read, and how it is named in errors. */
export interface ReadLimits {
  /** Refuse a file larger than this many bytes, before reading it. */
  maxBytes: number;
  /** Refuse a file of any other size, before reading it (a header or manifest said so). */
  exactBytes?: number;
  /** How errors name the file's role, e.g. "model.json" or "the training images". */
  what?: string;
}

/** An error about a file: what it is, what was expected, what was found. */
export class FileReadError extends Error {
  constructor(readonly path: string, message: string) {
    super(`wasmgrad: ${message}`);
    this.name = 'FileReadError';
  }
}

function kindOf(stat: import('node:fs').Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device (such as /dev/zero)';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The bytes of the regular file at `path`, refusing anything else before reading: folders,
 * FIFOs, devices, sockets (never blocking on them), and sizes over `maxBytes` or other than
 * `exactBytes`. Symbolic links are followed; what they point to must pass the same checks.
 */
export async function readRegularFile(path: string, limits: ReadLimits): Promise<Uint8Array> {
  const fs = await nodeBuiltin('node:fs', 'reading a file');
  const what = limits.what ?? 'the file';
  let handle: import('node:fs/promises').FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer for ever.
    handle = await fs.promises.open(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new FileReadError(path, `${what} ${path} does not exist`);
    if (code === 'EISDIR') throw new FileReadError(path, `${what} ${path} is a folder, expected a regular file`);
    throw new FileReadError(path, `cannot open ${what} ${path}: ${(error as Error).message}`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new FileReadError(path, `${what} ${path} is ${kindOf(stat)}, expected a regular file`);
    if (limits.exactBytes !== undefined && stat.size !== limits.exactBytes) {
      throw new FileReadError(path, `${what} ${path} has ${stat.size} bytes, expected exactly ${limits.exactBytes}`);
    }
    if (stat.size > limits.maxBytes) {
      throw new FileReadError(path, `${what} ${path} has ${stat.size} bytes, more than the ${limits.maxBytes} expected at most`);
    }
    // Read exactly the size we checked: a file that grows meanwhile is cut there, one that shrinks is an error.
    const bytes = new Uint8Array(stat.size);
    let at = 0;
    while (at < bytes.length) {
      const { bytesRead } = await handle.read(bytes, at, bytes.length - at, at);
      if (bytesRead === 0) throw new FileReadError(path, `${what} ${path} ended after ${at} of its ${stat.size} bytes (changed while being read)`);
      at += bytesRead;
    }
    return bytes;
  } finally {
    await handle.close();
  }
}

/** True when bytes start with gzip's magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates gzip'd bytes to at most `maxBytes` (and, with `exactBytes`, to exactly that many): the
 * inflation stops as soon as the output would pass the cap, so a small "bomb" cannot fill memory.
 */
export async function gunzipBounded(bytes: Uint8Array, limits: ReadLimits & { source: string }): Promise<Uint8Array> {
  const zlib = await nodeBuiltin('node:zlib', 'inflating a gzip file');
  const what = limits.what ?? 'the file';
  const cap = limits.exactBytes !== undefined ? Math.min(limits.exactBytes, limits.maxBytes) : limits.maxBytes;
  let out: Uint8Array;
  try {
    // maxOutputLength + 1: an output of exactly the cap is fine, one byte more is refused.
    out = await new Promise<Uint8Array>((resolve, reject) =>
      zlib.gunzip(bytes, { maxOutputLength: cap + 1 }, (error, result) => (error ? reject(error) : resolve(result))),
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new FileReadError(limits.source, `${what} ${limits.source} inflates to more than the ${cap} bytes expected; refusing to inflate further`);
    }
    throw new FileReadError(limits.source, `${what} ${limits.source} is not valid gzip: ${(error as Error).message}`);
  }
  if (out.length > cap) {
    throw new FileReadError(limits.source, `${what} ${limits.source} inflates to more than the ${cap} bytes expected; refusing to inflate further`);
  }
  if (limits.exactBytes !== undefined && out.length !== limits.exactBytes) {
    throw new FileReadError(limits.source, `${what} ${limits.source} inflates to ${out.length} bytes, expected exactly ${limits.exactBytes}`);
  }
  return out;
}
