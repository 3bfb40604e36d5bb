// tests/kernels/threads.test.ts — the threads' build-independent behaviour (kernels/threads.ts,
// kernels/thread-pool.ts, kernels/gemm-worker.ts): the defaults, the row split, the threshold,
// setThreads' validation, worker errors and deaths surfacing, and a process that ends. That every
// build gives the same bits on 1 and N threads is tests/kernels/builds/threads.test.ts.
// No timings are asserted: speed is bench/gemm.ts's business.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import ts from 'typescript';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  alloc, free, gemm, getThreads, getThreadThreshold, lastGemmDispatch, memory, resetThreadStats, setThreads, setThreadThreshold,
  threadStats, threadsReady, type GemmArgs,
} from '../../kernels/index.js';
import { CONTROL_PROTOCOL } from '../../kernels/gemm-worker.js';
import { GemmThreadPool, gemmPieces, setJudgingWholeRuns, splitRows, type MainThreadKernels } from '../../kernels/thread-pool.js';
import { GEMM_WORKER_SOURCE, getAdaptiveSplitting, setAdaptiveSplitting, setGemmCut, type StartThread, type ThreadHandle } from '../../kernels/threads.js';
import { instantiateGemm, wasmKernels, wasmModule } from '../../kernels/wasm.js';
import { ALL_FLAGS } from './flags.js';
import { block, checkSplitIsExact, DEFAULT_THRESHOLD, useTwoThreads } from './threaded.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
useTwoThreads();

describe('defaults', () => {
  it('uses min(2, available cores) threads, a threshold of 2^17 multiply-adds, and adaptive splitting', async () => {
    // A fresh process, since this file's beforeAll has already set the count.
    const { stdout } = runNode(
      "import { getThreads, getThreadThreshold } from './kernels/index.js';\n" +
        "import { getAdaptiveSplitting } from './kernels/threads.js';\n" +
        'console.log(JSON.stringify([getThreads(), getThreadThreshold(), getAdaptiveSplitting()]));\n',
    );
    expect(JSON.parse(stdout)).toEqual([Math.min(2, availableParallelism()), 2 ** 17, true]);
  });
});

