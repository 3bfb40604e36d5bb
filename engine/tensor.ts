// engine/tensor.ts — the Tensor: a shape plus a Float32Array view into WebAssembly memory, and the
// reverse-mode autograd that runs over graphs of them.
//
// What it is: storage and its lifetime, the graph (each op's output remembers its inputs and a
// closure that pushes gradients back to them), backward(), noGrad(), and the factories.
// What it is not: the ops themselves (engine/ops/*.ts) or any compute loop worth a kernel.
//
// Memory, and why nobody calls dispose(): kernels read numbers in the WebAssembly memory
// (kernels/memory.ts), where the GEMM needs no copy. But V8 does not count that memory as memory
// pressure, so a block left to a FinalizationRegistry comes back only when some collection
// happens to run: a predict loop of 8 MB results filled 4 GiB by call 511 that way. So a block
// lives only as long as a scope (Storage, below, says where the numbers are):
//   1. Inside `scoped(fn)` (every training step, every batch of evaluate and predict), every block
//      allocated goes back to the allocator when fn returns; the next step gets the same blocks.
//   2. Outside any scope, tensors a user makes (tensor(), zeros()...) and results that leave the
//      library (predict, getWeights) live in ordinary Float32Arrays: garbage the collector sees.
//      Each public op, backward() and optimizer step called there runs in a scope of its own
//      (topLevel): its inputs move into the memory, its results move back out when it returns.
//   3. Long-lived state (parameters, their gradients, optimizer slots: persistent()) stays in the
//      memory and goes back through a FinalizationRegistry when the model is collected.
// Measured: 10,000 predict calls of a 1,000-output model on 2,000 samples run with the memory
// flat (npm run predict-loop; tests/engine/memory.test.ts and tests/nn/memory.test.ts check the
// figures exactly). A tensor whose block was reclaimed by its scope throws a clear error when
// touched, rather than silently reading another tensor's numbers.

import { alloc, f32View, fill, free, generation } from '../kernels/index.js';
import { describeValue } from './describe.js';
import { globalRandom, type Random } from './random.js';

/**
 * The numbers of a tensor (and of the views made from it), in exactly one of two places:
 *   - a block of the WebAssembly memory (`ptr` >= 0), where the kernels read and write them;
 *   - an ordinary Float32Array in the JavaScript heap (`host`), where the garbage collector sees
 *     them and reclaims them like any array.
 * A storage moves between the two (a copy each way); it is never in both, so there is one truth.
 */
export class Storage {
  /** Set once the block went back to the allocator at the end of its scope; any later access throws. */
  released = false;
  /** Byte offset of the block in the WebAssembly memory, or -1 while the numbers are in `host`. */
  ptr = -1;
  /** The numbers, while they live in the JavaScript heap; null while they live in a block. */
  host: Float32Array | null = null;
  /** @internal The scope that ends this block's life (it was allocated or moved in there), or null. */
  scope: Scope | null = null;
  /** What the scope's end does with the block: give it back, or move the numbers to the JS heap. */
  atScopeEnd: 'release' | 'toHost' = 'release';
  /** Bumped every time the numbers move, so a cached Float32Array view knows it is stale. */
  moves = 0;
  constructor(readonly length: number) {}

  /** True while the block belongs to a scope (reclaimed or moved out at the scope's end). */
  get inScope(): boolean {
    return this.scope !== null;
  }
}

/**
 * A scope: the blocks that end with it. `scoped()` makes one whose leftovers are released; a
 * public call made outside any scope runs in one whose leftovers move to the JS heap (topLevel).
 */
interface Scope {
  storages: Storage[];
  leftovers: 'release' | 'toHost';
}

// Long-lived blocks (parameters, optimizer state: made inside persistent()) go back to the
// allocator when the garbage collector collects their Storage. They are bounded by the models a
// program builds; nothing that runs in a loop (a step, predict, evaluate) allocates one.
const collector = new FinalizationRegistry<{ ptr: number; bytes: number }>((block) => free(block.ptr, block.bytes));

/** The innermost active scope, or null outside any scope. */
let activeScope: Scope | null = null;
/** True inside persistent(): what is made there is long-lived and lives in the WebAssembly memory. */
let persistentMode = false;

function placeInBlock(storage: Storage): void {
  storage.ptr = alloc(storage.length * 4);
  storage.moves++;
  if (activeScope !== null) {
    activeScope.storages.push(storage);
    storage.scope = activeScope;
  } else collector.register(storage, { ptr: storage.ptr, bytes: storage.length * 4 }, storage);
}

