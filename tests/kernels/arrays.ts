// tests/kernels/arrays.ts — float arrays in the shared memory for the element-wise kernel tests:
// placed at a chosen misalignment with guards around them, run through a kernel and its reference,
// and compared bit for bit or within a tolerance. Not a test file.

import { alloc, free, heapF32, referenceKernels, type Kernels } from '../../kernels/index.js';
import { expect } from 'vitest';

export const EPS32 = 2 ** -23; // float32 machine epsilon
/** Ragged lengths: empty, shorter than one f32x4, exactly one, one past, odd, and long with a tail of 3. */
export const LENGTHS = [0, 1, 3, 4, 5, 17, 1023];
/** Floats written around every array; a kernel must leave them alone. */
const GUARD = 4;
const GUARD_VALUE = -12345.5;

export function randomArray(n: number, random: () => number, scale = 1, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, () => offset + scale * random());
}

// ---- arrays in the shared memory, with guards and chosen misalignment -----------------------------

/** An array of n floats at a pointer that is 4-byte aligned and `shift` floats past a 16-byte boundary. */
export interface Block {
  base: number;
  bytes: number;
  ptr: number;
  n: number;
}

export function place(values: Float32Array, shift: number): Block {
  const n = values.length;
  const bytes = (n + 2 * GUARD + 4) * 4;
  const base = alloc(bytes); // 64-byte aligned
  const ptr = base + (GUARD + shift) * 4; // GUARD = 4 floats keeps the 16-byte phase equal to shift
  const heap = heapF32();
  heap.fill(GUARD_VALUE, base >> 2, (base + bytes) >> 2);
  heap.set(values, ptr >> 2);
  return { base, bytes, ptr, n };
}

export function read(block: Block): Float32Array {
  return heapF32().slice(block.ptr >> 2, (block.ptr >> 2) + block.n);
}

/** Checks the GUARD floats on each side of the array were not written. */
export function expectGuardsIntact(block: Block, what: string): void {
  const heap = heapF32();
  for (let k = 1; k <= GUARD; k++) {
    const before = heap[(block.ptr >> 2) - k]!;
    const after = heap[(block.ptr >> 2) + block.n + k - 1]!;
    if (before !== GUARD_VALUE || after !== GUARD_VALUE) expect.fail(`${what}: wrote outside the array (guard ${k} floats away)`);
  }
}

/**
 * Places copies of `inputs` twice (alignments from `shifts`), runs `expectedCall` on one set and
 * `gotCall` on the other, checks every guard, and returns both sets' final contents.
 */
export function runPair(
  inputs: Float32Array[], shifts: number[], expectedCall: (ptrs: number[]) => void, gotCall: (ptrs: number[]) => void, what: string,
): { got: Float32Array[]; expected: Float32Array[] } {
  const expectedBlocks = inputs.map((values, i) => place(values, shifts[i % shifts.length]!));
  const gotBlocks = inputs.map((values, i) => place(values, shifts[i % shifts.length]!));
  try {
    expectedCall(expectedBlocks.map((b) => b.ptr));
    gotCall(gotBlocks.map((b) => b.ptr));
    gotBlocks.forEach((b, i) => expectGuardsIntact(b, `${what}, array ${i}`));
    expectedBlocks.forEach((b, i) => expectGuardsIntact(b, `${what}, reference, array ${i}`));
    return { got: gotBlocks.map(read), expected: expectedBlocks.map(read) };
  } finally {
    for (const b of [...expectedBlocks, ...gotBlocks]) free(b.base, b.bytes);
  }
}

/** runPair with the reference giving `expected` and `kernels` giving `got`. */
export function runBoth(
  kernels: Kernels, inputs: Float32Array[], shifts: number[], call: (k: Kernels, ptrs: number[]) => void, what: string,
): { got: Float32Array[]; expected: Float32Array[] } {
  return runPair(inputs, shifts, (ptrs) => call(referenceKernels, ptrs), (ptrs) => call(kernels, ptrs), what);
}

/** Same bits, element by element (Object.is: -0 differs from 0, NaN equals NaN). */
export function expectBitIdentical(got: Float32Array, expected: Float32Array, what: string): void {
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < got.length; i++) {
    if (!Object.is(got[i], expected[i])) expect.fail(`${what}: element ${i} is ${got[i]}, reference ${expected[i]}`);
  }
}

/** |got - expected| <= tolerance[i] for every element. */
export function expectClose(got: Float32Array, expected: Float32Array, tolerance: (i: number) => number, what: string): void {
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < got.length; i++) {
    const allowed = tolerance(i);
    if (!(Math.abs(got[i]! - expected[i]!) <= allowed)) {
      expect.fail(`${what}: element ${i} is ${got[i]}, reference ${expected[i]} (tolerance ${allowed})`);
    }
  }
}

/** Misalignments (in floats past a 16-byte boundary) for each array of a case: all four phases, mixed. */
export function shiftsFor(caseIndex: number, arrays: number): number[] {
  return Array.from({ length: arrays }, (_, k) => (caseIndex + k) % 4);
}

/** Every (length, misalignment) pair: each length at all four 16-byte phases. */
export const CASES: [number, number][] = LENGTHS.flatMap((n) => [0, 1, 2, 3].map((phase) => [n, phase] as [number, number]));
