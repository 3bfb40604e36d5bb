// nn/layers/gemm-layer.ts — what Dense and Conv2D share: a layer whose forward pass is one GEMM
// with an optional ReLU in its epilogue, then its activation. It absorbs a following ReLU layer
// into that epilogue (fuseWith) and, as a model's last layer, can leave its softmax or sigmoid to a
// loss that works from logits (withoutFinalActivation). Not a layer of its own.

import { applyActivation, type ActivationName } from '../activations.js';
import type { Tensor } from '../../engine/index.js';
import { Layer, type CallOptions, type ForwardStep } from './layer.js';

export abstract class GemmLayer extends Layer {
  abstract readonly activation: ActivationName;

  /** The GEMM itself: y = x ⊛ kernel + bias, with max(0, ·) in the epilogue when `relu`. */
  protected abstract gemm(x: Tensor, relu: boolean): Tensor;

  call(x: Tensor, _options: CallOptions): Tensor {
    return this.forward(x, this.activation);
  }

  /** A linear layer absorbs a following ReLU: one GEMM with the ReLU in its epilogue. */
  override fuseWith(next: Layer): ForwardStep | null {
    if (this.activation !== 'linear' || next.onlyActivation !== 'relu') return null;
    return { layers: [this, next], fused: 'ReLU in the GEMM epilogue', run: (x) => this.forward(x, 'relu') };
  }

  /** Dense(activation: 'softmax') before a cross-entropy: the GEMM alone, the loss takes the logits. */
  override withoutFinalActivation(activation: ActivationName): ForwardStep | null {
    if (this.activation !== activation) return null;
    return { layers: [this], fused: `${activation} left to the loss (from logits)`, run: (x) => this.forward(x, 'linear') };
  }

  /** The layer with a chosen activation (what fusion runs); a ReLU goes into the GEMM's epilogue. */
  private forward(x: Tensor, activation: ActivationName): Tensor {
    this.checkInput(x);
    const relu = activation === 'relu';
    const y = this.gemm(x, relu);
    return relu ? y : applyActivation(activation, y);
  }
}
