// nn/sequential.ts — the Sequential model: a stack of layers with Keras' compile / fit / evaluate /
// predict / summary, and getWeights / setWeights in Keras' layout.
//
// One training step, start to finish (trainStep): gather a shuffled batch, run the steps forward,
// compute the loss, backward(), let the optimizer update the weights — all inside scoped(), so
// every intermediate buffer goes back to the allocator when the step ends and memory stays flat.
// What runs forward is the model's plan (steps()): the layers decide what they fuse (a Dense takes
// a following ReLU into its GEMM's epilogue) and the loss which final activation it takes over
// (softmax or sigmoid: it works from logits). model.plan() shows it.

import {
  Tensor, describeIndex, describeValue, empty, firstNonFinite, formatShape, gatherRows, globalRandom, noGrad, onHost, scoped, sliceRows,
  tensor, zeros, type Optimizer,
} from '../engine/index.js';
import type { ActivationName } from './activations.js';
import { History, type Callback, type CallbackLike, type Logs } from './callbacks.js';
import {
  checkFitOptions, checkOptionsObject, checkPositiveInteger, checkSameSampleShape, checkVerbose, checkX, checkXY, classWeightsOf, sampleWeightsOf,
  type FitSettings,
} from './checks.js';
import { Input, Layer, type CallOptions, type ForwardStep } from './layers/index.js';
import { uniqueName } from './layers/layer.js';
import { checkLabels, computeLoss, fusableActivation, resolveLoss, type LossIdentifier, type LossName } from './losses.js';
import { batchOutput, resolveMetrics, resolveWeightedMetrics, type Metric, type MetricLike, type SavedMetric } from './metrics.js';
import { resolveOptimizer, type OptimizerIdentifier } from './optimizers.js';
import { YieldClock } from './event-loop.js';
import { ProgressBar, defaultOutputStream, epochHeader, type OutputStream } from './progress.js';
import type { CompileSettings, ModelArtifacts } from './saving/format.js';
import { loadModel as loadFromFolder } from './saving/load.js';
import { modelToArtifacts, saveModel, type SaveOptions } from './saving/save.js';
import { modelToTfjs, type TfjsArtifacts } from './saving/tfjs.js';
import { formatSummary } from './summary.js';

export interface CompileOptions {
  /** 'adam', 'sgd', 'rmsprop', or an optimizer instance (`new optimizers.Adam({ learningRate: 1e-4 })`). Default 'rmsprop', as in Keras. */
  optimizer?: OptimizerIdentifier | Optimizer;
  /** A Keras loss name: 'sparse_categorical_crossentropy', 'categorical_crossentropy', 'mean_squared_error' ('mse'), 'binary_crossentropy', or its camelCase. */
  loss: LossIdentifier;
  /**
   * Names ('accuracy', 'top_k_categorical_accuracy', 'mse', 'auc', ...), metric objects (new
   * Precision()) or functions (yTrue, yPred) => number; each logged under its name. Not weighted.
   */
  metrics?: MetricLike[];
  /** Metrics weighted by sampleWeight / classWeight (Keras' weighted_metrics); a name also in metrics gets 'weighted_'. */
  weightedMetrics?: MetricLike[];
}

export interface FitOptions {
  /** Samples per gradient step. Default 32. */
  batchSize?: number;
  /** Passes over the data. Default 1. */
  epochs?: number;
  /** 0 silent, 1 progress bar, 2 one line per epoch. Default 1. */
  verbose?: 0 | 1 | 2;
  /** Shuffle the samples before each epoch. Default true. */
  shuffle?: boolean;
  /** Hold out this fraction of the samples (the last ones, before shuffling) for validation. */
  validationSplit?: number;
  /** [x, y] (or [x, y, sampleWeight]) to evaluate on after each epoch (takes precedence over validationSplit). */
  validationData?: [Tensor, Tensor] | [Tensor, Tensor, Tensor | ArrayLike<number>];
  /** Keras' class_weight: a weight per class id, e.g. { 0: 1, 1: 5 }, for the training loss (missing classes: 1). */
  classWeight?: Record<number, number>;
  /** Keras' sample_weight: one weight per sample of x for the loss ([n] or [n, 1]); not with classWeight. */
  sampleWeight?: Tensor | ArrayLike<number>;
  callbacks?: (Callback | CallbackLike)[];
  /** Where the progress bar goes. Default process.stdout in Node, the console elsewhere. */
  stream?: OutputStream;
}

export interface EvaluateOptions {
  /** Default 32. */
  batchSize?: number;
  /** 0 silent, 1 progress bar (the default, as in Keras). */
  verbose?: 0 | 1;
  /** One weight per sample of x for the loss, as in fit. */
  sampleWeight?: Tensor | ArrayLike<number>;
  stream?: OutputStream;
}

export interface PredictOptions {
  /** Default 32. */
  batchSize?: number;
}

interface Compiled {
  optimizer: Optimizer;
  loss: LossName;
  metrics: Metric[];
  weightedMetrics: Metric[];
}

