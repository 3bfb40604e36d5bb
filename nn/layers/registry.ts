// nn/layers/registry.ts — recreating a layer from its saved form: className + getConfig() → a new,
// unbuilt layer (Keras' layer deserialization). loadModel (nn/saving/load.ts) builds models with it.
// Not a plugin system: the layer classes of this library, each with the config keys it accepts.

import type { ActivationIdentifier } from '../activations.js';
import type { InitializerIdentifier } from '../initializers.js';
import { Activation, ReLU, Softmax } from './activation.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import type { Layer } from './layer.js';
import { BatchNormalization } from './batch-normalization.js';
import { Conv2D } from './conv2d.js';
import { Input } from './input.js';
import { AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPooling2D } from './pooling.js';
import { Reshape } from './reshape.js';

type Config = Record<string, unknown>;

interface Entry {
  /** The config keys getConfig() writes; anything else is refused rather than silently ignored. */
  keys: string[];
  make: (config: Config) => Layer;
}

// Constructors validate values (units, rate, activation and initializer names, inputShape); the
// registry checks only what they take on trust: that each value has the right JavaScript type.
const registry: Record<string, Entry> = {
  Dense: {
    keys: ['name', 'inputShape', 'units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer'],
    make: (c) =>
      new Dense(c.units as number, {
        name: c.name as string,
        inputShape: c.inputShape as number[] | undefined,
        activation: c.activation as ActivationIdentifier | undefined,
        useBias: c.useBias as boolean | undefined,
        kernelInitializer: c.kernelInitializer as InitializerIdentifier | undefined,
        biasInitializer: c.biasInitializer as InitializerIdentifier | undefined,
      }),
  },
  Activation: {
    keys: ['name', 'inputShape', 'activation'],
    make: (c) => new Activation(c.activation as ActivationIdentifier, { name: c.name as string, inputShape: c.inputShape as number[] | undefined }),
  },
  ReLU: {
    keys: ['name', 'inputShape'],
    make: (c) => new ReLU({ name: c.name as string, inputShape: c.inputShape as number[] | undefined }),
  },
  Softmax: {
    keys: ['name', 'inputShape'],
    make: (c) => new Softmax({ name: c.name as string, inputShape: c.inputShape as number[] | undefined }),
  },
  Dropout: {
    keys: ['name', 'rate', 'seed'],
    make: (c) => new Dropout(c.rate as number, { name: c.name as string, seed: c.seed as number | undefined }),
  },
  Flatten: {
    keys: ['name', 'inputShape'],
    make: (c) => new Flatten({ name: c.name as string, inputShape: c.inputShape as number[] | undefined }),
  },
  Conv2D: {
    keys: ['name', 'inputShape', 'filters', 'kernelSize', 'strides', 'padding', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer'],
    make: (c) =>
      new Conv2D(c.filters as number, c.kernelSize as [number, number], {
        name: c.name as string,
        inputShape: c.inputShape as number[] | undefined,
        strides: c.strides as [number, number] | undefined,
        padding: c.padding as 'valid' | 'same' | undefined,
        activation: c.activation as ActivationIdentifier | undefined,
        useBias: c.useBias as boolean | undefined,
        kernelInitializer: c.kernelInitializer as InitializerIdentifier | undefined,
        biasInitializer: c.biasInitializer as InitializerIdentifier | undefined,
      }),
  },
  ...poolingEntries(),
  GlobalMaxPooling2D: {
    keys: ['name', 'inputShape'],
    make: (c) => new GlobalMaxPooling2D({ name: c.name as string, inputShape: c.inputShape as number[] | undefined }),
  },
  GlobalAveragePooling2D: {
    keys: ['name', 'inputShape'],
    make: (c) => new GlobalAveragePooling2D({ name: c.name as string, inputShape: c.inputShape as number[] | undefined }),
  },
  BatchNormalization: {
    keys: [
      'name', 'inputShape', 'axis', 'momentum', 'epsilon', 'center', 'scale',
      'betaInitializer', 'gammaInitializer', 'movingMeanInitializer', 'movingVarianceInitializer',
    ],
    make: (c) => new BatchNormalization(c as Config & { name: string }),
  },
  Reshape: {
    keys: ['name', 'inputShape', 'targetShape'],
    make: (c) => new Reshape(c.targetShape as number[], { name: c.name as string, inputShape: c.inputShape as number[] | undefined }),
  },
  InputLayer: {
    keys: ['name', 'inputShape'],
    make: (c) => new Input({ name: c.name as string, shape: c.inputShape as number[] }),
  },
};

/** MaxPooling2D and AveragePooling2D take the same config. */
function poolingEntries(): Record<string, Entry> {
  const entry = (Pool: typeof MaxPooling2D | typeof AveragePooling2D): Entry => ({
    keys: ['name', 'inputShape', 'poolSize', 'strides', 'padding'],
    make: (c) =>
      new Pool(c.poolSize as [number, number], {
        name: c.name as string,
        inputShape: c.inputShape as number[] | undefined,
        strides: c.strides as [number, number] | undefined,
        padding: c.padding as 'valid' | 'same' | undefined,
      }),
  });
  return { MaxPooling2D: entry(MaxPooling2D), AveragePooling2D: entry(AveragePooling2D) };
}

/** The class names layerFromConfig knows. */
export const layerClassNames: readonly string[] = Object.keys(registry);

const expectedTypes: Record<string, 'string' | 'number' | 'boolean' | 'number[]'> = {
  name: 'string', inputShape: 'number[]', units: 'number', activation: 'string', useBias: 'boolean',
  kernelInitializer: 'string', biasInitializer: 'string', rate: 'number', seed: 'number',
  filters: 'number', kernelSize: 'number[]', strides: 'number[]', padding: 'string', poolSize: 'number[]', targetShape: 'number[]',
  axis: 'number', momentum: 'number', epsilon: 'number', center: 'boolean', scale: 'boolean',
  betaInitializer: 'string', gammaInitializer: 'string', movingMeanInitializer: 'string', movingVarianceInitializer: 'string',
};

function hasType(value: unknown, type: string): boolean {
  if (type === 'number[]') return Array.isArray(value) && value.every((d) => typeof d === 'number');
  return typeof value === type;
}

/**
 * A new, unbuilt layer of class `className` from the config its getConfig() returned.
 * Throws an Error naming the key, what was expected and what was given when the config is wrong.
 */
export function layerFromConfig(className: string, config: Config): Layer {
  const entry = Object.hasOwn(registry, className) ? registry[className] : undefined;
  if (entry === undefined) {
    throw new Error(`wasmgrad: unknown layer class ${JSON.stringify(className)}; expected one of ${layerClassNames.join(', ')}`);
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new Error(`wasmgrad: ${className} expected its config to be an object, got ${JSON.stringify(config)}`);
  }
  for (const [key, value] of Object.entries(config)) {
    if (!entry.keys.includes(key)) {
      throw new Error(`wasmgrad: ${className} config has an unknown key ${JSON.stringify(key)}; expected only ${entry.keys.join(', ')}`);
    }
    if (value !== undefined && !hasType(value, expectedTypes[key])) {
      throw new Error(`wasmgrad: ${className} config expected ${key} to be a ${expectedTypes[key]}, got ${JSON.stringify(value)}`);
    }
  }
  // The name is what ties weights to layers in a saved model: never let it be made up.
  if (typeof config.name !== 'string' || config.name === '') {
    throw new Error(`wasmgrad: ${className} config expected a non-empty name, got ${JSON.stringify(config.name)}`);
  }
  return entry.make(config);
}
