// kernels/wasm.ts — loads the WebAssembly SIMD kernels (kernels/assembly/index.ts: the GEMM and the
// element-wise loops, embedded by scripts/embed-wasm.mjs) into the one memory and wraps them as
// the 'wasm' Kernels backend.
// It does not compute anything itself, and it never sets V8 flags: it takes what the runtime offers.
//
// Two builds of the same source ship: 'relaxed' (relaxed-SIMD FMA, ~30% faster) and 'simd' (plain
// simd128 mul+add). Node >= 22 and current browsers validate the relaxed one; Node 20 only does when
// started with --experimental-wasm-relaxed-simd. We pick the relaxed build when
// WebAssembly.validate accepts it, else the simd build, else no wasm backend (wasmKernels = null,
// with the reason in wasmUnavailableReason) and kernels/index.ts falls back to the reference.

import { alloc, isShared, memory } from './memory.js';
import { GemmThreadPool } from './thread-pool.js';
import { convKernelsFromExports, geometryArgs } from './conv-wasm.js';
import type { WindowGeometry } from './conv-types.js';
import type { GemmArgs, GemmCol2imArgs, Im2colGemmArgs, Kernels, WasmConvExports, WasmElementwiseExports, WasmGemmExports } from './types.js';
import { relaxedUnsharedWasmBase64, relaxedWasmBase64, simdUnsharedWasmBase64, simdWasmBase64 } from './wasm-binary.js';

/** Which compiled build of kernels/assembly/index.ts. */
export type WasmBuild = 'relaxed' | 'simd';

export type { WasmElementwiseExports, WasmGemmExports } from './types.js';

/** Everything one instance of the module exports (the raw signatures are in kernels/types.ts). */
export type WasmExports = WasmGemmExports & WasmElementwiseExports & WasmConvExports;

/** memory.ts never hands out the first 64 KiB: the module's static data must fit below it. */
const RESERVED_LOW_BYTES = 64 * 1024;

const DESCRIPTIONS: Record<WasmBuild, string> = {
  relaxed: 'WebAssembly relaxed-simd FMA, 4x8 microkernel',
  simd: 'WebAssembly simd128 mul+add, 4x8 microkernel',
};

/** Base64 to bytes, in Node and in browsers (atob is global in both since Node 16). */
function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  if (typeof atob === 'function') {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }
  const nodeBuffer = (globalThis as { Buffer?: { from(text: string, encoding: 'base64'): Uint8Array } }).Buffer;
  if (nodeBuffer !== undefined) return new Uint8Array(nodeBuffer.from(text, 'base64'));
  throw new Error('wasmgrad: cannot decode the embedded WebAssembly (neither atob nor Buffer exists)');
}

/**
 * The bytes of one build, over the kind of memory kernels/memory.ts made: shared (threads
 * possible) or, where SharedArrayBuffer is missing (a page that is not cross-origin isolated),
 * plain. A module that imports a shared memory cannot be instantiated on a plain one, and the
 * other way round, so both kinds ship; the code inside is the same.
 */
export function wasmBytes(build: WasmBuild): Uint8Array<ArrayBuffer> {
  if (isShared) return decodeBase64(build === 'relaxed' ? relaxedWasmBase64 : simdWasmBase64);
  return decodeBase64(build === 'relaxed' ? relaxedUnsharedWasmBase64 : simdUnsharedWasmBase64);
}

/** True when this runtime accepts that build (relaxed: Node >= 22, browsers, or Node 20 with the flag). */
export function wasmBuildValidates(build: WasmBuild): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(wasmBytes(build));
}

/** What the module imports: the one memory, and abort(). */
function gemmImports(): WebAssembly.Imports {
  return {
    env: {
      memory,
      // AssemblyScript imports abort() when an assertion can fail; this build has none
      // (noAssert), but a debug build would, and its message deserves to be seen.
      abort(message: number, fileName: number, line: number, column: number): never {
        throw new Error(`wasmgrad: the GEMM module aborted at ${line}:${column} (message ptr ${message}, file ptr ${fileName})`);
      },
    },
  };
}

/** The instance's exports, once its static data is known to fit below the tensors. */
function checkedExports(instance: WebAssembly.Instance): WasmExports {
  const exports = instance.exports as unknown as WasmExports;
  const staticEnd = exports.staticDataEnd();
  if (staticEnd > RESERVED_LOW_BYTES) {
    // Its static data would overlap tensors that memory.ts hands out: refuse, loudly.
    throw new Error(
      `wasmgrad: the GEMM module's static data ends at byte ${staticEnd}, past the ${RESERVED_LOW_BYTES} bytes ` +
        'that kernels/memory.ts reserves for it: raise RESERVED_LOW_BYTES there',
    );
  }
  return exports;
}