describe('the row and column splits', () => {
  it('cuts on 4-row boundaries, as evenly as whole tiles allow', () => {
    expect(splitRows(128, 2)).toEqual([0, 64, 128]);
    expect(splitRows(785, 2)).toEqual([0, 396, 785]);
    expect(splitRows(12, 2)).toEqual([0, 8, 12]);
    expect(splitRows(784, 8)).toEqual([0, 100, 196, 296, 392, 492, 588, 688, 784]);
    for (const M of [8, 9, 13, 130, 257, 785]) {
      // The pool never asks for more pieces than there are 4-row tiles.
      for (const pieces of [2, 3, 4, 8].filter((count) => count <= Math.ceil(M / 4))) {
        const boundaries = splitRows(M, pieces);
        expect(boundaries[0]).toBe(0);
        expect(boundaries[pieces]).toBe(M);
        for (let k = 1; k <= pieces; k++) {
          if (k < pieces) expect(boundaries[k]! % 4).toBe(0);
          expect(boundaries[k]!).toBeGreaterThan(boundaries[k - 1]!); // no empty piece
        }
      }
    }
  });

  it("cuts the MNIST MLP's GEMMs into one piece per thread", () => {
    const dispatchOf = (M: number, N: number, K: number) => {
      const a = block(M * K, 0.5);
      const b = block(K * N, 0.25);
      const c = block(M * N, 0);
      gemm({ transA: true, transB: false, M, N, K, a: a.ptr, lda: M, b: b.ptr, ldb: N, c: c.ptr, ldc: N, bias: 0, relu: false, accumulate: false });
      return lastGemmDispatch();
    };
    // A 128-row batch times a wide layer: column pieces, each thread packs half of op(B).
    expect(dispatchOf(128, 512, 512)).toMatchObject({ rowBoundaries: [0, 128], columnBoundaries: [0, 256, 512] });
    expect(dispatchOf(128, 784, 512)).toMatchObject({ rowBoundaries: [0, 128], columnBoundaries: [0, 392, 784] });
    // Weight gradients (K = 128, M >= N) and a 10-column layer: row pieces.
    expect(dispatchOf(512, 512, 128)).toMatchObject({ rowBoundaries: [0, 256, 512], columnBoundaries: [0, 512] });
    expect(dispatchOf(784, 512, 128)).toMatchObject({ rowBoundaries: [0, 392, 784], columnBoundaries: [0, 512] });
    expect(dispatchOf(128, 10, 512)).toMatchObject({ rowBoundaries: [0, 64, 128], columnBoundaries: [0, 10] });
  });

  it("cuts the convnet's tall GEMMs into 4 pieces a thread where op(B) is cheap to pack again, the others into 1", () => {
    const { rows } = CONTROL_PROTOCOL.cut;
    expect(gemmPieces(15488, 64, 288, 2, rows)).toBe(8); // conv2 forward: cols · kernel (op(B) 288 x 64)
    expect(gemmPieces(15488, 288, 64, 2, rows)).toBe(8); // conv2 dcols: dz · kernelᵀ
    expect(gemmPieces(288, 64, 15488, 2, rows)).toBe(2); // conv2 dkernel: every piece packs all 15,488 x 64 of dz
    expect(gemmPieces(15488, 64, 288, 3, rows)).toBe(12);
    expect(gemmPieces(8, 8, 1000, 2, rows)).toBe(2); // never more pieces than tiles
  });

  it("counts splits and each thread's time in threadStats()", () => {
    // Which thread computes which piece is timing: retry until both took one (in the same split).
    let both = false;
    for (let attempt = 0; attempt < 50 && !both; attempt++) {
      resetThreadStats();
      const { computedBy } = checkSplitIsExact(wasmKernels!, 128, 512, 512, false, false, ALL_FLAGS[0]!, attempt);
      both = computedBy.includes(0) && computedBy.some((who) => who !== 0); // workers restarted by an earlier test have other numbers than 1
    }
    const stats = threadStats();
    expect(both).toBe(true);
    expect(stats.gemms).toBe(stats.splitGemms); // adaptive splitting is off in these tests
    expect(stats.splits).toBe(stats.splitGemms);
    expect(stats.absentSplits).toBeLessThan(stats.splits);
    expect(stats.mainComputeMilliseconds).toBeGreaterThan(0);
    expect(stats.workerComputeMilliseconds).toBeGreaterThan(0);
    resetThreadStats();
    expect(threadStats()).toMatchObject({ gemms: 0, splits: 0, workerComputeMilliseconds: 0 });
  });

  it('counts in threadStats() the jobs the judge of whole runs heard of, and those it ran on the main thread alone', () => {
    resetThreadStats();
    checkSplitIsExact(wasmKernels!, 64, 64, 64, false, false, ALL_FLAGS[0]!, 1);
    expect(threadStats().judgedJobs).toBe(0); // adaptive splitting is off in these tests, and the judge with it
    setAdaptiveSplitting(true);
    onTestFinished(() => setAdaptiveSplitting(false));
    resetThreadStats();
    for (let call = 0; call < 5; call++) checkSplitIsExact(wasmKernels!, 64, 64, 64, false, false, ALL_FLAGS[0]!, call);
    const stats = threadStats();
    expect(stats.judgedJobs).toBe(10); // each call: the GEMM on one thread, then split
    expect(stats.aloneJobs).toBeLessThanOrEqual(stats.judgedJobs);
  });

  it('computes operands that live past where the memory was when the workers started (it grew since)', () => {
    const before = memory.buffer.byteLength;
    const filler = alloc(before); // forces the shared memory to grow
    try {
      const dispatch = checkSplitIsExact(wasmKernels!, 128, 300, 200, false, false, ALL_FLAGS[5]!, 99);
      expect(memory.buffer.byteLength).toBeGreaterThan(before);
      expect(dispatch.threads).toBe(2);
    } finally {
      free(filler, before);
    }
  });
});

