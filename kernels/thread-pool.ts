// kernels/thread-pool.ts — the main side of the threaded GEMM: worker threads that share the one
// WebAssembly.Memory, and the cutting of a large GEMM into row pieces of C. It computes nothing
// itself (the worker side is kernels/gemm-worker.ts, the kernel kernels/assembly/gemm.ts) and
// decides no setting (kernels/threads.ts holds the thread count, the threshold and the platform).
//
// One GEMM on T threads: C is cut into T pieces (2T or 4T where re-packing is cheap: gemmPieces),
// either row ranges on 4-row boundaries (the microkernel's tile height) or column ranges on
// 8-column boundaries (its width), whichever makes each thread pack less (chooseCut): every piece
// packs all of op(B) for its rows, or all of op(A) for its columns, so a 128-row batch times a wide
// layer cuts its columns and the threads share the packing of the weights instead of each doing
// all of it. The main thread writes the job into the pool's job block (gemm-worker.ts documents
// it) and rings; then every thread, main included, claims open pieces with Atomics.compareExchange and
// computes them until none is left; the main thread waits for the last one. On an idle machine
// each thread ends up with its own share, as in a fixed split, and a thread that runs slower (a
// virtual core that the host shares) takes fewer of the pieces. On a busy one (a shared machine) a
// worker may not get a core for ~100 us: then the main thread simply takes its pieces too, and the
// GEMM costs what it costs on one thread instead of waiting. Every element of C is the same sum in
// the same order whichever thread computes it, so the result is bit-identical on 1 and T threads.
// GEMMs whose M·N·K is below the threshold stay on the main thread.

import {
  CONTROL_PROTOCOL, JOB_BLOCK_BYTES, WORKER_BLOCK_BYTES, type GemmWorkerSetup,
} from './gemm-worker.js';
import { alloc, free, memory } from './memory.js';
import {
  fallBackToOneThread, getAdaptiveSplitting, getGemmCut, getThreads, getThreadThreshold, mayBlock, platformStartThread, registerThreadUser,
  type StartThread, type ThreadHandle, type ThreadUser,
} from './threads.js';
import { SplitJudge } from './split-judge.js';
import type { GemmArgs, WasmConvExports, WasmElementwiseExports, WasmGemmExports } from './types.js';

const { job: JOB, worker: WORKER, state: STATE, kind: KIND, cut: CUT, timing: TIMING } = CONTROL_PROTOCOL;

/** The element-wise kernels (optimizer updates and others) a pool can split across threads: any cut gives the same bits. */
export type UpdateName = (typeof CONTROL_PROTOCOL.updates)[number];

/** The window kernels (im2col, col2im, pooling) a pool can split across threads by images. */
export type WindowName = (typeof CONTROL_PROTOCOL.windows)[number];

/** What the pool calls on the main thread: its own instance of the module. */
export type MainThreadKernels = Pick<WasmGemmExports, 'gemm' | 'gemmWorkspaceBytes'> & Pick<WasmElementwiseExports, UpdateName> & Pick<WasmConvExports, WindowName>;

/** Arrays (pointers) each update takes, before its number arguments. */
const UPDATE_POINTERS: Record<UpdateName, 1 | 3 | 4> = {
  adamUpdate: 4, sgdUpdate: 3, rmspropUpdate: 4, reluBackward: 3, mulInto: 3, dropoutForward: 3, findNonFinite: 1,
};

/**
 * Updates (and the other element-wise kernels) of fewer floats than this run on the main thread
 * alone. An update reads and writes each float a few times (Adam: 4 arrays read, 3 written), ~1 us
 * per 4,000 floats; dropout hashes each element's counter, at about the same speed; handing half
 * to a spinning worker costs a few us. Adaptive splitting keeps a size class on one thread where
 * splitting it loses.
 */
const MINIMUM_SPLIT_UPDATE = 2 ** 15;
/**
 * The search for NaN only reads, ~10 floats a ns: below this many floats its half takes less
 * than a worker needs to claim it, and the split loses (measured on 2^16 floats; 2^18 gain).
 */
const MINIMUM_SPLIT_SEARCH = 2 ** 17;

/**
 * Window kernels whose largest array (input, output or columns) holds fewer floats than this run
 * on the main thread alone: like the updates, they move memory, a few floats per ns.
 */
const MINIMUM_SPLIT_WINDOW = 2 ** 15;

/** Rows of C per microkernel tile (MR in kernels/assembly/gemm.ts): row pieces start on multiples of it. */
const ROWS_PER_TILE = 4;
/** Columns of C per microkernel tile (NR): column pieces start on multiples of it. */
const COLUMNS_PER_TILE = 8;
/** Columns of op(B) the kernel packs at once (NC): op(A) is packed again for each such block. */
const COLUMNS_PER_BLOCK = 512;
/**
 * What packing one float costs, in multiply-adds of the microkernel (chooseCut's estimate): a load
 * and a store, often through a transpose, against 8 multiply-adds a cycle in the 4x8 tile.
 */
const PACKED_FLOAT_COST = 8;

/**
 * A GEMM is cut into up to this many pieces per thread, claimed as the threads get free, when the
 * pieces are cheap (PIECE_PACKING_SHARE). Why more than one: on a virtual machine the two cores
 * do not run at one speed (the host runs other work beside them), and within a training step one
 * thread's half of a conv GEMM took up to twice the other's; with one piece each, the fast thread
 * then waits for the slow one. With four each, it takes more pieces, and at most a small piece's
 * time is left to wait for.
 */
const MAX_PIECES_PER_THREAD = 4;
/**
 * More pieces only while what each piece packs again (all of op(B) for a row piece, all of op(A)
 * for a column piece) costs at most this share of the piece's multiply-adds: true of the conv
 * GEMMs (M = 15,488 rows, op(B) 288 x 64), not of the MLP's (a 128-row batch, op(A) 128 x 784
 * packed again by every column piece), which stay at one piece per thread.
 */
const PIECE_PACKING_SHARE = 1 / 32;

/**
 * How long a worker polls for its next job before sleeping (gemm-worker.ts), about a millisecond:
 * longer than the gaps between the GEMMs and updates of a training step, so that within a step a
 * worker never sleeps. Waking a sleeping one is slow in a virtual machine: the main thread spends
 * ~15 us in Atomics.notify and the worker starts ~45 us after the post, on every GEMM posted after
 * a gap longer than the spin (with 50 us, most of a step's). The price is at most a millisecond of
 * one core's polling after the last job; with a busy neighbour, adaptive splitting stops posting.
 */
const DEFAULT_WORKER_SPIN_MICROSECONDS = 1000;
/** How long the main thread polls for the workers' last piece before sleeping in Atomics.wait (likewise). */
const DEFAULT_MAIN_SPIN_MICROSECONDS = 1000;
let workerSpinMicroseconds = DEFAULT_WORKER_SPIN_MICROSECONDS;
let mainSpinMicroseconds = DEFAULT_MAIN_SPIN_MICROSECONDS;

/**
 * Changes how long workers (from their next job on) and the main thread poll before they sleep,
 * in microseconds; no arguments, the defaults. For benchmarks that compare settings.
 */
