// nn/layers/dense.ts — the fully connected layer: y = activation(x · kernel + bias).
//
// kernel is [inputUnits, units] and bias [units], Keras' layout. Forward is one GEMM with the bias
// (and a ReLU activation) fused into the kernel's epilogue: see engine/ops/matmul.ts `linear`. A
// Dropout after the ReLU runs in place on the GEMM's output, its backward in the ReLU's (fuseWith).

import { resolveActivation, type ActivationIdentifier, type ActivationName } from '../activations.js';
import { resolveInitializer, type InitializerIdentifier } from '../initializers.js';
import { describeValue, formatShape, linear, parameter, persistent, type Tensor } from '../../engine/index.js';
import { GemmLayer } from './gemm-layer.js';
import type { ForwardStep, Layer, LayerOptions } from './layer.js';

export interface DenseOptions extends LayerOptions {
  /** Applied to the output: 'relu', 'softmax', 'sigmoid', 'tanh', 'elu' or 'linear' (default). */
  activation?: ActivationIdentifier | null;
  /** Whether to add a bias vector. Default true. */
  useBias?: boolean;
  /** Default 'glorot_uniform'. */
  kernelInitializer?: InitializerIdentifier;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
}

/**
 * Dense(units, options): y = activation(x · kernel + bias).
 *
 *   x [batch, inputUnits] · kernel [inputUnits, units] + bias [units] → y [batch, units]
 *
 * Example: `new Dense(512, { activation: 'relu', inputShape: [784] })`.
 */
export class Dense extends GemmLayer {
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerIdentifier;
  readonly biasInitializer: InitializerIdentifier;
  kernel: Tensor | null = null;
  bias: Tensor | null = null;

  constructor(units: number, options: DenseOptions = {}) {
    super(options);
    if (typeof units !== 'number' || !Number.isInteger(units) || units <= 0) {
      const Kind = typeof units === 'number' ? RangeError : Error;
      throw new Kind(`wasmgrad: Dense expected units to be a positive integer, got ${describeValue(units)}`);
    }
    this.units = units;
    this.activation = resolveActivation(options.activation, `Dense '${this.name}'`);
    this.useBias = options.useBias ?? true;
    if (typeof this.useBias !== 'boolean') {
      throw new Error(`wasmgrad: Dense '${this.name}' expected useBias to be true or false, got ${describeValue(this.useBias)}`);
    }
    this.kernelInitializer = options.kernelInitializer ?? 'glorot_uniform';
    this.biasInitializer = options.biasInitializer ?? 'zeros';
    // Resolve now so that a misspelled name fails at construction, not at the first fit.
    resolveInitializer(this.kernelInitializer, `Dense '${this.name}' kernelInitializer`);
    resolveInitializer(this.biasInitializer, `Dense '${this.name}' biasInitializer`);
  }

  override get className(): string {
    return 'Dense';
  }

  override checkInputShape(inputShape: readonly number[]): void {
    if (inputShape.length !== 1) {
      throw new Error(
        `wasmgrad: Dense '${this.name}' expected inputs of shape [batch, features], got samples of shape ${formatShape(inputShape)}; add a Flatten layer before it`,
      );
    }
  }

  override build(inputShape: readonly number[]): void {
    this.checkInputShape(inputShape);
    super.build(inputShape);
    const inputUnits = inputShape[0];
    // Weights are long-lived: made outside any training-step scope.
    persistent(() => {
      this.kernel = parameter(resolveInitializer(this.kernelInitializer, 'Dense')([inputUnits, this.units]), `${this.name}/kernel`);
      this.bias = this.useBias ? parameter(resolveInitializer(this.biasInitializer, 'Dense')([this.units]), `${this.name}/bias`) : null;
    });
  }

  /** y = x · kernel + bias, one GEMM (the ReLU in its epilogue when `relu`). */
  protected gemm(x: Tensor, relu: boolean): Tensor {
    return linear(x, this.kernel!, this.bias, { relu });
  }

  /**
   * Dense(relu) + Dropout, or Dense + ReLU + Dropout: one step, the dropout applied in place on
   * the GEMM's output while training (engine's linear with { dropout }); else GemmLayer's fusions.
   */
  override fuseWith(next: Layer, afterNext?: Layer): ForwardStep | null {
    const reluNext = this.activation === 'linear' && next.onlyActivation === 'relu';
    const dropoutLayer = this.activation === 'relu' ? next : reluNext ? afterNext : undefined;
    const dropout = dropoutLayer?.onlyDropout ?? null;
    if (dropout === null) return super.fuseWith(next);
    return {
      layers: reluNext ? [this, next, dropoutLayer!] : [this, next],
      fused: 'ReLU in the GEMM epilogue, dropout in place after it',
      run: (x, { training }) => {
        this.checkInput(x);
        return linear(x, this.kernel!, this.bias, { relu: true, dropout: training ? dropout : undefined });
      },
    };
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return [...inputShape.slice(0, -1), this.units];
  }

  override get weights(): Tensor[] {
    const w: Tensor[] = [];
    if (this.kernel !== null) w.push(this.kernel);
    if (this.bias !== null) w.push(this.bias);
    return w;
  }

  getConfig() {
    return {
      name: this.name,
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
      ...(this.inputShape !== null ? { inputShape: this.inputShape } : {}),
    };
  }
}
