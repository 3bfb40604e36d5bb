// nn/layers/input.ts — Input({ shape }): the first entry of a Sequential model that only says what
// one sample looks like, as Keras 3 code writes it (`keras.Input(shape=(28, 28, 1))`). It computes
// nothing (the identity) and, as in Keras, has no row in the summary and no weights.

import { describeValue, type Tensor } from '../../engine/index.js';
import { Layer, type CallOptions } from './layer.js';

export interface InputOptions {
  /** The shape of one sample, without the batch dimension: [28, 28, 1]. */
  shape: readonly number[];
  name?: string;
}

export class Input extends Layer {
  constructor(options: InputOptions) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new Error(`wasmgrad: Input expected an options object such as { shape: [28, 28, 1] }, got ${describeValue(options)}`);
    }
    if (options.shape === undefined) throw new Error('wasmgrad: Input expected a shape, such as new Input({ shape: [28, 28, 1] })');
    super({ name: options.name, inputShape: options.shape });
  }

  override get className(): string {
    return 'InputLayer';
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    this.checkInput(x);
    return x;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return [...inputShape];
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, inputShape: this.inputShape };
  }
}
