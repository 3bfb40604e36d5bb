// kernels/gemm-worker.ts — the worker side of the threaded GEMM and of the split optimizer updates:
// the loop a worker thread runs, and the layout of the shared blocks through which the main thread
// (kernels/thread-pool.ts) posts a GEMM cut into row pieces, or an update cut into element ranges.
// It spawns nothing and allocates nothing: kernels/thread-pool.ts does both.
//
// How the code reaches the worker: kernels/threads.ts starts each worker from the *source text* of
// gemmWorkerMain below (`new Worker(source, { eval: true })`), not from a file. Why: tsc compiles
// this file into dist/kernels, but vitest runs the TypeScript sources, and a worker given a path
// needs a .js file at that path in both cases (a build step copying a .mjs, or a loader for .ts).
// Function.prototype.toString gives the compiled JavaScript in both: tsc's output in dist,
// vitest's transform under test. The price is one rule, checked by every threaded test:
//
//   gemmWorkerMain must be self-contained. It may use its parameter and globals (WebAssembly,
//   Atomics, performance, process), nothing imported and nothing else from this module: the
//   worker has no module scope. All it needs (the compiled module, the shared memory, where its
//   blocks are and their layout) arrives in `setup`, through workerData.
//
// A browser Worker could run the same text later: `onmessage = (e) => (${source})(e.data)` in a
// Blob URL. (Coverage tools that instrument functions, like istanbul, would break the rule; v8
// coverage does not.)

/**
 * Two kinds of block, both Int32Arrays over the shared memory, allocated by the main thread:
 *
 * The job block, one per pool: the GEMM being computed, cut into pieces (row ranges of C).
 *   jobSequence  main -> workers, the doorbell. Main writes everything else first, then stores a
 *                new sequence number here with Atomics.store; a worker that Atomics.loads the new
 *                number also sees everything written before it.
 *   piecesDone   pieces finished so far (Atomics.add by whoever finished one); main waits on it.
 *   kind         kind.gemm or kind.update.
 *   args         gemm: the raw export's first 14 arguments (transA .. accumulate, WasmGemmExports in
 *                kernels/types.ts). update: its pointerCount array pointers (0 = no array).
 *   update       update: which export of `updates`; pointerCount: how many pointers it takes;
 *   scalars      update: its (up to 4) number arguments, as Float64 (words 20..27, 8-byte aligned).
 *                A piece [begin, end) of elements runs the export on end - begin floats from
 *                `begin` on: n, each non-zero pointer + 4·begin, the scalars (one that is an
 *                element index, elementIndexScalar, + begin).
 *                window: update is which export of `windows`, args its 12 geometry integers (the
 *                whole batch), windowExtras (words 121..126) the integers it takes next,
 *                windowPointers (words 114..120) its pointers. A piece [begin, end) of
 *                images runs the export on a geometry of end - begin images, each pointer moved on
 *                by `begin` images of what it points to (`windowPointers` in the protocol).
 *   pieces       how many pieces; piece k is rows (or elements) [boundaries[k], boundaries[k + 1]).
 *   pieceState   per piece: the job's sequence number while the piece is open, its bitwise NOT
 *                once a thread has claimed it. Claiming is Atomics.compareExchange(open -> claimed):
 *                exactly one thread wins each piece, and a thread still holding an older job's
 *                sequence can never win a piece of a newer one.
 *   pieceOwner   per piece: who claimed it (0 = main thread, else the worker's id).
 *   pieceResult  per piece: an update's answer for its elements (findNonFinite's index into the
 *                piece, or -1), written before the piece is counted done.
 *
 * The worker block, one per worker:
 *   state        STARTING (zeroed by main), READY, FAILED_TO_START, STOPPED, EXITED (the thread
 *                ended without being asked, e.g. an uncaught error).
 *   stop         set by main to ask the worker to leave its loop.
 *   workspace    byte offset of its packing scratch (gemmWorkspaceBytes), grown by main.
 *   firstPiece   where it starts looking for an open piece, so that threads begin on different ones.
 *   failedJob    the sequence number of a job in which one of its pieces threw; the piece is in
 *                failedPiece and the error's text in message (UTF-16, messageLength code units).
 *   timing       (words 8..15, Float64) when it claimed its first piece of the last job it joined,
 *                when it finished its last piece, and its total time computing (`timing` below).
 */
