// engine/schedules.ts — learning-rate schedules, Keras' keras.optimizers.schedules: a learning
// rate that is a function of the optimizer's step count, passed as an optimizer's learningRate
// (`new Adam({ learningRate: new ExponentialDecay({ ... }) })`). Pure arithmetic on the step;
// the optimizer asks for the rate before each update, with the number of updates done so far
// (0 for the first), as Keras does. Saved and restored with the optimizer (getConfig / fromConfig).

import { describeValue } from './describe.js';

export abstract class LearningRateSchedule {
  /** Keras' class name, used in saved models ('ExponentialDecay', ...). */
  abstract readonly className: string;
  /** The learning rate for the update that follows `step` updates. */
  abstract at(step: number): number;
  /** The constructor options that recreate this schedule (Keras' get_config, camelCase). */
  abstract getConfig(): Record<string, number | boolean | number[]>;
}

function positive(schedule: string, key: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    const Kind = typeof value === 'number' ? RangeError : Error;
    throw new Kind(`wasmgrad: ${schedule} expected ${key} to be a positive number, got ${describeValue(value)}`);
  }
  return value;
}

function inRange(schedule: string, key: string, value: unknown, low: number, high: number): number {
  if (typeof value !== 'number' || !(value >= low && value <= high)) {
    const Kind = typeof value === 'number' ? RangeError : Error;
    throw new Kind(`wasmgrad: ${schedule} expected ${key} to be a number in [${low}, ${high}], got ${describeValue(value)}`);
  }
  return value;
}

function options(schedule: string, given: unknown, example: string): Record<string, unknown> {
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw new Error(`wasmgrad: ${schedule} expected an options object such as ${example}, got ${describeValue(given)}`);
  }
  return given as Record<string, unknown>;
}

export interface ExponentialDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay in whole steps of decaySteps (floor of step / decaySteps). Default false. */
  staircase?: boolean;
}

/** lr(step) = initialLearningRate · decayRate^(step / decaySteps), the exponent floored with staircase. */
export class ExponentialDecay extends LearningRateSchedule {
  readonly className = 'ExponentialDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;

  constructor(given: ExponentialDecayOptions) {
    super();
    const o = options('ExponentialDecay', given, '{ initialLearningRate: 0.1, decaySteps: 1000, decayRate: 0.96 }');
    this.initialLearningRate = positive('ExponentialDecay', 'initialLearningRate', o.initialLearningRate);
    this.decaySteps = positive('ExponentialDecay', 'decaySteps', o.decaySteps);
    this.decayRate = positive('ExponentialDecay', 'decayRate', o.decayRate);
    this.staircase = o.staircase === undefined ? false : o.staircase === true;
    if (o.staircase !== undefined && typeof o.staircase !== 'boolean') {
      throw new Error(`wasmgrad: ExponentialDecay expected staircase to be true or false, got ${describeValue(o.staircase)}`);
    }
  }

  at(step: number): number {
    const exponent = step / this.decaySteps;
    return this.initialLearningRate * this.decayRate ** (this.staircase ? Math.floor(exponent) : exponent);
  }

  getConfig() {
    return { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, decayRate: this.decayRate, staircase: this.staircase };
  }
}

export interface PiecewiseConstantDecayOptions {
  /** Increasing step counts where the rate changes. */
  boundaries: number[];
  /** One more value than boundaries: values[i] up to and including boundaries[i], the last after. */
  values: number[];
}

/**
 * lr(step) = values[0] for step <= boundaries[0], values[i] for boundaries[i-1] < step <=
 * boundaries[i], values[last] after the last boundary (Keras' PiecewiseConstantDecay).
 */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  readonly className = 'PiecewiseConstantDecay';
  readonly boundaries: number[];
  readonly values: number[];

  constructor(given: PiecewiseConstantDecayOptions) {
    super();
    const o = options('PiecewiseConstantDecay', given, '{ boundaries: [100, 200], values: [0.1, 0.01, 0.001] }');
    const { boundaries, values } = o;
    if (!Array.isArray(boundaries) || boundaries.some((b, i) => typeof b !== 'number' || !Number.isFinite(b) || (i > 0 && b <= boundaries[i - 1]))) {
      throw new Error(`wasmgrad: PiecewiseConstantDecay expected boundaries to be increasing numbers such as [100, 200], got ${describeValue(boundaries)}`);
    }
    if (!Array.isArray(values) || values.length !== boundaries.length + 1) {
      throw new Error(`wasmgrad: PiecewiseConstantDecay expected ${boundaries.length + 1} values (one more than the boundaries), got ${describeValue(values)}`);
    }
    values.forEach((v, i) => positive('PiecewiseConstantDecay', `values[${i}]`, v));
    this.boundaries = [...boundaries];
    this.values = [...values];
  }

  at(step: number): number {
    const i = this.boundaries.findIndex((b) => step <= b);
    return this.values[i === -1 ? this.values.length - 1 : i];
  }

  getConfig() {
    return { boundaries: [...this.boundaries], values: [...this.values] };
  }
}