/** The forward pass as fit / evaluate / predict run it: steps, and whether it ends in logits. */
interface Plan {
  steps: ForwardStep[];
  fromLogits: boolean;
}

/** The two call options a forward pass passes to every step: made once, not once a step. */
const TRAINING: CallOptions = Object.freeze({ training: true });
const INFERENCE: CallOptions = Object.freeze({ training: false });

/** Samples, their targets and their loss weights (null: all 1). */
interface Data {
  x: Tensor;
  y: Tensor;
  weights: Float32Array | null;
}

/** What trainStep reports: the loss, and the first weight or gradient found not finite, if any. */
interface StepResult {
  loss: number;
  badWeight: string | null;
  badGradient: string | null;
}

// What firstNonFiniteOf looks at in a parameter: itself, or its gradient (made once, not a closure a step).
const weightOf = (p: Tensor): Tensor => p;
const gradientOf = (p: Tensor): Tensor | null => p.grad;

/** "dense/kernel [3, 4] is NaN at index [1, 1]" for the first tensor of(p) holding NaN or ±Infinity, or null. */
function firstNonFiniteOf(params: readonly Tensor[], of: (p: Tensor) => Tensor | null): string | null {
  for (const p of params) {
    const t = of(p);
    if (t === null) continue;
    const i = firstNonFinite(t);
    if (i >= 0) return `${p.name ?? 'unnamed'} ${formatShape(p.shape)} is ${t.data[i]} at ${describeIndex(p.shape, i)}`;
  }
  return null;
}

/**
 * Rows start..end-1 of x as a new tensor of the current scope: a copy, wherever x lives (a view
 * of a tensor in the JS heap would move all of it into the WebAssembly memory, for each batch).
 */
function batchOf(x: Tensor, start: number, end: number): Tensor {
  const rowSize = x.shape[0] === 0 ? 0 : x.size / x.shape[0];
  const out = empty([end - start, ...x.shape.slice(1)]);
  out.data.set(x.data.subarray(start * rowSize, end * rowSize));
  return out;
}

/**
 * Calls one batch hook of every callback, in order, as `await cb.onBatchEnd?.(step, logs)` each
 * would, but without a turn of the microtask queue for the hooks that return nothing (History's,
 * twice a batch): null when none returned a promise, else a promise of the rest, run in order.
 */
