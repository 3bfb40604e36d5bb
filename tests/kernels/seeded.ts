// tests/kernels/seeded.ts — the seeded random numbers the kernel tests fill their arrays with, so
// that a failure reproduces exactly. Not a test file.

/** mulberry32: a tiny seeded generator. Uniform in [-1, 1). */
export function randomUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  };
}
