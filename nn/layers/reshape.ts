// nn/layers/reshape.ts — Reshape(targetShape): [batch, ...] → [batch, ...targetShape], the same
// numbers in the same order (no copy). One entry of targetShape may be -1: inferred from the size.

import { describeValue, formatShape, reshape, type Tensor } from '../../engine/index.js';
import { Layer, type CallOptions, type LayerOptions } from './layer.js';

export class Reshape extends Layer {
  readonly targetShape: number[];

  constructor(targetShape: readonly number[], options: LayerOptions = {}) {
    super(options);
    const inferred = Array.isArray(targetShape) ? targetShape.filter((d) => d === -1).length : 0;
    if (!Array.isArray(targetShape) || targetShape.length === 0 || inferred > 1 || targetShape.some((d) => !Number.isInteger(d) || (d <= 0 && d !== -1))) {
      throw new Error(`wasmgrad: Reshape expected targetShape to be a list of positive integers (one may be -1) such as [28, 28, 1], got ${describeValue(targetShape)}`);
    }
    this.targetShape = [...targetShape];
  }

  override get className(): string {
    return 'Reshape';
  }

  override checkInputShape(inputShape: readonly number[]): void {
    this.computeOutputShape(inputShape);
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    this.checkInput(x);
    return reshape(x, [x.shape[0], ...this.computeOutputShape(x.shape.slice(1))]);
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    const size = inputShape.reduce((a, b) => a * b, 1);
    const known = this.targetShape.reduce((a, d) => (d === -1 ? a : a * d), 1);
    const out = this.targetShape.map((d) => (d === -1 ? size / known : d));
    if (out.some((d) => !Number.isInteger(d)) || out.reduce((a, b) => a * b, 1) !== size) {
      throw new Error(
        `wasmgrad: Reshape '${this.name}' cannot put samples of shape ${formatShape(inputShape)} (${size} numbers) into the target shape ${formatShape(this.targetShape)}`,
      );
    }
    return out;
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, targetShape: this.targetShape, ...(this.inputShape !== null ? { inputShape: this.inputShape } : {}) };
  }
}