describe('the threshold', () => {
  const M = 128;
  const N = 512;
  const K = 512;
  let args: GemmArgs;
  beforeAll(() => {
    const a = block(M * K, 0.5);
    const b = block(K * N, 0.25);
    const c = block(M * N, 0);
    args = { transA: false, transB: false, M, N, K, a: a.ptr, lda: K, b: b.ptr, ldb: N, c: c.ptr, ldc: N, bias: 0, relu: false, accumulate: false };
  });

  it('keeps GEMMs below 2^17 multiply-adds on one thread, and splits larger ones', () => {
    gemm({ ...args, M: 8, N: 8, K: 8 }); // 512
    expect(lastGemmDispatch().threads).toBe(1);
    gemm({ ...args, M: 64, N: 63, K: 32 }); // 129,024: just below
    expect(lastGemmDispatch().threads).toBe(1);
    gemm({ ...args, M: 64, N: 64, K: 32 }); // 131,072 = 2^17
    expect(lastGemmDispatch().threads).toBe(2);
    gemm(args);
    expect(lastGemmDispatch().threads).toBe(2);
  });

  it('never splits a GEMM of one 4x8 tile, whatever the threshold; cuts the columns of one 4-row tile', () => {
    setThreadThreshold(0);
    gemm({ ...args, M: 4, N: 8 });
    expect(lastGemmDispatch()).toEqual({ threads: 1, rowBoundaries: [0, 4], columnBoundaries: [0, 8], computedBy: [0] });
    gemm({ ...args, M: 4 });
    expect(lastGemmDispatch()).toMatchObject({ threads: 2, rowBoundaries: [0, 4], columnBoundaries: [0, 256, 512] });
  });

  it('setGemmCut forces a cut, and rejects what is not a cut', () => {
    try {
      setGemmCut('rows');
      gemm(args);
      expect(lastGemmDispatch()).toMatchObject({ rowBoundaries: [0, 64, 128], columnBoundaries: [0, 512] });
      setGemmCut('columns');
      gemm({ ...args, N: 10 });
      expect(lastGemmDispatch()).toMatchObject({ rowBoundaries: [0, 128], columnBoundaries: [0, 8, 10] });
      gemm({ ...args, N: 8 }); // one column tile: rows after all
      expect(lastGemmDispatch()).toMatchObject({ rowBoundaries: [0, 64, 128], columnBoundaries: [0, 8] });
      expect(() => setGemmCut('diagonal' as 'rows')).toThrow(/setGemmCut expected 'auto', 'rows' or 'columns', got diagonal/);
    } finally {
      setGemmCut('auto');
    }
  });

  it('setThreads(1) stops splitting, setThreads(2) starts again', async () => {
    setThreads(1);
    expect(getThreads()).toBe(1);
    gemm(args);
    expect(lastGemmDispatch().threads).toBe(1);
    setThreads(2);
    await threadsReady();
    gemm(args);
    expect(lastGemmDispatch().threads).toBe(2);
  });

  it('setThreadThreshold rejects what is not a non-negative finite number', () => {
    expect(() => setThreadThreshold(-1)).toThrow(/setThreadThreshold expected a non-negative finite number, got -1/);
    expect(() => setThreadThreshold(NaN)).toThrow(RangeError);
    expect(() => setThreadThreshold(Infinity)).toThrow(RangeError);
    expect(getThreadThreshold()).toBe(DEFAULT_THRESHOLD);
  });
});

