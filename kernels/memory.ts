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
// The allocator (below) splits and coalesces blocks, so memory freed in one size serves any other.
// Who frees, and when, is engine/tensor.ts' business (scopes, and the JS heap for results).

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

// ---- the allocator ---------------------------------------------------------------------------
//
// Blocks are multiples of 64 bytes. Every free block is known by its start and by its end, so a
// freed block merges with a free neighbour on either side (coalescing), and a block merged up
// against `top` (the first byte never carved) lowers `top` instead: memory freed in any sizes
// comes back as one run that any later size can use. A request takes the first free block that
// fits from bins by power of two (bin i holds sizes in [64·2^i, 64·2^(i+1))) and splits off what
// it does not need. A training step frees everything of its scope at once; the blocks merge back
// into one run and the next step carves the same sizes from it in the same order, so after the
// first step the layout repeats and memory is flat.
//
// Accounting is exact: `bytesInUse` changes only when a block is really handed out or returned,
// so a request refused for lack of memory changes nothing.

/** Bytes a request of `bytes` occupies: rounded up to 64 (at least 64, so pointers are distinct). */
export function blockBytes(bytes: number): number {
  return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
}

const inUse = new Map<number, number>(); // pointer -> block bytes, for every block handed out
const freeByStart = new Map<number, number>(); // pointer -> block bytes, for every free block
const freeByEnd = new Map<number, number>(); // end byte -> pointer, for every free block
// Bin i: pointers of free blocks of 64·2^i to 64·2^(i+1) - 1 bytes, oldest first. Plain arrays,
// not Sets: a bin holds a handful of blocks, and a Set's iterator is an object made on every
// request (a training step's dozens of requests made garbage of them).
const bins: number[][] = [];
let top = RESERVED_LOW_BYTES; // first byte never handed out yet (or given back at the end)
let highWater = RESERVED_LOW_BYTES;
let bytesInUse = 0;
let memoryLimit = MAXIMUM_PAGES * PAGE_BYTES;

/** floor(log2(bytes / 64)) for a multiple of 64 (at most 2^32 / 64 = 2^26 units: an int32). */
const binOf = (bytes: number) => 31 - Math.clz32(bytes / ALIGN);

function addFree(ptr: number, bytes: number): void {
  freeByStart.set(ptr, bytes);
  freeByEnd.set(ptr + bytes, ptr);
  (bins[binOf(bytes)] ??= []).push(ptr);
}

function removeFree(ptr: number, bytes: number): void {
  freeByStart.delete(ptr);
  freeByEnd.delete(ptr + bytes);
  removeFromBin(ptr, bytes);
}

function removeFromBin(ptr: number, bytes: number): void {
  // Removed in place, the others keeping their order (first fit takes the oldest that fits).
  const bin = bins[binOf(bytes)];
  let i = bin.indexOf(ptr);
  for (; i < bin.length - 1; i++) bin[i] = bin[i + 1];
  bin.pop(); // the last entry, now a copy of the one before it (pop is cheaper than setting length)
}

/**
 * The free block [from, end) becomes [to, end): what a split (to > from) and a merge with the
 * block before it (to < from) do, and the step's every alloc and free. The same state as
 * removeFree then addFree, in fewer map writes: its end is the same, so freeByEnd's entry is
 * overwritten instead of deleted and set again (each map deletion leaves a hole the table
 * must rehash away later).
 */
function moveFreeStart(from: number, end: number, to: number): void {
  freeByStart.delete(from);
  freeByStart.set(to, end - to);
  freeByEnd.set(end, to);
  removeFromBin(from, end - from);
  (bins[binOf(end - to)] ??= []).push(to);
}

/** The first free block of at least `bytes`, or -1: its own bin first fit, then any larger bin. */
function findFree(bytes: number): number {
  const first = binOf(bytes);
  const own = bins[first];
  if (own !== undefined) for (let k = 0; k < own.length; k++) if (freeByStart.get(own[k])! >= bytes) return own[k];
  for (let i = first + 1; i < bins.length; i++) {
    const bin = bins[i];
    if (bin !== undefined && bin.length > 0) return bin[0];
  }
  return -1;
}

function outOfMemory(bytes: number, limit: number): RangeError {
  return new RangeError(
    `wasmgrad: out of memory: a block of ${bytes} bytes does not fit in the ${limit} bytes of WebAssembly ` +
      `memory allowed (${bytesInUse} bytes in use, ${freeBytes()} free in pieces of at most ${largestFreeBlock()})`,
  );
}

function growTo(endByte: number): void {
  const have = memory.buffer.byteLength;
  if (endByte <= have) return;
  // Grow by at least half again what we have, so that growth happens O(log n) times.
  const wantBytes = Math.min(Math.max(endByte, Math.floor(have * 1.5)), memoryLimit);
  memory.grow(Math.ceil((wantBytes - have) / PAGE_BYTES));
  generationCounter++;
}