/**
 * Instantiates a compiled build on the memory and checks it. (Worker threads instantiate the
 * same Module themselves, in kernels/gemm-worker.ts: this module's imports are main-thread ones.)
 */
export async function instantiateGemm(module: WebAssembly.Module): Promise<WasmExports> {
  return checkedExports(await WebAssembly.instantiate(module, gemmImports()));
}

/** Throws a readable error for sizes or leading dimensions that would read or write out of bounds. */
function checkGemmArgs(p: GemmArgs): void {
  const { M, N, K } = p;
  if (!(Number.isInteger(M) && Number.isInteger(N) && Number.isInteger(K) && M >= 0 && N >= 0 && K >= 0)) {
    throw new RangeError(`wasmgrad: gemm expected non-negative integer sizes, got M=${M} N=${N} K=${K}`);
  }
  // Stored widths (floats per row) of A (M x K, or K x M with transA), B (K x N, or N x K), C (M x N).
  const widthA = p.transA ? M : K;
  const widthB = p.transB ? K : N;
  if (p.lda < widthA || p.ldb < widthB || p.ldc < N) {
    throw new RangeError(
      `wasmgrad: gemm leading dimensions too small: lda=${p.lda} (needs >= ${widthA}), ` +
        `ldb=${p.ldb} (needs >= ${widthB}), ldc=${p.ldc} (needs >= ${N})`,
    );
  }
}

/**
 * The lda that tells the GEMM export its A is an implicit im2col (kernels/assembly/gemm.ts): `a`
 * then points to a descriptor, the image's offset and its 12 geometry integers (13 i32 words).
 */
const IMPLICIT_IM2COL = -1;
const IM2COL_DESCRIPTOR_WORDS = 13;

/** Writes an image's descriptor (its offset, checked, then the geometry) at `descriptor`. */
function writeDescriptor(descriptor: number, image: number, geometry: readonly number[], what: string): void {
  if (!Number.isInteger(image) || image <= 0 || image % 4 !== 0) throw new RangeError(`wasmgrad: ${what} as a positive 4-byte-aligned offset, got ${image}`);
  new Int32Array(memory.buffer, descriptor, IM2COL_DESCRIPTOR_WORDS).set([image, ...geometry]);
}

/**
 * im2colGemm as the GEMM export takes it: M and K from the geometry, A as a descriptor written at
 * `descriptor` (the pool passes a and lda on to its workers untouched), checked like gemm's.
 */
function im2colGemmArgs(g: WindowGeometry, x: number, p: Im2colGemmArgs, descriptor: number): GemmArgs {
  const geometry = geometryArgs(g, 'im2colGemm');
  const rows = g.batch * g.outH * g.outW, depth = g.windowH * g.windowW * g.channels;
  const [M, K] = p.transA ? [depth, rows] : [rows, depth];
  checkGemmArgs({ ...p, M, K, a: 0, lda: p.transA ? M : K });
  writeDescriptor(descriptor, x, geometry, 'im2colGemm expected the image x');
  return { ...p, M, K, a: descriptor, lda: IMPLICIT_IM2COL };
}

/** The ldc that tells the GEMM export its C is an implicit col2im: `c` then points to a descriptor of dx (the same 13 words). */
const IMPLICIT_COL2IM = -1;

/**
 * gemmCol2im as the GEMM export takes it: M and N from the geometry, C as a descriptor of dx
 * written at `descriptor`, checked like gemm's.
 */
function gemmCol2imArgs(g: WindowGeometry, dx: number, p: GemmCol2imArgs, descriptor: number): GemmArgs {
  const geometry = geometryArgs(g, 'gemmCol2im');
  const M = g.batch * g.outH * g.outW, N = g.windowH * g.windowW * g.channels;
  checkGemmArgs({ ...p, M, N, c: 0, ldc: N, bias: 0, relu: false });
  writeDescriptor(descriptor, dx, geometry, 'gemmCol2im expected the image dx');
  return { ...p, M, N, c: descriptor, ldc: IMPLICIT_COL2IM, bias: 0, relu: false };
}

