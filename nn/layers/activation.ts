// nn/layers/activation.ts — layers that only apply an activation: Activation(name), ReLU(), Softmax().
// No weights. Keras names them 'activation', 're_lu' and 'softmax' (then _1, _2, ...).

import { applyActivation, resolveActivation, type ActivationIdentifier, type ActivationName } from '../activations.js';
import type { Tensor } from '../../engine/index.js';
import { Layer, type CallOptions, type ForwardStep, type LayerOptions } from './layer.js';

/** Activation('relu'): y = relu(x), or any activation by name. Output shape = input shape. */
export class Activation extends Layer {
  readonly activation: ActivationName;

  constructor(activation: ActivationIdentifier, options: LayerOptions = {}) {
    super(options);
    if (activation === undefined || activation === null) {
      throw new Error(`wasmgrad: ${this.className} expected an activation name such as 'relu'; got ${activation}`);
    }
    this.activation = resolveActivation(activation, `${this.className} '${this.name}'`);
  }

  override get className(): string {
    return 'Activation';
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    this.checkInput(x);
    return applyActivation(this.activation, x);
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return [...inputShape];
  }

  override get onlyActivation(): ActivationName {
    return this.activation;
  }

  /** A final softmax (or sigmoid) before a loss that takes logits is not applied at all. */
  override withoutFinalActivation(activation: ActivationName): ForwardStep | null {
    if (this.activation !== activation) return null;
    return { layers: [this], fused: `${activation} left to the loss (from logits)`, run: (x) => x };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, activation: this.activation, ...(this.inputShape !== null ? { inputShape: this.inputShape } : {}) };
  }
}

/** ReLU(): y = max(0, x), as a layer (Keras' keras.layers.ReLU). */
export class ReLU extends Activation {
  constructor(options: LayerOptions = {}) {
    super('relu', options);
  }

  override get className(): string {
    return 'ReLU';
  }

  override getConfig(): Record<string, unknown> {
    return { name: this.name, ...(this.inputShape !== null ? { inputShape: this.inputShape } : {}) };
  }
}

/** Softmax(): y = softmax(x) over the last axis, as a layer (Keras' keras.layers.Softmax). */
export class Softmax extends Activation {
  constructor(options: LayerOptions = {}) {
    super('softmax', options);
  }

  override get className(): string {
    return 'Softmax';
  }

  override getConfig(): Record<string, unknown> {
    return { name: this.name, ...(this.inputShape !== null ? { inputShape: this.inputShape } : {}) };
  }
}
