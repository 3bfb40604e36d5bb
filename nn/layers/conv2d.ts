// nn/layers/conv2d.ts — the 2-D convolution layer: y = activation(conv2d(x, kernel) + bias), images
// channels_last. kernel is [kh, kw, inChannels, filters] and bias [filters]: Keras' layout, so
// weights carry over as they are. Forward is im2col + one GEMM with the bias and a ReLU activation
// fused into its epilogue: see engine/ops/conv.ts.

import { resolveActivation, type ActivationIdentifier, type ActivationName } from '../activations.js';
import { resolveInitializer, type InitializerIdentifier } from '../initializers.js';
import {
  conv2d, conv2dReluMaxPool, conv2dRunsDirect, describeValue, parameter, persistent, type Padding, type Tensor,
} from '../../engine/index.js';
import { GemmLayer } from './gemm-layer.js';
import type { Layer, LayerOptions, ForwardStep } from './layer.js';
import { MaxPooling2D } from './pooling.js';
import { checkDataFormat, checkImageShape, readPadding, readPair, windowOutputSize } from './window-options.js';

export interface Conv2DOptions extends LayerOptions {
  /** Step of the window: a number or [strideH, strideW]. Default 1. */
  strides?: number | readonly [number, number];
  /** 'valid' (no padding, the default) or 'same' (output size = ceil(input / stride)). */
  padding?: 'valid' | 'same';
  /** Only 'channels_last' (images [batch, height, width, channels]). */
  dataFormat?: 'channels_last';
  /** Applied to the output: 'relu', 'softmax', 'sigmoid', 'tanh', 'elu' or 'linear' (default). */
  activation?: ActivationIdentifier | null;
  /** Whether to add a bias per filter. Default true. */
  useBias?: boolean;
  /** Default 'glorot_uniform' (fans include the kh·kw receptive field, as in Keras). */
  kernelInitializer?: InitializerIdentifier;
  /** Default 'zeros'. */
  biasInitializer?: InitializerIdentifier;
}

/**
 * Conv2D(filters, kernelSize, options): y = activation(conv2d(x, kernel) + bias).
 *
 *   x [batch, height, width, inChannels] → y [batch, outHeight, outWidth, filters]
 *   'valid': out = floor((in - k) / stride) + 1;   'same': out = ceil(in / stride)
 *
 * Example (Keras' Simple MNIST convnet): `new Conv2D(32, 3, { activation: 'relu' })`.
 */
export class Conv2D extends GemmLayer {
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: string;
  readonly biasInitializer: string;
  kernel: Tensor | null = null;
  bias: Tensor | null = null;

  constructor(filters: number, kernelSize: number | readonly [number, number], options: Conv2DOptions = {}) {
    super(options);
    if (typeof filters !== 'number' || !Number.isInteger(filters) || filters <= 0) {
      throw new Error(`wasmgrad: Conv2D expected filters to be a positive integer, got ${describeValue(filters)}`);
    }
    const where = `Conv2D '${this.name}'`;
    this.filters = filters;
    this.kernelSize = readPair(kernelSize, 'kernelSize', where);
    this.strides = readPair(options.strides ?? 1, 'strides', where);
    this.padding = readPadding(options.padding, where);
    checkDataFormat(options.dataFormat, where);
    this.activation = resolveActivation(options.activation, where);
    this.useBias = options.useBias ?? true;
    if (typeof this.useBias !== 'boolean') throw new Error(`wasmgrad: ${where} expected useBias to be true or false, got ${describeValue(this.useBias)}`);
    this.kernelInitializer = options.kernelInitializer ?? 'glorot_uniform';
    this.biasInitializer = options.biasInitializer ?? 'zeros';
    resolveInitializer(this.kernelInitializer, `${where} kernelInitializer`);
    resolveInitializer(this.biasInitializer, `${where} biasInitializer`);
  }

  override get className(): string {
    return 'Conv2D';
  }

  override checkInputShape(inputShape: readonly number[]): void {
    checkImageShape(inputShape, `Conv2D '${this.name}'`);
    windowOutputSize(inputShape, this.kernelSize, this.strides, this.padding, `Conv2D '${this.name}'`);
  }

  override build(inputShape: readonly number[]): void {
    this.checkInputShape(inputShape);
    super.build(inputShape);
    const [kh, kw] = this.kernelSize;
    persistent(() => {
      this.kernel = parameter(resolveInitializer(this.kernelInitializer, 'Conv2D')([kh, kw, inputShape[2], this.filters]), `${this.name}/kernel`);
      this.bias = this.useBias ? parameter(resolveInitializer(this.biasInitializer, 'Conv2D')([this.filters]), `${this.name}/bias`) : null;
    });
  }

  /** y = conv2d(x, kernel) + bias: im2col and one GEMM (the ReLU in its epilogue when `relu`). */
  protected gemm(x: Tensor, relu: boolean): Tensor {
    return conv2d(x, this.kernel!, this.bias, { strides: this.strides, padding: this.padding, relu });
  }

  /**
   * With activation 'relu', a following MaxPooling2D with windows side by side ('valid', strides =
   * poolSize) runs with it (engine's conv2dReluMaxPool): with few input channels (a first layer) in
   * the same loop, the convolution's output, 4x larger than the pooled one, never stored; as a GEMM,
   * the pooling's backward and the ReLU's in one pass. Otherwise what GemmLayer absorbs (a ReLU layer).
   */
  override fuseWith(next: Layer): ForwardStep | null {
    const channels = this.inputShape?.[2];
    const sideBySide = next instanceof MaxPooling2D && next.padding === 'valid'
      && next.strides[0] === next.poolSize[0] && next.strides[1] === next.poolSize[1];
    if (this.activation !== 'relu' || !sideBySide || channels === undefined) return super.fuseWith(next);
    return {
      layers: [this, next],
      fused: conv2dRunsDirect(...this.kernelSize, channels) ? 'ReLU and max pooling in one loop' : "ReLU in the GEMM epilogue, max pooling's backward with the ReLU's",
      run: (x) => {
        this.checkInput(x);
        return conv2dReluMaxPool(x, this.kernel!, this.bias, { strides: this.strides, padding: this.padding, poolSize: next.poolSize });
      },
    };
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    this.checkInputShape(inputShape);
    return [...windowOutputSize(inputShape, this.kernelSize, this.strides, this.padding, `Conv2D '${this.name}'`), this.filters];
  }

  override get weights(): Tensor[] {
    return this.kernel === null ? [] : this.bias === null ? [this.kernel] : [this.kernel, this.bias];
  }

  getConfig() {
    return {
      name: this.name,
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
      ...(this.inputShape !== null ? { inputShape: this.inputShape } : {}),
    };
  }
}