export function setSpinMicroseconds(worker = DEFAULT_WORKER_SPIN_MICROSECONDS, main = DEFAULT_MAIN_SPIN_MICROSECONDS): void {
  workerSpinMicroseconds = worker;
  mainSpinMicroseconds = main;
}
/**
 * The judge of whole runs (kernels/split-judge.ts) on or off, for benchmarks that compare the pool
 * with and without it (on by default; it acts only while adaptive splitting is on).
 */
let judgingWholeRuns = true;
export function setJudgingWholeRuns(on: boolean): void {
  judgingWholeRuns = on;
}

/**
 * A worker that claims its first piece of a split later than this after the post (or none, in a
 * split whose main thread computed for longer than this) was not polling on a core of its own: the sign of a neighbour (or of a scheduler that put it on
 * the main thread's core) that makes the judge of whole runs try the main thread alone. A polling
 * worker claims within a few microseconds.
 */
const LATE_MILLISECONDS = 0.1;

/**
 * What a float of an update or a window kernel weighs against a GEMM multiply-add in the work the
 * judge counts (it compares windows of the same mix, so the weights matter only where the mix
 * changes): an update float costs ~0.25 ns, a multiply-add ~0.02 ns on one core.
 */
const UPDATE_WORK_PER_FLOAT = 10;
const WINDOW_WORK_PER_FLOAT = 10;

/** While asleep, the main thread wakes this often to check that the workers are still alive. */
const WAIT_SLICE_MILLISECONDS = 100;
/**
 * A worker that holds a piece this long after the main thread ran out of pieces (at least
 * STALL_MINIMUM_MILLISECONDS, or 50 times what the main thread's own pieces took) is taken for
 * dead: a thread killed from outside leaves no trace in the shared memory.
 */
const STALL_MINIMUM_MILLISECONDS = 10_000;
/**
 * Adaptive splitting (setAdaptiveSplitting): a split that took longer than this fraction of what
 * the main thread alone would have taken (estimated from its own pieces' time) counts as lost.
 */
const LOST_SPLIT_FRACTION = 0.95;
/**
 * Splits in a row in which no worker claimed a piece before the main thread had computed them all
 * that are forgiven (not counted as lost). A worker woken from sleep may be placed on the main
 * thread's core for a few milliseconds (a virtual machine's idle core can look busy to the
 * scheduler) and take no piece; backing off then lets it fall asleep again and repeats that,
 * while a few more splits keep it polling until the scheduler moves it. Such a split costs the
 * main thread only the post. A neighbour that keeps the worker off every core is caught after this many.
 */
const ABSENT_SPLITS_FORGIVEN = 4;
/** After lost splits, at most this many jobs of a size class in a row run on the main thread alone. */
const MAX_BACKOFF_JOBS = 256;
/**
 * Adaptive splitting judges jobs by kind (GEMM, update, window kernel) and size class: the
 * power of two of their work (a GEMM's M·N·K, an update's floats, a window kernel's largest
 * array). A lost split pauses only jobs of its own class. Why: in a training step a small job
 * that does not gain from a second thread (a 0.05 ms element-wise pass, where posting and waiting
 * cost what the split saves) loses often, and a pause that reached every job sent the next big
 * GEMM (10 ms on two threads, 19 alone) to one thread: a convnet step lost 10-30% of its conv
 * GEMMs' splits that way. Each class learns on its own whether splitting pays, and a neighbour
 * that takes the other core is still caught, class by class, by the first splits it spoils.
 */
const SIZE_CLASSES = 64;

/** How the last GEMM through a thread pool was cut: for tests and curiosity. */
export interface GemmDispatch {
  /** Threads it was offered to (1 = the main thread alone); it may be cut into more pieces than that (gemmPieces). */
  threads: number;
  /** Piece k is rows [rowBoundaries[k], rowBoundaries[k + 1]) of C (one range, 0..M, for a column cut). */
  rowBoundaries: number[];
  /** Piece k is columns [columnBoundaries[k], columnBoundaries[k + 1]) of C (one range, 0..N, for a row cut). */
  columnBoundaries: number[];
  /** Who computed piece k: 0 the main thread, i > 0 worker i. Depends on timing; the result does not. */
  computedBy: number[];
}

/**
 * The last GEMM's cut, kept in place (no object per GEMM: a training step makes dozens of them):
 * `boundaries` is null when it ran on the main thread alone.
 */
const last = {
  M: 0, N: 0, threads: 1, boundaries: null as number[] | null, cut: CUT.rows as number, owners: new Int32Array(CONTROL_PROTOCOL.maxPieces),
};

/** How the most recent wasm GEMM was cut between threads. */
export function lastGemmDispatch(): GemmDispatch {
  if (last.boundaries === null) return { threads: 1, rowBoundaries: [0, last.M], columnBoundaries: [0, last.N], computedBy: [0] };
  const pieces = last.boundaries.length - 1;
  const byColumns = last.cut === CUT.columns;
  return {
    threads: last.threads,
    rowBoundaries: byColumns ? [0, last.M] : [...last.boundaries],
    columnBoundaries: byColumns ? [...last.boundaries] : [0, last.N],
    computedBy: Array.from(last.owners.subarray(0, pieces)),
  };
}

/**
 * What the pools' threads have cost each other since the process started (or resetThreadStats):
 * counts of GEMMs, and milliseconds summed over every split job (GEMMs, updates, window kernels).
 * A split on an idle machine is fast when the worker claims its piece within microseconds of the
 * post and both threads finish together; the times below say which of these did not happen.
 */
export interface ThreadStats {
  /** GEMMs large enough to split (above the threshold, on more than one thread). */
  gemms: number;
  /** Of those, the ones that were split... */
  splitGemms: number;
  /** ...and the ones adaptive splitting ran on the main thread alone (after splits that lost). */
  backedOffGemms: number;
  /** Jobs of every kind that were split, how many of them no worker joined, and how many adaptive splitting counted as lost. */
  splits: number;
  absentSplits: number;
  lostSplits: number;
  /** The main thread computing its own pieces. */
  mainComputeMilliseconds: number;
  /** The main thread waiting, after its last piece, for the workers' pieces. */
  mainWaitMilliseconds: number;
  /** From the post to a worker's first claim, summed over the splits it joined (its lateness). */
  workerLateMilliseconds: number;
  /**
   * Jobs the judge of whole runs heard of (kernels/split-judge.ts: every job while two or more
   * threads judge), those of them that ran while it kept the main thread alone, above the
   * threshold or not (aloneJobs / judgedJobs: its cost on an idle machine, where splitting wins),
   * and how often it changed mode (probes included).
   */
  judgedJobs: number;
  aloneJobs: number;
  judgeSwitches: number;
  /**
   * The judge's probes (windows run in the mode it does not prefer, to see whether it is faster
   * now): their milliseconds, and those they lost against the preferred mode's window beside
   * each (below 0 where the probes won). judgeProbeLostMilliseconds over a run's wall time is what
   * its exploration cost (kernels/split-judge.ts, ProbeLedger).
   */
  judgeProbeMilliseconds: number;
  judgeProbeLostMilliseconds: number;
  /**
   * Splits a worker joined late (LATE_MILLISECONDS after the post), or not at all although the
   * main thread's pieces took longer than that.
   */
  lateSplits: number;
  /** Workers computing pieces (all workers together). */
  workerComputeMilliseconds: number;
  /** A worker done with its pieces while the main thread still computed its own (it idles). */
  workerIdleMilliseconds: number;
}