/**
 * A new storage. Op outputs (`kind` 'block') always start in the WebAssembly memory, where their
 * kernel writes them. Tensors a user makes ('user': tensor(), zeros(), predict's result...) start
 * in the JS heap when no scope is active: they are ordinary garbage, reclaimed by the garbage
 * collector, which does count them as memory pressure (it does not count WebAssembly memory).
 */
function allocateStorage(length: number, kind: 'block' | 'user'): Storage {
  const storage = new Storage(length);
  if (kind === 'user' && activeScope === null && !persistentMode) storage.host = new Float32Array(length);
  else {
    placeInBlock(storage);
    if (activeScope !== null) storage.atScopeEnd = activeScope.leftovers;
  }
  return storage;
}

/**
 * Moves a storage from the JS heap into a block (a kernel is about to read or write it). Inside a
 * scope the block is the scope's, and the numbers move back to the JS heap when it ends.
 */
function moveToBlock(storage: Storage): void {
  const host = storage.host!;
  placeInBlock(storage); // may throw (out of memory): the numbers are still in `host` then
  storage.host = null;
  storage.atScopeEnd = 'toHost';
  f32View(storage.ptr, storage.length).set(host);
}

/** Copies a block's numbers into a fresh JS array and gives the block back. */
function moveToHost(storage: Storage): void {
  const host = new Float32Array(storage.length);
  host.set(f32View(storage.ptr, storage.length));
  collector.unregister(storage);
  free(storage.ptr, storage.length * 4);
  storage.ptr = -1;
  storage.host = host;
  storage.scope = null;
  storage.moves++;
}

function endScope(scope: Scope): void {
  // Newest first: the blocks were carved in order from the allocator's free end, so each one freed
  // is then the last before it and merges straight into it; oldest first, each would become a free
  // block of its own and merge with the next (more bookkeeping a free, the same memory after).
  const storages = scope.storages;
  for (let i = storages.length - 1; i >= 0; i--) {
    const storage = storages[i];
    if (storage.scope !== scope) continue; // moved out of it meanwhile
    if (storage.atScopeEnd === 'toHost') moveToHost(storage);
    else {
      storage.scope = null;
      storage.released = true;
      free(storage.ptr, storage.length * 4);
    }
  }
}

/** Runs fn with this scope (or none) active and persistent mode on or off, then restores both. */
function runWith<T>(scope: Scope | null, persistentFlag: boolean, fn: () => T): T {
  const outer = activeScope, outerPersistent = persistentMode;
  activeScope = scope;
  persistentMode = persistentFlag;
  try {
    return fn();
  } finally {
    activeScope = outer;
    persistentMode = outerPersistent;
  }
}

function runInScope<T>(leftovers: Scope['leftovers'], fn: () => T): T {
  const scope: Scope = { storages: [], leftovers };
  try {
    return runWith(scope, false, fn);
  } finally {
    endScope(scope);
  }
}

/**
 * Runs fn and then returns to the allocator every block allocated while it ran. Tensors made
 * inside must not be used after fn returns (they throw if they are); read out what you need
 * (numbers, or copy into a tensor made outside) before returning, or pass tensors to keep().
 *
 * A `.data` array taken inside is a window onto WebAssembly memory that the next tensor reuses:
 * the tensor throws after the block, but an array you kept does not (JavaScript cannot revoke a
 * typed array over a shared memory). Copy out with Array.from(t.data) or t.toArray() instead.
 * Tensors from outside the block that a kernel reads inside are moved into the memory for the
 * block and back to the JS heap after it, unchanged for their user.
 */
export function scoped<T>(fn: () => T): T {
  return runInScope('release', fn);
}

/**
 * Runs a public call. Outside any scope, it runs in a scope of its own whose leftovers (the
 * result, what its backward pass needs) move to the JS heap when it returns, so a loop of calls
 * leaves nothing behind in the WebAssembly memory; inside a scope (or persistent()), it just runs.
 */
export function topLevel<T>(fn: () => T): T {
  return activeScope !== null || persistentMode ? fn() : runInScope('toHost', fn);
}

/** topLevel() around a function: what the public ops and methods are. */
export function publicCall<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return function (this: unknown, ...args: A): R {
    if (activeScope !== null || persistentMode) return fn.apply(this, args);
    return runInScope('toHost', () => fn.apply(this, args));
  };
}

