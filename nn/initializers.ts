// nn/initializers.ts — how a layer's weights start, by Keras name.
//
// Dense kernels default to glorot_uniform (uniform in ±sqrt(6 / (fanIn + fanOut)), which keeps
// the variance of activations roughly equal from layer to layer) and biases to zeros, as in Keras.
// All draw from the seeded global generator, so setSeed(n) gives the same weights every run.

import { full, globalRandom, randomNormal, randomUniform, type Shape, type Tensor } from '../engine/index.js';
import { canonicalName, type Spelling } from './activations.js';

/**
 * For a Dense kernel [in, out]: fanIn = in, fanOut = out. For a Conv2D kernel [kh, kw, in, out]
 * (Keras' rule): each is multiplied by the receptive field kh·kw. For a vector: both its length.
 */
function fans(shape: Shape): [number, number] {
  if (shape.length === 2) return [shape[0], shape[1]];
  if (shape.length > 2) {
    const receptiveField = shape.slice(0, -2).reduce((a, b) => a * b, 1);
    return [shape[shape.length - 2] * receptiveField, shape[shape.length - 1] * receptiveField];
  }
  const n = shape.reduce((a, b) => a * b, 1);
  return [n, n];
}

function truncatedNormal(shape: Shape, stddev: number): Tensor {
  // Keras' truncated normal redraws samples beyond two standard deviations; the stddev given is
  // already corrected for the truncation (0.87962566103423978 is the stddev of a unit normal
  // truncated to ±2), as Keras' variance-scaling initializers do.
  const t = randomNormal(shape, { stddev: 1 });
  const d = t.data;
  const scale = stddev / 0.87962566103423978;
  for (let i = 0; i < d.length; i++) {
    while (Math.abs(d[i]) > 2) d[i] = globalRandom.normal();
    d[i] *= scale;
  }
  return t;
}

/** Keras' names for the initializers below. */
export type InitializerName =
  | 'glorot_uniform' | 'glorot_normal' | 'he_uniform' | 'he_normal' | 'random_normal' | 'random_uniform' | 'zeros' | 'ones';

const initializers: Record<InitializerName, (shape: Shape) => Tensor> = {
  glorot_uniform: (shape: Shape) => {
    const [fanIn, fanOut] = fans(shape);
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return randomUniform(shape, { minval: -limit, maxval: limit });
  },
  glorot_normal: (shape: Shape) => {
    const [fanIn, fanOut] = fans(shape);
    return truncatedNormal(shape, Math.sqrt(2 / (fanIn + fanOut)));
  },
  he_uniform: (shape: Shape) => {
    const limit = Math.sqrt(6 / fans(shape)[0]);
    return randomUniform(shape, { minval: -limit, maxval: limit });
  },
  he_normal: (shape: Shape) => truncatedNormal(shape, Math.sqrt(2 / fans(shape)[0])),
  random_normal: (shape: Shape) => randomNormal(shape, { stddev: 0.05 }),
  random_uniform: (shape: Shape) => randomUniform(shape, { minval: -0.05, maxval: 0.05 }),
  zeros: (shape: Shape) => full(shape, 0),
  ones: (shape: Shape) => full(shape, 1),
};

/** Initializer names as layers take them, in snake_case or camelCase ('glorot_uniform', 'heNormal'). */
export type InitializerIdentifier = Spelling<InitializerName>;
export const initializerNames = Object.keys(initializers) as InitializerName[];

/** Resolves an initializer name (snake_case or camelCase) or throws listing the valid ones. */
export function resolveInitializer(name: string, where: string): (shape: Shape) => Tensor {
  const found = initializerNames.find((n) => canonicalName(n) === canonicalName(String(name)));
  if (found === undefined) {
    throw new Error(
      `wasmgrad: ${where} got an unknown initializer ${JSON.stringify(name)}; expected one of ${initializerNames.map((n) => `'${n}'`).join(', ')}`,
    );
  }
  return initializers[found];
}
