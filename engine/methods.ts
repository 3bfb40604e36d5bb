// engine/methods.ts — gives Tensor its chainable methods (x.matmul(w).add(b).relu()).
//
// Each method is one line handing over to the op function of the same name, so the ops stay
// plain functions in engine/ops/ and tensor.ts need not import them (no import cycle). The
// signatures are stated once, in TensorMethods; `satisfies` makes tsc check every body against
// them (a method missing, misspelt, or returning the wrong type fails the type check).

import { add, div, elu, exp, log, mul, neg, relu, sigmoid, sqrt, square, sub, tanh } from './ops/elementwise.js';
import { matmul } from './ops/matmul.js';
import { argmax, mean, sum, type ReduceOptions } from './ops/reduce.js';
import { gatherRows, reshape, sliceRows, transpose } from './ops/shape.js';
import { logSoftmax, softmax } from './ops/softmax.js';
import { Tensor, publicCall, type Shape } from './tensor.js';

/** The chainable methods: each is the op of the same name with the tensor as first operand. */
export interface TensorMethods {
  add(other: Tensor | number): Tensor;
  sub(other: Tensor | number): Tensor;
  mul(other: Tensor | number): Tensor;
  div(other: Tensor | number): Tensor;
  neg(): Tensor;
  matmul(other: Tensor): Tensor;
  relu(): Tensor;
  sigmoid(): Tensor;
  tanh(): Tensor;
  elu(alpha?: number): Tensor;
  exp(): Tensor;
  log(): Tensor;
  square(): Tensor;
  sqrt(): Tensor;
  softmax(): Tensor;
  logSoftmax(): Tensor;
  sum(options?: ReduceOptions): Tensor;
  mean(options?: ReduceOptions): Tensor;
  argmax(axis?: number): Tensor;
  reshape(shape: Shape): Tensor;
  transpose(): Tensor;
  sliceRows(start: number, end: number): Tensor;
  gatherRows(indices: ArrayLike<number>): Tensor;
}

declare module './tensor.js' {
  // Declaration merging: every Tensor has the methods (Object.assign below puts them on the prototype).
  interface Tensor extends TensorMethods {}
}

const methods = {
  add(o) { return add(this, o); },
  sub(o) { return sub(this, o); },
  mul(o) { return mul(this, o); },
  div(o) { return div(this, o); },
  neg() { return neg(this); },
  matmul(o) { return matmul(this, o); },
  relu() { return relu(this); },
  sigmoid() { return sigmoid(this); },
  tanh() { return tanh(this); },
  elu(alpha) { return elu(this, alpha); },
  exp() { return exp(this); },
  log() { return log(this); },
  square() { return square(this); },
  sqrt() { return sqrt(this); },
  softmax() { return softmax(this); },
  logSoftmax() { return logSoftmax(this); },
  sum(options) { return sum(this, options); },
  mean(options) { return mean(this, options); },
  argmax(axis) { return argmax(this, axis); },
  reshape(shape) { return reshape(this, shape); },
  transpose() { return transpose(this); },
  sliceRows(start, end) { return sliceRows(this, start, end); },
  gatherRows(indices) { return gatherRows(this, indices); },
} satisfies { [K in keyof TensorMethods]: (this: Tensor, ...args: Parameters<TensorMethods[K]>) => ReturnType<TensorMethods[K]> };
// Each method is a public call: outside any scope it leaves nothing in the WebAssembly memory.
for (const [name, method] of Object.entries(methods)) {
  Object.assign(Tensor.prototype, { [name]: publicCall(method as (...args: unknown[]) => unknown) });
}
