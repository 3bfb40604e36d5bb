// engine/index.ts — the engine's public face: tensors, ops, autograd, losses, optimizers, RNG.
// Everything a user or nn/ needs from the engine is exported here; nothing here knows of layers.

import './methods.js';

export {
  Tensor, Storage, tensor, empty, zeros, ones, full, randomNormal, randomUniform, parameter,
  noGrad, isGradEnabled, scoped, keep, persistent, record, shapeSize, formatShape,
} from './tensor.js';
export type { Shape, NestedNumbers, Recipe } from './tensor.js';
export { describeValue } from './describe.js';
export { add, sub, mul, div, neg, relu, sigmoid, tanh, elu, exp, log, square, sqrt, broadcastShape } from './ops/elementwise.js';
export { matmul, linear } from './ops/matmul.js';
export { sum, mean, argmax } from './ops/reduce.js';
export type { ReduceOptions } from './ops/reduce.js';
export { reshape, transpose, sliceRows, gatherRows } from './ops/shape.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { dropout } from './ops/dropout.js';
export type { DropoutOptions } from './ops/dropout.js';
export { softmaxCrossEntropy, crossEntropyFromProbabilities, meanSquaredError, binaryCrossEntropy, EPSILON } from './losses.js';
export { Optimizer, SGD, RMSprop, Adam } from './optimizers.js';
export type { SGDOptions, RMSpropOptions, AdamOptions, OptimizerState } from './optimizers.js';
export { Random, globalRandom, setSeed } from './random.js';
export type { RandomState } from './random.js';
export { setBackend, getBackend, memoryStats } from '../kernels/index.js';
export { setThreads, getThreads } from '../kernels/index.js';