export const CONTROL_PROTOCOL = {
  job: {
    jobSequence: 0, piecesDone: 16, kind: 17, update: 18, pointerCount: 19, scalars: 20, cut: 28, spinMicroseconds: 29,
    args: 32, pieces: 46, boundaries: 48, windowPointers: 114, windowExtras: 121, pieceState: 128, pieceOwner: 192, pieceResult: 256,
  },
  /**
   * What a job computes (job.kind): a GEMM cut into row or column ranges, an optimizer update cut
   * into element ranges, or a window kernel (kernels/assembly/conv.ts) cut into ranges of images.
   */
  kind: { gemm: 0, update: 1, window: 2 },
  /** How a GEMM job is cut (job.cut): pieces are ranges of C's rows, or of its columns. */
  cut: { rows: 0, columns: 1 },
  /**
   * The element-wise kernels a job can split (job.update is an index into this list): the optimizer
   * updates, the backward passes of ReLU and dropout (3 arrays, no numbers: the scalars the
   * worker passes them are ignored, as a WebAssembly export ignores extra arguments), dropout's
   * forward pass, and the search for NaN and ±Infinity (1 array; its answer, an index into the
   * piece or -1, goes to pieceResult, and the main thread keeps the first piece's that found one).
   */
  updates: ['adamUpdate', 'sgdUpdate', 'rmspropUpdate', 'reluBackward', 'mulInto', 'dropoutForward', 'findNonFinite'],
  /**
   * Per update: which of its scalars is an element index (dropoutForward's `first`, where its
   * mask's counter starts), or -1. A piece [begin, end) passes that scalar plus `begin`, as it
   * moves the pointers on by `begin` floats: so each piece draws the mask the whole call would.
   */
  elementIndexScalar: [-1, -1, -1, -1, -1, 2, -1],
  /**
   * The window kernels a job can split by images (job.update is an index into this list); how many
   * integers each takes after its geometry (conv2dForward: filters, relu; conv2dMaxPoolForward:
   * filters, poolH, poolW; the kernel gradients: filters, (poolH, poolW,) chunks); and what each of their pointers points to: 'in' an image of the input
   * [height, width, channels], 'out' one of the output [outH, outW, channels], 'cols' one image's
   * im2col rows [outH·outW, windowH·windowW·channels], 'y' one of a convolution's output [outH, outW,
   * filters], 'pooled' one of its max-pooled output [outH / poolH, outW / poolW, filters] (rounded
   * down), 'filterRow' a row of filters floats and 'dzRow' one of outW·filters (scratches),
   * 'channelRow' a row of channels floats (one image's sums), 'fixed' the same array for every
   * piece. A 0 pointer (an optional array left out) stays 0 in every piece.
   */
  windows: [
    'im2col', 'col2imInto', 'maxPoolForward', 'maxPoolBackwardInto', 'avgPoolForward', 'avgPoolBackwardInto', 'conv2dForward',
    'conv2dMaxPoolForward', 'conv2dMaxPoolKernelGradInto', 'maxPoolReluBackward', 'conv2dKernelGradInto',
  ],
  windowExtras: [0, 0, 0, 0, 0, 0, 2, 3, 4, 0, 2],
  /**
   * What a piece is: a range of images, or (a kernel gradient, which sums over every image) a range
   * of the chunks of images its sums are cut into (kernels/conv-types.ts' gradientChunks; the chunk
   * count is its last extra), passed after the extras as two more integers.
   */
  windowSplit: ['images', 'images', 'images', 'images', 'images', 'images', 'images', 'images', 'chunks', 'images', 'chunks'],
  windowPointers: [
    ['in', 'cols'], ['cols', 'in'], ['in', 'out'], ['in', 'out', 'out', 'in'], ['in', 'out'], ['out', 'in'],
    ['in', 'fixed', 'fixed', 'y'], ['in', 'fixed', 'fixed', 'pooled', 'pooled', 'filterRow'],
    ['fixed', 'fixed', 'fixed', 'fixed', 'fixed', 'fixed', 'dzRow'], ['in', 'out', 'out', 'in', 'channelRow'],
    ['fixed', 'fixed', 'fixed', 'fixed', 'fixed', 'dzRow'],
  ],
  /** Int32 words of the job block. */
  jobWords: 320,
  worker: { state: 0, stop: 1, workspace: 2, firstPiece: 3, failedJob: 4, failedPiece: 5, messageLength: 6, timing: 8, message: 16 },
  /**
   * Float64 slots from worker word `timing` on (words 8..15), written by the worker, read by the
   * main thread after a job for thread statistics: when it claimed its first piece of the job
   * (milliseconds since the epoch, performance.timeOrigin + performance.now()), when it finished
   * its last, and the milliseconds it has spent computing pieces since it started.
   */
  timing: { firstClaim: 0, lastEnd: 1, busyMilliseconds: 2 },
  /** Int32 words of a worker block's header; the message follows at word 16 (byte 64). */
  workerHeaderWords: 16,
  /** Longest error message kept (longer ones are cut). */
  messageChars: 480,
  /** At most this many pieces per job (boundaries has room for maxPieces + 1 words). */
  maxPieces: 64,
  /** The number of raw-export arguments stored in the job block. */
  argCount: 14,
  state: { starting: 0, ready: 1, failedToStart: 2, stopped: 3, exited: 4 },
} as const;

