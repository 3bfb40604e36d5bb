// nn/layers/batch-normalization.ts — BatchNormalization over the channels (the last axis):
// y = gamma · (x - mean) / sqrt(variance + epsilon) + beta.
//
// In training (fit) mean and variance are the batch's own, per channel, and the layer updates its
// moving averages: moving = moving · momentum + batch · (1 - momentum). In inference (evaluate,
// predict) it uses those moving averages. gamma and beta are trainable; movingMean and
// movingVariance are not (Keras' "Non-trainable params"). A following ReLU is fused into the same
// pass (fuseWith). See engine/ops/batchnorm.ts.

import { resolveInitializer, type InitializerIdentifier } from '../initializers.js';
import {
  batchNormInference, batchNormTraining, describeValue, noGrad, parameter, persistent, type Tensor,
} from '../../engine/index.js';
import { Layer, type CallOptions, type ForwardStep, type LayerOptions } from './layer.js';

export interface BatchNormalizationOptions extends LayerOptions {
  /** The channel axis: only the last one (-1, the default, or its index), as channels_last needs. */
  axis?: number;
  /** Of the moving averages. Default 0.99. */
  momentum?: number;
  /** Added to the variance before the square root. Default 1e-3. */
  epsilon?: number;
  /** Learn an offset beta. Default true. */
  center?: boolean;
  /** Learn a scale gamma. Default true. */
  scale?: boolean;
  betaInitializer?: InitializerIdentifier;
  gammaInitializer?: InitializerIdentifier;
  movingMeanInitializer?: InitializerIdentifier;
  movingVarianceInitializer?: InitializerIdentifier;
}

/**
 * BatchNormalization({ axis = -1, momentum = 0.99, epsilon = 1e-3, center = true, scale = true }).
 *
 *   x [batch, ..., channels] → y of the same shape; weights gamma, beta, movingMean, movingVariance [channels]
 */
export class BatchNormalization extends Layer {
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly initializers: { beta: string; gamma: string; movingMean: string; movingVariance: string };
  gamma: Tensor | null = null;
  beta: Tensor | null = null;
  movingMean: Tensor | null = null;
  movingVariance: Tensor | null = null;

  constructor(options: BatchNormalizationOptions = {}) {
    super(options);
    const where = `BatchNormalization '${this.name}'`;
    this.axis = options.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new Error(`wasmgrad: ${where} expected axis to be an integer (-1 for the channels), got ${describeValue(options.axis)}`);
    this.momentum = options.momentum ?? 0.99;
    this.epsilon = options.epsilon ?? 1e-3;
    if (typeof this.momentum !== 'number' || !(this.momentum >= 0 && this.momentum <= 1)) {
      throw new Error(`wasmgrad: ${where} expected momentum to be a number in [0, 1], got ${describeValue(options.momentum)}`);
    }
    if (typeof this.epsilon !== 'number' || !(this.epsilon > 0)) {
      throw new Error(`wasmgrad: ${where} expected epsilon to be a positive number, got ${describeValue(options.epsilon)}`);
    }
    this.center = options.center ?? true;
    this.scale = options.scale ?? true;
    for (const [key, value] of [['center', this.center], ['scale', this.scale]] as const) {
      if (typeof value !== 'boolean') throw new Error(`wasmgrad: ${where} expected ${key} to be true or false, got ${describeValue(value)}`);
    }
    this.initializers = {
      beta: options.betaInitializer ?? 'zeros',
      gamma: options.gammaInitializer ?? 'ones',
      movingMean: options.movingMeanInitializer ?? 'zeros',
      movingVariance: options.movingVarianceInitializer ?? 'ones',
    };
    for (const [key, name] of Object.entries(this.initializers)) resolveInitializer(name, `${where} ${key}Initializer`);
  }

  override get className(): string {
    return 'BatchNormalization';
  }

  override checkInputShape(inputShape: readonly number[]): void {
    // Sample shapes exclude the batch axis; axis counts it (Keras' axis=3 is the channels of an image).
    const rank = inputShape.length + 1;
    if (this.axis !== -1 && this.axis !== rank - 1) {
      throw new Error(
        `wasmgrad: BatchNormalization '${this.name}' normalizes only the last axis (the channels, axis -1 or ${rank - 1} for inputs ` +
          `[batch, ${inputShape.join(', ')}]), got axis ${this.axis}`,
      );
    }
  }

  override build(inputShape: readonly number[]): void {
    this.checkInputShape(inputShape);
    super.build(inputShape);
    const C = [inputShape[inputShape.length - 1]];
    const make = (initializer: string) => resolveInitializer(initializer, 'BatchNormalization')(C);
    persistent(() => {
      this.gamma = this.scale ? parameter(make(this.initializers.gamma), `${this.name}/gamma`) : null;
      this.beta = this.center ? parameter(make(this.initializers.beta), `${this.name}/beta`) : null;
      this.movingMean = make(this.initializers.movingMean);
      this.movingMean.name = `${this.name}/moving_mean`;
      this.movingVariance = make(this.initializers.movingVariance);
      this.movingVariance.name = `${this.name}/moving_variance`;
    });
  }

  call(x: Tensor, options: CallOptions): Tensor {
    return this.forward(x, options, false);
  }

  /** BatchNormalization absorbs a following ReLU: the max(0, ·) happens in the same pass over the data. */
  override fuseWith(next: Layer): ForwardStep | null {
    if (next.onlyActivation !== 'relu') return null;
    return { layers: [this, next], fused: 'ReLU in the same pass', run: (x, options) => this.forward(x, options, true) };
  }

  private forward(x: Tensor, options: CallOptions, relu: boolean): Tensor {
    this.checkInput(x);
    if (!options.training) return batchNormInference(x, this.movingMean!, this.movingVariance!, this.gamma, this.beta, this.epsilon, { relu });
    const { y, mean, variance } = batchNormTraining(x, this.gamma, this.beta, this.epsilon, { relu });
    noGrad(() => {
      const m = this.movingMean!.data, v = this.movingVariance!.data;
      const batchMean = mean.data, batchVariance = variance.data;
      for (let j = 0; j < m.length; j++) {
        m[j] = m[j] * this.momentum + batchMean[j] * (1 - this.momentum);
        v[j] = v[j] * this.momentum + batchVariance[j] * (1 - this.momentum);
      }
    });
    return y;
  }

  computeOutputShape(inputShape: readonly number[]): number[] {
    return [...inputShape];
  }

  override get weights(): Tensor[] {
    return [this.gamma, this.beta].filter((t): t is Tensor => t !== null);
  }

  override get nonTrainableWeights(): Tensor[] {
    return [this.movingMean, this.movingVariance].filter((t): t is Tensor => t !== null);
  }

  getConfig() {
    return {
      name: this.name,
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: this.initializers.beta,
      gammaInitializer: this.initializers.gamma,
      movingMeanInitializer: this.initializers.movingMean,
      movingVarianceInitializer: this.initializers.movingVariance,
      ...(this.inputShape !== null ? { inputShape: this.inputShape } : {}),
    };
  }
}

