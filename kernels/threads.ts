// kernels/threads.ts — the threading settings: how many threads a large GEMM uses (setThreads,
// getThreads), the size below which it stays on one (setThreadThreshold), and where threads come
// from on this platform. It starts no thread and computes nothing: kernels/thread-pool.ts does.
//
// Platforms: Node's worker_threads, and Web Workers on cross-origin-isolated pages (kernels/
// web-workers.ts: a Worker from a Blob URL of the same source; a page's main thread, which may not
// Atomics.wait, only spins). Everything platform-specific is one StartThread function; where none
// exists, or the memory is not shared, everything runs on one thread and getThreads() is 1.

import { gemmWorkerMain, type GemmWorkerSetup } from './gemm-worker.js';
import { isNode, nodeBuiltin, nodeBuiltinNow } from '../runtime/node-builtins.js';
import { isShared } from './memory.js';
import { startWebWorker, webWorkersPossible } from './web-workers.js';

/**
 * GEMMs with M·N·K below this many multiply-adds run on one thread: there, handing a piece to a
 * worker (~1 us when it spins) and its own packing cost more than the split saves. Measured with
 * bench/gemm.ts's threshold table (`npm run bench`, square GEMMs on 1 and 2 threads alternated):
 * two threads break even near 2^16 and win by 1.5x and more from 2^17.5; at 2^17 a busy
 * neighbour can make a split lose. The README quotes the measured table.
 */
const DEFAULT_MINIMUM_THREADED_WORK = 2 ** 17;
/** setThreads refuses more than this: a typo should not start thousands of threads. */
const MAX_THREADS = 64;

// ---- where threads come from --------------------------------------------------------------------

/** What the pool needs of a started thread, on any platform. */
export interface ThreadHandle {
  /** Stops the thread wherever it is (used only on a thread taken for dead). */
  terminate(): void;
  /** Calls `listener` once, when the thread has ended; `error` is why, if it ended by an uncaught error. */
  onExit(listener: (error: Error | null) => void): void;
}

/** Starts a thread that runs gemmWorkerMain(setup), never keeping the process alive. */
export type StartThread = (setup: GemmWorkerSetup) => ThreadHandle;

/** The worker's program: gemm-worker.ts's function as text (see there why not a file). */
export const GEMM_WORKER_SOURCE =
  `const { workerData } = require('node:worker_threads');\n(${gemmWorkerMain.toString()})(workerData);\n`;

interface Platform {
  startThread: StartThread | null;
  /** Why startThread is null; '' when threads are possible. */
  unavailableReason: string;
  /** Cores the runtime says this process may use. */
  parallelism: number;
  /**
   * Whether this thread may block in Atomics.wait: Node and Workers may, a page's main thread may
   * not (browsers throw there), so there the pool only spins while workers finish their pieces.
   */
  mayBlock: boolean;
}

const NO_THREADS = { startThread: null, parallelism: 1, mayBlock: true } as const;

/** Node's worker_threads, from the modules themselves. */
function nodePlatform(workerThreads: typeof import('node:worker_threads'), os: typeof import('node:os')): Platform {
  const startThread: StartThread = (setup) => {
    const worker = new workerThreads.Worker(GEMM_WORKER_SOURCE, { eval: true, workerData: setup });
    // unref: an idle worker (blocked in Atomics.wait) must not keep the process alive. Waking it
    // does not involve the event loop, only the shared memory, so unref'ing costs nothing.
    worker.unref();
    let uncaught: Error | null = null;
    worker.on('error', (error) => (uncaught = error)); // an 'error' with no listener would crash the process
    return {
      terminate: () => void worker.terminate(),
      onExit: (listener) => worker.on('exit', () => listener(uncaught)),
    };
  };
  return { startThread, unavailableReason: '', parallelism: os.availableParallelism(), mayBlock: true };
}

