// datasets/idx.ts — the IDX file format of MNIST and Fashion-MNIST, parsed from bytes.
// Pure over Uint8Array (no Node imports), so it runs in a browser given the bytes. It does not
// decompress: files.ts gunzips in Node; parseIdx only recognises gzip so it can say so.
//
// IDX layout (http://yann.lecun.com/exdb/mnist/), all integers big-endian:
//   bytes 0-1  zero
//   byte  2    type code (0x08 = unsigned byte; the only one MNIST-family files use)
//   byte  3    number of dimensions r
//   then r u32 dimension sizes, then the values, row-major.
// So labels start 0x00000801 (u8, [n]) and images 0x00000803 (u8, [n, rows, cols]).

/** A parsed IDX array: the values, row-major, and the dimension sizes. */
export interface IdxArray {
  data: Uint8Array;
  shape: number[];
}

/** What a caller expects a file to hold; it fixes the magic number. */
export type IdxKind = 'labels' | 'images';

export const IDX_MAGIC: Readonly<Record<IdxKind, number>> = { labels: 0x00000801, images: 0x00000803 };

// The type codes of the IDX format, named so an error can say what a file holds instead.
const TYPE_NAMES: Readonly<Record<number, string>> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'short (int16)',
  0x0c: 'int (int32)',
  0x0d: 'float (float32)',
  0x0e: 'double (float64)',
};

/** True when bytes begin with gzip's magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function hex32(value: number): string {
  return '0x' + (value >>> 0).toString(16).padStart(8, '0');
}

function describeMagic(magic: number): string {
  if (magic === IDX_MAGIC.labels) return `${hex32(magic)} (labels)`;
  if (magic === IDX_MAGIC.images) return `${hex32(magic)} (images)`;
  return hex32(magic);
}

/**
 * Parses one uncompressed IDX file: labels (magic 0x00000801, shape [n]) or images (magic
 * 0x00000803, shape [n, rows, cols]), unsigned bytes only.
 *
 *   const { data, shape } = parseIdx(bytes, 'train-labels-idx1-ubyte', 'labels');  // shape [60000]
 *
 * `source` names the file in errors. `kind`, when given, is the only magic accepted, so a labels
 * file passed where images belong is caught here. The returned data is a copy that owns its
 * memory (not a view into `bytes`). Throws on a bad magic number, an unsupported type code, a
 * truncated file or trailing bytes after the data.
 */
export function parseIdx(bytes: Uint8Array, source: string, kind?: IdxKind): IdxArray {
  const expectedMagic =
    kind === undefined
      ? `${describeMagic(IDX_MAGIC.labels)} or ${describeMagic(IDX_MAGIC.images)}`
      : describeMagic(IDX_MAGIC[kind]);
  if (isGzip(bytes)) {
    throw new Error(`wasmgrad: ${source} is gzip-compressed (starts 1f 8b); decompress it before parseIdx`);
  }
  if (bytes.length < 4) {
    throw new Error(`wasmgrad: ${source} is truncated: expected at least 4 bytes of IDX header, got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`wasmgrad: ${source} is not an IDX file: bad magic number, expected ${expectedMagic}, found ${hex32(magic)}`);
  }
  const typeCode = bytes[2];
  if (typeCode !== 0x08) {
    const name = TYPE_NAMES[typeCode] ?? 'not an IDX type';
    throw new Error(
      `wasmgrad: ${source} has unsupported IDX type code 0x${typeCode.toString(16).padStart(2, '0')} (${name}) ` +
        `in magic ${hex32(magic)}; only 0x08 (unsigned byte) is supported`,
    );
  }
  const accepted = kind === undefined ? [IDX_MAGIC.labels, IDX_MAGIC.images] : [IDX_MAGIC[kind]];
  if (!accepted.includes(magic)) {
    throw new Error(`wasmgrad: ${source} has bad magic number: expected ${expectedMagic}, found ${describeMagic(magic)}`);
  }

  const rank = bytes[3];
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    throw new Error(
      `wasmgrad: ${source} is truncated: expected ${headerBytes} bytes of header for ${rank} dimensions, got ${bytes.length}`,
    );
  }
  const shape: number[] = [];
  for (let d = 0; d < rank; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const dataBytes = shape.reduce((a, b) => a * b, 1);
  const expectedBytes = headerBytes + dataBytes;
  const what = `${headerBytes} header + ${dataBytes} data for shape [${shape.join(', ')}]`;
  if (bytes.length < expectedBytes) {
    throw new Error(`wasmgrad: ${source} is truncated: expected ${expectedBytes} bytes (${what}), got ${bytes.length}`);
  }
  if (bytes.length > expectedBytes) {
    throw new Error(
      `wasmgrad: ${source} has trailing garbage: expected ${expectedBytes} bytes (${what}), ` +
        `got ${bytes.length} (${bytes.length - expectedBytes} extra)`,
    );
  }
  // new Uint8Array(view) copies: the result neither pins a large file buffer nor is a Node Buffer.
  return { data: new Uint8Array(bytes.subarray(headerBytes, expectedBytes)), shape };
}
