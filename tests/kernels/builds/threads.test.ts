// tests/kernels/builds/threads.test.ts — the threaded GEMM of each compiled build under test
// (tests/kernels/builds.ts) gives the same bits on 1 and N threads, on ragged sizes, every layout
// and every epilogue, and its workers really take part. No timings are asserted.
//
// The files in tests/kernels/builds/ are the ones that depend on the build: vitest.config.ts runs
// them again in the relaxed-SIMD project, for the relaxed build only.

import { describe, expect, it } from 'vitest';
import { setThreads, threadsReady } from '../../../kernels/index.js';
import { builds, kernelsByBuild } from '../builds.js';
import { ALL_FLAGS } from '../flags.js';
import { checkSplitIsExact, TRANSPOSES, useTwoThreads } from '../threaded.js';

// Ragged in every direction: M not a multiple of 4 (and of 8: two pieces of whole tiles cannot be
// equal), N not a multiple of 8 and past the 512-wide blocks, K past the 256-deep blocks, M past
// the 128-row blocks (so that a piece starts inside one); the seed model's M = 128 shapes.
const SHAPES: [number, number, number][] = [
  [8, 1, 1], [9, 5, 3], [12, 17, 9], [13, 785, 5], [37, 41, 300], [64, 9, 513], [130, 10, 512],
  [128, 512, 512], [257, 63, 128], [785, 33, 17],
];

useTwoThreads();

describe.each(builds)('%s build: 1 thread and N threads give the same bits', (build) => {
  const kernels = kernelsByBuild.get(build)!;

  describe.each(TRANSPOSES)('transA=%s transB=%s', (transA, transB) => {
    it.each(SHAPES)('M=%i N=%i K=%i, every epilogue, on 2 threads', (M, N, K) => {
      ALL_FLAGS.forEach((flags, index) => {
        const dispatch = checkSplitIsExact(kernels, M, N, K, transA, transB, flags, M * 7919 + N * 31 + K + index);
        expect(dispatch.threads).toBe(2);
      });
    });
  });

  it('on 3 threads (more threads than cores still splits exactly)', async () => {
    setThreads(3);
    try {
      await threadsReady();
      for (const [M, N, K] of [[37, 41, 300], [130, 10, 512], [785, 33, 17]] as const) {
        const dispatch = checkSplitIsExact(kernels, M, N, K, false, true, ALL_FLAGS[7]!, M + N + K);
        expect(dispatch.threads).toBe(3);
      }
    } finally {
      setThreads(2);
      await threadsReady();
    }
  });

  it('lets the workers compute pieces, not only the main thread', () => {
    // Which thread claims a piece is timing (a busy machine may keep a worker off its core for a
    // while): retry until a worker took one.
    let byWorker = false;
    for (let attempt = 0; attempt < 100 && !byWorker; attempt++) {
      const dispatch = checkSplitIsExact(kernels, 128, 512, 512, false, false, ALL_FLAGS[attempt % ALL_FLAGS.length]!, attempt);
      byWorker = dispatch.computedBy.some((who) => who !== 0);
    }
    expect(byWorker).toBe(true);
  });
});