describe('setThreads validation', () => {
  it('rejects non-positive, non-integer and absurd counts with a clear message, and keeps the old count', () => {
    expect(() => setThreads(0)).toThrow(/setThreads expected a positive integer, got 0/);
    expect(() => setThreads(-2)).toThrow(/setThreads expected a positive integer, got -2/);
    expect(() => setThreads(1.5)).toThrow(/setThreads expected a positive integer, got 1\.5/);
    expect(() => setThreads(NaN)).toThrow(/got NaN/);
    expect(() => setThreads(Infinity)).toThrow(/got Infinity/);
    expect(() => setThreads('2' as unknown as number)).toThrow(/got "2"/);
    expect(() => setThreads(0)).toThrow(RangeError);
    expect(() => setThreads(65)).toThrow(/more than 64 threads/);
    expect(getThreads()).toBe(2);
  });
});

describe('errors in workers surface on the main thread', () => {
  it("a worker's trap is thrown by gemm(), and the threads keep working", () => {
    // op(A)'s rows 64.. lie past the end of the memory: only the piece with rows 64..128 traps.
    setGemmCut('rows');
    onTestFinished(() => setGemmCut('auto'));
    const [M, N, K] = [128, 256, 512];
    const b = block(K * N, 0.25);
    const c = block(M * N, 0);
    const args = (a: number): GemmArgs => ({
      transA: false, transB: false, M, N, K, a, lda: K, b: b.ptr, ldb: N, c: c.ptr, ldc: N, bias: 0, relu: false, accumulate: false,
    });
    const inBounds = block(M * K, 0.5);
    gemm(args(inBounds.ptr)); // workspaces exist now: the memory will not grow during the next calls
    // Retry until a worker (not the main thread) took the failing piece: which thread does is timing.
    let workerMessage: string | null = null;
    for (let attempt = 0; attempt < 50 && workerMessage === null; attempt++) {
      const pastTheEnd = memory.buffer.byteLength - 64 * K * 4;
      let message = '';
      try {
        gemm(args(pastTheEnd));
      } catch (error) {
        message = String(error);
      }
      expect(message).toMatch(/memory access out of bounds/);
      if (lastGemmDispatch().computedBy[1] !== 0) workerMessage = message;
    }
    expect(workerMessage).toMatch(/the GEMM failed in worker thread \d+ \(rows 64\.\.128\): RuntimeError: memory access out of bounds/);
    expect(getThreads()).toBe(2);
    gemm(args(inBounds.ptr));
    expect(lastGemmDispatch().threads).toBe(2);
  });
});

// ---- pools of our own, with threads a test can kill -----------------------------------------------

/** Starts the real worker, optionally after `prelude` (source that runs first in the worker). */
function startThreadWith(prelude: string, started: Worker[]): StartThread {
  return (setup): ThreadHandle => {
    const worker = new Worker(`${prelude}\n${GEMM_WORKER_SOURCE}`, { eval: true, workerData: setup });
    worker.unref();
    started.push(worker);
    let uncaught: Error | null = null;
    worker.on('error', (error) => (uncaught = error));
    return { terminate: () => void worker.terminate(), onExit: (listener) => worker.on('exit', () => listener(uncaught)) };
  };
}

/** A prelude that replaces the module's gemm export in the worker by `body`. */
function replaceGemmExport(body: string): string {
  return `WebAssembly.instantiate = async () => ({ exports: { gemm: () => { ${body} } } });`;
}

