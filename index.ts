// wasmgrad — deep learning in TypeScript: a Float32Array autograd engine whose matrix multiply is
// WebAssembly SIMD, under a Keras-like API. This entry point is the Keras face:
//
//   import { Sequential, Dense, Dropout, layers, optimizers, datasets, utils } from 'wasmgrad';
//
// plus the few engine names a Keras program uses (tensor, Tensor, setSeed, setThreads, ready). The rest
// of the engine is 'wasmgrad/engine' (tensors, ops, autograd, scopes, the losses and optimizers as
// functions and classes); memory, GEMM and backend selection are 'wasmgrad/kernels'.

// The side-effect imports come first on purpose: esbuild (0.28), bundling into one file an app
// that loads wasmgrad with import(), does not wait for the top-level await (the WASM module loads
// with one) of a module reached only through `export *`, and hands back Dense and Sequential as
// undefined. Plain imports are awaited. tests/browser-bundle.test.ts bundles both ways.
import './engine/index.js';
import './nn/index.js';
export * from './nn/index.js';
// ready() as TF.js' tf.ready(): in a page the kernels start asynchronously; getBackend says which run.
export { Tensor, tensor, setSeed, setThreads, getThreads, ready, getBackend } from './engine/index.js';
export type { Shape, NestedNumbers } from './engine/index.js';
export * as datasets from './datasets/index.js';
export { showImages, saveImageGrid, saveHistoryPlot } from './pictures/index.js';
export type { ShowImagesOptions, HistoryLike } from './pictures/index.js';
