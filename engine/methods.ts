// engine/methods.ts — gives Tensor its chainable methods (x.matmul(w).add(b).relu()).
//
// Each method is one line handing over to the op function of the same name, so the ops stay
// plain functions in engine/ops/ and tensor.ts need not import them (no import cycle).

import { add, div, elu, exp, log, mul, neg, relu, sigmoid, sqrt, square, sub, tanh } from './ops/elementwise.js';
import { matmul } from './ops/matmul.js';
import { argmax, mean, sum, type ReduceOptions } from './ops/reduce.js';
import { gatherRows, reshape, sliceRows, transpose } from './ops/shape.js';
import { logSoftmax, softmax } from './ops/softmax.js';
import { Tensor, publicCall, type Shape } from './tensor.js';

declare module './tensor.js' {
  interface Tensor {
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
}

const methods: Partial<Record<keyof Tensor, unknown>> = {
  add(this: Tensor, o: Tensor | number) { return add(this, o); },
  sub(this: Tensor, o: Tensor | number) { return sub(this, o); },
  mul(this: Tensor, o: Tensor | number) { return mul(this, o); },
  div(this: Tensor, o: Tensor | number) { return div(this, o); },
  neg(this: Tensor) { return neg(this); },
  matmul(this: Tensor, o: Tensor) { return matmul(this, o); },
  relu(this: Tensor) { return relu(this); },
  sigmoid(this: Tensor) { return sigmoid(this); },
  tanh(this: Tensor) { return tanh(this); },
  elu(this: Tensor, alpha?: number) { return elu(this, alpha); },
  exp(this: Tensor) { return exp(this); },
  log(this: Tensor) { return log(this); },
  square(this: Tensor) { return square(this); },
  sqrt(this: Tensor) { return sqrt(this); },
  softmax(this: Tensor) { return softmax(this); },
  logSoftmax(this: Tensor) { return logSoftmax(this); },
  sum(this: Tensor, options?: ReduceOptions) { return sum(this, options); },
  mean(this: Tensor, options?: ReduceOptions) { return mean(this, options); },
  argmax(this: Tensor, axis?: number) { return argmax(this, axis); },
  reshape(this: Tensor, shape: Shape) { return reshape(this, shape); },
  transpose(this: Tensor) { return transpose(this); },
  sliceRows(this: Tensor, start: number, end: number) { return sliceRows(this, start, end); },
  gatherRows(this: Tensor, indices: ArrayLike<number>) { return gatherRows(this, indices); },
};
// Each method is a public call: outside any scope it leaves nothing in the WebAssembly memory.
for (const [name, method] of Object.entries(methods)) {
  Object.assign(Tensor.prototype, { [name]: publicCall(method as (...args: unknown[]) => unknown) });
}