/**
 * Throws a readable error for a count that is not a non-negative integer (a fraction or NaN would
 * be silently truncated on its way into an i32). The kernels check nothing themselves.
 */
function checkCount(n: number, what: string): void {
  if (!(Number.isInteger(n) && n >= 0 && n <= 0x7fffffff)) {
    throw new RangeError(`wasmgrad: ${what} expected a non-negative integer count, got ${n}`);
  }
}

/**
 * Wraps one instance as a Kernels: checks the arguments (the kernels check nothing themselves),
 * turns booleans into 0/1, and hands GEMMs and optimizer updates to the instance's own pool of
 * worker threads running the same `module` (kernels/thread-pool.ts: large ones only; it owns the
 * packing workspaces).
 */
function kernelsFromExports(exports: WasmExports, build: WasmBuild, module: WebAssembly.Module): Kernels {
  const threads = new GemmThreadPool(module, exports);
  const descriptor = alloc(4 * IM2COL_DESCRIPTOR_WORDS); // one, reused: GEMMs run one after another
  return {
    name: 'wasm',
    description: DESCRIPTIONS[build],
    gemm(p) {
      checkGemmArgs(p);
      threads.gemm(p);
    },
    gemmCol2im(g, dx, p) {
      threads.gemm(gemmCol2imArgs(g, dx, p, descriptor));
    },
    im2colGemm(g, x, p) {
      threads.gemm(im2colGemmArgs(g, x, p, descriptor));
    },
    // The optimizer updates of large parameters, large dropout forward and backward and ReLU
    // backward passes, and the search for NaN and ±Infinity are split across the threads too
    // (element ranges: the same bits and answers on any number of threads).
    adamUpdate(n, w, g, m, v, lrT, beta1, beta2, epsilon) {
      checkCount(n, 'adamUpdate');
      threads.runUpdate('adamUpdate', n, w, g, m, v, lrT, beta1, beta2, epsilon);
    },
    sgdUpdate(n, w, g, velocity, lr, momentum, nesterov) {
      checkCount(n, 'sgdUpdate');
      threads.runUpdate('sgdUpdate', n, w, g, velocity, 0, lr, momentum, nesterov ? 1 : 0, 0);
    },
    rmspropUpdate(n, w, g, ms, mom, lr, rho, momentum, epsilon) {
      checkCount(n, 'rmspropUpdate');
      threads.runUpdate('rmspropUpdate', n, w, g, ms, mom, lr, rho, momentum, epsilon);
    },
    dropoutForward(n, x, out, mask, seed, rate) {
      checkCount(n, 'dropoutForward');
      if (!(rate >= 0 && rate < 1)) throw new RangeError(`wasmgrad: dropoutForward expected a rate in [0, 1), got ${rate}`);
      threads.runUpdate('dropoutForward', n, x, out, mask, 0, seed, rate, 0, 0); // first = 0: the whole tensor
    },
    mulInto(n, dx, dout, mask) {
      checkCount(n, 'mulInto');
      threads.runUpdate('mulInto', n, dx, dout, mask, 0, 0, 0, 0, 0);
    },
    reluBackward(n, dz, dout, y, scale = 1) {
      checkCount(n, 'reluBackward');
      threads.runUpdate('reluBackward', n, dz, dout, y, 0, scale, 0, 0, 0);
    },
    columnSumsInto(rows, cols, db, dz) {
      checkCount(rows, 'columnSumsInto');
      checkCount(cols, 'columnSumsInto');
      exports.columnSumsInto(rows, cols, db, dz);
    },
    fill(n, ptr, value) {
      checkCount(n, 'fill');
      exports.fill(n, ptr, value);
    },
    findNonFinite(n, x) {
      checkCount(n, 'findNonFinite');
      return threads.runUpdate('findNonFinite', n, x, 0, 0, 0, 0, 0, 0, 0);
    },
    ...convKernelsFromExports(exports, (name, ints, pointers) => threads.runWindow(name, ints, pointers)),
  } satisfies Kernels;
}

/** Why a build cannot run here, or null when it can. */
function unavailableReason(build: WasmBuild): string | null {
  if (typeof WebAssembly !== 'object') return 'WebAssembly is not available in this runtime';
  if (!wasmBuildValidates(build)) {
    return build === 'relaxed'
      ? 'this runtime does not validate relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd)'
      : `this runtime does not validate WebAssembly SIMD (simd128)${isShared ? ' with a shared memory' : ''}`;
  }
  return null;
}

