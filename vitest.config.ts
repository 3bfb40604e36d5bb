import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources. Each test file gets its own process (forks) so that
// one file's WebAssembly memory and backend choice never leak into another's.
//
// Two projects: 'node' runs every test as the runtime comes; 'relaxed-simd' runs only the tests that
// depend on the compiled build (tests/kernels/builds/), for the relaxed build only, in processes
// started with --experimental-wasm-relaxed-simd, so that Node 20 also checks the relaxed-SIMD (FMA)
// build against the reference (Node >= 22 accepts it without the flag).
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'node', include: ['tests/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'relaxed-simd',
          include: ['tests/kernels/builds/*.test.ts'],
          execArgv: ['--experimental-wasm-relaxed-simd'],
          env: { WASMGRAD_TEST_BUILDS: 'relaxed' }, // tests/kernels/builds.ts: the simd build is the 'node' project's
        },
      },
    ],
  },
});
