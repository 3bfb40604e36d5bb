// nn/learning-rate.ts — the callbacks that change the optimizer's learning rate during fit, as
// Keras': ReduceLROnPlateau (divide it when the monitored quantity stops improving) and
// LearningRateScheduler (a function of the epoch). Both log it as `learning_rate` each epoch.
// Schedules that follow the step count instead are optimizer arguments: engine/schedules.ts.

import { describeValue } from '../engine/index.js';
import { Callback, checkNonNegativeInteger, monitorMode, monitored, type CallbackModel, type Logs } from './callbacks.js';
import { pythonFloat } from './progress.js';

function optimizerOf(model: CallbackModel | null, who: string): { learningRate: number } {
  const optimizer = model?.optimizer ?? null;
  if (optimizer === null) throw new Error(`wasmgrad: ${who} needs a compiled model with an optimizer`);
  return optimizer;
}

export interface ReduceLROnPlateauOptions {
  /** Default 'val_loss'. */
  monitor?: string;
  /** new rate = rate · factor. Default 0.1; must be below 1. */
  factor?: number;
  /** Epochs without improvement before reducing. Default 10. */
  patience?: number;
  /** 0 silent, 1 a line when the rate is reduced. Default 0. */
  verbose?: 0 | 1;
  /** 'min', 'max' or 'auto'. Default 'auto'. */
  mode?: 'min' | 'max' | 'auto';
  /** Changes smaller than this are not improvements. Default 1e-4. */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again. Default 0. */
  cooldown?: number;
  /** The rate never goes below this. Default 0. */
  minLr?: number;
}

/**
 * Keras' ReduceLROnPlateau: after `patience` epochs in which `monitor` did not improve by more
 * than minDelta, multiplies the learning rate by `factor` (not below minLr), then waits
 * `cooldown` epochs before counting again.
 */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly verbose: 0 | 1;
  readonly mode: 'min' | 'max';
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  private wait = 0;
  private cooldownCounter = 0;
  private best = Infinity;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    super();
    this.monitor = options.monitor ?? 'val_loss';
    this.factor = options.factor ?? 0.1;
    if (typeof this.factor !== 'number' || !(this.factor >= 0 && this.factor < 1)) {
      throw new Error(`wasmgrad: ReduceLROnPlateau expected factor to be a number in [0, 1), got ${describeValue(options.factor)}`);
    }
    this.patience = checkNonNegativeInteger(options.patience ?? 10, 'patience', 'ReduceLROnPlateau');
    this.cooldown = checkNonNegativeInteger(options.cooldown ?? 0, 'cooldown', 'ReduceLROnPlateau');
    this.verbose = options.verbose ?? 0;
    this.mode = monitorMode(this.monitor, options.mode ?? 'auto', 'ReduceLROnPlateau');
    this.minDelta = options.minDelta ?? 1e-4;
    this.minLr = options.minLr ?? 0;
    for (const [key, value] of [['minDelta', this.minDelta], ['minLr', this.minLr]] as const) {
      if (typeof value !== 'number' || !(value >= 0)) throw new Error(`wasmgrad: ReduceLROnPlateau expected ${key} to be a number >= 0, got ${describeValue(value)}`);
    }
  }

  private improved(current: number): boolean {
    return this.mode === 'min' ? current < this.best - this.minDelta : current > this.best + this.minDelta;
  }

  override onTrainBegin(): void {
    optimizerOf(this.model, 'ReduceLROnPlateau');
    this.wait = 0;
    this.cooldownCounter = 0;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const optimizer = optimizerOf(this.model, 'ReduceLROnPlateau');
    logs.learning_rate = optimizer.learningRate;
    const current = monitored(logs, this.monitor, 'ReduceLROnPlateau');
    // Keras' order: the last cooldown epoch resets the wait and then already counts.
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.wait = 0;
    }
    if (this.improved(current)) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter === 0) {
      this.wait++;
      if (this.wait >= this.patience) {
        const old = optimizer.learningRate;
        // Keras compares in float32 (its rate is a float32 variable): a rate at minLr is left alone.
        if (Math.fround(old) > Math.fround(this.minLr)) {
          const next = Math.max(old * this.factor, this.minLr);
          optimizer.learningRate = next;
          if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${pythonFloat(next)}.`);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }
}

/**
 * Keras' LearningRateScheduler: before each epoch, learningRate = schedule(epoch, learningRate)
 * (epochs counted from 0). E.g. `new LearningRateScheduler((epoch, lr) => epoch < 10 ? lr : lr * Math.exp(-0.1))`.
 */
export class LearningRateScheduler extends Callback {
  constructor(
    readonly schedule: (epoch: number, learningRate: number) => number,
    readonly verbose: 0 | 1 = 0,
  ) {
    super();
    if (typeof schedule !== 'function') {
      throw new Error(`wasmgrad: LearningRateScheduler expected a function (epoch, learningRate) => learningRate, got ${describeValue(schedule)}`);
    }
  }

  override onEpochBegin(epoch: number): void {
    const optimizer = optimizerOf(this.model, 'LearningRateScheduler');
    const next = this.schedule(epoch, optimizer.learningRate);
    if (typeof next !== 'number' || !Number.isFinite(next)) {
      throw new Error(`wasmgrad: LearningRateScheduler expected its schedule to return a finite number at epoch ${epoch}, got ${describeValue(next)}`);
    }
    optimizer.learningRate = next;
    if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${next}.`);
  }

  override onEpochEnd(_epoch: number, logs: Logs = {}): void {
    logs.learning_rate = optimizerOf(this.model, 'LearningRateScheduler').learningRate;
  }
}