export interface CosineDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  /** The floor, as a fraction of the rate decayed from. Default 0. */
  alpha?: number;
  /** With warmupSteps: the rate reached by a linear warmup from initialLearningRate, then decayed from. */
  warmupTarget?: number;
  /** Steps of linear warmup before the decay. Default 0. */
  warmupSteps?: number;
}

/**
 * Cosine decay (Loshchilov and Hutter, SGDR), with Keras' optional linear warmup:
 *   decayed(s, from) = from · ((1 - alpha) · 0.5 · (1 + cos(π · min(s, decaySteps) / decaySteps)) + alpha)
 *   no warmup:   lr(step) = decayed(step, initialLearningRate)
 *   warmup:      lr(step) = initial + (warmupTarget - initial) · step / warmupSteps  while step < warmupSteps,
 *                then decayed(step - warmupSteps, warmupTarget)
 */
export class CosineDecay extends LearningRateSchedule {
  readonly className = 'CosineDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly warmupTarget: number | null;
  readonly warmupSteps: number;

  constructor(given: CosineDecayOptions) {
    super();
    const o = options('CosineDecay', given, '{ initialLearningRate: 0.1, decaySteps: 1000 }');
    // Keras allows 0 to start a warmup from nothing.
    this.initialLearningRate = o.warmupTarget === undefined
      ? positive('CosineDecay', 'initialLearningRate', o.initialLearningRate)
      : inRange('CosineDecay', 'initialLearningRate', o.initialLearningRate, 0, Infinity);
    this.decaySteps = positive('CosineDecay', 'decaySteps', o.decaySteps);
    this.alpha = inRange('CosineDecay', 'alpha', o.alpha ?? 0, 0, 1);
    this.warmupTarget = o.warmupTarget === undefined || o.warmupTarget === null ? null : positive('CosineDecay', 'warmupTarget', o.warmupTarget);
    this.warmupSteps = inRange('CosineDecay', 'warmupSteps', o.warmupSteps ?? 0, 0, Infinity);
  }

  private decayed(step: number, from: number): number {
    const fraction = Math.min(step, this.decaySteps) / this.decaySteps;
    return from * ((1 - this.alpha) * 0.5 * (1 + Math.cos(Math.PI * fraction)) + this.alpha);
  }

  at(step: number): number {
    if (this.warmupTarget === null) return this.decayed(step, this.initialLearningRate);
    if (step < this.warmupSteps) {
      return this.initialLearningRate + (this.warmupTarget - this.initialLearningRate) * (step / this.warmupSteps);
    }
    return this.decayed(step - this.warmupSteps, this.warmupTarget);
  }

  getConfig() {
    const config: Record<string, number> = { initialLearningRate: this.initialLearningRate, decaySteps: this.decaySteps, alpha: this.alpha };
    if (this.warmupTarget !== null) Object.assign(config, { warmupTarget: this.warmupTarget, warmupSteps: this.warmupSteps });
    return config;
  }
}

/** A schedule as saved: its class name and getConfig(). */
export interface SavedSchedule {
  className: string;
  config: Record<string, unknown>;
}

const scheduleClasses: Record<string, new (options: never) => LearningRateSchedule> = {
  ExponentialDecay, PiecewiseConstantDecay, CosineDecay,
};

/** Recreates a schedule from { className, config } (what an optimizer's getConfig() holds). */
export function scheduleFromConfig(saved: SavedSchedule): LearningRateSchedule {
  const Class = Object.hasOwn(scheduleClasses, saved.className) ? scheduleClasses[saved.className] : undefined;
  if (Class === undefined) {
    throw new Error(`wasmgrad: unknown learning-rate schedule ${JSON.stringify(saved.className)}; expected one of ${Object.keys(scheduleClasses).join(', ')}`);
  }
  return new Class(saved.config as never);
}
