// tests/files/read.test.ts — files/read.ts refuses what is not a regular file of the expected size
// before reading it (a FIFO and a link to /dev/zero settle at once instead of hanging or filling
// memory), and inflates gzip only up to the size the content is known to have.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FileReadError, gunzipBounded, readRegularFile } from '../../files/read.js';

const dir = mkdtempSync(join(tmpdir(), 'wasmgrad-read-'));
const limits = { maxBytes: 1024, what: 'model.json' };

describe('readRegularFile', () => {
  it('reads a regular file of an allowed size, also through a symbolic link', async () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, '{"a":1}');
    symlinkSync(file, join(dir, 'link.json'));
    for (const path of [file, join(dir, 'link.json')]) {
      expect(new TextDecoder().decode(await readRegularFile(path, limits))).toBe('{"a":1}');
    }
    expect((await readRegularFile(file, { maxBytes: 7, exactBytes: 7 })).length).toBe(7);
  });

  it('refuses a FIFO at once (never waits for a writer)', async () => {
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    await expect(readRegularFile(fifo, limits)).rejects.toThrow(/model\.json .*fifo\.json is a FIFO \(named pipe\), expected a regular file/);
  }, 3000);

  it('refuses a link to /dev/zero (a device never ends), a folder, and a missing file', async () => {
    symlinkSync('/dev/zero', join(dir, 'zero.json'));
    mkdirSync(join(dir, 'folder.json'));
    await expect(readRegularFile(join(dir, 'zero.json'), limits)).rejects.toThrow(/is a character device \(such as \/dev\/zero\), expected a regular file/);
    await expect(readRegularFile(join(dir, 'folder.json'), limits)).rejects.toThrow(/folder\.json is a folder, expected a regular file/);
    await expect(readRegularFile(join(dir, 'missing.json'), limits)).rejects.toThrow(/missing\.json does not exist/);
    await expect(readRegularFile(join(dir, 'missing.json'), limits)).rejects.toBeInstanceOf(FileReadError);
  }, 3000);

  it('refuses sizes over the limit or other than the declared one, before reading', async () => {
    const file = join(dir, 'big.bin');
    writeFileSync(file, new Uint8Array(2000));
    await expect(readRegularFile(file, limits)).rejects.toThrow(/has 2000 bytes, more than the 1024 expected at most/);
    await expect(readRegularFile(file, { maxBytes: 4000, exactBytes: 1999, what: 'weights.bin' })).rejects.toThrow(/weights\.bin .* has 2000 bytes, expected exactly 1999/);
  });
});

describe('gunzipBounded', () => {
  const content = new Uint8Array(100_000).map((_, i) => i % 251);
  const gz = gzipSync(content);

  it('inflates to exactly the expected size', async () => {
    expect(Buffer.from(await gunzipBounded(gz, { maxBytes: 100_000, exactBytes: 100_000, source: 'x.gz' })).equals(Buffer.from(content))).toBe(true);
  });

  it('stops a gzip bomb at the cap (10 MB of zeros from a few KB), and refuses a short inflation', async () => {
    const bomb = gzipSync(new Uint8Array(10_000_000));
    expect(bomb.length).toBeLessThan(20_000);
    await expect(gunzipBounded(bomb, { maxBytes: 100_000, source: 'images.gz', what: 'the training images' }))
      .rejects.toThrow(/the training images images\.gz inflates to more than the 100000 bytes expected; refusing to inflate further/);
    await expect(gunzipBounded(gz, { maxBytes: 1e6, exactBytes: 100_001, source: 'x.gz' })).rejects.toThrow(/inflates to 100000 bytes, expected exactly 100001/);
    await expect(gunzipBounded(gz, { maxBytes: 1e6, exactBytes: 99_999, source: 'x.gz' })).rejects.toThrow(/more than the 99999 bytes/);
  });

  it('names corrupt gzip as such', async () => {
    const broken = Uint8Array.from(gz);
    broken.fill(0, 20, 60);
    await expect(gunzipBounded(broken, { maxBytes: 1e6, source: 'x.gz' })).rejects.toThrow(/x\.gz is not valid gzip/);
  });
});