const stats: ThreadStats = {
  gemms: 0, splitGemms: 0, backedOffGemms: 0, splits: 0, absentSplits: 0, lostSplits: 0, judgedJobs: 0, aloneJobs: 0, judgeSwitches: 0, lateSplits: 0, mainComputeMilliseconds: 0,
  judgeProbeMilliseconds: 0, judgeProbeLostMilliseconds: 0, mainWaitMilliseconds: 0, workerLateMilliseconds: 0, workerComputeMilliseconds: 0, workerIdleMilliseconds: 0,
};

/** The pools' split statistics so far (a copy). */
export function threadStats(): ThreadStats {
  return { ...stats };
}

/** Sets every figure of threadStats() back to 0 (a benchmark does before the part it measures). */
export function resetThreadStats(): void {
  for (const key of Object.keys(stats) as (keyof ThreadStats)[]) stats[key] = 0;
}

/** splitRange's answers, by (units, pieces, granule): a training step asks for the same few again and again. */
const splits = new Map<number, number[]>();

/** splitRange(units, pieces, granule), computed once (the arrays returned are shared: never modify them). */
function cachedSplit(units: number, pieces: number, granule: number): number[] {
  const key = (units * 128 + pieces) * 16 + granule;
  let boundaries = splits.get(key);
  if (boundaries === undefined) {
    if (splits.size >= 256) splits.clear(); // many shapes: keep the cache bounded
    boundaries = splitRange(units, pieces, granule);
    splits.set(key, boundaries);
  }
  return boundaries;
}

/**
 * Boundaries that cut `units` (rows, columns, floats) into `pieces` ranges starting on multiples
 * of `granule`, as evenly as whole granules allow.
 */
export function splitRange(units: number, pieces: number, granule: number): number[] {
  const granules = Math.ceil(units / granule);
  const boundaries: number[] = [];
  for (let piece = 0; piece <= pieces; piece++) {
    boundaries.push(Math.min(units, Math.round((granules * piece) / pieces) * granule));
  }
  return boundaries;
}

/**
 * Row boundaries that cut M rows into `pieces` ranges on 4-row boundaries, as evenly as whole
 * tiles allow. M = 128 in 2 pieces is 64 + 64; M = 785 is 396 + 389; M = 12 is 8 + 4 (3 tiles
 * cannot split evenly: the larger piece takes 2/3 of the time, still a 1.5x gain).
 */
export function splitRows(M: number, pieces: number): number[] {
  return splitRange(M, pieces, ROWS_PER_TILE);
}

/** Column boundaries that cut N columns into `pieces` ranges on 8-column boundaries (N = 784: 392 + 392). */
export function splitColumns(N: number, pieces: number): number[] {
  return splitRange(N, pieces, COLUMNS_PER_TILE);
}

/**
 * Which way to cut a GEMM into `pieces` (setGemmCut forces one): the cut whose largest piece
 * costs least, counting its multiply-adds and the floats it packs. A row piece packs all of op(B)
 * (K·N floats) and its rows of op(A) once per 512-column block; a column piece packs its columns
 * of op(B) and all of op(A) once per block. So the MNIST MLP's forward and dx GEMMs (M = 128,
 * N = 512) cut their columns, its weight gradients (M = 512..784, K = 128) their rows, and a
 * 10-column layer its rows (two column pieces of 8 and 2 would be uneven).
 */
export function chooseCut(M: number, N: number, K: number, pieces: number): number {
  const forced = getGemmCut();
  const rowTiles = Math.ceil(M / ROWS_PER_TILE);
  const columnTiles = Math.ceil(N / COLUMNS_PER_TILE);
  if (forced === 'rows' || columnTiles < pieces) return CUT.rows;
  if (forced === 'columns' || rowTiles < pieces) return CUT.columns;
  const rows = Math.ceil(rowTiles / pieces) * ROWS_PER_TILE; // the largest piece's
  const columns = Math.ceil(columnTiles / pieces) * COLUMNS_PER_TILE;
  const rowPiece = rows * N * K + PACKED_FLOAT_COST * (K * N + rows * K * Math.ceil(N / COLUMNS_PER_BLOCK));
  const columnPiece = M * columns * K + PACKED_FLOAT_COST * (K * columns + M * K * Math.ceil(columns / COLUMNS_PER_BLOCK));
  return columnPiece < rowPiece ? CUT.columns : CUT.rows;
}

/**
 * How many pieces a GEMM cut (`cut`) between `threads` threads is cut into: one per thread, times
 * 2 or 4 while each piece's repacking stays within PIECE_PACKING_SHARE of its work (and there are
 * tiles enough). Every element of C is the same sum whatever the pieces, so this changes no bit.
 */
export function gemmPieces(M: number, N: number, K: number, threads: number, cut: number): number {
  const byColumns = cut === CUT.columns;
  const tiles = byColumns ? Math.ceil(N / COLUMNS_PER_TILE) : Math.ceil(M / ROWS_PER_TILE);
  const repacked = PACKED_FLOAT_COST * (byColumns ? M * K : K * N); // floats packed again by every piece, in multiply-adds
  let pieces = Math.min(threads, tiles);
  while (pieces * 2 <= Math.min(tiles, threads * MAX_PIECES_PER_THREAD, CONTROL_PROTOCOL.maxPieces)) {
    const work = (M * N * K) / (pieces * 2); // multiply-adds of a piece
    if (repacked > PIECE_PACKING_SHARE * work) break;
    pieces *= 2;
  }
  return pieces;
}

/** Adaptive splitting's size class of a job of `kind` (KIND) doing `work` units: see SIZE_CLASSES. */
function classOf(kind: number, work: number): number {
  return kind * SIZE_CLASSES + Math.min(SIZE_CLASSES - 1, Math.floor(Math.log2(Math.max(1, work))));
}

/** The error a dead or unstartable worker turns into. */
function workerGoneError(what: string): Error {
  return new Error(`wasmgrad: a GEMM worker thread ${what}. GEMMs now run on one thread; setThreads(n) starts new workers.`);
}

// ---- the pool ---------------------------------------------------------------------------------

/** One worker thread as the main thread sees it. */
interface Helper {
  /** Its id in pieceOwner: 1, 2, ... (0 is the main thread). */
  id: number;
  handle: ThreadHandle;
  /** Byte offset of its worker block, and Int32/UTF-16 views of it. */
  block: number;
  words: Int32Array;
  text: Uint16Array;
  /** Bytes of its packing scratch (whose offset is in its block), grown while it is idle. */
  workspaceBytes: number;
  /** Its timing slots (CONTROL_PROTOCOL.timing), and their busy total at the last look. */
  times: Float64Array;
  busySeen: number;
  /** Set once the thread has ended: why, if by an uncaught error. */
  ended: { error: Error | null } | null;
}

