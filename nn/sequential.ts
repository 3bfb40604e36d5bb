// nn/sequential.ts — the Sequential model: a stack of layers with Keras' compile / fit / evaluate /
// predict / summary, and getWeights / setWeights in Keras' layout.
//
// One training step, start to finish (fitBatch): gather a shuffled batch, run the layers forward,
// compute the loss, backward(), let the optimizer update the weights — all inside scoped(), so
// every intermediate buffer goes back to the allocator when the step ends and memory stays flat.
// The forward pass fuses where it pays: a Dense followed by ReLU is one GEMM with the ReLU in its
// epilogue, and a final softmax (or sigmoid) is left to the loss, which works from logits.

import {
  Tensor, describeValue, formatShape, gatherRows, globalRandom, keep, noGrad, persistent, scoped, sliceRows, tensor,
  type Optimizer,
} from '../engine/index.js';
import { type ActivationName } from './activations.js';
import { Callback, History, type CallbackLike, type Logs } from './callbacks.js';
import { Activation, Dense, Layer } from './layers/index.js';
import { checkLabels, computeLoss, countCorrect, fusableActivation, resolveLoss, resolveMetrics, type LossName, type MetricName } from './losses.js';
import { resolveOptimizer } from './optimizers.js';
import { ProgressBar, defaultOutputStream, epochHeader, type OutputStream } from './progress.js';
import { YieldClock } from './event-loop.js';
import { modelToArtifacts, saveModel, type ModelArtifacts } from './saving.js';
import { formatSummary } from './summary.js';

export interface CompileOptions {
  /** 'adam', 'sgd', 'rmsprop', or an optimizer instance. Default 'rmsprop', as in Keras. */
  optimizer?: string | Optimizer;
  /** A Keras loss name: 'sparse_categorical_crossentropy', 'categorical_crossentropy', 'mse', 'binary_crossentropy'. */
  loss: string;
  /** ['accuracy'] or nothing. */
  metrics?: string[];
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
  /** [x, y] to evaluate on at the end of each epoch (takes precedence over validationSplit). */
  validationData?: [Tensor, Tensor];
  callbacks?: (Callback | CallbackLike)[];
  /** Where the progress bar goes. Default process.stdout in Node, the console elsewhere. */
  stream?: OutputStream;
}

export interface EvaluateOptions {
  /** Default 32. */
  batchSize?: number;
  /** 0 silent, 1 progress bar (the default, as in Keras). */
  verbose?: 0 | 1;
  stream?: OutputStream;
}

export interface PredictOptions {
  /** Default 32. */
  batchSize?: number;
}

interface Compiled {
  optimizer: Optimizer;
  loss: LossName;
  metrics: MetricName[];
}

let sequentialCount = 0;


function checkPositiveInteger(value: unknown, what: string, method: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    const Kind = typeof value === 'number' ? RangeError : Error;
    throw new Kind(`wasmgrad: ${method} expected ${what} to be a positive integer, got ${describeValue(value)}`);
  }
  return value;
}

/** An options argument: undefined (all defaults) or a plain object, never a number or a string. */
function checkOptionsObject(options: unknown, method: string, example: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options) || options instanceof Tensor) {
    throw new Error(`wasmgrad: ${method} expected an options object such as ${example}, got ${describeValue(options)}`);
  }
}

function checkVerbose(value: unknown, method: string, allowed: readonly number[]): void {
  if (!allowed.includes(value as number)) {
    throw new Error(`wasmgrad: ${method} expected verbose to be ${allowed.join(', ').replace(/, (\d)$/, ' or $1')}, got ${describeValue(value)}`);
  }
}

/**
 * Rejects NaN and ±Infinity in data up front: a ReLU would quietly turn NaN into 0 and training
 * would go on with garbage, so we name the first bad value instead.
 */
function checkFinite(t: Tensor, what: string, method: string): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      const rowSize = t.size / t.shape[0];
      throw new Error(`wasmgrad: ${method} expected finite numbers in ${what}, got ${d[i]} in sample ${Math.floor(i / rowSize)} (element ${i % rowSize} of it)`);
    }
  }
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

