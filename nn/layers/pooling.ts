// nn/layers/pooling.ts — the pooling layers, channels_last: MaxPooling2D and AveragePooling2D (a
// window moved over each channel, keeping its max or its mean), GlobalMaxPooling2D and
// GlobalAveragePooling2D (one window over the whole image: [batch, h, w, c] → [batch, c]).
// No weights. The loops are kernels: see engine/ops/pooling.ts.

import {
  avgPool2d, describeValue, globalAvgPool2d, globalMaxPool2d, maxPool2d, type Padding, type Tensor,
} from '../../engine/index.js';
import { Layer, type CallOptions, type LayerOptions } from './layer.js';
import { checkDataFormat, checkImageShape, readPadding, readPair, windowOutputSize } from './window-options.js';

export interface Pooling2DOptions extends LayerOptions {
  /** The window: a number or [poolH, poolW]. Default 2 (also given as the first argument). */
  poolSize?: number | readonly [number, number];
  /** Step of the window: a number or a pair. Default: poolSize (windows side by side). */
  strides?: number | readonly [number, number] | null;
  /** 'valid' (the default) or 'same'; padded positions never count (neither in a max nor a mean). */
  padding?: 'valid' | 'same';
  /** Only 'channels_last'. */
  dataFormat?: 'channels_last';
}

/** MaxPooling2D and AveragePooling2D: the same window arithmetic, a different reduction. */
abstract class Pooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;

  /** new MaxPooling2D(2), new MaxPooling2D([2, 2], { strides: 1 }) or new MaxPooling2D({ poolSize: 2 }). */
  constructor(poolSize: number | readonly [number, number] | Pooling2DOptions = 2, options: Pooling2DOptions = {}) {
    const positional = typeof poolSize === 'number' || Array.isArray(poolSize);
    if (!positional && (poolSize === null || typeof poolSize !== 'object')) {
      throw new Error(`wasmgrad: pooling expected poolSize as a positive integer or a pair such as 2 or [2, 2], got ${describeValue(poolSize)}`);
    }
    const merged: Pooling2DOptions = positional ? { ...options, poolSize: poolSize as number | [number, number] } : (poolSize as Pooling2DOptions);
    super(merged);
    const where = `${this.className} '${this.name}'`;
    this.poolSize = readPair(merged.poolSize ?? 2, 'poolSize', where);
    this.strides = merged.strides === undefined || merged.strides === null ? this.poolSize : readPair(merged.strides, 'strides', where);
    this.padding = readPadding(merged.padding, where);
    checkDataFormat(merged.dataFormat, where);
  }

  protected abstract pool(x: Tensor): Tensor;

  override checkInputShape(inputShape: readonly number[]): void {
    checkImageShape(inputShape, `${this.className} '${this.name}'`);
    windowOutputSize(inputShape, this.poolSize, this.strides, this.padding, `${this.className} '${this.name}'`);
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    this.checkInput(x);
    return this.pool(x);
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    this.checkInputShape(inputShape);
    return [...windowOutputSize(inputShape, this.poolSize, this.strides, this.padding, `${this.className} '${this.name}'`), inputShape[2]];
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, poolSize: this.poolSize, strides: this.strides, padding: this.padding,
      ...(this.inputShape !== null ? { inputShape: this.inputShape } : {}),
    };
  }
}

/** MaxPooling2D(poolSize = 2, { strides = poolSize, padding = 'valid' }): the max of each window, per channel. */
export class MaxPooling2D extends Pooling2D {
  override get className(): string {
    return 'MaxPooling2D';
  }
  protected pool(x: Tensor): Tensor {
    return maxPool2d(x, { poolSize: this.poolSize, strides: this.strides, padding: this.padding });
  }
}

/** AveragePooling2D(poolSize = 2, { strides = poolSize, padding = 'valid' }): the mean of each window, per channel. */
export class AveragePooling2D extends Pooling2D {
  override get className(): string {
    return 'AveragePooling2D';
  }
  protected pool(x: Tensor): Tensor {
    return avgPool2d(x, { poolSize: this.poolSize, strides: this.strides, padding: this.padding });
  }
}

export interface GlobalPooling2DOptions extends LayerOptions {
  /** Only 'channels_last'. */
  dataFormat?: 'channels_last';
}

abstract class GlobalPooling2D extends Layer {
  constructor(options: GlobalPooling2DOptions = {}) {
    super(options);
    checkDataFormat(options.dataFormat, `${this.className} '${this.name}'`);
  }
  protected abstract pool(x: Tensor): Tensor;
  override checkInputShape(inputShape: readonly number[]): void {
    checkImageShape(inputShape, `${this.className} '${this.name}'`);
  }
  call(x: Tensor, _options: CallOptions): Tensor {
    this.checkInput(x);
    return this.pool(x);
  }
  computeOutputShape(inputShape: readonly number[]): number[] {
    this.checkInputShape(inputShape);
    return [inputShape[2]];
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, ...(this.inputShape !== null ? { inputShape: this.inputShape } : {}) };
  }
}

/** GlobalMaxPooling2D(): [batch, h, w, c] → [batch, c], the max over every pixel. */
export class GlobalMaxPooling2D extends GlobalPooling2D {
  override get className(): string {
    return 'GlobalMaxPooling2D';
  }
  protected pool(x: Tensor): Tensor {
    return globalMaxPool2d(x);
  }
}

/** GlobalAveragePooling2D(): [batch, h, w, c] → [batch, c], the mean over every pixel. */
export class GlobalAveragePooling2D extends GlobalPooling2D {
  override get className(): string {
    return 'GlobalAveragePooling2D';
  }
  protected pool(x: Tensor): Tensor {
    return globalAvgPool2d(x);
  }
}
