// tests/seeded.ts — the seeded random numbers tests fill their arrays with, so that a failure
// reproduces exactly. Not a test file.

/** mulberry32: a tiny seeded generator of 32-bit integers. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Uniform in [-1, 1). */
export function randomUniform(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 2 ** 31 - 1;
}

/** Uniform in [0, 1). */
export function randomUnit(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 2 ** 32;
}
