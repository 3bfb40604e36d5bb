// nn/checks.ts — the argument checks of fit / evaluate / predict, at the public boundary: each bad
// value gets an Error naming what was expected and what was given, before any weight changes.
// Checks that need the model itself (input shapes against its layers, labels against its loss)
// stay in sequential.ts and losses.ts.

import { Tensor, describeValue, firstNonFinite, formatShape } from '../engine/index.js';
import type { Callback, CallbackLike } from './callbacks.js';

export function checkPositiveInteger(value: unknown, what: string, method: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    const Kind = typeof value === 'number' ? RangeError : Error;
    throw new Kind(`wasmgrad: ${method} expected ${what} to be a positive integer, got ${describeValue(value)}`);
  }
  return value;
}

/** An options argument: undefined (all defaults) or a plain object, never a number or a string. */
export function checkOptionsObject(options: unknown, method: string, example: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options) || options instanceof Tensor) {
    throw new Error(`wasmgrad: ${method} expected an options object such as ${example}, got ${describeValue(options)}`);
  }
}

export function checkVerbose(value: unknown, method: string, allowed: readonly number[]): void {
  if (!allowed.includes(value as number)) {
    throw new Error(`wasmgrad: ${method} expected verbose to be ${allowed.join(', ').replace(/, (\d)$/, ' or $1')}, got ${describeValue(value)}`);
  }
}

/**
 * Rejects NaN and ±Infinity in data up front: a ReLU would quietly turn NaN into 0 and training
 * would go on with garbage, so we name the first bad value instead.
 */
export function checkFinite(t: Tensor, what: string, method: string): void {
  const i = firstNonFinite(t); // a SIMD kernel: a data set is checked at memory speed, not by a JS loop
  if (i >= 0) {
    const rowSize = t.size / t.shape[0];
    throw new Error(`wasmgrad: ${method} expected finite numbers in ${what}, got ${t.data[i]} in sample ${Math.floor(i / rowSize)} (element ${i % rowSize} of it)`);
  }
}

function checkIsTensor(value: unknown, what: string, method: string): void {
  if (!(value instanceof Tensor)) {
    throw new Error(`wasmgrad: ${method} expected ${what} to be a Tensor (make one with tensor(values, shape)), got ${describeValue(value)}`);
  }
}

function checkBatch(x: Tensor, method: string): void {
  if (x.rank < 2) throw new Error(`wasmgrad: ${method} expected x of shape [samples, ...features], got ${formatShape(x.shape)}`);
}

/** x alone (predict): a Tensor [samples, ...features] with finite values. */
export function checkX(x: Tensor, method: string): void {
  checkIsTensor(x, 'x', method);
  checkBatch(x, method);
  checkFinite(x, 'x', method);
}

/** x and y: tensors with the same, non-zero number of samples and finite values. */
export function checkXY(x: Tensor, y: Tensor, method: string): void {
  checkIsTensor(x, 'x', method);
  checkIsTensor(y, 'y', method);
  checkBatch(x, method);
  if (x.shape[0] !== y.shape[0]) {
    throw new Error(`wasmgrad: ${method} expected x and y to have the same number of samples, got ${x.shape[0]} in x ${formatShape(x.shape)} and ${y.shape[0]} in y ${formatShape(y.shape)}`);
  }
  if (x.shape[0] === 0) throw new Error(`wasmgrad: ${method} got no samples (x has shape ${formatShape(x.shape)})`);
  checkFinite(x, 'x', method);
  checkFinite(y, 'y', method);
}

/** Validation samples must have the training samples' shape (checked before a deferred build). */
export function checkSameSampleShape(x: Tensor, like: Tensor, method: string): void {
  const sample = x.shape.slice(1), expected = like.shape.slice(1);
  if (sample.length !== expected.length || sample.some((d, i) => d !== expected[i])) {
    throw new Error(`wasmgrad: ${method} expected x of shape [samples, ${expected.join(', ')}] like the training x, got ${formatShape(x.shape)}`);
  }
}

/** fit()'s options with Keras' defaults filled in, each one checked. */
export interface FitSettings {
  batchSize: number;
  epochs: number;
  verbose: 0 | 1 | 2;
  shuffle: boolean;
  callbacks: (Callback | CallbackLike)[];
  validationSplit: number | undefined;
  validationData: [Tensor, Tensor] | [Tensor, Tensor, Tensor | ArrayLike<number>] | undefined;
  classWeight: Record<number, number> | undefined;
  sampleWeight: Tensor | ArrayLike<number> | undefined;
}