/** Moves a tensor's block out of the enclosing scope: at the scope's end it goes to the JS heap. */
export function keep<T extends Tensor>(t: T): T {
  const s = t.storage;
  if (s.scope !== null && !s.released) s.atScopeEnd = 'toHost';
  return t;
}

/** Runs fn with no scope active, so what it allocates is long-lived (parameters, optimizer state). */
export function persistent<T>(fn: () => T): T {
  return runWith(null, true, fn);
}

/**
 * Runs fn as if no scope were active: the tensors it makes live in the JS heap, whatever scope
 * the caller is in. For results that leave the library (predict's output, getWeights' copies).
 */
export function onHost<T>(fn: () => T): T {
  return runWith(null, false, fn);
}

// ---- gradient mode ---------------------------------------------------------------------------

let gradEnabled = true;

/** Runs fn without recording a graph: ops inside compute values only (inference, updates). */
export function noGrad<T>(fn: () => T): T {
  const outer = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = outer;
  }
}

/** True when ops record the graph for backward(). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

// ---- shapes ----------------------------------------------------------------------------------

export type Shape = readonly number[];

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]; // indexed: for-of made an iterator per call (several a step)
  return n;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

function checkShape(shape: Shape, what: string): void {
  if (!Array.isArray(shape)) {
    throw new Error(`wasmgrad: ${what} expected a shape as a list of non-negative integers such as [2, 3], got ${describeValue(shape)}`);
  }
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(`wasmgrad: ${what} expected a shape of non-negative integers, got ${formatShape(shape)}`);
    }
  }
  // Refused before any allocation: no tensor can be bigger than the memory its kernels read.
  const size = shapeSize(shape);
  if (size > MAX_ELEMENTS) {
    throw new RangeError(
      `wasmgrad: ${what} shape ${formatShape(shape)} holds ${size} float32 values (${size * 4} bytes), ` +
        `more than the ${MAX_ELEMENTS * 4} bytes (4 GiB) a WebAssembly memory can hold`,
    );
  }
}

/** The most float32 values a tensor may hold: a 4 GiB wasm32 memory, less the module's own 64 KiB. */
export const MAX_ELEMENTS = (2 ** 32 - 65536) / 4;

// ---- the Tensor ------------------------------------------------------------------------------

/** How an op's output reaches back to its inputs. `backward` reads this.grad and adds into inputs'. */
export interface Recipe {
  op: string;
  inputs: Tensor[];
  backward: (grad: Tensor) => void;
}

export class Tensor {
  readonly shape: Shape;
  readonly size: number;
  /** The gradient buffer, which `zeroed` may say holds stale numbers standing for zeros (see .grad). */
  private gradient: Tensor | null = null;
  /**
   * True when the gradient is zero but its buffer was not written yet: zeroGrad() and a new
   * buffer only set this, and the first op to contribute may write its result instead of adding
   * it (a GEMM without accumulate), so no zeroing pass runs. Reading .grad writes the zeros first.
   */
  private zeroed = false;
  /** Whether gradients flow to this tensor. Parameters set it; op outputs inherit it. */
  requiresGrad: boolean;
  /** The op that made this tensor, or null for a leaf (data, parameters). */
  recipe: Recipe | null = null;
  /** A name for messages and summaries (parameters are named by their layer). */
  name: string | undefined;

  private view: Float32Array | null = null;
  private viewGeneration = -1;
  private viewMoves = -1;

  /** Prefer the factories (tensor, zeros, ...) and ops; this wraps existing storage. */
  constructor(
    readonly storage: Storage,
    shape: Shape,
    /** Offset of the first element within the storage, in floats (row slices are views). */
    readonly offset = 0,
    requiresGrad = false,
  ) {
    // A copy (without the spread's iterator), frozen so that no caller can change it under us; a
    // shape that is frozen already (another tensor's: a gradient's, a view's) is shared as it is.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze(shape.slice());
    this.size = shapeSize(shape);
    this.requiresGrad = requiresGrad;
  }

  /**
   * Byte offset of the first element in the WebAssembly memory: what kernels are given. Numbers
   * living in the JS heap are moved into the memory first (for the active scope: see scoped()).
   */
  get ptr(): number {
    const s = this.storage;
    if (s.released) throw this.reclaimedError();
    if (s.host !== null) moveToBlock(s);
    return s.ptr + this.offset * 4;
  }