/** True when Atomics.wait may be called on this thread (it throws on a page's main thread). */
function threadMayBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * What this runtime offers, found while this file is imported: Node's worker_threads (from
 * process.getBuiltinModule, Node >= 20.16; older Node has them only through an asynchronous
 * import, so there threads start after `await ready()`), or Web Workers on a cross-origin-isolated
 * page (kernels/web-workers.ts), or nothing.
 */
function detectPlatform(): Platform | Promise<Platform> {
  if (!isShared) {
    const reason = isNode
      ? 'the WebAssembly memory is not shared (no SharedArrayBuffer)'
      : 'this page is not cross-origin isolated, so it has no SharedArrayBuffer (serve it with the headers ' +
        'Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
    return { ...NO_THREADS, unavailableReason: reason };
  }
  if (isNode) {
    const workerThreads = nodeBuiltinNow('node:worker_threads'), os = nodeBuiltinNow('node:os');
    if (workerThreads !== null && os !== null) return nodePlatform(workerThreads, os);
    return Promise.all([nodeBuiltin('node:worker_threads', 'threads'), nodeBuiltin('node:os', 'threads')]).then(([w, o]) => nodePlatform(w, o));
  }
  if (webWorkersPossible()) {
    const cores = typeof navigator === 'object' && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : 1;
    return { startThread: startWebWorker, unavailableReason: '', parallelism: cores, mayBlock: threadMayBlock() };
  }
  return { ...NO_THREADS, unavailableReason: 'this runtime has neither Node worker_threads nor Web Workers' };
}

const detected = detectPlatform();
let platform: Platform = detected instanceof Promise ? { ...NO_THREADS, unavailableReason: 'threads are still starting: `await ready()`' } : detected;

// On a page without isolation, say once why the kernels run on one thread, and what would change it.
if (!isNode && !isShared && typeof console === 'object') {
  console.info(
    'wasmgrad: threads are off (WebAssembly SIMD kernels on one thread): this page is not cross-origin isolated. ' +
      'Serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp to turn them on.',
  );
}

/** How this platform starts a thread; null where worker threads are unavailable (or not yet known). */
export function platformStartThread(): StartThread | null {
  return platform.startThread;
}

/** Whether the calling thread may block in Atomics.wait (false on a page's main thread). */
export function mayBlock(): boolean {
  return platform.mayBlock;
}

/** Why worker threads cannot be used here; '' when they can. */
export let threadsUnavailableReason: string = platform.unavailableReason;

// ---- the settings -----------------------------------------------------------------------------

/** What a pool of threads must do when the settings change (kernels/thread-pool.ts implements it). */
export interface ThreadUser {
  /** Keeps at most `count` worker threads (the main thread is not counted). */
  keepHelpers(count: number): void;
  /** Starts the workers the thread count calls for; resolves when they are ready. */
  ready(): Promise<void>;
}

// Two, where there are two cores: idle, 2 threads run the MNIST MLP's GEMMs 1.8-2.0x faster; with
// a busy neighbour the pool's main thread takes the late worker's pieces, so little is lost.
// In a browser, min(navigator.hardwareConcurrency, 2): the same cap, not measured beyond 2 cores.
const defaultThreads = (p: Platform) => (p.startThread === null ? 1 : Math.max(1, Math.min(2, p.parallelism)));
let threadCount = defaultThreads(platform);
let threadCountChosen = false;

/** Resolves when the platform is known (at once, except on Node < 20.16). */
const platformSettled: Promise<void> = detected instanceof Promise
  ? detected.then((found) => {
    platform = found;
    threadsUnavailableReason = found.unavailableReason;
    if (!threadCountChosen) threadCount = defaultThreads(found);
  }, () => undefined)
  : Promise.resolve();
let minimumThreadedWork = DEFAULT_MINIMUM_THREADED_WORK;
let adaptiveSplitting = true;
/** How a split GEMM is cut (setGemmCut). */
export type GemmCut = 'auto' | 'rows' | 'columns';
let gemmCut: GemmCut = 'auto';
const users = new Set<ThreadUser>();

