// kernels/memory.ts — the one WebAssembly.Memory that every tensor lives in, and its allocator.
//
// This is the address space shared by the TypeScript side and the WASM kernels: a pointer here is
// a byte offset into `memory.buffer`, so a kernel reads a tensor where it already lies and a matmul
// copies nothing. It knows nothing of tensors or autograd: it hands out and takes back blocks.
//
// Why shared memory: worker threads need it, and growing a *shared* memory keeps every existing
// Float32Array view valid (growing a non-shared one detaches them all). Where SharedArrayBuffer is
// unavailable (a browser page that is not cross-origin isolated) we fall back to a plain memory;
// views then detach on growth, which is why callers re-derive views through `generation`.
//
// The allocator: blocks are rounded up to size classes (four classes per power of two, so at most
// 25% is wasted), freed blocks go onto a per-class free list and are reused first, new blocks are
// carved from the top. A training step frees and re-requests the same sizes every step, so after
// the first step it is served entirely from the free lists and memory stays flat.

const PAGE_BYTES = 65536;
/** Every block starts on a 64-byte boundary: a cache line, and plenty for 16-byte v128 loads. */
export const ALIGN = 64;
/** Low memory is left to the WASM module's own static data (AssemblyScript's stub runtime). */
const RESERVED_LOW_BYTES = 64 * 1024;
const INITIAL_PAGES = 256; // 16 MiB
const MAXIMUM_PAGES = 65536; // 4 GiB, the wasm32 limit; shared memories must declare a maximum

function createMemory(): { memory: WebAssembly.Memory; shared: boolean } {
  try {
    if (typeof SharedArrayBuffer !== 'undefined') {
      return {
        memory: new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true }),
        shared: true,
      };
    }
  } catch {
    // fall through: shared memory refused (e.g. no cross-origin isolation)
  }
  return { memory: new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES }), shared: false };
}

const created = createMemory();
/** The memory itself: WASM kernels import it as env.memory. */
export const memory: WebAssembly.Memory = created.memory;
/** True when `memory` is a shared memory (threads possible, views never detach). */
export const isShared: boolean = created.shared;

let heapF32View = new Float32Array(memory.buffer);
let generationCounter = 0;

/** Bumped every time the memory grows; a cached view made at an older generation may be stale. */
export function generation(): number {
  return generationCounter;
}

/** A Float32Array over the whole memory, current as of the latest growth. Index = pointer / 4. */
export function heapF32(): Float32Array {
  if (heapF32View.buffer.byteLength !== memory.buffer.byteLength || heapF32View.length === 0) {
    heapF32View = new Float32Array(memory.buffer);
  }
  return heapF32View;
}

/** A Float32Array view of `length` floats starting at byte offset `ptr`. */
export function f32View(ptr: number, length: number): Float32Array {
  return new Float32Array(memory.buffer, ptr, length);
}

// ---- size classes ---------------------------------------------------------------------------

/** Rounds a request up to its size class: 64, 128, 192, 256, then 4 steps per power of two. */
export function sizeClassBytes(bytes: number): number {
  if (bytes <= 4 * ALIGN) return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  const pow = 2 ** Math.floor(Math.log2(bytes)); // largest power of two <= bytes
  const step = pow / 4;
  return Math.ceil(bytes / step) * step;
}

const freeLists = new Map<number, number[]>(); // class size in bytes -> free block pointers
let top = RESERVED_LOW_BYTES; // first byte never handed out yet
let bytesInUse = 0;

function growTo(endByte: number): void {
  const have = memory.buffer.byteLength;
  if (endByte <= have) return;
  // Grow by at least half again what we have, so that growth happens O(log n) times.
  const wantBytes = Math.max(endByte, Math.floor(have * 1.5));
  let pages = Math.ceil((wantBytes - have) / PAGE_BYTES);
  const maxPages = MAXIMUM_PAGES - have / PAGE_BYTES;
  if (Math.ceil((endByte - have) / PAGE_BYTES) > maxPages) {
    throw new RangeError(
      `wasmgrad: out of memory: needed ${endByte} bytes of WebAssembly memory, ` +
        `the limit is ${MAXIMUM_PAGES * PAGE_BYTES} bytes (4 GiB)`,
    );
  }
  pages = Math.min(pages, maxPages);
  memory.grow(pages);
  generationCounter++;
}

/**
 * Returns the byte offset of a fresh block of at least `bytes` bytes, 64-byte aligned.
 * Contents are unspecified (a reused block holds old data): callers that need zeros fill them.
 */
export function alloc(bytes: number): number {
  if (!(bytes >= 0) || !Number.isFinite(bytes)) {
    throw new RangeError(`wasmgrad: alloc expected a non-negative byte count, got ${bytes}`);
  }
  const size = sizeClassBytes(bytes);
  const list = freeLists.get(size);
  bytesInUse += size;
  if (list !== undefined && list.length > 0) return list.pop()!;
  const ptr = top;
  growTo(ptr + size);
  top = ptr + size;
  return ptr;
}

/** Returns a block to its free list. `bytes` is the size that was asked of alloc(). */
export function free(ptr: number, bytes: number): void {
  const size = sizeClassBytes(bytes);
  let list = freeLists.get(size);
  if (list === undefined) freeLists.set(size, (list = []));
  list.push(ptr);
  bytesInUse -= size;
}

export interface MemoryStats {
  /** Bytes in blocks currently handed out (rounded to size classes). */
  bytesInUse: number;
  /** High-water mark: bytes of the memory ever carved into blocks. Flat across epochs = no leak. */
  bytesReserved: number;
  /** Size of the WebAssembly memory itself. */
  memoryBytes: number;
}

export function memoryStats(): MemoryStats {
  return { bytesInUse, bytesReserved: top - RESERVED_LOW_BYTES, memoryBytes: memory.buffer.byteLength };
}
