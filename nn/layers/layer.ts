// nn/layers/layer.ts — what every layer is: a name, weights created by build(inputShape), a
// call(x) that computes, and computeOutputShape() that answers without computing (Keras' contract).
//
// Shapes here exclude the batch dimension, as Keras' input_shape does: Dense(512, { inputShape:
// [784] }) takes batches of shape [batch, 784].
//
// Fusion is the layers' business: a layer says what it can absorb (fuseWith: the layer after it,
// or the two after it; withoutFinalActivation: its own last activation, for a loss that takes
// logits), and the model only walks the resulting steps. A new layer that fuses overrides these;
// the model never changes.

import { describeValue, formatShape, type LinearDropout, type Tensor } from '../../engine/index.js';
import type { ActivationName } from '../activations.js';

/** Per-class counters behind Keras' automatic names: dense, dense_1, dense_2, ... */
const nameCounters = new Map<string, number>();

/** 'Dense' → 'dense', 'ReLU' → 're_lu' (Keras' to_snake_case), numbered after the first. */
export function uniqueName(className: string): string {
  const base = className
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
  const n = nameCounters.get(base) ?? 0;
  nameCounters.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/** Restarts automatic names (dense, dense_1, ...) from the beginning, like keras.backend.clear_session(). */
export function clearSession(): void {
  nameCounters.clear();
}

export interface LayerOptions {
  /** The layer's name; default Keras' automatic one (dense, dense_1, ...). */
  name?: string;
  /** The shape of one sample (no batch dimension), for the first layer of a model. */
  inputShape?: readonly number[];
}

export interface CallOptions {
  /** True inside fit(): Dropout drops. False in evaluate/predict. */
  training: boolean;
}

/** One step of a model's forward pass: a layer on its own, or a layer with what it absorbed. */
export interface ForwardStep {
  /** The layers this step stands for, in model order. */
  readonly layers: readonly Layer[];
  /** How the step runs, when it is not just the layer's call ('ReLU in the GEMM epilogue'). */
  readonly fused: string | null;
  run(x: Tensor, options: CallOptions): Tensor;
}

export abstract class Layer {
  readonly name: string;
  /** The sample shape this layer expects, once known (from options or from the layer before). */
  inputShape: number[] | null;
  built = false;

  constructor(options: LayerOptions = {}) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      // new Dense(10, 'relu') is Keras' positional style; here options are one object.
      const hint = typeof options === 'string' && this.className === 'Dense' ? `{ activation: ${JSON.stringify(options)} }` : `{ name: 'hidden', inputShape: [784] }`;
      throw new Error(`wasmgrad: ${this.className} expected an options object such as ${hint}, got ${describeValue(options)}`);
    }
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
      throw new Error(`wasmgrad: ${this.className} expected name to be a non-empty string, got ${describeValue(options.name)}`);
    }
    this.name = options.name ?? uniqueName(this.className);
    this.inputShape = null;
    if (options.inputShape !== undefined) {
      const given: unknown = options.inputShape;
      if (typeof given === 'number') {
        throw new Error(`wasmgrad: ${this.className} expected inputShape to be a list of positive integers such as [${given}], got the number ${given}`);
      }
      if (!Array.isArray(given) || given.length === 0 || given.some((d) => !Number.isInteger(d) || d <= 0)) {
        throw new Error(`wasmgrad: ${this.className} expected inputShape to be a list of positive integers such as [784] or [28, 28], got ${describeValue(given)}`);
      }
      this.inputShape = [...given];
    }
  }

  /**
   * The class name Keras shows in summaries ('Dense', 'Dropout', ...). Each layer overrides it;
   * it is a getter on the prototype, so the constructor can already use it for the automatic name.
   */
  get className(): string {
    return 'Layer';
  }

  /** Throws, naming both shapes, when this layer cannot take samples of this shape. Default: any shape. */
  checkInputShape(_inputShape: readonly number[]): void {}

  /** Creates the weights for inputs of this sample shape. Layers without weights just record it. */
  build(inputShape: readonly number[]): void {
    this.inputShape = [...inputShape];
    this.built = true;
  }

  /** The forward computation on a batch [batch, ...inputShape]. */
  abstract call(x: Tensor, options: CallOptions): Tensor;

  /** The sample shape of this layer's output for a given sample input shape. */
  abstract computeOutputShape(inputShape: readonly number[]): number[];

  // ---- fusion (see the file header) ----

  /** This layer as a step of its own: its call(). */
  asStep(): ForwardStep {
    return { layers: [this], fused: null, run: (x, options) => this.call(x, options) };
  }

  /** The activation this layer only applies (Activation, ReLU, Softmax), or null for any other layer. */
  get onlyActivation(): ActivationName | null {
    return null;
  }

  /** The dropout this layer only applies (Dropout: its rate and its own generator, if seeded), or null. */
  get onlyDropout(): LinearDropout | null {
    return null;
  }

  /**
   * One step doing this layer and `next` together (and `afterNext` too, when the step's `layers`
   * say so), or null (the default) when they run apart. afterNext is undefined at the end.
   */
  fuseWith(_next: Layer, _afterNext?: Layer): ForwardStep | null {
    return null;
  }

  /**
   * This layer as a model's final step without its final `activation` ('softmax' or 'sigmoid'),
   * which a loss computing from logits takes over; null (the default) when it does not end in it.
   */
  withoutFinalActivation(_activation: ActivationName): ForwardStep | null {
    return null;
  }

  /** Trainable weights in Keras' order (Dense: kernel, then bias). */
  get weights(): Tensor[] {
    return [];
  }

  /**
   * Weights that training does not update by gradient (BatchNormalization's moving mean and
   * variance), in Keras' order; they follow `weights` in getWeights() and in saved models.
   */
  get nonTrainableWeights(): Tensor[] {
    return [];
  }

  /** Every weight, trainable and not (the Param # column of Keras' summary). */
  countParams(): number {
    return [...this.weights, ...this.nonTrainableWeights].reduce((total, w) => total + w.size, 0);
  }

  /** The constructor arguments that recreate this layer (Keras' get_config). */
  abstract getConfig(): Record<string, unknown>;

  /** Checks a batch against the expected sample shape, naming both when they differ. */
  protected checkInput(x: Tensor): void {
    const expected = this.inputShape;
    if (expected === null || sameSampleShape(x.shape, expected)) return;
    throw new Error(`wasmgrad: layer '${this.name}' expected input of shape [batch, ${expected.join(', ')}], got ${formatShape(x.shape)}`);
  }
}

/** True when a batch of shape [batch, ...sample] holds samples of shape `sample` (read by index: every layer checks every batch). */
function sameSampleShape(batchShape: readonly number[], sample: readonly number[]): boolean {
  if (batchShape.length !== sample.length + 1) return false;
  for (let i = 0; i < sample.length; i++) if (batchShape[i + 1] !== sample[i]) return false;
  return true;
}