  /**
   * The numbers, row-major: a live view of wherever they live (writes go to the tensor). Take it
   * again after a kernel ran or a scope ended rather than keeping it (see scoped()).
   */
  get data(): Float32Array {
    const s = this.storage;
    if (s.released) throw this.reclaimedError();
    const gen = generation();
    if (this.view === null || this.viewMoves !== s.moves || (s.host === null && this.viewGeneration !== gen)) {
      this.view = s.host !== null ? s.host.subarray(this.offset, this.offset + this.size) : f32View(this.ptr, this.size);
      this.viewGeneration = gen;
      this.viewMoves = s.moves;
    }
    return this.view;
  }

  /** True while the numbers live in the WebAssembly memory (false: in an ordinary JS array). */
  get inWasmMemory(): boolean {
    return this.storage.host === null;
  }

  private reclaimedError(): Error {
    return new Error(
      `wasmgrad: this tensor${this.name ? ` (${this.name})` : ''} of shape ${formatShape(this.shape)} ` +
        'was made inside a training step or scoped() block, and its memory has been reclaimed; ' +
        'read what you need inside the block, or pass the tensor to keep()',
    );
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new Error(`wasmgrad: item() expected a tensor with one element, got shape ${formatShape(this.shape)}`);
    }
    return this.data[0];
  }

  /** A plain (nested) JavaScript array copy, for printing and tests. */
  toArray(): number[] | number[][] | number {
    const d = this.data;
    if (this.rank === 0) return d[0];
    if (this.rank === 1) return Array.from(d);
    const rows = this.shape[0];
    const width = this.size / Math.max(rows, 1);
    const out: number[][] = [];
    for (let r = 0; r < rows; r++) out.push(Array.from(d.subarray(r * width, (r + 1) * width)));
    return out;
  }

  toString(): string {
    const preview = Array.from(this.data.subarray(0, 8), (v) => +v.toFixed(4));
    return `Tensor(shape=${formatShape(this.shape)}, data=[${preview.join(', ')}${this.size > 8 ? ', ...' : ''}])`;
  }

  /**
   * Backpropagation. Seeds this tensor's gradient with `grad` (default: 1 for a one-element
   * tensor), then visits the graph in reverse topological order, each op adding its inputs'
   * gradients. Gradients accumulate (+=) into .grad, as in PyTorch: zero them between steps.
   */
  backward(grad?: Tensor): void {
    topLevel(() => this.backwardInScope(grad));
  }

  private backwardInScope(grad?: Tensor): void {
    if (grad === undefined && this.size !== 1) {
      throw new Error(
        `wasmgrad: backward() without an argument needs a one-element tensor (a loss), got shape ` +
          `${formatShape(this.shape)}; pass the upstream gradient of that shape`,
      );
    }
    if (grad !== undefined && !sameShape(grad.shape, this.shape)) {
      throw new Error(
        `wasmgrad: backward(grad) expected grad of shape ${formatShape(this.shape)}, got ${formatShape(grad.shape)}`,
      );
    }
    // 1. Topological order, once: every tensor after all the tensors it was computed from.
    //    Depth-first with a stack of our own rather than recursion, so a long chain of ops (a loss
    //    summed over thousands of terms) cannot overflow the call stack. `next` is the input to
    //    look at next; a tensor joins the order when all its inputs have.
    //    (The stack is two parallel arrays, tensors and their `next`, not an object per entry.)
    const order: Tensor[] = [];
    const visited = new Set<Tensor>([this]);
    const stack: Tensor[] = [this];
    const nextInput: number[] = [0];
    while (stack.length > 0) {
      const top = stack.length - 1;
      const t = stack[top];
      const next = nextInput[top];
      if (t.recipe !== null && next < t.recipe.inputs.length) {
        const input = t.recipe.inputs[next];
        nextInput[top] = next + 1;
        if (input.requiresGrad && !visited.has(input)) {
          visited.add(input);
          stack.push(input);
          nextInput.push(0);
        }
      } else {
        order.push(t);
        stack.pop();
        nextInput.pop();
      }
    }
    // 2. Seed the output's gradient. Only leaves (parameters) accumulate across backward() calls:
    //    an intermediate's .grad must hold this pass's gradient alone, because its closure pushes
    //    all of it into its inputs. Left over from an earlier pass, it would be pushed again. So
    //    intermediates start without one (a fresh buffer, in the current scope, if they get one).
    for (const t of order) if (t.recipe !== null) t.grad = null;
    const seed = this.gradBuffer();
    if (grad === undefined) seed.data[0] += 1;
    else addInto(seed.data, grad.data);
    // 3. Walk backwards: each op pushes its output's gradient into its inputs'.
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      if (t.recipe !== null && t.grad !== null) t.recipe.backward(t.grad);
    }
  }

  /** The gradient of the last backward() with respect to this tensor, or null. */
  get grad(): Tensor | null {
    if (this.zeroed) {
      zeroFill(this.gradient!);
      this.zeroed = false;
    }
    return this.gradient;
  }

  set grad(gradient: Tensor | null) {
    this.gradient = gradient;
    this.zeroed = false;
  }

  /** This tensor's .grad, created as zeros (with the tensor's own lifetime) on first use. */
  gradBuffer(): Tensor {
    if (this.gradient === null) this.allocateGradient();
    return this.grad!; // the getter writes the zeros
  }

  /** A new gradient buffer, zero by `zeroed` (nothing written yet). */
  private allocateGradient(): void {
    // A gradient lives as long as its tensor. An intermediate's (an op's output, even a view of
    // a parameter's storage such as reshape or sliceRows: judged by storage alone, its gradient
    // would outlive every step) and a scoped leaf's end with the scope; a parameter's lives in
    // the WebAssembly memory as long as the parameter; a leaf in the JS heap gets one there too.
    const s = this.storage;
    const intermediate = this.recipe !== null || (s.scope !== null && s.atScopeEnd === 'release');
    const storage = intermediate ? allocateStorage(this.size, 'block')
      : s.host === null && s.scope === null ? persistent(() => allocateStorage(this.size, 'block'))
        : allocateStorage(this.size, 'user');
    if (!intermediate && storage.scope !== null) storage.atScopeEnd = 'toHost';
    this.gradient = new Tensor(storage, this.shape);
    this.zeroed = true;
  }

  /**
   * For an op about to contribute to this tensor's gradient by writing every element of it (a
   * GEMM): makes sure the buffer exists and returns whether to add into it (true) or to write,
   * because nothing was added since it was zeroed (false). After it, .grad is the buffer as is.
   */
  startGradContribution(): boolean {
    if (this.gradient === null) this.allocateGradient();
    const accumulate = !this.zeroed;
    this.zeroed = false;
    return accumulate;
  }

  /** Sets .grad to zeros (keeping its memory), or leaves it null if there is none yet. */
  zeroGrad(): void {
    // Only marked: the zeros are written when .grad is read, or never, when the first op to
    // contribute writes its result instead of adding it.
    if (this.gradient !== null) {
      void this.gradient.data; // throws now, as before, if the gradient's memory was reclaimed
      this.zeroed = true;
    }
  }
}

