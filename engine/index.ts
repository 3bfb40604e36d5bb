// engine/index.ts — the engine's public face: tensors, ops, autograd, losses, optimizers, RNG.
// Everything a user or nn/ needs from the engine is exported here; nothing here knows of layers.
//
// The ops are exported as public calls (publicCall in tensor.ts): called outside any scope, each
// runs in a scope of its own whose results move to the JS heap, so a loop of them is garbage the
// garbage collector sees; inside a scope (a training step) they are the plain functions.

import './methods.js';
import { publicCall } from './tensor.js';
import * as elementwise from './ops/elementwise.js';
import * as matmulOps from './ops/matmul.js';
import * as reduce from './ops/reduce.js';
import * as shapeOps from './ops/shape.js';
import * as softmaxOps from './ops/softmax.js';
import * as dropoutOps from './ops/dropout.js';
import * as convOps from './ops/conv.js';
import * as poolingOps from './ops/pooling.js';
import * as batchNormOps from './ops/batchnorm.js';
import * as losses from './losses.js';

export {
  Tensor, Storage, tensor, empty, zeros, ones, full, randomNormal, randomUniform, parameter,
  noGrad, isGradEnabled, scoped, keep, persistent, onHost, topLevel, record, shapeSize, formatShape, MAX_ELEMENTS,
} from './tensor.js';
export type { Shape, NestedNumbers, Recipe } from './tensor.js';
export { describeValue } from './describe.js';
export { firstNonFinite, describeIndex } from './finite.js';
export const { add, sub, mul, div, neg, relu, sigmoid, tanh, elu, exp, log, square, sqrt } = wrapAll(elementwise);
export { broadcastShape } from './ops/elementwise.js';
export const { matmul, linear } = wrapAll(matmulOps);
export type { LinearDropout } from './ops/matmul.js';
export const { sum, mean, argmax } = wrapAll(reduce);
export type { ReduceOptions } from './ops/reduce.js';
export const { reshape, transpose, sliceRows, gatherRows } = wrapAll(shapeOps);
export const { softmax, logSoftmax } = wrapAll(softmaxOps);
export const { dropout } = wrapAll(dropoutOps);
export const { conv2d, conv2dReluMaxPool } = wrapAll(convOps);
export { conv2dRunsDirect } from './ops/conv.js';
export type { Conv2dOptions, Conv2dReluMaxPoolOptions } from './ops/conv.js';
export const { maxPool2d, avgPool2d, globalMaxPool2d, globalAvgPool2d } = wrapAll(poolingOps);
export type { Pool2dOptions } from './ops/pooling.js';
export const { batchNormTraining, batchNormInference } = wrapAll(batchNormOps);
export type { BatchNormResult } from './ops/batchnorm.js';
export { windowAxis, windowGeometry } from './ops/window.js';
export type { Padding, WindowOptions } from './ops/window.js';
export type { DropoutOptions } from './ops/dropout.js';
export const { softmaxCrossEntropy, crossEntropyFromProbabilities, meanSquaredError, binaryCrossEntropy } = wrapAll(losses);
export { EPSILON } from './losses.js';
export type { SampleWeight } from './losses.js';
export { Optimizer, SGD, RMSprop, Adam } from './optimizers.js';
export type { SGDOptions, RMSpropOptions, AdamOptions, OptimizerState, OptimizerConfig } from './optimizers.js';
export { LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay, CosineDecay, scheduleFromConfig } from './schedules.js';
export type { ExponentialDecayOptions, PiecewiseConstantDecayOptions, CosineDecayOptions, SavedSchedule } from './schedules.js';
export { Random, globalRandom, setSeed } from './random.js';
export type { RandomState } from './random.js';
export { setBackend, getBackend, memoryStats, setMemoryLimit, withAllocationBudget } from '../kernels/index.js';
export { setThreads, getThreads, ready } from '../kernels/index.js';

/** Every function of a module, as a public call (same name, same type). */
function wrapAll<M extends object>(module: M): M {
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(module)) {
    wrapped[name] = typeof value === 'function' ? publicCall(value as (...args: unknown[]) => unknown) : value;
  }
  return wrapped as M;
}
