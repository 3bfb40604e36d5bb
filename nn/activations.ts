// nn/activations.ts — activation functions by their Keras names, and how names are spelled.
//
// Keras users write 'relu', 'softmax', 'sigmoid', 'tanh', 'elu', 'linear'. TypeScript users may
// write camelCase: identifiers are matched after removing '_' and lowercasing ('sparse_categorical
// _crossentropy' = 'sparseCategoricalCrossentropy'), here and for losses, optimizers, initializers.

import { elu, relu, sigmoid, softmax, tanh, type Tensor } from '../engine/index.js';

/** 'sparse_categorical_crossentropy', 'sparseCategoricalCrossentropy' → 'sparsecategoricalcrossentropy'. */
export function canonicalName(name: string): string {
  return name.replace(/_/g, '').toLowerCase();
}

/** A Keras identifier in camelCase, as a type: 'sparse_categorical_crossentropy' → 'sparseCategoricalCrossentropy'. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/**
 * A name as the API's types take it: Keras' snake_case or its camelCase, so that a typo fails tsc.
 * (At run time any spelling that matches after canonicalName is accepted, 'RMSprop' included.)
 */
export type Spelling<S extends string> = S | CamelCase<S>;

export type ActivationName = 'relu' | 'softmax' | 'sigmoid' | 'tanh' | 'elu' | 'linear';

/** The activation names layers take (one word each, so snake_case and camelCase agree). */
export type ActivationIdentifier = Spelling<ActivationName>;

const activations: Record<ActivationName, (x: Tensor) => Tensor> = {
  relu,
  softmax,
  sigmoid,
  tanh,
  elu: (x) => elu(x),
  linear: (x) => x,
};

export const activationNames = Object.keys(activations) as ActivationName[];

/** Resolves an activation name (undefined/null means 'linear', as in Keras), or throws listing the valid ones. */
export function resolveActivation(name: string | null | undefined, where: string): ActivationName {
  if (name === undefined || name === null) return 'linear';
  const found = activationNames.find((a) => canonicalName(a) === canonicalName(String(name)));
  if (found === undefined) {
    throw new Error(
      `wasmgrad: ${where} got an unknown activation ${JSON.stringify(name)}; expected one of ${activationNames.map((a) => `'${a}'`).join(', ')}`,
    );
  }
  return found;
}

export function applyActivation(name: ActivationName, x: Tensor): Tensor {
  return activations[name](x);
}