/** Called by a pool when it is made (and, with `false`, when it is closed): setThreads reaches it. */
export function registerThreadUser(user: ThreadUser, registered = true): void {
  if (registered) users.add(user);
  else users.delete(user);
}

/**
 * Uses `count` threads for each large GEMM from now on: the main thread and count - 1 workers.
 * setThreads(1) stops the workers. Workers start on the first GEMM that needs them (or on
 * threadsReady()) and never keep the process alive. Only the 'wasm' backend uses threads.
 */
export function setThreads(count: number): void {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    const shown = typeof count === 'string' ? JSON.stringify(count) : String(count);
    throw new RangeError(`wasmgrad: setThreads expected a positive integer, got ${shown}`);
  }
  if (count > MAX_THREADS) {
    throw new RangeError(`wasmgrad: setThreads(${count}) asks for more than ${MAX_THREADS} threads`);
  }
  if (count > 1 && platform.startThread === null) {
    throw new Error(`wasmgrad: setThreads(${count}): worker threads are unavailable here: ${platform.unavailableReason}`);
  }
  threadCount = count;
  threadCountChosen = true;
  for (const user of users) user.keepHelpers(count - 1);
}

/** Threads a large GEMM uses (main thread included); 1 where worker threads are unavailable. */
export function getThreads(): number {
  return threadCount;
}

/** After a worker died: back to one thread everywhere, so that the next GEMMs still work. */
export function fallBackToOneThread(): void {
  threadCount = 1;
  for (const user of users) user.keepHelpers(0);
}

/** GEMMs with M·N·K below `multiplyAdds` run on one thread (default 2^17, measured: see above). */
export function setThreadThreshold(multiplyAdds: number): void {
  if (typeof multiplyAdds !== 'number' || !(multiplyAdds >= 0) || multiplyAdds === Infinity) {
    throw new RangeError(`wasmgrad: setThreadThreshold expected a non-negative finite number, got ${String(multiplyAdds)}`);
  }
  minimumThreadedWork = multiplyAdds;
}

/** The M·N·K below which a GEMM stays on one thread. */
export function getThreadThreshold(): number {
  return minimumThreadedWork;
}

/**
 * With `on` (the default), a pool whose workers do not keep up (a busy neighbour holds the other
 * core, so a split GEMM takes longer than the main thread alone would) runs the next jobs of the
 * same kind and size (within a factor of 2) alone, 1, 2, 4, ... up to 256 of them, before it
 * offers one to the workers again; jobs of other sizes are judged on their own. Off, every GEMM above
 * the threshold is split: for tests of the split itself and for benchmarks that time it.
 */
export function setAdaptiveSplitting(on: boolean): void {
  adaptiveSplitting = on;
}

/** Whether pools back off from workers that do not keep up (see setAdaptiveSplitting). */
export function getAdaptiveSplitting(): boolean {
  return adaptiveSplitting;
}

/**
 * How a GEMM split across threads is cut: 'auto' (the default) picks, per GEMM, row pieces or
 * column pieces by what each thread must pack (kernels/thread-pool.ts' chooseCut); 'rows' and
 * 'columns' force one (a GEMM too narrow or too short for it takes the other): for tests of each
 * cut and for benchmarks that compare them. The bits of C are the same whichever cut.
 */
export function setGemmCut(cut: GemmCut): void {
  if (cut !== 'auto' && cut !== 'rows' && cut !== 'columns') {
    throw new RangeError(`wasmgrad: setGemmCut expected 'auto', 'rows' or 'columns', got ${String(cut)}`);
  }
  gemmCut = cut;
}

/** How split GEMMs are cut (see setGemmCut). */
export function getGemmCut(): GemmCut {
  return gemmCut;
}

/** Starts every worker that the thread count calls for and resolves when all are ready to work. */
export async function threadsReady(): Promise<void> {
  await platformSettled;
  await Promise.all([...users].map((user) => user.ready()));
}
