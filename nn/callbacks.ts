// nn/callbacks.ts — hooks into fit(): the Callback interface, History (what fit() returns) and
// EarlyStopping. A callback stops training by setting `model.stopTraining = true`, as in Keras.

import type { Tensor } from '../engine/index.js';

export type Logs = Record<string, number>;

/** The part of a model a callback sees: enough to stop training and to save/restore weights. */
export interface CallbackModel {
  stopTraining: boolean;
  getWeights(): Tensor[];
  setWeights(weights: ArrayLike<Tensor | ArrayLike<number>>): void;
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

/** What fit() resolves to: `history.history.loss[epoch]`, `history.epoch`, as in Keras. */
export class History extends Callback {
  epoch: number[] = [];
  history: Record<string, number[]> = {};

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) (this.history[key] ??= []).push(value);
  }
}

/** What fit() logs each epoch, and so what EarlyStopping can watch. */
export type MonitorName = 'loss' | 'accuracy' | 'val_loss' | 'val_accuracy';

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
    this.patience = options.patience ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 0) {
      throw new Error(`wasmgrad: EarlyStopping expected patience to be a non-negative integer, got ${options.patience}`);
    }
    const mode = options.mode ?? 'auto';
    if (!['min', 'max', 'auto'].includes(mode)) throw new Error(`wasmgrad: EarlyStopping expected mode 'min', 'max' or 'auto', got ${JSON.stringify(mode)}`);
    this.mode = mode === 'auto' ? (this.monitor.includes('acc') ? 'max' : 'min') : mode;
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
    const current = logs[this.monitor];
    if (current === undefined) {
      throw new Error(
        `wasmgrad: EarlyStopping is watching '${this.monitor}', which fit() does not log; available: ${Object.keys(logs).join(', ') || 'none'}` +
          (this.monitor.startsWith('val_') ? ' (pass validationData or validationSplit to fit)' : ''),
      );
    }
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
