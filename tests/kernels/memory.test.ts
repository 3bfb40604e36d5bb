// tests/kernels/memory.test.ts — the allocator of kernels/memory.ts: freed blocks of any size serve
// any other size (split, coalesce on both sides, give back to the top), a refused request changes
// no figure of memoryStats(), and a free() that matches no block is an error, not a corruption.
// Sizes stay small: setMemoryLimit() brings "out of memory" within reach without gigabytes.

import { describe, expect, it } from 'vitest';
import { alloc, free, memory, memoryStats, setMemoryLimit } from '../../kernels/index.js';

const KiB = 1024;

describe('the allocator', () => {
  it('serves one big request from many small blocks freed in any order (coalescing on both sides)', () => {
    const blocks = Array.from({ length: 15 }, () => alloc(64 * KiB));
    const reserved = memoryStats().bytesReserved;
    // Free every other block, then the rest: each later free merges with a neighbour on each side.
    for (let i = 0; i < blocks.length; i += 2) free(blocks[i], 64 * KiB);
    for (let i = 1; i < blocks.length; i += 2) free(blocks[i], 64 * KiB);
    const big = alloc(15 * 64 * KiB);
    expect(big).toBe(blocks[0]);
    expect(memoryStats().bytesReserved).toBe(reserved);
    free(big, 15 * 64 * KiB);
  });

  it('merges a hole in the middle with both neighbours, and splits a big free block for a small request', () => {
    const [a, b, c, d, e] = [1, 2, 3, 4, 5].map(() => alloc(4 * KiB));
    free(b, 4 * KiB);
    free(d, 4 * KiB);
    free(c, 4 * KiB); // b, c and d are now one free block of 12 KiB
    const reserved = memoryStats().bytesReserved;
    const x = alloc(12 * KiB);
    expect(x).toBe(b);
    free(x, 12 * KiB);
    const small = alloc(1000); // a piece of the 12 KiB block: rounded up to 1024
    const rest = alloc(11 * KiB); // and the rest of it, exactly
    expect([small, rest]).toEqual([b, b + 1024]);
    expect(memoryStats().bytesReserved).toBe(reserved);
    for (const [p, n] of [[a, 4 * KiB], [e, 4 * KiB], [small, 1000], [rest, 11 * KiB]]) free(p, n);
  });

  it('keeps bytesInUse exact: every block counts its size rounded up to 64, and a free gives it all back', () => {
    const before = memoryStats().bytesInUse;
    const p = alloc(1), q = alloc(65), r = alloc(0);
    expect(memoryStats().bytesInUse - before).toBe(64 + 128 + 64);
    expect(new Set([p, q, r]).size).toBe(3);
    for (const [ptr, n] of [[p, 1], [q, 65], [r, 0]]) free(ptr, n);
    expect(memoryStats().bytesInUse).toBe(before);
  });

  it('refuses a request over the memory limit with a clear error and leaves every figure as it was', () => {
    const previous = setMemoryLimit(memory.buffer.byteLength);
    try {
      const before = memoryStats();
      expect(() => alloc(memory.buffer.byteLength)).toThrow(/out of memory: a block of \d+ bytes does not fit in the \d+ bytes .*bytes in use.*free/);
      expect(() => alloc(2 ** 40)).toThrow(RangeError);
      expect(memoryStats()).toEqual(before);
      const p = alloc(256); // and the allocator still works
      free(p, 256);
      expect(memoryStats().bytesInUse).toBe(before.bytesInUse);
    } finally {
      setMemoryLimit(previous);
    }
  });

  it('refuses a free() that matches no block (a double free, or the wrong size) without changing anything', () => {
    const p = alloc(512);
    expect(() => free(p, 1024)).toThrow(/free\(\d+, 1024\) does not match a block in use \(that block has 512 bytes\)/);
    free(p, 512);
    const before = memoryStats();
    expect(() => free(p, 512)).toThrow(/no block starts there/);
    expect(memoryStats()).toEqual(before);
  });

  it('refuses byte counts that are not non-negative numbers, and limits outside the wasm32 range', () => {
    for (const bad of [-1, Number.NaN, Infinity]) expect(() => alloc(bad)).toThrow(/non-negative byte count/);
    expect(() => setMemoryLimit(2 ** 33)).toThrow(/setMemoryLimit expected a byte count in \[65536, 4294967296\], got 8589934592/);
  });
});