describe('a worker that dies', () => {
  const [M, N, K] = [128, 64, 64];
  let args: GemmArgs;
  /** The main thread's instance, slowed down: piece 0 lingers `linger` ms so that the worker claims piece 1. */
  let lingeringMainThread: MainThreadKernels;
  let linger = 0;
  /** While set, performance.now() reads this clock, which only the lingering moves: timings become exact. */
  let frozenClock: { now: number } | null = null;
  const pools: GemmThreadPool[] = [];

  beforeAll(async () => {
    const mainThread = await instantiateGemm(wasmModule!);
    lingeringMainThread = {
      ...mainThread,
      gemm: (...raw) => {
        mainThread.gemm(...raw);
        const rowBegin = raw[15];
        if (rowBegin === 0 && frozenClock !== null) frozenClock.now += linger;
        else if (rowBegin === 0) {
          const until = performance.now() + linger;
          while (performance.now() < until); // busy: Atomics.wait would do, but this is the main thread's own work
        }
      },
    };
    const a = block(M * K, 0.5);
    const b = block(K * N, 0.25);
    const c = block(M * N, 0);
    args = { transA: false, transB: false, M, N, K, a: a.ptr, lda: K, b: b.ptr, ldb: N, c: c.ptr, ldc: N, bias: 0, relu: false, accumulate: false };
  });
  afterEach(async () => {
    linger = 0;
    for (const pool of pools.splice(0)) pool.close();
    setThreads(2); // a death falls back to one thread everywhere
    await threadsReady();
  });

  /** A pool of our own on the lingering main thread, whose workers start through `startThread`. */
  function poolWith(startThread: StartThread, stallMilliseconds?: number): GemmThreadPool {
    const pool = new GemmThreadPool(wasmModule!, lingeringMainThread, { startThread, stallMilliseconds });
    pools.push(pool);
    return pool;
  }

  it('while idle: the next GEMM says so, and GEMMs go on on one thread', async () => {
    const started: Worker[] = [];
    const pool = poolWith(startThreadWith('', started));
    await pool.ready();
    setThreadThreshold(0);
    await started[0]!.terminate();
    await new Promise((resolve) => setTimeout(resolve, 10)); // the 'exit' event
    expect(() => pool.gemm(args)).toThrow(
      /a GEMM worker thread exited unexpectedly\. GEMMs now run on one thread; setThreads\(n\) starts new workers\./,
    );
    expect(getThreads()).toBe(1);
    pool.gemm(args);
    expect(lastGemmDispatch().threads).toBe(1);
  });

  it('during a GEMM (its exit hook wakes the main thread)', async () => {
    const started: Worker[] = [];
    const pool = poolWith(startThreadWith(replaceGemmExport('process.exit(3);'), started));
    await pool.ready();
    setThreadThreshold(0);
    let thrown = '';
    for (linger = 20; thrown === '' && linger < 5000; linger *= 2) {
      try {
        pool.gemm(args);
      } catch (error) {
        thrown = String(error);
      }
    }
    expect(thrown).toMatch(/a GEMM worker thread exited during a GEMM\. GEMMs now run on one thread/);
    expect(getThreads()).toBe(1);
  });

  it('that hangs: after the stall limit it is stopped and the GEMM throws', async () => {
    const started: Worker[] = [];
    const hang = 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);';
    const pool = poolWith(startThreadWith(replaceGemmExport(hang), started), 200);
    await pool.ready();
    setThreadThreshold(0);
    let thrown = '';
    for (linger = 20; thrown === '' && linger < 5000; linger *= 2) {
      try {
        pool.gemm(args);
      } catch (error) {
        thrown = String(error);
      }
    }
    expect(thrown).toMatch(/a GEMM worker thread did not finish its rows within \d+ ms and was stopped/);
    await new Promise<void>((resolve) => started[0]!.once('exit', () => resolve()));
  });

  it('adaptive splitting: after a split that lost to the main thread alone, the next GEMMs run alone (1, 2, 4, ...)', async () => {
    // A worker that takes 60 ms for any piece: every split loses to the main thread alone (twice
    // its 20 ms). The main thread lingers on its piece, so the worker claims its own even on a
    // machine busy enough to keep it waiting for a core that long (a split that no worker joins is
    // forgiven a few times, and would change the sequence: the next tests).
    const slow = 'const until = performance.now() + 60; while (performance.now() < until);';
    const pool = poolWith(startThreadWith(replaceGemmExport(slow), []));
    await pool.ready();
    setThreadThreshold(0);
    linger = 20;
    expect(getAdaptiveSplitting()).toBe(false); // as useTwoThreads() left it
    setAdaptiveSplitting(true);
    setJudgingWholeRuns(false); // these tests are of the per-size-class backing off alone
    try {
      const threadsUsed: number[] = [];
      for (let call = 0; call < 11; call++) {
        pool.gemm(args);
        threadsUsed.push(lastGemmDispatch().threads);
      }
      expect(threadsUsed).toEqual([2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 2]);
      setAdaptiveSplitting(false); // off: every GEMM is split again
      pool.gemm(args);
      expect(lastGemmDispatch().threads).toBe(2);
    } finally {
      setAdaptiveSplitting(false);
      setJudgingWholeRuns(true);
    }
  });

  it('adaptive splitting: a lost split pauses only GEMMs of its own size class (a power of two of M·N·K)', async () => {
    // As above: the main thread lingers 20 ms, a piece takes 60.
    const slow = 'const until = performance.now() + 60; while (performance.now() < until);';
    const pool = poolWith(startThreadWith(replaceGemmExport(slow), []));
    await pool.ready();
    setThreadThreshold(0);
    linger = 20;
    setAdaptiveSplitting(true);
    setJudgingWholeRuns(false); // these tests are of the per-size-class backing off alone
    try {
      const small = { ...args, M: 32 }; // 2^17 multiply-adds against args' 2^19: another class
      const threadsUsed: number[] = [];
      for (const call of [args, small, args, small, args]) {
        pool.gemm(call);
        threadsUsed.push(lastGemmDispatch().threads);
      }
      // Each class loses its first split and runs its next GEMM alone, whatever the other did.
      expect(threadsUsed).toEqual([2, 2, 1, 1, 2]);
    } finally {
      setAdaptiveSplitting(false);
      setJudgingWholeRuns(true);
    }
  });

  it('adaptive splitting: splits that no worker joins are forgiven 4 times in a row, then count as lost', async () => {
    // A worker whose every claim fails: the main thread computes every piece itself, lingering
    // longer than a polling worker needs to claim (a shorter split says nothing of the worker:
    // the next test).
    const absent = 'Atomics.compareExchange = () => 0;';
    const pool = poolWith(startThreadWith(absent, []));
    await pool.ready();
    setThreadThreshold(0);
    linger = 0.5;
    setAdaptiveSplitting(true);
    setJudgingWholeRuns(false); // these tests are of the per-size-class backing off alone
    try {
      const threadsUsed: number[] = [];
      for (let call = 0; call < 9; call++) {
        pool.gemm(args);
        threadsUsed.push(lastGemmDispatch().threads);
        expect(lastGemmDispatch().computedBy.every((who) => who === 0) || lastGemmDispatch().threads === 1).toBe(true);
      }
      expect(threadsUsed).toEqual([2, 2, 2, 2, 2, 1, 2, 1, 1]);
    } finally {
      setAdaptiveSplitting(false);
      setJudgingWholeRuns(true);
    }
  });

  it('a split that no worker joined counts as late, or lost, only if the main thread computed for longer than a polling worker needs to claim', async () => {
    // The judge of whole runs probes the main thread alone after windows with many late splits: a
    // job of a few microseconds, done before an idle worker claims, must not count.
    const absent = 'Atomics.compareExchange = () => 0;';
    const pool = poolWith(startThreadWith(absent, []));
    await pool.ready();
    setThreadThreshold(0);
    const tiny = { ...args, M: 4, N: 16, K: 4, lda: 4, ldb: 16, ldc: 16 };
    // The pool's clock stands still but for the lingering: a busy test machine that preempts the
    // main thread, or a first call that compiles, would otherwise make a short split look long.
    const clock = { now: performance.now() };
    frozenClock = clock;
    vi.spyOn(performance, 'now').mockImplementation(() => clock.now);
    onTestFinished(() => {
      frozenClock = null;
      vi.restoreAllMocks();
    });
    const lateSplitsOf = (lingerMilliseconds: number): number => {
      linger = lingerMilliseconds;
      resetThreadStats();
      for (let call = 0; call < 3; call++) pool.gemm(tiny);
      expect(threadStats().absentSplits).toBe(3);
      return threadStats().lateSplits;
    };
    expect(lateSplitsOf(0), 'short splits').toBe(0);
    expect(lateSplitsOf(0.5), 'splits of 0.5 ms').toBe(3);
    // Nor does adaptive splitting count short ones as lost, however many in a row: all split.
    setAdaptiveSplitting(true);
    setJudgingWholeRuns(false);
    try {
      linger = 0;
      const threadsUsed: number[] = [];
      for (let call = 0; call < 9; call++) {
        pool.gemm(tiny);
        threadsUsed.push(lastGemmDispatch().threads);
      }
      expect(threadsUsed).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 2]);
    } finally {
      setAdaptiveSplitting(false);
      setJudgingWholeRuns(true);
    }
  });

  it('that cannot start: ready() rejects with its error', async () => {
    const started: Worker[] = [];
    const prelude = "WebAssembly.instantiate = async () => { throw new TypeError('no WebAssembly today'); };";
    const pool = poolWith(startThreadWith(prelude, started));
    await expect(pool.ready()).rejects.toThrow(/a GEMM worker thread could not start: TypeError: no WebAssembly today/);
    expect(getThreads()).toBe(1);
  });
});

