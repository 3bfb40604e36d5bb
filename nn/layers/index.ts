// nn/layers/index.ts — the layers a Sequential model is built from.
export { Layer, clearSession } from './layer.js';
export type { LayerOptions, CallOptions, ForwardStep } from './layer.js';
export { Dense } from './dense.js';
export type { DenseOptions } from './dense.js';
export { Activation, ReLU, Softmax } from './activation.js';
export { Dropout } from './dropout.js';
export type { DropoutOptions } from './dropout.js';
export { Flatten } from './flatten.js';
export { Conv2D } from './conv2d.js';
export type { Conv2DOptions } from './conv2d.js';
export { MaxPooling2D, AveragePooling2D, GlobalMaxPooling2D, GlobalAveragePooling2D } from './pooling.js';
export type { Pooling2DOptions, GlobalPooling2DOptions } from './pooling.js';
export { BatchNormalization } from './batch-normalization.js';
export type { BatchNormalizationOptions } from './batch-normalization.js';
export { Reshape } from './reshape.js';
export { Input } from './input.js';
export type { InputOptions } from './input.js';