export type ControlProtocol = typeof CONTROL_PROTOCOL;

/** Bytes of the job block. */
export const JOB_BLOCK_BYTES = CONTROL_PROTOCOL.jobWords * 4;
/** Bytes of one worker block: the header and the message text. */
export const WORKER_BLOCK_BYTES = CONTROL_PROTOCOL.workerHeaderWords * 4 + CONTROL_PROTOCOL.messageChars * 2;

/** What a worker receives (as workerData): all it needs, nothing it could share by accident. */
export interface GemmWorkerSetup {
  /** The compiled kernels; the worker instantiates them on `memory`, as the main thread did. */
  module: WebAssembly.Module;
  /** The one shared WebAssembly.Memory (kernels/memory.ts): tensors, workspaces and these blocks. */
  memory: WebAssembly.Memory;
  /** Byte offsets of the pool's job block and of this worker's own block. */
  jobBlock: number;
  workerBlock: number;
  /** This worker's id in pieceOwner (1, 2, ...; 0 is the main thread). */
  id: number;
  protocol: ControlProtocol;
}

/**
 * A raw export, as the worker calls it (WasmGemmExports in kernels/types.ts documents the
 * arguments): findNonFinite answers a number, the others nothing.
 */
type RawKernel = (...args: number[]) => number | undefined;

/**
 * The worker thread's whole life: instantiate the module on the shared memory, say READY, then:
 * wait for a job, claim and compute open pieces until none is left, and wait again, until asked
 * to stop. See the rule at the top of this file.
 */
