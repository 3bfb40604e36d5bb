// wasmgrad — deep learning in TypeScript: a Float32Array autograd engine whose matrix multiply is
// WebAssembly SIMD, under a Keras-like API. This entry point exports all of it:
//
//   import { Sequential, Dense, Dropout, datasets, toCategorical } from 'wasmgrad';
//
// The layers below it can be imported alone: 'wasmgrad/engine' (tensors, autograd, losses,
// optimizers) and 'wasmgrad/kernels' (memory, GEMM, backend selection).

export * from './engine/index.js';
export * from './nn/index.js';