function callBatchHooks(callbacks: readonly CallbackLike[], hook: 'onBatchBegin' | 'onBatchEnd', batch: number, logs: Logs, from = 0): Promise<void> | null {
  for (let i = from; i < callbacks.length; i++) {
    const result: unknown = callbacks[i][hook]?.(batch, logs);
    if (isThenable(result)) return Promise.resolve(result).then(() => callBatchHooks(callbacks, hook, batch, logs, i + 1) ?? undefined);
  }
  return null;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

/** "at epoch 2, batch 7" for fit's errors (counted from 1, as Keras' progress bar shows them). */
function atBatch(epoch: number, step: number): string {
  return `at epoch ${epoch + 1}, batch ${step + 1}`;
}

/** A layer that knows its input shape must get exactly that from the layer before it (or the data). */
function checkChains(layer: Layer, given: readonly number[], previous: Layer | null): void {
  const expected = layer.inputShape!;
  if (expected.length === given.length && expected.every((d, i) => d === given[i])) return;
  const source = previous === null ? 'it is given samples of shape' : `the layer before it ('${previous.name}') outputs`;
  throw new Error(
    `wasmgrad: layer '${layer.name}' expected inputs of shape ${formatShape(expected)} (its inputShape${layer.built ? ', from when it was built' : ''}), but ${source} ${formatShape(given)}`,
  );
}

/**
 * model.layers as users see it: the model's own array behind a Proxy that reads through and
 * refuses every write with a clear error (a non-layer pushed there would break fit much later).
 */
function readOnlyLayers(stack: Layer[], modelName: string): readonly Layer[] {
  const refuse = (what: string): never => {
    throw new Error(`wasmgrad: model.layers is read-only (model '${modelName}'); add layers with model.add(layer), got an attempt to ${what}`);
  };
  return new Proxy(stack, {
    set: (_, key, value) => refuse(`set layers${/^\d+$/.test(String(key)) ? `[${String(key)}]` : `.${String(key)}`} to ${describeValue(value)}`),
    defineProperty: (_, key) => refuse(`define layers.${String(key)}`),
    deleteProperty: (_, key) => refuse(`delete layers[${String(key)}]`),
  });
}

export class Sequential {
  readonly name: string;
  /** The layers, in order: read it like an array; it changes only through add(). */
  readonly layers: readonly Layer[];
  /** Set by a callback to end the running fit() after the current batch (each fit starts with it false). */
  stopTraining = false;
  private compiled: Compiled | null = null;
  private readonly stack: Layer[] = [];
  /** True while a fit() runs: a second one, or compile(), is refused until it ends. */
  private fitting = false;

  constructor(layers: Layer[] = [], options: { name?: string } = {}) {
    if (!Array.isArray(layers)) {
      throw new Error(`wasmgrad: Sequential expected a list of layers such as [new Dense(10, { inputShape: [4] })], got ${describeValue(layers)}`);
    }
    this.name = options.name ?? uniqueName('Sequential'); // sequential, sequential_1, ...: clearSession() restarts them too
    this.layers = readOnlyLayers(this.stack, this.name);
    for (const layer of layers) this.add(layer);
  }

  /** Appends a layer; builds it at once when the shape of its input is known. */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) {
      throw new Error(`wasmgrad: Sequential.add expected a layer (such as new Dense(10)), got ${describeValue(layer)}`);
    }
    if (this.stack.includes(layer)) throw new Error(`wasmgrad: layer '${layer.name}' is already in model '${this.name}'`);
    if (layer instanceof Input && this.stack.length > 0) {
      throw new Error(`wasmgrad: model '${this.name}' expected Input({ shape }) only as its first entry, got it after ${this.stack.length} layer(s)`);
    }
    // Names tie weights to layers when a model is saved and loaded, so they must be unique (as in Keras).
    if (this.stack.some((l) => l.name === layer.name)) {
      throw new Error(
        `wasmgrad: model '${this.name}' already has a layer named '${layer.name}'; expected unique layer names, got '${layer.name}' twice (leave name out for an automatic one)`,
      );
    }
    if (this.stack.length > 0 && layer.inputShape !== null) {
      // Keras ignores input_shape on a layer that is not first; so do we, but only when it agrees.
      // (A layer already built elsewhere has an inputShape too, and must agree for the same reason.)
      const expected = this.outputShapeAfter(this.stack.length);
      if (expected !== null) checkChains(layer, expected, this.stack[this.stack.length - 1]);
    }
    // Build before joining, so a layer that cannot take its input never becomes part of the model.
    const inputShape = this.stack.length === 0 ? layer.inputShape : this.outputShapeAfter(this.stack.length);
    if (inputShape !== null && !layer.built) layer.build(inputShape);
    this.stack.push(layer);
  }

  /** The sample shape flowing out of the first `count` layers, or null when not yet known. */
  private outputShapeAfter(count: number): number[] | null {
    let shape = this.stack[0]?.inputShape ?? null;
    for (let i = 0; i < count && shape !== null; i++) shape = this.stack[i].computeOutputShape(shape);
    return shape;
  }

  /** The sample shape the model takes (no batch dimension), or null before it is known. */
  get inputShape(): number[] | null {
    return this.stack[0]?.inputShape ?? null;
  }

  /** The sample shape the model returns, or null before it is built. */
  get outputShape(): number[] | null {
    return this.stack.length === 0 ? null : this.outputShapeAfter(this.stack.length);
  }

  /** Builds every layer for samples of this shape (what Keras does on the first call). */
  build(inputShape: readonly number[]): void {
    if (this.stack.length === 0) throw new Error(`wasmgrad: model '${this.name}' has no layers; add some with model.add(...)`);
    if (!Array.isArray(inputShape) || inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new Error(`wasmgrad: model '${this.name}' expected a sample shape of positive integers such as [784], got ${describeValue(inputShape)}`);
    }
    // Check the whole chain before building anything, so a mismatch leaves every layer unbuilt
    // (a layer built for the wrong shape would refuse every later, correct, input).
    let shape: number[] = [...inputShape];
    this.stack.forEach((layer, i) => {
      if (layer.inputShape !== null) checkChains(layer, shape, i === 0 ? null : this.stack[i - 1]);
      layer.checkInputShape(shape);
      shape = layer.computeOutputShape(shape);
    });
    shape = [...inputShape];
    for (const layer of this.stack) {
      if (!layer.built) layer.build(shape);
      shape = layer.computeOutputShape(shape);
    }
  }

  private ensureBuilt(x: Tensor, method: string): void {
    if (this.stack.length === 0) throw new Error(`wasmgrad: ${method} needs a model with layers; add some with model.add(...)`);
    const expected = this.inputShape;
    const sample = x.shape.slice(1);
    if (expected !== null && (sample.length !== expected.length || sample.some((d, i) => d !== expected[i]))) {
      // Same numbers, other shape (flat MNIST rows given to a convnet): name the reshape that fits.
      const sameSize = sample.reduce((a, b) => a * b, 1) === expected.reduce((a, b) => a * b, 1);
      const hint = sameSize ? `; reshape it: x.reshape([${x.shape[0]}, ${expected.join(', ')}])` : '';
      throw new Error(
        `wasmgrad: ${method} expected x of shape [samples, ${expected.join(', ')}] for model '${this.name}', got ${formatShape(x.shape)}${hint}`,
      );
    }
    if (!this.stack.every((l) => l.built)) this.build(sample);
  }

  /** Trainable weights of every layer, in order (Keras' model.trainable_weights). */
  get trainableWeights(): Tensor[] {
    return this.stack.flatMap((l) => l.weights);
  }

  /**
   * Every weight in Keras' order (model.weights): each layer's trainable ones, then its
   * non-trainable ones (BatchNormalization: gamma, beta, moving_mean, moving_variance).
   */
  get weights(): Tensor[] {
    return this.stack.flatMap((l) => [...l.weights, ...l.nonTrainableWeights]);
  }

  countParams(): number {
    this.requireBuilt('countParams()');
    return this.stack.reduce((n, l) => n + l.countParams(), 0);
  }

  private requireBuilt(method: string): void {
    if (this.stack.length === 0 || !this.stack.every((l) => l.built)) {
      throw new Error(
        `wasmgrad: ${method}: model '${this.name}' has not been built yet; give its first layer an inputShape (e.g. new Dense(512, { inputShape: [784] })) or call fit/predict first`,
      );
    }
  }

  // ---- compile -------------------------------------------------------------------------------

  /** Chooses the optimizer, the loss and the metrics, as Keras' model.compile. */
  compile(options: CompileOptions): void {
    if (options === undefined || options === null || typeof options !== 'object') {
      throw new Error(`wasmgrad: compile expected an options object such as { optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] }`);
    }
    if (options.loss === undefined) throw new Error(`wasmgrad: compile() needs a loss, e.g. { loss: 'sparse_categorical_crossentropy' }`);
    if (this.fitting) {
      throw new Error(`wasmgrad: compile() was called while fit() of model '${this.name}' is running; it would swap the optimizer or the loss mid-training. Await fit() first`);
    }
    const loss = resolveLoss(options.loss);
    const metrics = resolveMetrics(options.metrics, loss);
    this.compiled = {
      optimizer: resolveOptimizer(options.optimizer ?? 'rmsprop'),
      loss,
      metrics,
      weightedMetrics: resolveWeightedMetrics(options.weightedMetrics, loss, metrics),
    };
  }

  private requireCompiled(method: string): Compiled {
    if (this.compiled === null) {
      throw new Error(`wasmgrad: ${method} needs a compiled model; call model.compile({ optimizer, loss, metrics }) first`);
    }
    return this.compiled;
  }

  /** The optimizer in use (after compile). */
  get optimizer(): Optimizer | null {
    return this.compiled?.optimizer ?? null;
  }

  // ---- the forward pass ------------------------------------------------------------------------

  /**
   * The forward pass as steps. With `lossActivation` (the activation the loss takes over, from
   * fusableActivation), the last layer is asked to run without it; then each layer may absorb the
   * one after it. The layers decide both (Layer.withoutFinalActivation, Layer.fuseWith).
   */
  private steps(lossActivation: ActivationName | null): Plan {
    const layers = this.stack;
    const last = lossActivation === null ? null : layers[layers.length - 1].withoutFinalActivation(lossActivation);
    const body = last === null ? layers : layers.slice(0, -1);
    const steps: ForwardStep[] = [];
    for (let i = 0; i < body.length; i++) {
      const fused = i + 1 < body.length ? body[i].fuseWith(body[i + 1], body[i + 2]) : null;
      steps.push(fused ?? body[i].asStep());
      i += (fused?.layers.length ?? 1) - 1;
    }
    if (last !== null) steps.push(last);
    return { steps, fromLogits: last !== null };
  }

  private forward(plan: Plan, x: Tensor, training: boolean): Tensor {
    const options = training ? TRAINING : INFERENCE;
    for (const step of plan.steps) x = step.run(x, options);
    return x;
  }

  /**
   * The forward pass as fit() runs it, one line a step: which layers run together and how
   * (with the compiled loss; before compile, as predict() runs it).
   *
   *   dense + activation    ReLU in the GEMM epilogue
   *   dropout
   *   dense_2               softmax left to the loss (from logits)
   */
  plan(): string {
    const { steps } = this.steps(this.compiled === null ? null : fusableActivation(this.compiled.loss));
    const names = steps.map((step) => step.layers.map((l) => l.name).join(' + '));
    const width = Math.max(...names.map((n) => n.length)) + 2;
    return steps.map((step, i) => (step.fused === null ? names[i] : names[i].padEnd(width) + step.fused)).join('\n');
  }

  // ---- fit -------------------------------------------------------------------------------------

  /**
   * Trains for `epochs` passes over (x, y) and resolves to the History: per-epoch `loss`, each
   * metric under its name, and `val_loss`, `val_<metric>` with validation data.
   * Keras' loop: for each epoch, for each batch, trainStep; then validation and the callbacks.
   */
  async fit(x: Tensor, y: Tensor, options: FitOptions = {}): Promise<History> {
    // One fit at a time: two would interleave their optimizer steps and share stopTraining.
    if (this.fitting) {
      throw new Error(
        `wasmgrad: fit() was called while an earlier fit() of model '${this.name}' is still running; await it first ` +
          '(two fits at once would interleave their optimizer steps). predict() and evaluate() may run meanwhile',
      );
    }
    this.fitting = true;
    try {
      return await this.runFit(x, y, options);
    } finally {
      this.fitting = false;
    }
  }

  private async runFit(x: Tensor, y: Tensor, options: FitOptions): Promise<History> {
    // Every check comes before the first weight changes: a rejected fit() leaves the model as it was.
    const compiled = this.requireCompiled('fit()');
    const settings = checkFitOptions(options as Record<string, unknown>);
    const { train, validation } = this.prepareFitData(x, y, settings, compiled);
    const { batchSize, epochs, verbose } = settings;

    const history = new History();
    const callbacks: CallbackLike[] = [...settings.callbacks, history];
    const userCallbacks = settings.callbacks.length > 0;
    let outsideCodeRan = true; // before the first step: anything may have happened to the weights
    for (const cb of callbacks) cb.setModel?.(this);
    const stream = options.stream ?? defaultOutputStream();
    const n = train.x.shape[0];
    const steps = Math.ceil(n / batchSize);
    const order = new Int32Array(n);
    const plan = this.steps(fusableActivation(compiled.loss));
    // The weights are made once, when the layers are built (above, at the latest); compile(), the
    // only way to change what trains, is refused while fit runs. So the list is taken once a fit.
    const params = this.trainableWeights;

    this.stopTraining = false;
    const clock = new YieldClock();
    for (const cb of callbacks) await cb.onTrainBegin?.({});
    for (let epoch = 0; epoch < epochs && !this.stopTraining; epoch++) {
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, {});
      if (verbose > 0) stream.write(epochHeader(epoch, epochs));
      const bar = new ProgressBar({ target: steps, verbose, stream });
      for (let i = 0; i < n; i++) order[i] = i;
      if (settings.shuffle) globalRandom.shuffle(order);
      this.resetMetrics(compiled);

      let lossSum = 0, seen = 0;
      for (let step = 0; step < steps; step++) {
        const rows = order.subarray(step * batchSize, Math.min(n, (step + 1) * batchSize));
        const begun = callBatchHooks(callbacks, 'onBatchBegin', step, {});
        if (begun !== null) await begun;
        // Weights change only by the steps themselves (whose gradients are checked) unless other
        // code ran meanwhile: user callbacks, or whatever ran while fit yielded. Only then are
        // the weights scanned too (a pass costs ~0.2 ms on a 670k-weight model: ~3% of a step).
        const result = this.trainStep(train, rows, plan, compiled, params, outsideCodeRan || userCallbacks);
        outsideCodeRan = false;
        if (result.badWeight !== null) {
          throw new Error(
            `wasmgrad: weight ${result.badWeight} ${atBatch(epoch, step)}, before that batch ran (was it changed from outside, e.g. by a callback?); ` +
              'training stopped with the weights as they are',
          );
        }
        lossSum += result.loss * rows.length;
        seen += rows.length;
        const logs = this.logsOf(lossSum / seen, compiled);
        if (step < steps - 1) bar.update(step + 1, logs);
        const ended = callBatchHooks(callbacks, 'onBatchEnd', step, logs);
        if (ended !== null) await ended;
        if (result.badGradient !== null || !Number.isFinite(result.loss)) {
          // That batch changed no weight. A callback may end training here (TerminateOnNaN); else it is an error.
          if (this.stopTraining) break;
          if (result.badGradient !== null) {
            throw new Error(
              `wasmgrad: the gradient of ${result.badGradient} ${atBatch(epoch, step)}; the weights were not updated by that batch. ` +
                'Try a lower learning rate, or check the inputs for huge values (scaling pixels to [0, 1] helps)',
            );
          }
          throw new Error(
            `wasmgrad: the loss became ${result.loss} ${atBatch(epoch, step)}; the weights were not updated by that batch. ` +
              'Try a lower learning rate, or check the inputs for NaN or huge values (scaling pixels to [0, 1] helps)',
          );
        }
        if (this.stopTraining) break;
        // Let the event loop run (timers, I/O, a page's input and rendering, a Worker's messages)
        // every few milliseconds of work, not after a fixed count of steps or epochs.
        if (await clock.maybeYield()) outsideCodeRan = true;
      }

      const logs = this.logsOf(lossSum / Math.max(seen, 1), compiled);
      if (validation !== null) {
        const results = this.evaluateData(validation, batchSize, compiled, null);
        for (const [key, value] of Object.entries(results)) logs[`val_${key}`] = value;
      }
      // Callbacks first (they may add to the logs: learning_rate), then History and the bar, as in Keras.
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
      bar.finish(logs);
      if (await clock.maybeYield()) outsideCodeRan = true;
    }
    for (const cb of callbacks) await cb.onTrainEnd?.({});
    return history;
  }

  /**
   * One training step on the samples `rows`, Keras' train_step. Inside scoped(), so every
   * intermediate tensor is freed when it returns. With checkWeights, the weights are checked for
   * NaN and ±Infinity first (a ReLU would hide a bad hidden weight from the loss); the loss and
   * every gradient always before the update: whatever is not finite is returned, and that batch
   * changes no weight.
   */
  private trainStep({ x, y, weights }: Data, rows: Int32Array, plan: Plan, compiled: Compiled, params: readonly Tensor[], checkWeights: boolean): StepResult {
    return scoped(() => {
      const badWeight = checkWeights ? firstNonFiniteOf(params, weightOf) : null;
      if (badWeight !== null) return { loss: Number.NaN, badWeight, badGradient: null };
      const xb = gatherRows(x, rows), yb = gatherRows(y, rows); // gather the batch
      const wb = weights === null ? null : Float32Array.from(rows, (r) => weights[r]);
      for (const p of params) p.zeroGrad();
      const output = this.forward(plan, xb, true); // forward
      const loss = computeLoss(compiled.loss, output, yb, plan.fromLogits, wb); // loss
      const value = loss.item();
      if (!Number.isFinite(value)) return { loss: value, badWeight: null, badGradient: null };
      loss.backward(); // backward: every parameter's .grad
      const badGradient = firstNonFiniteOf(params, gradientOf);
      if (badGradient !== null) return { loss: value, badWeight: null, badGradient };
      compiled.optimizer.step(params); // update
      this.updateMetrics(compiled, yb, output, plan, wb); // on the outputs before the update, as Keras
      return { loss: value, badWeight: null, badGradient: null };
    });
  }

  private resetMetrics(compiled: Compiled): void {
    for (const m of [...compiled.metrics, ...compiled.weightedMetrics]) m.resetState();
  }

  /** Every metric sees the batch; the weighted ones with its loss weights. */
  private updateMetrics(compiled: Compiled, labels: Tensor, output: Tensor, plan: Plan, weights: Float32Array | null): void {
    if (compiled.metrics.length + compiled.weightedMetrics.length === 0) return;
    const batch = batchOutput(output, plan.fromLogits, fusableActivation(compiled.loss));
    for (const m of compiled.metrics) m.update(labels, batch);
    for (const m of compiled.weightedMetrics) m.update(labels, batch, weights);
  }

  /** Keras' logs: the mean loss, then each metric's result under its name (the weighted ones last). */
  private logsOf(loss: number, compiled: Compiled): Logs {
    const logs: Logs = { loss };
    for (const m of compiled.metrics) logs[m.name] = m.result();
    for (const m of compiled.weightedMetrics) logs[m.name] = m.result();
    return logs;
  }

  /**
   * The data checks of fit() (its options are checked by checkFitOptions), the build, the loss
   * weights, and the split: validationData, or the last validationSplit of the samples (Keras
   * splits before shuffling; sample weights split with them, class weights weight training only).
   */
  private prepareFitData(x: Tensor, y: Tensor, settings: FitSettings, compiled: Compiled): { train: Data; validation: Data | null } {
    const { validationData, validationSplit: split } = settings;
    checkXY(x, y, 'fit()');
    const at = split !== undefined ? Math.floor(x.shape[0] * (1 - split)) : x.shape[0];
    if (split !== undefined && validationData === undefined && (at === 0 || at === x.shape[0])) {
      throw new RangeError(`wasmgrad: fit() validationSplit ${split} of ${x.shape[0]} samples leaves no samples for training or for validation`);
    }
    const sampleWeights = settings.sampleWeight === undefined ? null : sampleWeightsOf(settings.sampleWeight, x.shape[0], 'fit() sampleWeight');
    let validation: Data | null = null;
    if (validationData !== undefined) {
      const [vx, vy, vw] = validationData;
      checkXY(vx, vy, 'fit() validationData');
      checkSameSampleShape(vx, x, 'fit() validationData');
      validation = { x: vx, y: vy, weights: vw === undefined ? null : sampleWeightsOf(vw, vx.shape[0], 'fit() validationData sample weights') };
    }
    this.ensureBuilt(x, 'fit()');
    checkLabels(compiled.loss, y, this.outputShape!, 'y');
    if (validation !== null) {
      this.ensureBuilt(validation.x, 'fit() validationData');
      checkLabels(compiled.loss, validation.y, this.outputShape!, 'validationData labels');
      return { train: { x, y, weights: sampleWeights ?? classWeightsOf(settings.classWeight, y) }, validation };
    }
    if (split === undefined) return { train: { x, y, weights: sampleWeights ?? classWeightsOf(settings.classWeight, y) }, validation: null };
    const trainY = sliceRows(y, 0, at);
    return {
      train: { x: sliceRows(x, 0, at), y: trainY, weights: sampleWeights?.slice(0, at) ?? classWeightsOf(settings.classWeight, trainY) },
      validation: { x: sliceRows(x, at, x.shape[0]), y: sliceRows(y, at, y.shape[0]), weights: sampleWeights?.slice(at) ?? null },
    };
  }

  // ---- evaluate and predict --------------------------------------------------------------------

  /** The loss, then each metric, on (x, y): [loss, ...metrics], as Keras' evaluate. No training. */
  evaluate(x: Tensor, y: Tensor, options: EvaluateOptions = {}): number[] {
    const compiled = this.requireCompiled('evaluate()');
    checkOptionsObject(options, 'evaluate()', '{ batchSize: 32, verbose: 0 }');
    const batchSize = checkPositiveInteger(options.batchSize ?? 32, 'batchSize', 'evaluate()');
    checkVerbose(options.verbose ?? 1, 'evaluate()', [0, 1]);
    checkXY(x, y, 'evaluate()');
    const weights = options.sampleWeight === undefined ? null : sampleWeightsOf(options.sampleWeight, x.shape[0], 'evaluate() sampleWeight');
    this.ensureBuilt(x, 'evaluate()');
    checkLabels(compiled.loss, y, this.outputShape!, 'y');
    const bar = new ProgressBar({ target: Math.ceil(x.shape[0] / batchSize), verbose: options.verbose ?? 1, stream: options.stream ?? defaultOutputStream() });
    return Object.values(this.evaluateData({ x, y, weights }, batchSize, compiled, bar));
  }

  /** The loss and metrics over data, batch by batch, without gradients: { loss, <metric>: ... }. */
  private evaluateData({ x, y, weights }: Data, batchSize: number, compiled: Compiled, bar: ProgressBar | null): Logs {
    const n = x.shape[0];
    const steps = Math.ceil(n / batchSize);
    const plan = this.steps(fusableActivation(compiled.loss));
    this.resetMetrics(compiled);
    let lossSum = 0;
    for (let step = 0; step < steps; step++) {
      const start = step * batchSize, end = Math.min(n, start + batchSize);
      scoped(() => noGrad(() => {
        const xb = batchOf(x, start, end), yb = batchOf(y, start, end);
        const output = this.forward(plan, xb, false);
        const wb = weights === null ? null : weights.subarray(start, end);
        lossSum += computeLoss(compiled.loss, output, yb, plan.fromLogits, wb).item() * (end - start);
        this.updateMetrics(compiled, yb, output, plan, wb);
      }));
      const logs = this.logsOf(lossSum / end, compiled);
      if (step < steps - 1) bar?.update(step + 1, logs);
      else bar?.finish(logs);
    }
    return this.logsOf(lossSum / n, compiled);
  }

  /** The model's outputs for x, batch by batch, without training: a Tensor [samples, ...outputShape]. */
  predict(x: Tensor, options: PredictOptions = {}): Tensor {
    checkOptionsObject(options, 'predict()', '{ batchSize: 32 }');
    const batchSize = checkPositiveInteger(options.batchSize ?? 32, 'batchSize', 'predict()');
    checkX(x, 'predict()');
    this.ensureBuilt(x, 'predict()');
    const n = x.shape[0];
    // The result lives in the JS heap, as garbage the collector counts: a predict loop is flat.
    const out = onHost(() => zeros([n, ...this.outputShape!]));
    const rowSize = n === 0 ? 0 : out.size / n;
    const plan = this.steps(null);
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      scoped(() => noGrad(() => {
        const output = this.forward(plan, batchOf(x, start, end), false);
        const bad = firstNonFinite(output);
        if (bad >= 0) {
          // The inputs were checked finite, and the weights are (setWeights, loading and fit see to it).
          throw new Error(
            `wasmgrad: predict() got finite inputs, but the outputs overflowed: ${output.data[bad]} at sample ${start + Math.floor(bad / rowSize)} ` +
              `(output ${bad % rowSize}); float32 holds at most ~3.4e38: scale the inputs down (e.g. pixels to [0, 1])`,
          );
        }
        out.data.set(output.data, start * rowSize);
      }));
    }
    return out;
  }

  // ---- weights and summary ---------------------------------------------------------------------

  /** Copies of every weight, in Keras' order and layout (Dense: kernel [in, out], then bias [out]). */
  getWeights(): Tensor[] {
    return onHost(() => this.weights.map((w) => tensor(w.data, w.shape)));
  }

  /** Sets every weight from a list in getWeights()' order; each entry must have the right size. */
  setWeights(weights: ArrayLike<Tensor | ArrayLike<number>>): void {
    const targets = this.weights;
    if (weights.length !== targets.length) {
      throw new Error(`wasmgrad: setWeights expected ${targets.length} arrays (${targets.map((t) => `${t.name} ${formatShape(t.shape)}`).join(', ')}), got ${weights.length}`);
    }
    // Check everything before writing anything, so a bad list leaves the model untouched.
    const sources = Array.from(weights, (w, i) => {
      const values = w instanceof Tensor ? w.data : w;
      if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
        throw new Error(`wasmgrad: setWeights expected weight ${i} (${targets[i].name}) as a Tensor or a list of numbers, got ${describeValue(values)}`);
      }
      if (values.length !== targets[i].size || (w instanceof Tensor && w.shape.join() !== targets[i].shape.join())) {
        const given = w instanceof Tensor ? `shape ${formatShape(w.shape)}` : `${values.length} values`;
        throw new Error(`wasmgrad: setWeights expected weight ${i} (${targets[i].name}) to have shape ${formatShape(targets[i].shape)}, got ${given}`);
      }
      // Float32Array.set would turn "0.5" into 0.5 and anything else into NaN without a word.
      for (let k = 0; k < values.length; k++) {
        const v: unknown = values[k];
        if (typeof v !== 'number' || v - v !== 0) {
          throw new Error(`wasmgrad: setWeights expected finite numbers in weight ${i} (${targets[i].name}), got ${describeValue(v)} at element ${k}`);
        }
      }
      return values;
    });
    sources.forEach((values, i) => targets[i].data.set(values));
  }

  // ---- saving (nn/saving/ does the work) -------------------------------------------------------

  /**
   * Saves the model into the folder `path` (Node), replacing an earlier save atomically. By default
   * in wasmgrad's format: model.json (layers, compile settings, optimizer and random-generator
   * state, weight manifest) and weights.bin; loadModel(path) gives it back, ready to predict or to
   * go on training. With { format: 'tfjs' }, TensorFlow.js' Layers format (model.json and
   * weights.bin) for tf.loadLayersModel: layers and weights only. In a page: 'indexeddb://name'
   * (kept by the browser) or 'downloads://name' (name.json and name.weights.bin).
   *
   *   await model.save('checkpoints/mnist');
   *   await model.save('web/mnist', { format: 'tfjs' });
   */
  save(path: string, options: SaveOptions = {}): Promise<void> {
    // TF.js' format holds no compile settings: a custom metric does not stop it.
    return saveModel(this, options?.format === 'tfjs' ? null : this.compileSettings(), path, options);
  }

  /**
   * The saved form in memory, for browsers: { modelJson, weights }; loadModelFromArtifacts reads
   * it back. With { format: 'tfjs' }, TensorFlow.js' model.json and weight data instead.
   */
  toArtifacts(options?: { format?: 'wasmgrad' }): ModelArtifacts;
  toArtifacts(options: { format: 'tfjs' }): TfjsArtifacts;
  toArtifacts(options: SaveOptions = {}): ModelArtifacts | TfjsArtifacts {
    if (options?.format === 'tfjs') return modelToTfjs(this);
    if (options?.format !== undefined && options.format !== 'wasmgrad') {
      throw new Error(`wasmgrad: toArtifacts expected format 'wasmgrad' (the default) or 'tfjs', got ${describeValue(options.format)}`);
    }
    return modelToArtifacts(this, this.compileSettings());
  }

  /**
   * Saves the layers and weights only (no compile settings, no optimizer state) into the folder
   * `path`, in the same checked form as save(); loadWeights(path) reads them back (Keras'
   * save_weights / load_weights).
   */
  saveWeights(path: string): Promise<void> {
    return saveModel(this, null, path);
  }

  /**
   * Sets this model's weights from a folder written by saveWeights() or save() of a model with the
   * same weight shapes in the same order (Keras' load_weights). Checks everything before writing.
   */
  async loadWeights(path: string): Promise<void> {
    this.requireBuilt('loadWeights()');
    const saved = await loadFromFolder(path, (layers, name) => new Sequential(layers, { name }), { restoreRandomState: false });
    const given = saved.trainableWeights, targets = this.trainableWeights;
    const mismatch = targets.findIndex((t, i) => given[i] === undefined || formatShape(given[i].shape) !== formatShape(t.shape));
    if (given.length !== targets.length || mismatch !== -1) {
      const list = (ws: Tensor[]) => ws.map((w) => formatShape(w.shape)).join(', ');
      throw new Error(`wasmgrad: loadWeights: model '${this.name}' has weights of shapes ${list(targets)}, but ${path} holds ${list(given)}`);
    }
    this.setWeights(given);
  }

  /** The compile settings as a saved model holds them; a custom metric function cannot be saved. */
  private compileSettings(): CompileSettings | null {
    if (this.compiled === null) return null;
    const saved = (metrics: Metric[]) => metrics.map((m): SavedMetric => {
      const identifier = m.saved();
      if (identifier === null) {
        throw new Error(`wasmgrad: cannot save model '${this.name}': metric '${m.name}' is a custom function, which loadModel cannot recreate; save the weights alone with saveWeights()`);
      }
      return identifier;
    });
    const { optimizer, loss, metrics, weightedMetrics } = this.compiled;
    return { optimizer, loss, metrics: saved(metrics), weightedMetrics: saved(weightedMetrics) };
  }

  /** The Keras summary table as text. */
  summaryText(): string {
    this.requireBuilt('summary()');
    let shape: number[] = this.inputShape!;
    const rows = this.stack.map((layer) => {
      shape = layer.computeOutputShape(shape);
      return { name: layer.name, className: layer.className, outputShape: [null, ...shape], params: layer.countParams() };
    });
    const total = this.countParams();
    const nonTrainable = this.layers.reduce((n, l) => n + l.nonTrainableWeights.reduce((m, w) => m + w.size, 0), 0);
    // As in Keras, an Input({ shape }) entry has no row of its own.
    const shown = rows.filter((_, i) => !(this.layers[i] instanceof Input));
    return formatSummary({ modelName: this.name, rows: shown, trainableParams: total - nonTrainable, nonTrainableParams: nonTrainable });
  }

  /** Prints the Keras summary table (layers, output shapes, parameter counts). */
  summary(printFn: (line: string) => void = console.log): void {
    printFn(this.summaryText());
  }
}
