// nn/layers/dropout.ts — Dropout(rate): while training, zero each input with probability `rate`
// and scale the rest by 1/(1 - rate), so the expected output equals the input; outside training
// (evaluate, predict) it passes inputs through unchanged. See engine/ops/dropout.ts. After a Dense
// with a ReLU, the Dense applies it (onlyDropout; engine/ops/matmul.ts' linear).

import { describeValue, dropout, Random, type LinearDropout, type Tensor } from '../../engine/index.js';
import { Layer, type CallOptions, type LayerOptions } from './layer.js';

export interface DropoutOptions extends LayerOptions {
  /** Seeds this layer's own mask generator; default the global one (setSeed). */
  seed?: number;
}

export class Dropout extends Layer {
  readonly rate: number;
  readonly seed: number | undefined;
  /** This layer's own mask generator when it was given a seed; saving records its state. */
  readonly random: Random | undefined;

  constructor(rate: number, options: DropoutOptions = {}) {
    super(options);
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      const Kind = typeof rate === 'number' ? RangeError : Error;
      throw new Kind(`wasmgrad: Dropout expected a rate in [0, 1), got ${describeValue(rate)}`);
    }
    if (options.seed !== undefined && (typeof options.seed !== 'number' || !Number.isInteger(options.seed))) {
      throw new Error(`wasmgrad: Dropout '${this.name}' expected seed to be an integer, got ${describeValue(options.seed)}`);
    }
    this.rate = rate;
    this.seed = options.seed;
    this.random = options.seed === undefined ? undefined : new Random(options.seed);
  }

  override get className(): string {
    return 'Dropout';
  }

  /**
   * What a Dense + ReLU before it takes over, applying it in place on its GEMM's output; null for
   * a subclass with a call() of its own, which must run as written.
   */
  override get onlyDropout(): LinearDropout | null {
    return this.call === Dropout.prototype.call ? { rate: this.rate, random: this.random } : null;
  }

  call(x: Tensor, options: CallOptions): Tensor {
    this.checkInput(x);
    return dropout(x, this.rate, { training: options.training, random: this.random });
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return [...inputShape];
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, rate: this.rate, ...(this.seed !== undefined ? { seed: this.seed } : {}) };
  }
}
