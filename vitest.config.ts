import { defineConfig, type TestProjectConfiguration } from 'vitest/config';
import { relaxedSimdFlags, relaxedSimdOn } from './scripts/relaxed-simd.mjs';

// Tests run against the TypeScript sources. Each test file gets its own process (forks) so that
// one file's WebAssembly memory and backend choice never leak into another's.
//
// The kernel tests check every WASM build the runtime validates: the plain simd128 build always,
// the relaxed-SIMD (FMA) build where it validates. Node >= 22 validates both as it comes, so one
// project covers everything. Node 20 validates the FMA build only when started with
// --experimental-wasm-relaxed-simd (which Node >= 22 refuses), so there a second project,
// 'relaxed-simd', reruns the kernel tests in processes started with that flag.
const relaxedProject: TestProjectConfiguration[] =
  !relaxedSimdOn() && relaxedSimdFlags().length > 0
    ? [{ extends: true, test: { name: 'relaxed-simd', include: ['tests/kernels/**/*.test.ts'], execArgv: relaxedSimdFlags() } }]
    : [];

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    projects: [{ extends: true, test: { name: 'node', include: ['tests/**/*.test.ts'] } }, ...relaxedProject],
  },
});