export async function gemmWorkerMain(setup: GemmWorkerSetup): Promise<void> {
  const { module, memory, id, protocol } = setup;
  const J = protocol.job;
  const W = protocol.worker;
  const { state } = protocol;
  const job = new Int32Array(memory.buffer, setup.jobBlock, protocol.jobWords);
  const scalars = new Float64Array(memory.buffer, setup.jobBlock + J.scalars * 4, 4);
  const self = new Int32Array(memory.buffer, setup.workerBlock, protocol.workerHeaderWords);
  const text = new Uint16Array(memory.buffer, setup.workerBlock + W.message * 4, protocol.messageChars);
  const times = new Float64Array(memory.buffer, setup.workerBlock + W.timing * 4, 3);
  const T = protocol.timing;
  // Clock readings the main thread can compare with its own: each thread's performance.now()
  // counts from that thread's start, performance.timeOrigin + now() from the epoch on all.
  const origin = performance.timeOrigin;

  /** Leaves an error's text where the main thread reads it. */
  function leaveMessage(error: unknown): void {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const length = Math.min(message.length, protocol.messageChars);
    for (let i = 0; i < length; i++) text[i] = message.charCodeAt(i);
    self[W.messageLength] = length;
  }

  // If this thread ends without being asked (an uncaught error anywhere, process.exit), say so
  // where a waiting main thread looks, and wake it: it may be blocked on piecesDone.
  if (typeof process === 'object' && typeof process.on === 'function') {
    process.on('exit', () => {
      if (Atomics.load(self, W.state) === state.ready) Atomics.store(self, W.state, state.exited);
      Atomics.notify(job, J.piecesDone);
    });
  }

  let gemm: RawKernel;
  let updates: RawKernel[];
  let windows: RawKernel[];
  try {
    const instance = await WebAssembly.instantiate(module, {
      env: {
        memory,
        abort(): never {
          throw new Error('the WebAssembly kernels aborted');
        },
      },
    });
    gemm = instance.exports['gemm'] as RawKernel;
    updates = protocol.updates.map((name) => instance.exports[name] as RawKernel);
    windows = protocol.windows.map((name) => instance.exports[name] as RawKernel);
  } catch (error) {
    leaveMessage(error);
    Atomics.store(self, W.state, state.failedToStart); // publishes the message
    Atomics.notify(job, J.piecesDone);
    return;
  }
  Atomics.store(self, W.state, state.ready);

  const args: number[] = new Array<number>(protocol.argCount).fill(0);
  let seen = 0; // the main thread zeroed jobSequence before starting any worker
  for (;;) {
    // Spin, then sleep. A job posted within spinMicroseconds of the last one is seen within about
    // a microsecond; after that, Atomics.wait sleeps in the kernel (a wake-up costs 15-60 us). The
    // wait returns at once if jobSequence has already moved on, so no doorbell is ever missed.
    // The spin word is read again as we poll: the main thread sets it to 0 to send us to sleep
    // now (it has stopped splitting jobs, and our polling would only take its core time).
    let sequence = Atomics.load(job, J.jobSequence);
    if (sequence === seen) {
      // The clock is read once every 64 polls: each performance.now() allocates its answer, and
      // reading it at every poll made this loop the worker's main source of garbage.
      const spinFrom = performance.now();
      let polls = 0;
      do sequence = Atomics.load(job, J.jobSequence);
      while (sequence === seen && ((++polls & 63) !== 0 || performance.now() - spinFrom < Atomics.load(job, J.spinMicroseconds) / 1000));
      while (sequence === seen) {
        Atomics.wait(job, J.jobSequence, seen);
        sequence = Atomics.load(job, J.jobSequence);
      }
    }
    seen = sequence;
    if (Atomics.load(self, W.stop) !== 0) {
      Atomics.store(self, W.state, state.stopped);
      return;
    }

    // Claim open pieces, starting at our own, until none is left. `pieces` may be stale if this
    // thread woke late and the main thread is already writing the next job: harmless, because
    // only the compareExchange decides, and it fails for every piece not open under `sequence`.
    const pieces = Math.min(job[J.pieces]!, protocol.maxPieces);
    const first = self[W.firstPiece]!;
    let claimed = 0;
    for (let i = 0; i < pieces; i++) {
      const piece = (first + i) % pieces;
      if (Atomics.compareExchange(job, J.pieceState + piece, sequence, ~sequence) !== sequence) continue;
      const started = performance.now();
      if (claimed++ === 0) times[T.firstClaim] = origin + started;
      // This piece is ours, and the job is still `sequence`: the main thread writes the next job
      // only after every piece of this one is done, so the plain reads below are consistent.
      Atomics.store(job, J.pieceOwner + piece, id);
      for (let a = 0; a < protocol.argCount; a++) args[a] = job[J.args + a]!;
      const begin = job[J.boundaries + piece]!;
      const end = job[J.boundaries + piece + 1]!;
      try {
        if (job[J.kind] === protocol.kind.gemm && job[J.cut] === protocol.cut.rows) {
          // Pointers above 2 GiB read back negative from an Int32Array; WebAssembly takes them
          // modulo 2^32, so the module sees the same unsigned byte offset.
          gemm(
            args[0]!, args[1]!, args[2]!, args[3]!, args[4]!, args[5]!, args[6]!, args[7]!, args[8]!, args[9]!,
            args[10]!, args[11]!, args[12]!, args[13]!, self[W.workspace]!, begin, end,
          );
        } else if (job[J.kind] === protocol.kind.gemm) {
          // Columns [begin, end): the GEMM of those columns (thread-pool.ts' runPiece does the same).
          const b = (args[7]! >>> 0) + begin * 4 * (args[1] === 1 ? args[8]! : 1);
          const bias = args[11] === 0 ? 0 : (args[11]! >>> 0) + begin * 4;
          const c = (args[9]! >>> 0) + begin * 4;
          gemm(
            args[0]!, args[1]!, args[2]!, end - begin, args[4]!, args[5]!, args[6]!, b, args[8]!, c,
            args[10]!, bias, args[12]!, args[13]!, self[W.workspace]!, 0, args[2]!,
          );
        } else if (job[J.kind] === protocol.kind.window) {
          // Images [begin, end): args[0..11] is the geometry (batch, height, width, channels,
          // windowH, windowW, strideH, strideW, padTop, padLeft, outH, outW) of the whole batch,
          // then come the kernel's extra integers (filters first, then poolH, poolW) and pointers.
          const which = job[J.update]!;
          const ints = args.slice(0, 12);
          for (let i = 0; i < protocol.windowExtras[which]!; i++) ints.push(job[J.windowExtras + i]!);
          const outPixels = ints[10]! * ints[11]!, channelBytes = ints[3]! * 4, filterBytes = (ints[12] ?? 0) * 4;
          const imageBytes = {
            in: ints[1]! * ints[2]! * channelBytes, out: outPixels * channelBytes, cols: outPixels * ints[4]! * ints[5]! * channelBytes,
            y: outPixels * filterBytes, pooled: Math.floor(ints[10]! / (ints[13] ?? 1)) * Math.floor(ints[11]! / (ints[14] ?? 1)) * filterBytes,
            filterRow: filterBytes, dzRow: ints[11]! * filterBytes, channelRow: channelBytes, fixed: 0,
          };
          if (protocol.windowSplit[which] === 'chunks') ints.push(begin, end);
          else ints[0] = end - begin;
          const roles = protocol.windowPointers[which]!;
          for (let k = 0; k < roles.length; k++) {
            const pointer = job[J.windowPointers + k]! >>> 0;
            ints.push(pointer === 0 ? 0 : pointer + begin * imageBytes[roles[k]!]); // 0: an optional array left out
          }
          windows[which]!(...ints);
        } else {
          // Elements [begin, end): every array moves on by `begin` floats; a 0 pointer (no array) stays 0.
          const offset = begin * 4;
          const p0 = args[0] === 0 ? 0 : (args[0]! >>> 0) + offset;
          const p1 = args[1] === 0 ? 0 : (args[1]! >>> 0) + offset;
          const p2 = args[2] === 0 ? 0 : (args[2]! >>> 0) + offset;
          const p3 = args[3] === 0 ? 0 : (args[3]! >>> 0) + offset;
          const which = job[J.update]!;
          const update = updates[which]!;
          const s2 = protocol.elementIndexScalar[which] === 2 ? scalars[2]! + begin : scalars[2]!;
          const answer = job[J.pointerCount] === 4
            ? update(end - begin, p0, p1, p2, p3, scalars[0]!, scalars[1]!, s2, scalars[3]!)
            : update(end - begin, p0, p1, p2, scalars[0]!, scalars[1]!, s2);
          job[J.pieceResult + piece] = typeof answer === 'number' ? answer : -1;
        }
      } catch (error) {
        leaveMessage(error);
        self[W.failedPiece] = piece;
        self[W.failedJob] = sequence;
      }
      const ended = performance.now();
      times[T.lastEnd] = origin + ended;
      times[T.busyMilliseconds] = times[T.busyMilliseconds]! + (ended - started);
      // Publish: this piece's rows of C (and any failure), and the times above, were written before this Atomics.add.
      if (Atomics.add(job, J.piecesDone, 1) + 1 === pieces) Atomics.notify(job, J.piecesDone);
    }
  }
}