export class Sequential {
  readonly name: string;
  readonly layers: Layer[] = [];
  /** Set by a callback to end fit() after the current epoch (or batch). */
  stopTraining = false;
  private compiled: Compiled | null = null;

  constructor(layers: Layer[] = [], options: { name?: string } = {}) {
    if (!Array.isArray(layers)) {
      throw new Error(`wasmgrad: Sequential expected a list of layers such as [new Dense(10, { inputShape: [4] })], got ${describeValue(layers)}`);
    }
    this.name = options.name ?? (sequentialCount++ === 0 ? 'sequential' : `sequential_${sequentialCount - 1}`);
    for (const layer of layers) this.add(layer);
  }

  /** Appends a layer; builds it at once when the shape of its input is known. */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) {
      throw new Error(`wasmgrad: Sequential.add expected a layer (such as new Dense(10)), got ${describeValue(layer)}`);
    }
    if (this.layers.includes(layer)) throw new Error(`wasmgrad: layer '${layer.name}' is already in model '${this.name}'`);
    // Names tie weights to layers when a model is saved and loaded, so they must be unique (as in Keras).
    if (this.layers.some((l) => l.name === layer.name)) {
      throw new Error(
        `wasmgrad: model '${this.name}' already has a layer named '${layer.name}'; expected unique layer names, got '${layer.name}' twice (leave name out for an automatic one)`,
      );
    }
    if (this.layers.length > 0 && layer.inputShape !== null) {
      // Keras ignores input_shape on a layer that is not first; so do we, but only when it agrees.
      // (A layer already built elsewhere has an inputShape too, and must agree for the same reason.)
      const expected = this.outputShapeAfter(this.layers.length);
      if (expected !== null) checkChains(layer, expected, this.layers[this.layers.length - 1]);
    }
    // Build before joining, so a layer that cannot take its input never becomes part of the model.
    const inputShape = this.layers.length === 0 ? layer.inputShape : this.outputShapeAfter(this.layers.length);
    if (inputShape !== null && !layer.built) layer.build(inputShape);
    this.layers.push(layer);
  }

  /** The sample shape flowing out of the first `count` layers, or null when not yet known. */
  private outputShapeAfter(count: number): number[] | null {
    let shape = this.layers[0]?.inputShape ?? null;
    for (let i = 0; i < count && shape !== null; i++) shape = this.layers[i].computeOutputShape(shape);
    return shape;
  }

  /** The sample shape the model takes (no batch dimension), or null before it is known. */
  get inputShape(): number[] | null {
    return this.layers[0]?.inputShape ?? null;
  }

  /** The sample shape the model returns, or null before it is built. */
  get outputShape(): number[] | null {
    return this.layers.length === 0 ? null : this.outputShapeAfter(this.layers.length);
  }

  /** Builds every layer for samples of this shape (what Keras does on the first call). */
  build(inputShape: readonly number[]): void {
    if (this.layers.length === 0) throw new Error(`wasmgrad: model '${this.name}' has no layers; add some with model.add(...)`);
    if (!Array.isArray(inputShape) || inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new Error(`wasmgrad: model '${this.name}' expected a sample shape of positive integers such as [784], got ${describeValue(inputShape)}`);
    }
    // Check the whole chain before building anything, so a mismatch leaves every layer unbuilt
    // (a layer built for the wrong shape would refuse every later, correct, input).
    let shape: number[] = [...inputShape];
    this.layers.forEach((layer, i) => {
      if (layer.inputShape !== null) checkChains(layer, shape, i === 0 ? null : this.layers[i - 1]);
      layer.checkInputShape(shape);
      shape = layer.computeOutputShape(shape);
    });
    shape = [...inputShape];
    for (const layer of this.layers) {
      if (!layer.built) layer.build(shape);
      shape = layer.computeOutputShape(shape);
    }
  }

  private ensureBuilt(x: Tensor, method: string): void {
    if (this.layers.length === 0) throw new Error(`wasmgrad: ${method} needs a model with layers; add some with model.add(...)`);
    const expected = this.inputShape;
    const sample = x.shape.slice(1);
    if (expected !== null && (sample.length !== expected.length || sample.some((d, i) => d !== expected[i]))) {
      throw new Error(
        `wasmgrad: ${method} expected x of shape [samples, ${expected.join(', ')}] for model '${this.name}', got ${formatShape(x.shape)}`,
      );
    }
    if (!this.layers.every((l) => l.built)) this.build(sample);
  }

  /** Trainable weights of every layer, in order (Keras' model.trainable_weights). */
  get trainableWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.weights);
  }

  countParams(): number {
    this.requireBuilt('countParams()');
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  private requireBuilt(method: string): void {
    if (this.layers.length === 0 || !this.layers.every((l) => l.built)) {
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
    this.compiled = {
      optimizer: resolveOptimizer(options.optimizer ?? 'rmsprop'),
      loss: resolveLoss(options.loss),
      metrics: resolveMetrics(options.metrics),
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
   * Runs the layers on a batch. With `finalActivationToLoss` ('softmax' or 'sigmoid'), a final
   * activation of that kind is not applied and `fromLogits` says so: the loss takes it over.
   */
  private forward(x: Tensor, training: boolean, finalActivationToLoss: ActivationName | null): { output: Tensor; fromLogits: boolean } {
    const layers = this.layers;
    const last = layers[layers.length - 1];
    let end = layers.length; // layers [0, end) run
    let finalDenseActivation: ActivationName | null = null;
    if (finalActivationToLoss !== null) {
      if (last instanceof Activation && last.activation === finalActivationToLoss) end--;
      else if (last instanceof Dense && last.activation === finalActivationToLoss) finalDenseActivation = 'linear';
    }
    const fromLogits = end < layers.length || finalDenseActivation !== null;
    for (let i = 0; i < end; i++) {
      const layer = layers[i];
      if (layer instanceof Dense) {
        let activation = i === layers.length - 1 && finalDenseActivation !== null ? finalDenseActivation : layer.activation;
        const next = layers[i + 1];
        if (activation === 'linear' && i + 1 < end && next instanceof Activation && next.activation === 'relu') {
          activation = 'relu'; // Dense then ReLU: one GEMM with ReLU in its epilogue
          i++;
        }
        x = layer.forward(x, activation);
      } else {
        x = layer.call(x, { training });
      }
    }
    return { output: x, fromLogits };
  }

  // ---- fit -------------------------------------------------------------------------------------

  /**
   * Trains for `epochs` passes over (x, y) and resolves to the History: per-epoch `loss`,
   * `accuracy` (with metrics ['accuracy']), `val_loss` and `val_accuracy` (with validation data).
   */
  async fit(x: Tensor, y: Tensor, options: FitOptions = {}): Promise<History> {
    // Every check comes before the first weight changes: a rejected fit() leaves the model as it was.
    const compiled = this.requireCompiled('fit()');
    checkOptionsObject(options, 'fit()', '{ epochs: 5, batchSize: 32 }');
    const batchSize = checkPositiveInteger(options.batchSize ?? 32, 'batchSize', 'fit()');
    const epochs = checkPositiveInteger(options.epochs ?? 1, 'epochs', 'fit()');
    const verbose = options.verbose ?? 1;
    checkVerbose(verbose, 'fit()', [0, 1, 2]);
    const shuffle = options.shuffle ?? true;
    if (typeof shuffle !== 'boolean') throw new Error(`wasmgrad: fit() expected shuffle to be true or false, got ${describeValue(shuffle)}`);
    const userCallbacks = options.callbacks ?? [];
    if (!Array.isArray(userCallbacks) || userCallbacks.some((cb) => cb === null || typeof cb !== 'object')) {
      throw new Error(`wasmgrad: fit() expected callbacks as a list such as [new EarlyStopping()], got ${describeValue(options.callbacks)}`);
    }
    const validationData: unknown = options.validationData;
    if (validationData !== undefined && (!Array.isArray(validationData) || validationData.length !== 2)) {
      throw new Error(`wasmgrad: fit() expected validationData as a pair [xVal, yVal], got ${describeValue(validationData)}`);
    }
    const split: unknown = options.validationSplit;
    if (split !== undefined && (typeof split !== 'number' || !(split > 0 && split < 1))) {
      const Kind = typeof split === 'number' ? RangeError : Error;
      throw new Kind(`wasmgrad: fit() expected validationSplit to be a number in (0, 1), got ${describeValue(split)}`);
    }
    this.checkXY(x, y, 'fit()');
    // validationSplit holds out the last samples; validationData, when given, takes precedence.
    const at = typeof split === 'number' ? Math.floor(x.shape[0] * (1 - split)) : x.shape[0];
    if (typeof split === 'number' && validationData === undefined && (at === 0 || at === x.shape[0])) {
      throw new RangeError(`wasmgrad: fit() validationSplit ${split} of ${x.shape[0]} samples leaves no samples for training or for validation`);
    }
    if (options.validationData !== undefined) {
      const [vx, vy] = options.validationData;
      this.checkXY(vx, vy, 'fit() validationData');
      this.checkSampleShape(vx, 'fit() validationData', x);
    }
    this.ensureBuilt(x, 'fit()');
    checkLabels(compiled.loss, y, this.outputShape!, 'y');

    // Validation: explicit data, or the last fraction of the samples (Keras splits before shuffling).
    let trainX = x, trainY = y;
    let validation: [Tensor, Tensor] | null = null;
    if (options.validationData !== undefined) {
      const [vx, vy] = options.validationData;
      this.ensureBuilt(vx, 'fit() validationData');
      checkLabels(compiled.loss, vy, this.outputShape!, 'validationData labels');
      validation = [vx, vy];
    } else if (typeof split === 'number') {
      trainX = sliceRows(x, 0, at);
      trainY = sliceRows(y, 0, at);
      validation = [sliceRows(x, at, x.shape[0]), sliceRows(y, at, y.shape[0])];
    }

    const history = new History();
    const callbacks: CallbackLike[] = [history, ...userCallbacks];
    for (const cb of callbacks) cb.setModel?.(this);
    const stream = options.stream ?? defaultOutputStream();
    const n = trainX.shape[0];
    const steps = Math.ceil(n / batchSize);
    const order = new Int32Array(n);
    const params = this.trainableWeights;
    const finalToLoss = fusableActivation(compiled.loss);
    const withAccuracy = compiled.metrics.includes('accuracy');

    this.stopTraining = false;
    const clock = new YieldClock();
    for (const cb of callbacks) await cb.onTrainBegin?.({});
    for (let epoch = 0; epoch < epochs && !this.stopTraining; epoch++) {
      for (const cb of callbacks) await cb.onEpochBegin?.(epoch, {});
      if (verbose > 0) stream.write(epochHeader(epoch, epochs));
      const bar = new ProgressBar({ target: steps, verbose, stream });
      for (let i = 0; i < n; i++) order[i] = i;
      if (shuffle) globalRandom.shuffle(order);

      let lossSum = 0, correct = 0, seen = 0;
      for (let step = 0; step < steps; step++) {
        const rows = order.subarray(step * batchSize, Math.min(n, (step + 1) * batchSize));
        for (const cb of callbacks) await cb.onBatchBegin?.(step, {});
        const result = scoped(() => {
          const xb = gatherRows(trainX, rows);
          const yb = gatherRows(trainY, rows);
          for (const p of params) p.zeroGrad();
          const { output, fromLogits } = this.forward(xb, true, finalToLoss);
          const loss = computeLoss(compiled.loss, output, yb, fromLogits);
          const value = loss.item();
          if (!Number.isFinite(value)) return { value, correct: 0 };
          loss.backward();
          compiled.optimizer.step(params);
          return { value, correct: withAccuracy ? countCorrect(compiled.loss, output, yb, fromLogits) : 0 };
        });
        if (!Number.isFinite(result.value)) {
          throw new Error(
            `wasmgrad: the loss became ${result.value} at epoch ${epoch + 1}, batch ${step + 1}; the weights were not updated by that batch. ` +
              'Try a lower learning rate, or check the inputs for NaN or huge values (scaling pixels to [0, 1] helps)',
          );
        }
        lossSum += result.value * rows.length;
        correct += result.correct;
        seen += rows.length;
        const logs: Logs = { loss: lossSum / seen };
        if (withAccuracy) logs.accuracy = correct / seen;
        if (step < steps - 1) bar.update(step + 1, logs);
        for (const cb of callbacks) await cb.onBatchEnd?.(step, logs);
        if (this.stopTraining) break;
        // Let the event loop run (timers, I/O, a page's input and rendering, a Worker's messages)
        // every few milliseconds of work, not after a fixed count of steps or epochs.
        await clock.maybeYield();
      }

      const logs: Logs = { loss: lossSum / Math.max(seen, 1) };
      if (withAccuracy) logs.accuracy = correct / Math.max(seen, 1);
      if (validation !== null) {
        const [valLoss, valAccuracy] = this.evaluate(validation[0], validation[1], { batchSize, verbose: 0 });
        logs.val_loss = valLoss;
        if (withAccuracy) logs.val_accuracy = valAccuracy;
      }
      bar.finish(logs);
      for (const cb of callbacks) await cb.onEpochEnd?.(epoch, logs);
      await clock.maybeYield();
    }
    for (const cb of callbacks) await cb.onTrainEnd?.({});
    return history;
  }

  /** Validation samples must have the training samples' shape (checked before a deferred build). */
  private checkSampleShape(x: Tensor, method: string, like: Tensor): void {
    const sample = x.shape.slice(1), expected = like.shape.slice(1);
    if (sample.length !== expected.length || sample.some((d, i) => d !== expected[i])) {
      throw new Error(`wasmgrad: ${method} expected x of shape [samples, ${expected.join(', ')}] like the training x, got ${formatShape(x.shape)}`);
    }
  }

  private checkXY(x: Tensor, y: Tensor, method: string): void {
    if (!(x instanceof Tensor)) throw new Error(`wasmgrad: ${method} expected x to be a Tensor (make one with tensor(values, shape)), got ${describeValue(x)}`);
    if (!(y instanceof Tensor)) throw new Error(`wasmgrad: ${method} expected y to be a Tensor (make one with tensor(values, shape)), got ${describeValue(y)}`);
    if (x.rank < 2) throw new Error(`wasmgrad: ${method} expected x of shape [samples, ...features], got ${formatShape(x.shape)}`);
    if (x.shape[0] !== y.shape[0]) {
      throw new Error(`wasmgrad: ${method} expected x and y to have the same number of samples, got ${x.shape[0]} in x ${formatShape(x.shape)} and ${y.shape[0]} in y ${formatShape(y.shape)}`);
    }
    if (x.shape[0] === 0) throw new Error(`wasmgrad: ${method} got no samples (x has shape ${formatShape(x.shape)})`);
    checkFinite(x, 'x', method);
    checkFinite(y, 'y', method);
  }

  // ---- evaluate and predict --------------------------------------------------------------------

  /** The loss (and accuracy, with metrics ['accuracy']) on (x, y): [loss, accuracy]. No training. */
  evaluate(x: Tensor, y: Tensor, options: EvaluateOptions = {}): number[] {
    const compiled = this.requireCompiled('evaluate()');
    checkOptionsObject(options, 'evaluate()', '{ batchSize: 32, verbose: 0 }');
    const batchSize = checkPositiveInteger(options.batchSize ?? 32, 'batchSize', 'evaluate()');
    checkVerbose(options.verbose ?? 1, 'evaluate()', [0, 1]);
    this.checkXY(x, y, 'evaluate()');
    this.ensureBuilt(x, 'evaluate()');
    checkLabels(compiled.loss, y, this.outputShape!, 'y');
    const n = x.shape[0];
    const steps = Math.ceil(n / batchSize);
    const bar = new ProgressBar({ target: steps, verbose: options.verbose ?? 1, stream: options.stream ?? defaultOutputStream() });
    const finalToLoss = fusableActivation(compiled.loss);
    const withAccuracy = compiled.metrics.includes('accuracy');
    let lossSum = 0, correct = 0;
    for (let step = 0; step < steps; step++) {
      const start = step * batchSize, end = Math.min(n, start + batchSize);
      scoped(() => noGrad(() => {
        const xb = sliceRows(x, start, end), yb = sliceRows(y, start, end);
        const { output, fromLogits } = this.forward(xb, false, finalToLoss);
        lossSum += computeLoss(compiled.loss, output, yb, fromLogits).item() * (end - start);
        if (withAccuracy) correct += countCorrect(compiled.loss, output, yb, fromLogits);
      }));
      const logs: Logs = { loss: lossSum / end };
      if (withAccuracy) logs.accuracy = correct / end;
      if (step < steps - 1) bar.update(step + 1, logs);
      else bar.finish(logs);
    }
    return withAccuracy ? [lossSum / n, correct / n] : [lossSum / n];
  }

  /** The model's outputs for x, batch by batch, without training: a Tensor [samples, ...outputShape]. */
  predict(x: Tensor, options: PredictOptions = {}): Tensor {
    checkOptionsObject(options, 'predict()', '{ batchSize: 32 }');
    const batchSize = checkPositiveInteger(options.batchSize ?? 32, 'batchSize', 'predict()');
    if (!(x instanceof Tensor)) throw new Error(`wasmgrad: predict() expected x to be a Tensor (make one with tensor(values, shape)), got ${describeValue(x)}`);
    if (x.rank < 2) throw new Error(`wasmgrad: predict() expected x of shape [samples, ...features], got ${formatShape(x.shape)}`);
    checkFinite(x, 'x', 'predict()');
    this.ensureBuilt(x, 'predict()');
    const n = x.shape[0];
    const outShape = [n, ...this.outputShape!];
    const out = persistent(() => tensor(new Float32Array(outShape.reduce((a, b) => a * b, 1)), outShape));
    const rowSize = n === 0 ? 0 : out.size / n;
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      scoped(() => noGrad(() => {
        const { output } = this.forward(sliceRows(x, start, end), false, null);
        out.data.set(output.data, start * rowSize);
      }));
    }
    return keep(out);
  }

  // ---- weights and summary ---------------------------------------------------------------------

  /** Copies of every weight, in Keras' order and layout (Dense: kernel [in, out], then bias [out]). */
  getWeights(): Tensor[] {
    return persistent(() => this.trainableWeights.map((w) => tensor(w.data, w.shape)));
  }

  /** Sets every weight from a list in getWeights()' order; each entry must have the right size. */
  setWeights(weights: ArrayLike<Tensor | ArrayLike<number>>): void {
    const targets = this.trainableWeights;
    if (weights.length !== targets.length) {
      throw new Error(`wasmgrad: setWeights expected ${targets.length} arrays (${targets.map((t) => `${t.name} ${formatShape(t.shape)}`).join(', ')}), got ${weights.length}`);
    }
    // Check everything before writing anything, so a bad list leaves the model untouched.
    const sources = Array.from(weights, (w, i) => {
      const values = w instanceof Tensor ? w.data : w;
      if (values.length !== targets[i].size || (w instanceof Tensor && w.shape.join() !== targets[i].shape.join())) {
        const given = w instanceof Tensor ? `shape ${formatShape(w.shape)}` : `${values.length} values`;
        throw new Error(`wasmgrad: setWeights expected weight ${i} (${targets[i].name}) to have shape ${formatShape(targets[i].shape)}, got ${given}`);
      }
      return values;
    });
    sources.forEach((values, i) => targets[i].data.set(values));
  }

  // ---- saving (nn/saving.ts does the work) -----------------------------------------------------

  /**
   * Saves the model into the folder `path` (Node): model.json (layers, compile settings, optimizer
   * and random-generator state, weight manifest) and weights.bin, replacing an earlier save
   * atomically. loadModel(path) gives it back, ready to predict or to go on training.
   */
  save(path: string): Promise<void> {
    return saveModel(this, this.compiled, path);
  }

  /** The saved form in memory, for browsers: { modelJson, weights }; see loadModelFromArtifacts. */
  toArtifacts(): ModelArtifacts {
    return modelToArtifacts(this, this.compiled);
  }

  /** The Keras summary table as text. */
  summaryText(): string {
    this.requireBuilt('summary()');
    let shape: number[] = this.inputShape!;
    const rows = this.layers.map((layer) => {
      shape = layer.computeOutputShape(shape);
      return { name: layer.name, className: layer.className, outputShape: [null, ...shape], params: layer.countParams() };
    });
    const total = this.countParams();
    return formatSummary({ modelName: this.name, rows, trainableParams: total, nonTrainableParams: 0 });
  }

  /** Prints the Keras summary table (layers, output shapes, parameter counts). */
  summary(printFn: (line: string) => void = console.log): void {
    printFn(this.summaryText());
  }
}
