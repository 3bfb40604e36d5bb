// tests/kernels/threaded.ts — what the thread tests share: blocks in the shared memory, and the
// check that a GEMM split across threads gives the bits of the same GEMM on one. Not a test file.

import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import {
  alloc, free, getThreadThreshold, heapF32, lastGemmDispatch, setThreads, setThreadThreshold, threadsReady,
  type GemmArgs, type Kernels,
} from '../../kernels/index.js';
import { setAdaptiveSplitting } from '../../kernels/threads.js';
import { randomUniform } from '../seeded.js';
import type { Flags } from './flags.js';

/** The threshold a fresh process starts with. */
export const DEFAULT_THRESHOLD = getThreadThreshold();
/** A threshold no GEMM reaches: the one-thread path, whatever setThreads says. */
export const NEVER_SPLIT = Number.MAX_SAFE_INTEGER;

/** A block of `floats` floats, filled from `random` (or with `value`). */
export interface Block {
  ptr: number;
  floats: number;
}

/** Blocks that live until releaseBlocks() (a test file's end). */
export const blocks: Block[] = [];
export function block(floats: number, fill: (() => number) | number, owner: Block[] = blocks): Block {
  const count = Math.max(1, floats);
  const ptr = alloc(count * 4);
  const heap = heapF32();
  for (let i = 0; i < count; i++) heap[(ptr >> 2) + i] = typeof fill === 'number' ? fill : fill();
  const made = { ptr, floats: count };
  owner.push(made);
  return made;
}
export function contents(b: Block): Float32Array {
  return heapF32().slice(b.ptr >> 2, (b.ptr >> 2) + b.floats);
}
/** Frees every block made without an owner (for a file's afterAll). */
export function releaseBlocks(): void {
  for (const b of blocks.splice(0)) free(b.ptr, b.floats * 4);
}

/** Same bits everywhere (NaN payloads included), else the first difference. */
export function expectSameBits(got: Float32Array, expected: Float32Array, where: string): void {
  const gotBits = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const expectedBits = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < got.length; i++) {
    if (gotBits[i] !== expectedBits[i]) expect.fail(`element ${i}: ${got[i]} on N threads, ${expected[i]} on one, at ${where}`);
  }
}

export const TRANSPOSES: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

/**
 * Runs one GEMM on one thread and on the current thread count, on identical inputs (A and B as
 * sub-matrix views with NaN padding, C with guard rows and columns), and checks that the whole of C's
 * block, guards included, has the same bits both times. Returns the dispatch of the threaded run.
 */
export function checkSplitIsExact(
  kernels: Kernels, M: number, N: number, K: number, transA: boolean, transB: boolean, flags: Flags, seed: number,
): ReturnType<typeof lastGemmDispatch> {
  const random = randomUniform(seed);
  const mine: Block[] = [];
  const pad = seed % 3;
  const lda = (transA ? M : K) + pad;
  const ldb = (transB ? K : N) + pad;
  const ldc = N + pad + 1;
  const a = block((transA ? K : M) * lda, random, mine);
  const b = block((transB ? N : K) * ldb, random, mine);
  const bias = block(N, random, mine);
  const cOne = block((M + 2) * ldc, random, mine); // one guard row above and below
  const cMany = block(cOne.floats, 0, mine);
  heapF32().copyWithin(cMany.ptr >> 2, cOne.ptr >> 2, (cOne.ptr >> 2) + cOne.floats);
  const args = (c: Block): GemmArgs => ({
    transA, transB, M, N, K, a: a.ptr, lda, b: b.ptr, ldb, c: c.ptr + ldc * 4, ldc,
    bias: flags.bias ? bias.ptr : 0, relu: flags.relu, accumulate: flags.accumulate,
  });
  setThreadThreshold(NEVER_SPLIT);
  kernels.gemm(args(cOne));
  expect(lastGemmDispatch().threads).toBe(1);
  setThreadThreshold(0);
  kernels.gemm(args(cMany));
  const dispatch = lastGemmDispatch();
  setThreadThreshold(DEFAULT_THRESHOLD);
  expectSameBits(contents(cMany), contents(cOne), `M=${M} N=${N} K=${K} transA=${transA} transB=${transB} ${JSON.stringify(flags)}`);
  for (const m of mine) free(m.ptr, m.floats * 4);
  return dispatch;
}

/**
 * Runs `run` into `one` on one thread, then into `many` with every GEMM split (threshold 0), and
 * returns the dispatch of the split run: for kernels (im2colGemm, gemmCol2im) whose two results a
 * test then compares bit for bit.
 */
export function runOnOneThenTwoThreads(run: (out: number) => void, one: Block, many: Block): ReturnType<typeof lastGemmDispatch> {
  try {
    setThreadThreshold(NEVER_SPLIT);
    run(one.ptr);
    setThreadThreshold(0);
    run(many.ptr);
    return lastGemmDispatch();
  } finally {
    setThreadThreshold(DEFAULT_THRESHOLD);
  }
}

/**
 * The hooks of a thread test file: two threads started and ready before its tests, every GEMM
 * above the threshold split (no adaptive backing off from a slow worker: these tests check the
 * split itself, on a machine that may be busy), the default threshold back after each test, its
 * blocks freed at its end.
 */
export function useTwoThreads(): void {
  beforeAll(async () => {
    setAdaptiveSplitting(false);
    setThreads(2);
    await threadsReady();
  });
  afterEach(() => {
    setThreadThreshold(DEFAULT_THRESHOLD);
  });
  afterAll(releaseBlocks);
}
