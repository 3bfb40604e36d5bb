// nn/namespaces/optimizers.ts — Keras' keras.optimizers: `new optimizers.Adam({ learningRate: 1e-4 })`.
// The update rules live in engine/optimizers.ts; compile() also takes their names ('adam', ...).

export { Optimizer, SGD, RMSprop, Adam } from '../../engine/index.js';
export type { SGDOptions, RMSpropOptions, AdamOptions, OptimizerState } from '../../engine/index.js';
export { schedules } from '../optimizers.js';
export type { OptimizerIdentifier } from '../optimizers.js';
export type { ExponentialDecayOptions, PiecewiseConstantDecayOptions, CosineDecayOptions } from '../../engine/index.js';
