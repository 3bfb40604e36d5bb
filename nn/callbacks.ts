// nn/callbacks.ts — hooks into fit(): the Callback interface, History (what fit() returns),
// LambdaCallback, TerminateOnNaN and EarlyStopping, and what callbacks that watch a quantity share
// (monitorMode, monitored). A callback stops training by setting `model.stopTraining = true`, as
// in Keras. The others: checkpoint.ts (ModelCheckpoint), learning-rate.ts (ReduceLROnPlateau,
// LearningRateScheduler), csv-logger.ts (CSVLogger).

import { describeValue, type Tensor } from '../engine/index.js';

export type Logs = Record<string, number>;

/** The part of a model a callback sees: stop training, weights, the optimizer's rate, saving. */
export interface CallbackModel {
  stopTraining: boolean;
  getWeights(): Tensor[];
  setWeights(weights: ArrayLike<Tensor | ArrayLike<number>>): void;
  /** The compiled optimizer (null before compile); learning-rate callbacks read and set its rate. */
  readonly optimizer: { learningRate: number } | null;
  save(path: string): Promise<void>;
  saveWeights(path: string): Promise<void>;
}

/** 'min' or 'max' for a monitored quantity; 'auto' is max for accuracies, AUC, precision and recall. */
export function monitorMode(monitor: string, mode: unknown, who: string): 'min' | 'max' {
  if (mode !== 'min' && mode !== 'max' && mode !== 'auto') throw new Error(`wasmgrad: ${who} expected mode 'min', 'max' or 'auto', got ${JSON.stringify(mode)}`);
  if (mode !== 'auto') return mode;
  return /acc|auc|precision|recall/.test(monitor) && !monitor.endsWith('loss') ? 'max' : 'min';
}

/** The monitored value from an epoch's logs, or an Error naming what is there. */
export function monitored(logs: Logs, monitor: string, who: string): number {
  const value = logs[monitor];
  if (value === undefined) {
    throw new Error(
      `wasmgrad: ${who} is watching '${monitor}', which fit() does not log; available: ${Object.keys(logs).join(', ') || 'none'}` +
        (monitor.startsWith('val_') ? ' (pass validationData or validationSplit to fit)' : ''),
    );
  }
  return value;
}

export function checkNonNegativeInteger(value: unknown, what: string, who: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new Error(`wasmgrad: ${who} expected ${what} to be a non-negative integer, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Override what you need; every method may return a Promise, which fit() awaits.
 * Epochs are counted from 0, as Keras does.
 */
export class Callback {
  model: CallbackModel | null = null;
  setModel(model: CallbackModel): void {
    this.model = model;
  }
  onTrainBegin(_logs?: Logs): void | Promise<void> {}
  onTrainEnd(_logs?: Logs): void | Promise<void> {}
  onEpochBegin(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onEpochEnd(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
}

/** Plain objects with some of these methods work as callbacks too. */
export type CallbackLike = Partial<Omit<Callback, 'model'>>;

/**
 * Keras' LambdaCallback: a callback from functions, e.g.
 * `new LambdaCallback({ onEpochEnd: (epoch, logs) => console.log(epoch, logs.loss) })`.
 */
export class LambdaCallback extends Callback {
  constructor(hooks: Partial<Pick<Callback, 'onTrainBegin' | 'onTrainEnd' | 'onEpochBegin' | 'onEpochEnd' | 'onBatchBegin' | 'onBatchEnd'>>) {
    super();
    if (hooks === null || typeof hooks !== 'object') throw new Error(`wasmgrad: LambdaCallback expected an object of functions such as { onEpochEnd: (epoch, logs) => ... }, got ${describeValue(hooks)}`);
    for (const [key, hook] of Object.entries(hooks)) {
      if (!['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'].includes(key) || typeof hook !== 'function') {
        throw new Error(`wasmgrad: LambdaCallback expected onTrainBegin, onTrainEnd, onEpochBegin, onEpochEnd, onBatchBegin or onBatchEnd functions, got ${key}: ${describeValue(hook)}`);
      }
      Object.defineProperty(this, key, { value: hook });
    }
  }
}

/** Keras' TerminateOnNaN: ends training at the first batch whose loss is NaN or infinite (that batch is not applied). */
export class TerminateOnNaN extends Callback {
  override onBatchEnd(batch: number, logs: Logs = {}): void {
    const loss = logs.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      console.log(`Batch ${batch}: Invalid loss, terminating training`);
      this.model!.stopTraining = true;
    }
  }
}

/** What fit() resolves to: `history.history.loss[epoch]`, `history.epoch`, as in Keras. */
export class History extends Callback {
  epoch: number[] = [];
  history: Record<string, number[]> = {};

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) (this.history[key] ??= []).push(value);
  }
}

/**
 * What fit() logs each epoch, and so what a callback can watch: the loss and each metric by its
 * name ('accuracy', 'auc', a custom metric's own), with 'val_' for the validation data. The usual
 * ones are listed for editors to offer; any metric's name is accepted, since metrics can be custom.
 */
export type MonitorName = 'loss' | 'accuracy' | 'val_loss' | 'val_accuracy' | (string & {});

export interface EarlyStoppingOptions {
  /** The quantity watched. Default 'val_loss'. */
  monitor?: MonitorName;
  /** Improvements smaller than this do not count. Default 0. */
  minDelta?: number;
  /** Epochs without improvement before stopping. Default 0. */
  patience?: number;
  /** 'min', 'max', or 'auto' (max for names containing 'acc', else min). Default 'auto'. */
  mode?: 'min' | 'max' | 'auto';
  /** Training stops early unless the monitored value beats this. */
  baseline?: number;
  /** Put back the weights of the best epoch when stopping. Default false. */
  restoreBestWeights?: boolean;
}

/** Stops training when `monitor` has stopped improving for `patience` epochs (Keras' EarlyStopping). */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  /** The epoch at which training was stopped (0 if it was not), as Keras' stopped_epoch. */
  stoppedEpoch = 0;
  /** The epoch whose weights were best. */
  bestEpoch = 0;
  private wait = 0;
  private best = Infinity;
  private bestWeights: Tensor[] | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    super();
    this.monitor = options.monitor ?? 'val_loss';
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.patience = checkNonNegativeInteger(options.patience ?? 0, 'patience', 'EarlyStopping');
    this.mode = monitorMode(this.monitor, options.mode ?? 'auto', 'EarlyStopping');
    this.baseline = options.baseline;
    this.restoreBestWeights = options.restoreBestWeights ?? false;
  }

  /** Lower is better in 'min' mode: compare signed values. */
  private signed(value: number): number {
    return this.mode === 'min' ? value : -value;
  }

  override onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.bestEpoch = 0;
    this.best = this.baseline === undefined ? Infinity : this.signed(this.baseline);
    this.bestWeights = null;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const current = monitored(logs, this.monitor, 'EarlyStopping');
    if (this.restoreBestWeights && this.bestWeights === null) this.bestWeights = this.model!.getWeights();
    this.wait++;
    if (this.signed(current) < this.best - this.minDelta) {
      this.best = this.signed(current);
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestWeights = this.model!.getWeights();
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
      if (this.restoreBestWeights && this.bestWeights !== null) this.model!.setWeights(this.bestWeights);
    }
  }
}