/**
 * Compiles and instantiates one build as a separate Kernels (its own instance and workspace).
 * For benchmarks and tests that compare builds; the library itself uses wasmKernels.
 */
export async function createWasmKernels(build: WasmBuild): Promise<Kernels> {
  const reason = unavailableReason(build);
  if (reason !== null) throw new Error(`wasmgrad: the '${build}' GEMM build cannot run here: ${reason}`);
  const module = await WebAssembly.compile(wasmBytes(build));
  return kernelsFromExports(await instantiateGemm(module), build, module);
}

interface Loaded {
  kernels: Kernels | null;
  module: WebAssembly.Module | null;
  build: WasmBuild | null;
  reason: string;
}

// Loading. Preferred first: the FMA build, then plain simd128; the first that validates and
// instantiates wins. Where the runtime allows it (Node, a Worker) the module is compiled
// synchronously while this file is imported, so the kernels are there at once. A page's main
// thread refuses synchronous compilation of modules over 4 KB (Chromium throws a RangeError):
// there it compiles asynchronously, and ready() (kernels/index.ts) resolves when it is done.

/** The builds this runtime validates, best first; why each other one cannot run goes into `reasons`. */
function candidates(reasons: string[]): WasmBuild[] {
  return (['relaxed', 'simd'] as const).filter((build) => {
    const reason = unavailableReason(build);
    if (reason !== null) reasons.push(reason);
    return reason === null;
  });
}

/** Why a build that validated did not load. A bug in the build itself (static data) throws. */
function failure(build: WasmBuild, error: unknown): string {
  if (error instanceof Error && error.message.includes('static data')) throw error;
  return `instantiating the '${build}' build failed: ${String(error)}`;
}

/** None loaded: the simd build's reason is the one that matters (the relaxed one is only an upgrade). */
function noneLoaded(reasons: string[]): Loaded {
  return { kernels: null, module: null, build: null, reason: reasons[reasons.length - 1]! };
}

/** Loads synchronously; null where this thread refuses synchronous compilation. */
function loadSynchronously(): Loaded | null {
  const reasons: string[] = [];
  for (const build of candidates(reasons)) {
    try {
      const module = new WebAssembly.Module(wasmBytes(build));
      const exports = checkedExports(new WebAssembly.Instance(module, gemmImports()));
      return { kernels: kernelsFromExports(exports, build, module), module, build, reason: '' };
    } catch (error) {
      if (error instanceof RangeError) return null; // "use WebAssembly.compile" on a page's main thread
      reasons.push(failure(build, error));
    }
  }
  return noneLoaded(reasons);
}

async function loadAsynchronously(): Promise<Loaded> {
  const reasons: string[] = [];
  for (const build of candidates(reasons)) {
    try {
      const module = await WebAssembly.compile(wasmBytes(build));
      return { kernels: kernelsFromExports(await instantiateGemm(module), build, module), module, build, reason: '' };
    } catch (error) {
      reasons.push(failure(build, error));
    }
  }
  return noneLoaded(reasons);
}

/** The 'wasm' backend, or null where it cannot run (then see wasmUnavailableReason) or is still loading. */
export let wasmKernels: Kernels | null = null;
/** Why wasmKernels is null; '' when it is available (or still loading: see wasmLoaded). */
export let wasmUnavailableReason = '';
/** The compiled module behind wasmKernels, for worker threads to instantiate (instantiateGemm). */
export let wasmModule: WebAssembly.Module | null = null;
/** Which build wasmKernels runs: 'relaxed' (FMA) or 'simd' (mul+add); null when unavailable. */
export let wasmBuild: WasmBuild | null = null;

function settle(loaded: Loaded): void {
  wasmKernels = loaded.kernels;
  wasmUnavailableReason = loaded.reason;
  wasmModule = loaded.module;
  wasmBuild = loaded.build;
}

const loadedNow = loadSynchronously();
if (loadedNow !== null) settle(loadedNow);

/** False until the kernels have loaded (or failed to): only ever false on a page's main thread. */
export let wasmSettled = loadedNow !== null;

/** Resolves once loading is over, successfully or not (at once where it was synchronous). */
export const wasmLoaded: Promise<void> = loadedNow !== null
  ? Promise.resolve()
  : loadAsynchronously().then(settle, (error: unknown) => settle(noneLoaded([String(error)]))).then(() => {
    wasmSettled = true;
  });
