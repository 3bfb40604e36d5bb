// wasmgrad — deep learning in TypeScript: a Float32Array autograd engine whose matrix multiply is
// WebAssembly SIMD, under a Keras-like API. This entry point exports all of it:
//
//   import { Sequential, Dense, Dropout, datasets, toCategorical } from 'wasmgrad';
//
// The layers below it can be imported alone: 'wasmgrad/engine' (tensors, autograd, losses,
// optimizers) and 'wasmgrad/kernels' (memory, GEMM, backend selection).

// The side-effect imports come first on purpose: esbuild (0.28), bundling into one file an app
// that loads wasmgrad with import(), does not wait for the top-level await (the WASM module loads
// with one) of a module reached only through `export *`, and hands back Dense and Sequential as
// undefined. Plain imports are awaited. tests/browser-bundle.test.ts bundles both ways.
import './engine/index.js';
import './nn/index.js';
export * from './engine/index.js';
export * from './nn/index.js';
export * as datasets from './datasets/index.js';
export { showImages, saveImageGrid, saveHistoryPlot } from './pictures/index.js';
export type { ShowImagesOptions } from './pictures/index.js';