/**
 * Returns the byte offset of a fresh block of at least `bytes` bytes, 64-byte aligned.
 * Contents are unspecified (a reused block holds old data): callers that need zeros fill them.
 * Throws a RangeError, and changes nothing, when the block cannot fit under the memory limit.
 */
export function alloc(bytes: number): number {
  if (!(bytes >= 0) || !Number.isFinite(bytes)) {
    throw new RangeError(`wasmgrad: alloc expected a non-negative byte count, got ${bytes}`);
  }
  const size = blockBytes(bytes);
  if (budgetEnd !== null && bytesInUse + size > budgetEnd) {
    throw new RangeError(`wasmgrad: a block of ${size} bytes exceeds the ${budgetBytes} bytes allowed for this task (${bytesInUse + size - budgetEnd} bytes over)`);
  }
  let ptr = findFree(size);
  if (ptr >= 0) {
    const have = freeByStart.get(ptr)!;
    if (have > size) moveFreeStart(ptr, ptr + have, ptr + size); // split: the rest stays free
    else removeFree(ptr, have);
  } else {
    ptr = top;
    if (ptr + size > memoryLimit) throw outOfMemory(size, memoryLimit);
    try {
      growTo(ptr + size);
    } catch (error) {
      if (error instanceof RangeError && /wasmgrad/.test(error.message)) throw error;
      throw outOfMemory(size, memory.buffer.byteLength); // the engine refused to grow the memory
    }
    top = ptr + size;
    highWater = Math.max(highWater, top);
  }
  inUse.set(ptr, size);
  bytesInUse += size;
  return ptr;
}

/** Returns a block to the allocator. `bytes` is the size that was asked of alloc() (checked). */
export function free(ptr: number, bytes: number): void {
  const size = inUse.get(ptr);
  if (size === undefined || size !== blockBytes(bytes)) {
    throw new Error(`wasmgrad: free(${ptr}, ${bytes}) does not match a block in use (${size === undefined ? 'no block starts there' : `that block has ${size} bytes`})`);
  }
  inUse.delete(ptr);
  bytesInUse -= size;
  let start = ptr, end = ptr + size;
  const before = freeByEnd.get(start);
  if (before !== undefined) {
    removeFree(before, start - before);
    start = before;
  }
  const after = freeByStart.get(end);
  if (after !== undefined && end + after !== top) {
    moveFreeStart(end, end + after, start); // the free block after grows down over this one
    return;
  }
  if (after !== undefined) {
    removeFree(end, after);
    end += after;
  }
  if (end === top) top = start; // given back to the never-carved end
  else addFree(start, end - start);
}

function freeBytes(): number {
  let sum = memory.buffer.byteLength - top;
  for (const bytes of freeByStart.values()) sum += bytes;
  return sum;
}

function largestFreeBlock(): number {
  let largest = Math.max(0, memoryLimit - top);
  for (const bytes of freeByStart.values()) largest = Math.max(largest, bytes);
  return largest;
}

/**
 * Caps the WebAssembly memory the allocator may use, in bytes (default and maximum: 4 GiB, the
 * wasm32 limit). A lower cap makes a runaway loop fail early with a clear error; tests use it to
 * reach "out of memory" without allocating gigabytes. Returns the previous cap.
 */
export function setMemoryLimit(bytes: number): number {
  const max = MAXIMUM_PAGES * PAGE_BYTES;
  if (!Number.isFinite(bytes) || bytes < RESERVED_LOW_BYTES || bytes > max) {
    throw new RangeError(`wasmgrad: setMemoryLimit expected a byte count in [${RESERVED_LOW_BYTES}, ${max}], got ${bytes}`);
  }
  const previous = memoryLimit;
  memoryLimit = bytes;
  return previous;
}

let budgetEnd: number | null = null;
let budgetBytes = 0;

/**
 * Runs fn allowing it to allocate at most `bytes` more than is in use now; a request past that
 * throws a RangeError at once, before anything is allocated. For work whose needs are known in
 * advance (loading a model: its weights file says how many bytes its tensors take), so that a
 * lying config fails small instead of exhausting memory.
 */
export function withAllocationBudget<T>(bytes: number, fn: () => T): T {
  const outer = [budgetEnd, budgetBytes] as const;
  budgetEnd = Math.min(outer[0] ?? Infinity, bytesInUse + bytes);
  budgetBytes = bytes;
  try {
    return fn();
  } finally {
    [budgetEnd, budgetBytes] = outer;
  }
}

export interface MemoryStats {
  /** Bytes in blocks currently handed out (rounded up to 64). */
  bytesInUse: number;
  /** High-water mark: bytes of the memory ever carved into blocks. Flat across epochs = no leak. */
  bytesReserved: number;
  /** Size of the WebAssembly memory itself. */
  memoryBytes: number;
  /** The largest block a request could get right now without the memory growing past its limit. */
  largestFreeBytes: number;
}

export function memoryStats(): MemoryStats {
  return {
    bytesInUse, bytesReserved: highWater - RESERVED_LOW_BYTES, memoryBytes: memory.buffer.byteLength,
    largestFreeBytes: largestFreeBlock(),
  };
}