// ---- a process that uses threads ends by itself -------------------------------------------------

let compiledDirectory: string | null = null;

/**
 * Runs `script` (ES module source) with plain `node`, in a directory holding kernels/ compiled from
 * the TypeScript sources under test (not dist/, which may be stale). Gives it 20 s to end.
 */
function runNode(script: string): { stdout: string; status: number | null } {
  if (compiledDirectory === null) {
    compiledDirectory = mkdtempSync(join(tmpdir(), 'wasmgrad-threads-'));
    writeFileSync(join(compiledDirectory, 'package.json'), '{ "type": "module" }\n');
    // kernels/ and the one room below it, runtime/ (Node's modules by name).
    for (const folder of ['kernels', 'runtime']) {
      mkdirSync(join(compiledDirectory, folder));
      for (const file of readdirSync(join(root, folder)).filter((name) => name.endsWith('.ts'))) {
        const { outputText } = ts.transpileModule(readFileSync(join(root, folder, file), 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        });
        writeFileSync(join(compiledDirectory, folder, file.replace(/\.ts$/, '.js')), outputText);
      }
    }
  }
  const scriptFile = join(compiledDirectory, `script-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(scriptFile, script);
  const result = spawnSync(process.execPath, [...process.execArgv.filter((flag) => flag.startsWith('--experimental-wasm')), scriptFile], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (result.status !== 0) {
    expect.fail(`node ${scriptFile} ended with status ${result.status}, signal ${result.signal}: ${result.stderr}`);
  }
  return { stdout: result.stdout, status: result.status };
}
afterAll(() => {
  if (compiledDirectory !== null) rmSync(compiledDirectory, { recursive: true, force: true });
});

describe('a process that used worker threads', () => {
  it('ends by itself once its work is done (workers never keep it alive)', () => {
    const { stdout } = runNode(`
      import { alloc, gemm, lastGemmDispatch, setThreads, threadsReady } from './kernels/index.js';
      import { setAdaptiveSplitting } from './kernels/threads.js';
      setAdaptiveSplitting(false); // the machine may be busy: the split is what this process must use
      setThreads(2);
      await threadsReady();
      const [M, N, K] = [128, 256, 256];
      const a = alloc(M * K * 4), b = alloc(K * N * 4), c = alloc(M * N * 4);
      for (let i = 0; i < 20; i++) {
        gemm({ transA: false, transB: false, M, N, K, a, lda: K, b, ldb: N, c, ldc: N, bias: 0, relu: false, accumulate: false });
      }
      console.log('threads ' + lastGemmDispatch().threads);
    `);
    expect(stdout.trim()).toBe('threads 2');
  });
});
