// nn/checkpoint.ts — Keras' ModelCheckpoint: saves the model (or its weights) after each epoch,
// or only when the monitored quantity improved (saveBestOnly), to a path that may be a template
// in Python's format syntax, 'ckpt-{epoch:02d}-{val_loss:.2f}'. Each save goes through
// model.save / model.saveWeights, so it is atomic: a folder holds the old checkpoint or the new
// one, never a mix. It is not a file format: that is nn/saving/.

import { describeValue } from '../engine/index.js';
import { Callback, monitorMode, monitored, type Logs } from './callbacks.js';
import { pythonExponential, pythonFixed } from './progress.js';

export interface ModelCheckpointOptions {
  /** The quantity saveBestOnly watches. Default 'val_loss'. */
  monitor?: string;
  /** 0 silent, 1 a line for each save (and each skipped one with saveBestOnly). Default 0. */
  verbose?: 0 | 1;
  /** Save only when `monitor` beats the best so far. Default false. */
  saveBestOnly?: boolean;
  /** Save the weights alone (model.saveWeights), not the optimizer state. Default false. */
  saveWeightsOnly?: boolean;
  /** 'min', 'max' or 'auto' (max for accuracies, AUC, precision, recall). Default 'auto'. */
  mode?: 'min' | 'max' | 'auto';
  /** With saveBestOnly: the value to beat before the first save. */
  initialValueThreshold?: number;
}

/**
 * One `{name}` or `{name:spec}` field, Python's str.format: spec is [0][width][.precision][type],
 * type d (integer), f (fixed), e (exponent), or none (the number as it is).
 */
function formatField(value: number, spec: string, field: string): string {
  const match = /^(0?)(\d*)(?:\.(\d+))?([dfe]?)$/.exec(spec);
  if (match === null) throw new Error(`wasmgrad: ModelCheckpoint cannot format {${field}:${spec}}; expected a spec such as 02d, .2f or .3e`);
  const [, zero, width, precision, type] = match;
  let text: string;
  if (type === 'd') {
    if (!Number.isInteger(value)) throw new Error(`wasmgrad: ModelCheckpoint cannot format ${value} as an integer in {${field}:${spec}}`);
    text = String(Math.abs(value));
  } else if (type === 'e') text = pythonExponential(Math.abs(value), precision === undefined ? 6 : Number(precision));
  else if (type === 'f' || precision !== undefined) text = pythonFixed(Math.abs(value), precision === undefined ? 6 : Number(precision));
  else text = String(Math.abs(value));
  const sign = value < 0 ? '-' : '';
  const total = width === '' ? 0 : Number(width);
  return zero === '0' ? sign + text.padStart(total - sign.length, '0') : (sign + text).padStart(total, ' ');
}

/** The filepath for an epoch: {epoch} is counted from 1, other fields are the epoch's logs. */
export function checkpointPath(template: string, epoch: number, logs: Logs): string {
  return template.replace(/\{(\w+)(?::([^}]*))?\}/g, (_, name: string, spec: string | undefined) => {
    const value = name === 'epoch' ? epoch + 1 : logs[name];
    if (value === undefined) {
      throw new Error(`wasmgrad: ModelCheckpoint cannot fill {${name}} in '${template}'; expected epoch or one of the logged ${Object.keys(logs).join(', ')}`);
    }
    return formatField(value, spec ?? '', name);
  });
}

/** The number Keras shows in its messages ('%.5f'), inf for no best yet. */
const shown = (value: number) => (Number.isFinite(value) ? pythonFixed(value, 5) : value > 0 ? 'inf' : '-inf');

export class ModelCheckpoint extends Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly verbose: 0 | 1;
  readonly saveBestOnly: boolean;
  readonly saveWeightsOnly: boolean;
  readonly mode: 'min' | 'max';
  /** The best value of `monitor` so far (Keras' best). */
  best: number;

  constructor(filepath: string, options: ModelCheckpointOptions = {}) {
    super();
    if (typeof filepath !== 'string' || filepath === '') {
      throw new Error(`wasmgrad: ModelCheckpoint expected a filepath such as 'checkpoints/best' or 'ckpt-{epoch:02d}', got ${describeValue(filepath)}`);
    }
    this.filepath = filepath;
    this.monitor = options.monitor ?? 'val_loss';
    this.verbose = options.verbose ?? 0;
    this.saveBestOnly = options.saveBestOnly ?? false;
    this.saveWeightsOnly = options.saveWeightsOnly ?? false;
    for (const [key, value] of [['saveBestOnly', this.saveBestOnly], ['saveWeightsOnly', this.saveWeightsOnly]] as const) {
      if (typeof value !== 'boolean') throw new Error(`wasmgrad: ModelCheckpoint expected ${key} to be true or false, got ${describeValue(value)}`);
    }
    this.mode = monitorMode(this.monitor, options.mode ?? 'auto', 'ModelCheckpoint');
    const initial = options.initialValueThreshold;
    this.best = initial ?? (this.mode === 'min' ? Infinity : -Infinity);
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const path = checkpointPath(this.filepath, epoch, logs);
    if (this.saveBestOnly) {
      const current = monitored(logs, this.monitor, 'ModelCheckpoint');
      const improved = this.mode === 'min' ? current < this.best : current > this.best;
      if (!improved) {
        if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ${this.monitor} did not improve from ${shown(this.best)}`);
        return;
      }
      if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ${this.monitor} improved from ${shown(this.best)} to ${shown(current)}, saving model to ${path}`);
      this.best = current;
    } else if (this.verbose > 0) {
      console.log(`\nEpoch ${epoch + 1}: saving model to ${path}`);
    }
    await (this.saveWeightsOnly ? this.model!.saveWeights(path) : this.model!.save(path));
  }
}