/** t[:] = 0, where t lives: fill() is a SIMD store loop, ~4x faster than TypedArray.fill on shared memory. */
function zeroFill(t: Tensor): void {
  if (t.inWasmMemory) fill(t.size, t.ptr, 0);
  else t.data.fill(0);
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function addInto(target: Float32Array, source: Float32Array): void {
  for (let i = 0; i < target.length; i++) target[i] += source[i];
}

// ---- making tensors (used by ops and by users) --------------------------------------------------

/** A new tensor of the given shape with uninitialized contents: ops write every element. */
export function empty(shape: Shape): Tensor {
  checkShape(shape, 'empty()');
  return new Tensor(allocateStorage(shapeSize(shape), 'block'), shape);
}

/** A new tensor for a user (the factories below): in the JS heap outside any scope, else a block. */
function made(shape: Shape): Tensor {
  return new Tensor(allocateStorage(shapeSize(shape), 'user'), shape);
}

/**
 * Records how `out` was computed, if any input needs a gradient and grad mode is on.
 * `backward(dout)` must add (+=) each input's gradient into input.gradBuffer().
 */
export function record(out: Tensor, op: string, inputs: Tensor[], backward: (dout: Tensor) => void): Tensor {
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.recipe = { op, inputs, backward };
  }
  return out;
}

/** A view of the same numbers with another shape (no copy). Used by reshape and row slicing. */
export function viewOf(source: Tensor, shape: Shape, offsetElements = 0): Tensor {
  return new Tensor(source.storage, shape, source.offset + offsetElements);
}

/** Numbers nested as arrays, as tensor([[1, 2], [3, 4]]) takes them. */
export type NestedNumbers = number | NestedNumbers[];

function inferShape(values: NestedNumbers): number[] {
  const shape: number[] = [];
  let v: NestedNumbers = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0] as NestedNumbers;
  }
  return shape;
}

