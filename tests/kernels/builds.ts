// tests/kernels/builds.ts — which compiled WebAssembly builds the build-dependent tests
// (tests/kernels/builds/*.test.ts) check in this process, each instantiated apart from wasmKernels
// so that the build not chosen as default is checked too. Not a test file.
//
// By default: every build this runtime validates (simd always; relaxed on Node >= 22, or on Node 20
// started with --experimental-wasm-relaxed-simd). vitest.config.ts' 'relaxed-simd' project sets
// WASMGRAD_TEST_BUILDS=relaxed: it exists only to check the relaxed build where the plain project
// cannot, so it must not check the simd build a second time.

import type { Kernels } from '../../kernels/index.js';
import { createWasmKernels, wasmBuildValidates, type WasmBuild } from '../../kernels/wasm.js';

function buildsUnderTest(): WasmBuild[] {
  const requested = process.env['WASMGRAD_TEST_BUILDS'];
  if (requested === undefined || requested === '') return wasmBuildValidates('relaxed') ? ['simd', 'relaxed'] : ['simd'];
  const builds = requested.split(',').map((name) => name.trim());
  for (const build of builds) {
    if (build !== 'simd' && build !== 'relaxed') throw new Error(`WASMGRAD_TEST_BUILDS names an unknown build: ${build}`);
    // A project that asks for a build must really test it: refuse rather than test nothing.
    if (!wasmBuildValidates(build)) throw new Error(`WASMGRAD_TEST_BUILDS asks for the '${build}' build, which this runtime does not validate`);
  }
  return builds as WasmBuild[];
}

export const builds: WasmBuild[] = buildsUnderTest();

/** One Kernels per build under test. */
export const kernelsByBuild = new Map<WasmBuild, Kernels>();
for (const build of builds) kernelsByBuild.set(build, await createWasmKernels(build));
