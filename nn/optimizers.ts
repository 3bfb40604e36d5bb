// nn/optimizers.ts — optimizers by Keras name ('adam', 'sgd', 'rmsprop') or as instances
// (`new optimizers.Adam({ learningRate: 1e-4 })`), and Keras' optimizers.schedules
// (`new optimizers.schedules.ExponentialDecay({ ... })`). The update rules live in engine/optimizers.ts.

import { Adam, CosineDecay, ExponentialDecay, LearningRateSchedule, Optimizer, PiecewiseConstantDecay, RMSprop, SGD } from '../engine/index.js';
import { canonicalName } from './activations.js';

export { Adam, Optimizer, RMSprop, SGD };
export const schedules = Object.freeze({ LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay, CosineDecay });

/** The optimizer names compile() takes: Keras' identifiers, or its class names as strings. */
export type OptimizerIdentifier = 'adam' | 'sgd' | 'rmsprop' | 'Adam' | 'SGD' | 'RMSprop';

const byName: Record<string, () => Optimizer> = {
  adam: () => new Adam(),
  sgd: () => new SGD(),
  rmsprop: () => new RMSprop(),
};

export function resolveOptimizer(optimizer: unknown): Optimizer {
  if (optimizer instanceof Optimizer) return optimizer;
  const make = typeof optimizer === 'string' ? byName[canonicalName(optimizer)] : undefined;
  if (make === undefined) {
    throw new Error(
      `wasmgrad: compile() got an unknown optimizer ${JSON.stringify(optimizer)}; expected 'adam', 'sgd', 'rmsprop' or an instance such as new optimizers.Adam({ learningRate: 0.001 })`,
    );
  }
  return make();
}