/** Flattens nested arrays row-major, checking that every row has the length the shape says. */
function flattenNested(values: NestedNumbers, shape: number[], depth: number, out: number[]): void {
  if (depth === shape.length) {
    if (Array.isArray(values)) throw new Error('wasmgrad: tensor() got nested arrays deeper in some rows than in others');
    if (typeof values !== 'number') throw new Error(`wasmgrad: tensor() expected numbers, got ${describeValue(values)} at position ${out.length}`);
    out.push(values);
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[depth]) {
    throw new Error(
      `wasmgrad: tensor() got ragged nested arrays: expected every row at depth ${depth} to have ` +
        `${shape[depth]} entries (shape ${formatShape(shape)}), got ${Array.isArray(values) ? values.length : 'a number'}`,
    );
  }
  for (const v of values) flattenNested(v, shape, depth + 1, out);
}

/**
 * Makes a tensor from numbers: a flat array-like (Float32Array, Uint8Array, number[]) with an
 * explicit shape, or nested arrays whose nesting gives the shape.
 *
 *   tensor([[1, 2], [3, 4]])              // shape [2, 2]
 *   tensor(new Float32Array(6), [2, 3])
 */
export function tensor(values: ArrayLike<number> | NestedNumbers, shape?: Shape): Tensor {
  let flat: ArrayLike<number>;
  if (typeof values === 'number') {
    flat = [values];
    shape ??= [];
  } else if (Array.isArray(values) && values.some((v) => Array.isArray(v))) {
    // Any nested array (not only a first one) takes this path, so [1, [2, 3]] is reported as
    // ragged instead of being read as a flat list (where [2, 3] would become NaN).
    const inferred = inferShape(values);
    const numbers: number[] = [];
    flattenNested(values, inferred, 0, numbers);
    flat = numbers;
    shape ??= inferred;
  } else if (ArrayBuffer.isView(values) && !(values instanceof DataView) && !(values instanceof BigInt64Array || values instanceof BigUint64Array)) {
    flat = values as ArrayLike<number>; // a typed array holds numbers by construction
    shape ??= [flat.length];
  } else if (values !== null && typeof values === 'object' && typeof (values as ArrayLike<number>).length === 'number') {
    // A plain list is checked element by element: Float32Array.set would turn "1" or null into a
    // number and anything else into NaN without a word.
    flat = values as ArrayLike<number>;
    for (let i = 0; i < flat.length; i++) {
      if (typeof flat[i] !== 'number') throw new Error(`wasmgrad: tensor() expected numbers, got ${describeValue(flat[i])} at position ${i}`);
    }
    shape ??= [flat.length];
  } else {
    throw new Error(
      `wasmgrad: tensor() expected a number, a list of numbers, nested lists or a typed array (such as Float32Array), got ${describeValue(values)}`,
    );
  }
  checkShape(shape, 'tensor()');
  if (flat.length !== shapeSize(shape)) {
    throw new Error(
      `wasmgrad: tensor() got ${flat.length} values for shape ${formatShape(shape)}, ` +
        `which holds ${shapeSize(shape)}`,
    );
  }
  const t = made(shape);
  t.data.set(flat);
  return t;
}

function filled(shape: Shape, value: number, what: string): Tensor {
  checkShape(shape, what);
  const t = made(shape);
  t.data.fill(value);
  return t;
}

export function full(shape: Shape, value: number): Tensor {
  return filled(shape, value, 'full()');
}

export function zeros(shape: Shape): Tensor {
  return filled(shape, 0, 'zeros()');
}

export function ones(shape: Shape): Tensor {
  return filled(shape, 1, 'ones()');
}

/** Normal(mean, stddev) samples from the seeded generator (setSeed) or the one given. */
export function randomNormal(shape: Shape, options: { mean?: number; stddev?: number; random?: Random } = {}): Tensor {
  const { mean = 0, stddev = 1, random = globalRandom } = options;
  checkShape(shape, 'randomNormal()');
  const t = made(shape);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = mean + stddev * random.normal();
  return t;
}

/** Uniform samples in [minval, maxval) from the seeded generator (setSeed) or the one given. */
export function randomUniform(
  shape: Shape,
  options: { minval?: number; maxval?: number; random?: Random } = {},
): Tensor {
  const { minval = 0, maxval = 1, random = globalRandom } = options;
  checkShape(shape, 'randomUniform()');
  const t = made(shape);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = minval + (maxval - minval) * random.uniform();
  return t;
}

/** Marks a tensor as a trainable leaf: backward() will fill its .grad. */
export function parameter(t: Tensor, name?: string): Tensor {
  t.requiresGrad = true;
  t.name = name;
  return t;
}
