// tests/kernels/flags.ts — the GEMM epilogue combinations the kernel tests run through. Not a test file.

/** One GEMM epilogue: add a bias row, apply ReLU, accumulate into C. */
export interface Flags {
  bias: boolean;
  relu: boolean;
  accumulate: boolean;
}

/** All eight combinations. */
export const ALL_FLAGS: Flags[] = [];
for (const bias of [false, true]) {
  for (const relu of [false, true]) for (const accumulate of [false, true]) ALL_FLAGS.push({ bias, relu, accumulate });
}