/** Checks fit()'s options object (not yet the data: see Sequential.prepareFitData). */
export function checkFitOptions(options: Record<string, unknown>): FitSettings {
  checkOptionsObject(options, 'fit()', '{ epochs: 5, batchSize: 32 }');
  const batchSize = checkPositiveInteger(options.batchSize ?? 32, 'batchSize', 'fit()');
  const epochs = checkPositiveInteger(options.epochs ?? 1, 'epochs', 'fit()');
  const verbose = options.verbose ?? 1;
  checkVerbose(verbose, 'fit()', [0, 1, 2]);
  const shuffle = options.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw new Error(`wasmgrad: fit() expected shuffle to be true or false, got ${describeValue(shuffle)}`);
  const callbacks = options.callbacks ?? [];
  if (!Array.isArray(callbacks) || callbacks.some((cb) => cb === null || typeof cb !== 'object')) {
    throw new Error(`wasmgrad: fit() expected callbacks as a list such as [new EarlyStopping()], got ${describeValue(options.callbacks)}`);
  }
  const validationData = options.validationData;
  if (validationData !== undefined && (!Array.isArray(validationData) || validationData.length < 2 || validationData.length > 3)) {
    throw new Error(`wasmgrad: fit() expected validationData as a pair [xVal, yVal] (or [xVal, yVal, sampleWeight]), got ${describeValue(validationData)}`);
  }
  const classWeight = options.classWeight;
  if (classWeight !== undefined) {
    const bad = classWeight === null || typeof classWeight !== 'object' || Array.isArray(classWeight) || classWeight instanceof Tensor
      ? ['', classWeight] as const
      : Object.entries(classWeight).find(([id, w]) => !/^\d+$/.test(id) || typeof w !== 'number' || !(w >= 0) || !Number.isFinite(w));
    if (bad !== undefined) {
      throw new Error(`wasmgrad: fit() expected classWeight as { classId: weight } with non-negative numbers, such as { 0: 1, 1: 5 }, got ${bad[0] === '' ? describeValue(classWeight) : `${describeValue(bad[1])} for class ${JSON.stringify(bad[0])}`}`);
    }
    // Keras refuses both: which weight would win is not obvious.
    if (options.sampleWeight !== undefined) throw new Error('wasmgrad: fit() expected classWeight or sampleWeight, got both; fold the class weights into sampleWeight');
  }
  const split = options.validationSplit;
  if (split !== undefined && (typeof split !== 'number' || !(split > 0 && split < 1))) {
    const Kind = typeof split === 'number' ? RangeError : Error;
    throw new Kind(`wasmgrad: fit() expected validationSplit to be a number in (0, 1), got ${describeValue(split)}`);
  }
  return {
    batchSize, epochs, verbose: verbose as 0 | 1 | 2, shuffle, callbacks,
    validationSplit: split as number | undefined, validationData: validationData as FitSettings['validationData'],
    classWeight: classWeight as Record<number, number> | undefined, sampleWeight: options.sampleWeight as FitSettings['sampleWeight'],
  };
}

/** Sample weights as a Float32Array: one non-negative finite number a sample ([n] or [n, 1]). */
export function sampleWeightsOf(given: Tensor | ArrayLike<number>, n: number, what: string): Float32Array {
  const isList = given instanceof Tensor ? given.rank === 1 || (given.rank === 2 && given.shape[1] === 1) : given !== null && typeof given === 'object' && typeof given.length === 'number';
  if (!isList) throw new Error(`wasmgrad: ${what} expected one weight a sample, shape [${n}], got ${describeValue(given)}`);
  const values = given instanceof Tensor ? given.data : given;
  if (values.length !== n) throw new Error(`wasmgrad: ${what} expected ${n} weights (one a sample), got ${values.length}`);
  const weights = Float32Array.from(values);
  const bad = weights.findIndex((w, i) => !(w >= 0) || !Number.isFinite(w) || typeof values[i] !== 'number');
  if (bad !== -1) throw new Error(`wasmgrad: ${what} expected non-negative finite weights, got ${describeValue(values[bad])} for sample ${bad}`);
  return weights;
}

/**
 * Keras' class_weight as sample weights: each sample gets its class's weight (1 for a class not
 * listed). The class is the id, the argmax of a one-hot row, or a rounded [n, 1] binary target.
 */
export function classWeightsOf(classWeight: Record<number, number> | undefined, y: Tensor): Float32Array | null {
  if (classWeight === undefined) return null;
  const n = y.shape[0], C = n === 0 ? 1 : y.size / n, L = y.data;
  const weights = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let id = 0;
    if (C === 1) id = Math.round(L[r]);
    else for (let j = 1; j < C; j++) if (L[r * C + j] > L[r * C + id]) id = j;
    weights[r] = classWeight[id] ?? 1;
  }
  return weights;
}