export interface GemmThreadPoolOptions {
  /** How threads are started (tests pass their own, to kill one); the platform's by default. */
  startThread?: StartThread;
  /** Least time a worker may hold a piece after the main thread is done before it is taken for dead. */
  stallMilliseconds?: number;
}

/**
 * The threads that run one compiled build of the kernels (kernels/wasm.ts makes one pool per
 * instance): the main thread's instance (`mainThread`) and worker threads running the same
 * `module`. How many workers it keeps follows setThreads; it starts them when a GEMM first needs
 * them. It owns every thread's packing workspace. Its job block lives as long as the process
 * (1 KiB): a stopping worker may still read it.
 */
export class GemmThreadPool implements ThreadUser {
  private readonly helpers: Helper[] = [];
  /** A test's own way to start threads; else the platform's, looked up when needed. */
  private readonly ownStartThread: StartThread | null;
  private readonly stallMilliseconds: number;
  private jobBlock = 0;
  private job = new Int32Array(0);
  /** The last sequence number rung; never 0 (a worker starts having "seen" 0). */
  private sequence = 0;
  private nextId = 1;
  /** The main thread's packing scratch (grown when a GEMM needs more). */
  private mainWorkspace = 0;
  private mainWorkspaceBytes = 0;
  /** The workers ready for the GEMM being posted (reused: no array per GEMM). */
  private readonly readyHelpers: Helper[] = [];
  /** What is being split: the GEMM's arguments, or the update's (kernel, arrays, numbers). */
  private gemmArgs: GemmArgs | null = null;
  /** How it is cut: CUT.rows or CUT.columns. */
  private gemmCut: number = CUT.rows;
  private update: UpdateName = 'adamUpdate';
  private readonly updatePointers = [0, 0, 0, 0];
  private readonly updateScalars = [0, 0, 0, 0];
  private scalarView = new Float64Array(0);
  /** The window kernel being split: its index in CONTROL_PROTOCOL.windows, geometry and pointers. */
  private window = 0;
  private windowInts: readonly number[] = [];
  private windowPointers: readonly number[] = [];
  /**
   * Adaptive splitting, per size class (sizeClass): jobs of that class left to run alone, and how
   * many the next lost split of that class will cost.
   */
  private readonly aloneFor = new Int32Array(3 * SIZE_CLASSES);
  private readonly backoff = new Int32Array(3 * SIZE_CLASSES).fill(1);
  /** Splits in a row that the main thread computed alone (ABSENT_SPLITS_FORGIVEN), of any class: it is the worker's absence. */
  private absentInARow = 0;
  /** Whether splitting pays over whole runs of jobs (kernels/split-judge.ts), and when the last job ended. */
  private readonly judge = new SplitJudge(stats);
  private lastJobEnded = 0;

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly mainThread: MainThreadKernels,
    options: GemmThreadPoolOptions = {},
  ) {
    this.ownStartThread = options.startThread ?? null;
    this.stallMilliseconds = options.stallMilliseconds ?? STALL_MINIMUM_MILLISECONDS;
    registerThreadUser(this);
  }

  private get startThread(): StartThread | null {
    return this.ownStartThread ?? platformStartThread();
  }

  /**
   * C = relu?((accumulate ? C : 0) + op(A)·op(B) + bias) (GemmArgs, already checked by the
   * caller), on as many threads as pay.
   */
  gemm(p: GemmArgs): void {
    const flags = (p.transA ? 1 : 0) + (p.transB ? 2 : 0) + (p.accumulate ? 4 : 0) + (p.relu ? 8 : 0);
    const started = this.beginJob(KIND.gemm + 4 * (flags + 16 * (p.K + 65536 * (p.N + 65536 * p.M))));
    this.gemmOnThreads(p);
    this.endJob(started, p.M * p.N * p.K);
  }

  private gemmOnThreads(p: GemmArgs): void {
    this.checkHelpersAlive();
    const workspaceBytes = this.mainThread.gemmWorkspaceBytes(p.M, p.N, p.K);
    if (workspaceBytes > this.mainWorkspaceBytes) {
      if (this.mainWorkspace !== 0) free(this.mainWorkspace, this.mainWorkspaceBytes);
      this.mainWorkspace = alloc(workspaceBytes);
      this.mainWorkspaceBytes = workspaceBytes;
    }
    const threadCount = getThreads();
    const tiles = Math.max(Math.ceil(p.M / ROWS_PER_TILE), Math.ceil(p.N / COLUMNS_PER_TILE));
    if (threadCount <= 1 || tiles < 2 || p.M * p.N * p.K < getThreadThreshold() || this.startThread === null) {
      this.runAlone(p);
      return;
    }
    stats.gemms++;
    const sizeClass = classOf(KIND.gemm, p.M * p.N * p.K);
    if (this.pausedFor(sizeClass)) {
      stats.backedOffGemms++;
      this.runAlone(p);
      return;
    }
    this.startHelpers(threadCount - 1);
    // Only workers that have finished starting count; one still starting may join in anyway.
    const threads = Math.min(this.countReady() + 1, tiles, CONTROL_PROTOCOL.maxPieces);
    if (threads <= 1) {
      this.runAlone(p);
      return;
    }
    this.gemmArgs = p;
    // An implicit col2im (ldc < 0: C scattered into an image, kernels/assembly/gemm.ts) is cut by
    // rows only: a column piece would add into every pixel of dx beside the others.
    this.gemmCut = p.ldc < 0 ? CUT.rows : chooseCut(p.M, p.N, p.K, threads);
    const byColumns = this.gemmCut === CUT.columns;
    const pieces = gemmPieces(p.M, p.N, p.K, threads, this.gemmCut);
    stats.splitGemms++;
    this.split(KIND.gemm, sizeClass, threads, byColumns ? p.N : p.M, pieces, byColumns ? COLUMNS_PER_TILE : ROWS_PER_TILE, workspaceBytes);
  }

  /**
   * An element-wise kernel (kernels/types.ts' Kernels contract for `name`) on n floats: the arrays
   * `pointers` (0 for an absent slot) and the number arguments `scalars`, in the raw export's
   * order (booleans as 0/1). Large ones are cut into element ranges on 4-float boundaries, so each
   * float takes the same SIMD or scalar path as on one thread: the bits are the same. Returns the
   * kernel's answer: findNonFinite's index into all n floats (the first piece's that found one,
   * moved on by the piece's start), or -1; the other kernels answer nothing (-1).
   */
  runUpdate(name: UpdateName, n: number, p0: number, p1: number, p2: number, p3: number, s0: number, s1: number, s2: number, s3: number): number {
    const started = this.beginJob(KIND.update + 4 * (CONTROL_PROTOCOL.updates.indexOf(name) + 16 * n));
    const answer = this.updateOnThreads(name, n, p0, p1, p2, p3, s0, s1, s2, s3);
    this.endJob(started, UPDATE_WORK_PER_FLOAT * n);
    return answer;
  }

  private updateOnThreads(name: UpdateName, n: number, p0: number, p1: number, p2: number, p3: number, s0: number, s1: number, s2: number, s3: number): number {
    this.checkHelpersAlive();
    this.update = name;
    const pointers = this.updatePointers;
    pointers[0] = p0;
    pointers[1] = p1;
    pointers[2] = p2;
    pointers[3] = UPDATE_POINTERS[name] === 4 ? p3 : 0;
    const scalars = this.updateScalars;
    scalars[0] = s0;
    scalars[1] = s1;
    scalars[2] = s2;
    scalars[3] = s3;
    const threadCount = getThreads();
    const large = threadCount > 1 && n >= (name === 'findNonFinite' ? MINIMUM_SPLIT_SEARCH : MINIMUM_SPLIT_UPDATE) && this.startThread !== null;
    const sizeClass = classOf(KIND.update, n);
    if (large && !this.pausedFor(sizeClass)) {
      this.startHelpers(threadCount - 1);
      const threads = Math.min(this.countReady() + 1, CONTROL_PROTOCOL.maxPieces);
      if (threads > 1) {
        const boundaries = this.split(KIND.update, sizeClass, threads, n, threads, 4, 0);
        for (let piece = 0; piece < threads; piece++) {
          const answer = this.job[JOB.pieceResult + piece]!;
          if (answer >= 0) return boundaries[piece]! + answer;
        }
        return -1;
      }
    }
    last.M = n;
    last.N = 1;
    last.boundaries = null;
    return this.runUpdatePiece(0, n);
  }

  /**
   * A window kernel (kernels/conv-types.ts' contract for `name`) on `ints`, the 12 integers of its
   * geometry (batch first: WasmConvExports' order) and the ones it takes next (windowExtras in
   * gemm-worker.ts), and its `pointers`. Large ones are cut into ranges of images: every image is
   * computed by the same code from its own pixels, so the bits do not depend on the cut.
   */
  runWindow(name: WindowName, ints: readonly number[], pointers: readonly number[]): void {
    const batch = ints[0]!;
    const outPixels = ints[10]! * ints[11]!;
    const floats = batch * Math.max(ints[3]! * ints[1]! * ints[2]!, ints[3]! * outPixels * ints[4]! * ints[5]!, outPixels * (ints[12] ?? 0));
    const which = CONTROL_PROTOCOL.windows.indexOf(name);
    const started = this.beginJob(KIND.window + 4 * (which + 16 * floats));
    this.windowOnThreads(which, ints, pointers, floats);
    this.endJob(started, WINDOW_WORK_PER_FLOAT * floats);
  }

  private windowOnThreads(which: number, ints: readonly number[], pointers: readonly number[], floats: number): void {
    this.checkHelpersAlive();
    this.window = which;
    this.windowInts = ints;
    this.windowPointers = pointers;
    const batch = ints[0]!;
    // What is cut: images, or chunks of images (kernel gradients: their count is the last integer).
    const units = CONTROL_PROTOCOL.windowSplit[this.window] === 'chunks' ? ints[ints.length - 1]! : batch;
    const threadCount = getThreads();
    const large = threadCount > 1 && units >= 2 && floats >= MINIMUM_SPLIT_WINDOW && this.startThread !== null;
    const sizeClass = classOf(KIND.window, floats);
    if (large && !this.pausedFor(sizeClass)) {
      this.startHelpers(threadCount - 1);
      const threads = Math.min(this.countReady() + 1, units, CONTROL_PROTOCOL.maxPieces);
      if (threads > 1) {
        this.split(KIND.window, sizeClass, threads, units, threads, 1, 0); // images (or chunks) one by one
        return;
      }
    }
    last.M = units;
    last.boundaries = null;
    this.runWindowPiece(0, units);
  }

  /**
   * Images [begin, end) of the current window kernel on the main thread: the same offsets as
   * gemm-worker.ts computes (it must stay self-contained, so it cannot share this code).
   */
  private runWindowPiece(begin: number, end: number): void {
    const ints = this.windowInts.slice();
    const outPixels = ints[10]! * ints[11]!, channelBytes = ints[3]! * 4, filterBytes = (ints[12] ?? 0) * 4;
    const imageBytes = {
      in: ints[1]! * ints[2]! * channelBytes, out: outPixels * channelBytes, cols: outPixels * ints[4]! * ints[5]! * channelBytes,
      y: outPixels * filterBytes, pooled: Math.floor(ints[10]! / (ints[13] ?? 1)) * Math.floor(ints[11]! / (ints[14] ?? 1)) * filterBytes,
      filterRow: filterBytes, dzRow: ints[11]! * filterBytes, channelRow: channelBytes, fixed: 0,
    };
    if (CONTROL_PROTOCOL.windowSplit[this.window] === 'chunks') ints.push(begin, end);
    else ints[0] = end - begin;
    const roles = CONTROL_PROTOCOL.windowPointers[this.window]!;
    // A 0 pointer (an optional array left out) stays 0.
    for (let k = 0; k < roles.length; k++) ints.push(this.windowPointers[k] === 0 ? 0 : this.windowPointers[k]! + begin * imageBytes[roles[k]!]);
    (this.mainThread[CONTROL_PROTOCOL.windows[this.window]!] as (...args: number[]) => void)(...ints);
  }

  /** Elements [begin, end) of the current update on the main thread; returns its answer (-1 for none). */
  private runUpdatePiece(begin: number, end: number): number {
    const pointers = this.updatePointers;
    const scalars = this.updateScalars;
    const offset = begin * 4;
    const q0 = pointers[0] === 0 ? 0 : pointers[0]! + offset;
    const q1 = pointers[1] === 0 ? 0 : pointers[1]! + offset;
    const q2 = pointers[2] === 0 ? 0 : pointers[2]! + offset;
    const q3 = pointers[3] === 0 ? 0 : pointers[3]! + offset;
    const n = end - begin;
    const main = this.mainThread;
    if (this.update === 'adamUpdate') main.adamUpdate(n, q0, q1, q2, q3, scalars[0]!, scalars[1]!, scalars[2]!, scalars[3]!);
    else if (this.update === 'rmspropUpdate') main.rmspropUpdate(n, q0, q1, q2, q3, scalars[0]!, scalars[1]!, scalars[2]!, scalars[3]!);
    else if (this.update === 'sgdUpdate') main.sgdUpdate(n, q0, q1, q2, scalars[0]!, scalars[1]!, scalars[2]!);
    else if (this.update === 'reluBackward') main.reluBackward(n, q0, q1, q2, scalars[0]!);
    else if (this.update === 'dropoutForward') main.dropoutForward(n, q0, q1, q2, scalars[0]!, scalars[1]!, scalars[2]! + begin); // `first` moves on with the piece
    else if (this.update === 'findNonFinite') return main.findNonFinite(n, q0);
    else main.mulInto(n, q0, q1, q2);
    return -1;
  }

  /** Workers that have finished starting, into readyHelpers; returns how many. */
  private countReady(): number {
    const ready = this.readyHelpers;
    ready.length = 0;
    for (const helper of this.helpers) if (Atomics.load(helper.words, WORKER.state) === STATE.ready) ready.push(helper);
    return ready.length;
  }

  /**
   * Cuts `units` (rows or columns of C, or floats of an update) into `pieces` on `granule`-unit
   * boundaries, posts the job, computes pieces on the main thread like any worker, waits for the
   * rest, and reports. Returns the boundaries (an update's answers are in pieceResult).
   */
  private split(kind: number, sizeClass: number, threads: number, units: number, pieces: number, granule: number, workspaceBytes: number): readonly number[] {
    const boundaries = cachedSplit(units, pieces, granule);
    const posted = performance.now();
    const sequence = this.post(kind, workspaceBytes, boundaries, this.readyHelpers);

    // The main thread claims pieces like any worker, from piece 0, and keeps going after an error:
    // every piece must be claimed, or the wait below would wait for a piece nobody will compute.
    let mainError: unknown = null;
    let mainUnits = 0;
    let mainMilliseconds = 0;
    for (let piece = 0; piece < pieces; piece++) {
      if (Atomics.compareExchange(this.job, JOB.pieceState + piece, sequence, ~sequence) !== sequence) continue;
      Atomics.store(this.job, JOB.pieceOwner + piece, 0);
      const started = performance.now();
      try {
        if (kind === KIND.gemm) this.runPiece(this.gemmArgs!, this.gemmCut, boundaries[piece]!, boundaries[piece + 1]!);
        else if (kind === KIND.window) this.runWindowPiece(boundaries[piece]!, boundaries[piece + 1]!);
        else this.job[JOB.pieceResult + piece] = this.runUpdatePiece(boundaries[piece]!, boundaries[piece + 1]!);
      } catch (error) {
        mainError ??= error;
      }
      mainMilliseconds += performance.now() - started;
      mainUnits += boundaries[piece + 1]! - boundaries[piece]!;
      Atomics.add(this.job, JOB.piecesDone, 1);
    }
    const mainDone = performance.now();
    const died = this.waitForPieces(pieces, Math.max(this.stallMilliseconds, 50 * mainMilliseconds));
    this.countSplit(posted, mainDone, mainMilliseconds, pieces);
    last.M = kind === KIND.gemm ? this.gemmArgs!.M : units;
    last.N = kind === KIND.gemm ? this.gemmArgs!.N : 1;
    last.cut = kind === KIND.gemm ? this.gemmCut : CUT.rows;
    last.threads = threads;
    last.boundaries = boundaries;
    for (let piece = 0; piece < pieces; piece++) last.owners[piece] = Atomics.load(this.job, JOB.pieceOwner + piece);
    this.judgeSplit(sizeClass, units, mainUnits, mainMilliseconds, performance.now() - posted);
    if (died !== null) {
      fallBackToOneThread();
      throw workerGoneError(died);
    }
    if (mainError !== null) throw mainError;
    for (const helper of this.helpers) {
      // Plain reads are safe: the Atomics.add of piecesDone ordered them after the worker's writes.
      if (Atomics.load(helper.words, WORKER.failedJob) === sequence) {
        const piece = helper.words[WORKER.failedPiece]!;
        const unit = this.gemmCut === CUT.columns ? 'columns' : 'rows';
        const what = kind === KIND.gemm ? `the GEMM failed in worker thread ${helper.id} (${unit}`
          : kind === KIND.window ? `${CONTROL_PROTOCOL.windows[this.window]} failed in worker thread ${helper.id} (images`
          : `${this.update} failed in worker thread ${helper.id} (elements`;
        throw new Error(`wasmgrad: ${what} ${boundaries[piece]}..${boundaries[piece + 1]}): ${this.message(helper)}`);
      }
    }
    return boundaries;
  }

  /**
   * Adds a finished split to threadStats: the main thread's compute and wait, and for each worker
   * that joined (it owns a piece) how late it claimed, how long it computed, how long it idled.
   */
  private countSplit(posted: number, mainDone: number, mainMilliseconds: number, pieces: number): void {
    const now = performance.now();
    const origin = performance.timeOrigin;
    stats.splits++;
    stats.mainComputeMilliseconds += mainMilliseconds;
    stats.mainWaitMilliseconds += now - mainDone;
    let joined = false;
    let late = false;
    for (const helper of this.helpers) {
      const busy = helper.times[TIMING.busyMilliseconds]!;
      stats.workerComputeMilliseconds += busy - helper.busySeen;
      helper.busySeen = busy;
      if (!this.ownsPiece(helper, pieces)) continue;
      joined = true;
      const lateness = Math.max(0, helper.times[TIMING.firstClaim]! - origin - posted);
      stats.workerLateMilliseconds += lateness;
      if (lateness > LATE_MILLISECONDS) late = true;
      stats.workerIdleMilliseconds += Math.max(0, mainDone - (helper.times[TIMING.lastEnd]! - origin));
    }
    if (!joined) stats.absentSplits++;
    // A worker that joined no piece is news only if the main thread's pieces lasted longer than a
    // polling worker needs to claim one: a job of a few microseconds (a small element-wise pass)
    // often ends before an idle machine's worker, polling on its own core, gets there. Counted
    // late, such jobs made the judge of whole runs probe the main thread alone every few windows
    // on an idle machine, and each probe costs a window at one thread's speed.
    const missed = !joined && mainDone - posted > LATE_MILLISECONDS;
    if (late || missed) stats.lateSplits++;
    if (judgingWholeRuns) this.judge.noteSplit(late || missed);
  }

  /** The whole GEMM on the main thread. */
  private runAlone(p: GemmArgs): void {
    last.M = p.M;
    last.N = p.N;
    last.boundaries = null;
    this.runPiece(p, CUT.rows, 0, p.M);
  }

  /** True (and one job fewer to go) while adaptive splitting keeps jobs of `sizeClass` on the main thread. */
  private pausedFor(sizeClass: number): boolean {
    if (!getAdaptiveSplitting()) return false;
    if (!this.judge.splitting && judgingWholeRuns) return true;
    if (this.aloneFor[sizeClass]! === 0) return false;
    this.aloneFor[sizeClass]!--;
    return true;
  }

  /**
   * Adaptive splitting: a split that did not beat the main thread alone (its own rows' time,
   * scaled to all M rows) sends the next `backoff` jobs of its size class to the main thread
   * alone and doubles the class's `backoff`; one that did resets it. The first few splits in a
   * row that no worker joined are forgiven (ABSENT_SPLITS_FORGIVEN). The workers get their
   * chance again after each pause, so when the neighbour leaves, two threads are back within a
   * few hundred jobs (a step or two).
   */
  private judgeSplit(sizeClass: number, M: number, mainRows: number, mainMilliseconds: number, splitMilliseconds: number): void {
    if (mainRows === 0) return; // the workers took everything: no estimate, and no sign of trouble
    // No worker joined a split that the main thread finished sooner than a polling worker claims
    // (countSplit's `missed`): no news of the worker either way. Counted as absences, such short
    // jobs (the search for NaN, small element-wise passes) used up the forgiveness of the GEMMs'.
    if (mainRows === M && mainMilliseconds <= LATE_MILLISECONDS) return;
    if (mainRows < M) this.absentInARow = 0;
    else if (++this.absentInARow <= ABSENT_SPLITS_FORGIVEN) return;
    const aloneMilliseconds = (mainMilliseconds * M) / mainRows;
    if (mainRows < M && splitMilliseconds < LOST_SPLIT_FRACTION * aloneMilliseconds) {
      this.backoff[sizeClass] = 1;
      return;
    }
    stats.lostSplits++;
    this.aloneFor[sizeClass] = this.backoff[sizeClass]!;
    this.backoff[sizeClass] = Math.min(2 * this.backoff[sizeClass]!, MAX_BACKOFF_JOBS);
  }

  /**
   * Rows (CUT.rows) or columns (CUT.columns) [begin, end) of C on the main thread, with its own
   * instance and workspace. A column piece is the GEMM of C's columns begin..end: the same call
   * with N = end - begin and C, op(B) and the bias moved on to column `begin` (gemm-worker.ts does
   * the same).
   */
  private runPiece(p: GemmArgs, cut: number, begin: number, end: number): void {
    const transA = p.transA ? 1 : 0, transB = p.transB ? 1 : 0, relu = p.relu ? 1 : 0, accumulate = p.accumulate ? 1 : 0;
    if (cut === CUT.rows) {
      this.mainThread.gemm(transA, transB, p.M, p.N, p.K, p.a, p.lda, p.b, p.ldb, p.c, p.ldc, p.bias, relu, accumulate, this.mainWorkspace, begin, end);
      return;
    }
    const b = p.b + begin * 4 * (p.transB ? p.ldb : 1);
    const bias = p.bias === 0 ? 0 : p.bias + begin * 4;
    this.mainThread.gemm(transA, transB, p.M, end - begin, p.K, p.a, p.lda, b, p.ldb, p.c + begin * 4, p.ldc, bias, relu, accumulate, this.mainWorkspace, 0, p.M);
  }

  /**
   * A job (GEMM, update, window kernel) with `signature` starts: the judge of whole runs hears of
   * it and of the gap since the last one, and may change its mode, which this job obeys. Returns
   * the time it started.
   */
  private beginJob(signature: number): number {
    const now = performance.now();
    if (!judgingWholeRuns || !getAdaptiveSplitting() || getThreads() <= 1 || this.helpers.length === 0) return now;
    const { judge } = this;
    const wasSplitting = judge.splitting;
    judge.begin(signature, now - this.lastJobEnded);
    if (judge.splitting !== wasSplitting) {
      stats.judgeSwitches++;
      // Alone: the workers stop polling at once (they re-read the word while they poll) and sleep
      // until the next post, which also stores the usual spin again.
      if (!judge.splitting && this.jobBlock !== 0) Atomics.store(this.job, JOB.spinMicroseconds, 0);
      // Splitting again (a probe, or a switch back): adaptive splitting's pauses were earned beside
      // whatever kept the judge alone, and no job used them up since. Left in place, they kept a
      // probe's jobs on the main thread (a probe of the Fashion model split 1 job in 40 ms right
      // after a busy neighbour left), and the trial saw "splitting" no faster than alone.
      if (judge.splitting) this.forgetLostSplits();
    }
    stats.judgedJobs++;
    if (!judge.splitting) stats.aloneJobs++;
    return now;
  }

  /** Adaptive splitting starts afresh: no size class paused, no backoff, no absence counted. */
  private forgetLostSplits(): void {
    this.aloneFor.fill(0);
    this.backoff.fill(1);
    this.absentInARow = 0;
  }

  /** The job begun at `started` is done, having done `work` (multiply-adds, or weighted floats). */
  private endJob(started: number, work: number): void {
    const now = performance.now();
    this.lastJobEnded = now;
    if (judgingWholeRuns && getAdaptiveSplitting()) this.judge.end(work, now - started);
  }

  /** Starts the workers setThreads calls for and resolves when they are ready (rejects if one cannot start). */
  async ready(): Promise<void> {
    if (this.startThread !== null) this.startHelpers(getThreads() - 1);
    for (;;) {
      this.checkHelpersAlive();
      if (this.helpers.every((helper) => Atomics.load(helper.words, WORKER.state) === STATE.ready)) return;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Stops workers beyond the first `count` (they exit; their blocks are freed when they have). */
  keepHelpers(count: number): void {
    let stopped = false;
    while (this.helpers.length > Math.max(0, count)) {
      const helper = this.helpers.pop()!;
      if (helper.ended === null) Atomics.store(helper.words, WORKER.stop, 1);
      stopped = true;
    }
    // Ring with no piece open: every worker wakes, the stopped ones leave, the others sleep again.
    if (stopped) this.ring();
  }

  /** Stops every worker and forgets this pool (setThreads no longer reaches it). */
  close(): void {
    this.keepHelpers(0);
    registerThreadUser(this, false);
    if (this.mainWorkspace !== 0) free(this.mainWorkspace, this.mainWorkspaceBytes);
    this.mainWorkspace = 0;
    this.mainWorkspaceBytes = 0;
  }

  /** Starts workers until there are `count`; each says READY in its block when it can work. */
  private startHelpers(count: number): void {
    if (this.jobBlock === 0 && count > 0) {
      this.jobBlock = alloc(JOB_BLOCK_BYTES);
      new Uint8Array(memory.buffer, this.jobBlock, JOB_BLOCK_BYTES).fill(0); // jobSequence 0: nothing posted
      this.job = new Int32Array(memory.buffer, this.jobBlock, CONTROL_PROTOCOL.jobWords);
      this.scalarView = new Float64Array(memory.buffer, this.jobBlock + JOB.scalars * 4, 4);
    }
    while (this.helpers.length < count) {
      const block = alloc(WORKER_BLOCK_BYTES);
      new Uint8Array(memory.buffer, block, WORKER_BLOCK_BYTES).fill(0); // state STARTING, no workspace
      const id = this.nextId++;
      const setup: GemmWorkerSetup = {
        module: this.module, memory, jobBlock: this.jobBlock, workerBlock: block, id,
        protocol: CONTROL_PROTOCOL,
      };
      const helper: Helper = {
        id,
        handle: this.startThread!(setup),
        block,
        words: new Int32Array(memory.buffer, block, CONTROL_PROTOCOL.workerHeaderWords),
        text: new Uint16Array(memory.buffer, block + WORKER.message * 4, CONTROL_PROTOCOL.messageChars),
        workspaceBytes: 0,
        times: new Float64Array(memory.buffer, block + WORKER.timing * 4, 3),
        busySeen: 0,
        ended: null,
      };
      // Blocks go back to the allocator only once the thread is gone: a live thread might still
      // read its block, and a block reused for a tensor could look like a workspace to it.
      helper.handle.onExit((error) => {
        helper.ended = { error };
        const workspace = helper.words[WORKER.workspace]!;
        if (workspace !== 0) free(workspace >>> 0, helper.workspaceBytes);
        free(block, WORKER_BLOCK_BYTES);
      });
      this.helpers.push(helper);
    }
  }

  /**
   * Throws (after falling back to one thread) if a worker could not start or ended without being
   * asked; its successor starts when setThreads asks again.
   */
  private checkHelpersAlive(): void {
    for (const helper of this.helpers) {
      const state = Atomics.load(helper.words, WORKER.state);
      if (state === STATE.failedToStart) {
        const message = this.message(helper);
        fallBackToOneThread();
        throw workerGoneError(`could not start: ${message}`);
      }
      if (helper.ended !== null || state === STATE.exited) {
        fallBackToOneThread();
        throw workerGoneError(`exited unexpectedly${this.exitCause(helper)}`);
      }
    }
  }

  /**
   * Writes one job into the job block and rings; returns its sequence number. Workers are idle
   * here (the previous job's pieces are all done), so their workspaces can be replaced.
   */
  private post(kind: number, workspaceBytes: number, boundaries: number[], ready: Helper[]): number {
    for (const helper of this.helpers) {
      if (helper.workspaceBytes < workspaceBytes) {
        const old = helper.words[WORKER.workspace]!;
        if (old !== 0) free(old >>> 0, helper.workspaceBytes);
        helper.words[WORKER.workspace] = alloc(workspaceBytes);
        helper.workspaceBytes = workspaceBytes;
      }
      helper.words[WORKER.firstPiece] = 0;
    }
    // Ready worker j starts at piece j + 1, the main thread at piece 0: on an idle machine each
    // claims its own at once, and only a late thread finds its piece taken.
    for (let j = 0; j < ready.length; j++) ready[j]!.words[WORKER.firstPiece] = j + 1;

    const { job } = this;
    const pieces = boundaries.length - 1;
    job[JOB.kind] = kind;
    const args = JOB.args;
    if (kind === KIND.gemm) {
      // The raw export's first 14 arguments, in its order (WasmGemmExports in kernels/types.ts).
      const p = this.gemmArgs!;
      job[args] = p.transA ? 1 : 0;
      job[args + 1] = p.transB ? 1 : 0;
      job[args + 2] = p.M;
      job[args + 3] = p.N;
      job[args + 4] = p.K;
      job[args + 5] = p.a;
      job[args + 6] = p.lda;
      job[args + 7] = p.b;
      job[args + 8] = p.ldb;
      job[args + 9] = p.c;
      job[args + 10] = p.ldc;
      job[args + 11] = p.bias;
      job[args + 12] = p.relu ? 1 : 0;
      job[args + 13] = p.accumulate ? 1 : 0;
      job[JOB.cut] = this.gemmCut;
    } else if (kind === KIND.window) {
      job[JOB.update] = this.window;
      for (let i = 0; i < 12; i++) job[args + i] = this.windowInts[i]!;
      for (let i = 12; i < this.windowInts.length; i++) job[JOB.windowExtras + i - 12] = this.windowInts[i]!;
      this.windowPointers.forEach((pointer, k) => (job[JOB.windowPointers + k] = pointer));
    } else {
      job[JOB.update] = CONTROL_PROTOCOL.updates.indexOf(this.update);
      job[JOB.pointerCount] = UPDATE_POINTERS[this.update];
      for (let i = 0; i < 4; i++) {
        job[args + i] = this.updatePointers[i]!;
        this.scalarView[i] = this.updateScalars[i]!;
      }
    }
    job[JOB.pieces] = pieces;
    Atomics.store(job, JOB.spinMicroseconds, workerSpinMicroseconds);
    for (let k = 0; k <= pieces; k++) job[JOB.boundaries + k] = boundaries[k]!;
    job[JOB.piecesDone] = 0;
    const sequence = this.nextSequence();
    for (let k = 0; k < pieces; k++) {
      job[JOB.pieceOwner + k] = -1;
      // Atomic, because a worker still looking at an older job may compareExchange this word now
      // (and fail: it expects the older sequence number).
      Atomics.store(job, JOB.pieceState + k, sequence);
    }
    // Memory ordering: everything above is written before this Atomics.store of the sequence
    // number, so a worker that Atomics.loads the new number sees all of it. Ringing first would
    // let a spinning worker read half-written args.
    Atomics.store(job, JOB.jobSequence, sequence);
    Atomics.notify(job, JOB.jobSequence); // wakes the sleeping ones; ~0.1 us when all spin
    return sequence;
  }

  /** Rings with nothing new to claim (to wake workers that must read their stop flag). */
  private ring(): void {
    if (this.jobBlock === 0) return;
    Atomics.store(this.job, JOB.jobSequence, this.nextSequence());
    Atomics.notify(this.job, JOB.jobSequence);
  }

  private nextSequence(): number {
    this.sequence = (this.sequence + 1) | 0;
    if (this.sequence === 0) this.sequence = 1;
    return this.sequence;
  }

  /**
   * Waits until all `pieces` are done: spin, then sleep in slices. Returns null, or what happened
   * to a worker that holds a piece and will never finish it.
   */
  private waitForPieces(pieces: number, patienceMilliseconds: number): string | null {
    const { job } = this;
    let done = Atomics.load(job, JOB.piecesDone);
    // The clock once every 64 polls (each performance.now() allocates its answer).
    const spinUntil = performance.now() + mainSpinMicroseconds / 1000;
    let polls = 0;
    while (done !== pieces && ((++polls & 63) !== 0 || performance.now() < spinUntil)) done = Atomics.load(job, JOB.piecesDone);

    const giveUpAt = performance.now() + patienceMilliseconds;
    while (done !== pieces) {
      // The owners of the missing pieces are workers. One whose exit hook said EXITED will never
      // finish; the 'exit' event cannot reach this blocked thread, so the block is our only news.
      const owners = this.helpers.filter((helper) => this.ownsPiece(helper, pieces));
      const dead = owners.find((helper) => Atomics.load(helper.words, WORKER.state) !== STATE.ready);
      if (dead !== undefined) return `exited during a GEMM${this.exitCause(dead)}`;
      if (performance.now() > giveUpAt) {
        for (const owner of owners) owner.handle.terminate(); // so that none can write into C later
        return `did not finish its rows within ${Math.round(patienceMilliseconds)} ms and was stopped`;
      }
      if (mayBlock()) Atomics.wait(job, JOB.piecesDone, done, WAIT_SLICE_MILLISECONDS);
      else {
        // A page's main thread may not sleep: it spins, re-checking the workers every millisecond.
        const until = performance.now() + 1;
        while (Atomics.load(job, JOB.piecesDone) === done && performance.now() < until);
      }
      done = Atomics.load(job, JOB.piecesDone);
    }
    return null;
  }

  private ownsPiece(helper: Helper, pieces: number): boolean {
    for (let k = 0; k < pieces; k++) if (Atomics.load(this.job, JOB.pieceOwner + k) === helper.id) return true;
    return false;
  }

  /** The message a worker left in its block. */
  private message(helper: Helper): string {
    const length = helper.words[WORKER.messageLength]!;
    return String.fromCharCode(...helper.text.subarray(0, length));
  }

  private exitCause(helper: Helper): string {
    const error = helper.ended?.error;
    return error ? `: ${error.message}` : '';
  }
}
