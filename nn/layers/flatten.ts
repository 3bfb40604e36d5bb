// nn/layers/flatten.ts — Flatten(): [batch, d1, d2, ...] → [batch, d1·d2·...], a reshape (no copy).

import { reshape, type Tensor } from '../../engine/index.js';
import { Layer, type CallOptions, type LayerOptions } from './layer.js';

export class Flatten extends Layer {
  constructor(options: LayerOptions = {}) {
    super(options);
  }

  override get className(): string {
    return 'Flatten';
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    this.checkInput(x);
    return reshape(x, [x.shape[0], x.shape[0] === 0 ? 0 : x.size / x.shape[0]]);
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return [inputShape.reduce((a, b) => a * b, 1)];
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, ...(this.inputShape !== null ? { inputShape: this.inputShape } : {}) };
  }
}
