import { defineConfig, type TestProjectConfiguration } from 'vitest/config';
import { relaxedSimdFlags, relaxedSimdOn } from './scripts/relaxed-simd.mjs';

// Tests run against the TypeScript sources. Each test file gets its own process (forks) so that
// one file's WebAssembly memory and backend choice never leak into another's.
//
// The kernel tests check every WASM build the runtime validates: the plain simd128 build always,
// the relaxed-SIMD (FMA) build where it validates. Node >= 22 validates both as it comes, so one
// project covers everything. Node 20 validates the FMA build only when started with
// --experimental-wasm-relaxed-simd (which Node >= 22 refuses), so there a second project,
// 'relaxed-simd', runs the tests that depend on the build (tests/kernels/builds/) in processes
// started with that flag, for the relaxed build only (tests/kernels/builds.ts): the 'node' project
// has checked the simd build and everything build-independent already.
const relaxedProject: TestProjectConfiguration[] =
  !relaxedSimdOn() && relaxedSimdFlags().length > 0
    ? [{
        extends: true,
        test: {
          name: 'relaxed-simd',
          include: ['tests/kernels/builds/*.test.ts'],
          execArgv: relaxedSimdFlags(),
          env: { WASMGRAD_TEST_BUILDS: 'relaxed' },
        },
      }]
    : [];

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    projects: [{ extends: true, test: { name: 'node', include: ['tests/**/*.test.ts'] } }, ...relaxedProject],
  },
});
