// nn/layers/index.ts — the layers a Sequential model is built from.
export { Layer, clearSession } from './layer.js';
export type { LayerOptions, CallOptions, ForwardStep } from './layer.js';
export { Dense } from './dense.js';
export type { DenseOptions } from './dense.js';
export { Activation, ReLU, Softmax } from './activation.js';
export { Dropout } from './dropout.js';
export type { DropoutOptions } from './dropout.js';
export { Flatten } from './flatten.js';
