// engine/optimizers.ts — SGD (with momentum and Nesterov), RMSprop and Adam, in Keras' update
// forms and with Keras' defaults. Each updates parameters in place from their .grad.
//
// Optimizer state (velocities, moments) lives in WebAssembly memory next to the parameters and
// is long-lived: it is created on the first step, outside any training-step scope.
// The update loops themselves run in kernels (kernels/assembly/elementwise.ts, SIMD); each class
// here keeps its formula and hands the kernel pointers and hyper-parameters.
// A learning rate is a number or a schedule (engine/schedules.ts), asked before each step.
// Not here: weight decay, gradient clipping.

import { describeValue } from './describe.js';
import { adamUpdate, rmspropUpdate, sgdUpdate } from '../kernels/index.js';
import { LearningRateSchedule, type SavedSchedule } from './schedules.js';
import { persistent, topLevel, zeros, type Tensor } from './tensor.js';

/** What Optimizer.getState() returns: iterations, and each parameter's slot tensors in order. */
export interface OptimizerState {
  iterations: number;
  slots: Tensor[][];
}

/** An optimizer's options must be an object: `new Adam(0.01)` would otherwise train at the default rate. */
function checkOptions(optimizer: string, options: unknown, example: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`wasmgrad: ${optimizer} expected an options object such as ${example}, got ${describeValue(options)}`);
  }
}

/** A hyper-parameter: a number for which `ok` holds (else a RangeError naming `range`), never a string. */
function hyperParameter(optimizer: string, key: string, value: unknown, ok: (v: number) => boolean, range: string): number {
  if (typeof value !== 'number') throw new Error(`wasmgrad: ${optimizer} ${key} must be a number in ${range}, got ${describeValue(value)}`);
  if (!ok(value)) throw new RangeError(`wasmgrad: ${optimizer} ${key} must be in ${range}, got ${value}`);
  return value;
}

const unitInterval = (v: number) => v >= 0 && v <= 1;
const unitIntervalOpen = (v: number) => v >= 0 && v < 1;
const positiveFinite = (v: number) => v > 0 && Number.isFinite(v);

/** What getConfig() returns: hyper-parameters by name; a scheduled learningRate as { className, config }. */
export type OptimizerConfig = Record<string, number | boolean | string | SavedSchedule>;

function checkLearningRate(value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    const Kind = typeof value === 'number' ? RangeError : Error;
    throw new Kind(`wasmgrad: an optimizer's learningRate must be a positive number, got ${describeValue(value)}`);
  }
  return value;
}

export abstract class Optimizer {
  /** Steps taken so far (Keras' `iterations`). */
  iterations = 0;
  /** The schedule the learning rate follows, when one was given; null for a fixed rate. */
  readonly schedule: LearningRateSchedule | null;
  /** The rate of the update under way (set by step() before it updates anything). */
  protected lr = 0;
  private rate: number;
  private slots = new Map<Tensor, Tensor[]>();

  constructor(learningRate: number | LearningRateSchedule) {
    this.schedule = learningRate instanceof LearningRateSchedule ? learningRate : null;
    this.rate = this.schedule === null ? checkLearningRate(learningRate) : this.schedule.at(0);
  }

  /**
   * The rate the next update will use: the fixed rate, or the schedule's at `iterations`. Callbacks
   * (ReduceLROnPlateau, LearningRateScheduler) set it; with a schedule that is refused, as in Keras.
   */
  get learningRate(): number {
    return this.schedule === null ? this.rate : this.schedule.at(this.iterations);
  }

  set learningRate(value: number) {
    if (this.schedule !== null) {
      throw new Error(`wasmgrad: the ${this.name} optimizer's learning rate follows a ${this.schedule.className} schedule and cannot be set; give a number as learningRate to change it during training`);
    }
    this.rate = checkLearningRate(value);
  }

  /** Keras' identifier for this optimizer ('adam', 'sgd', 'rmsprop'). */
  abstract readonly name: string;
  /** How many state tensors each parameter needs (Adam: m and v). */
  protected abstract readonly slotCount: number;
  /** Updates one parameter `w` in place from its gradient `g`; `slots` are its state tensors (same shape). */
  protected abstract update(w: Tensor, g: Tensor, slots: Tensor[]): void;

  /** One update of every parameter that has a gradient. */
  step(params: readonly Tensor[]): void {
    this.lr = this.learningRate; // a schedule's rate after `iterations` updates (0 for the first)
    topLevel(() => {
      this.iterations++;
      for (const p of params) {
        if (p.grad === null) continue;
        this.update(p, p.grad, this.slotsOf(p));
      }
    });
  }

  /** The state tensors of a parameter, created as zeros on first use. */
  slotsOf(p: Tensor): Tensor[] {
    let s = this.slots.get(p);
    if (s === undefined) {
      s = persistent(() => Array.from({ length: this.slotCount }, () => zeros(p.shape)));
      this.slots.set(p, s);
    }
    return s;
  }

  /**
   * The optimizer's state, for saving: `iterations` and, for each parameter in the order given,
   * its slot tensors (Adam: [m, v]; RMSprop: [ms] or [ms, momentum]; SGD: [] or [velocity]).
   * These are the live tensors, not copies: read them before the next step. A parameter that
   * has not been updated yet gets its zero slots created here, so every entry is complete.
   */
  getState(params: readonly Tensor[]): OptimizerState {
    return { iterations: this.iterations, slots: params.map((p) => this.slotsOf(p)) };
  }

  /**
   * Continues from a state made by getState() (for the same parameters, in the same order):
   * copies its numbers into this optimizer's slots. Checks every count and shape before writing
   * anything, so a state that does not fit leaves the optimizer as it was.
   */
  setState(params: readonly Tensor[], state: { iterations: number; slots: ArrayLike<ArrayLike<{ shape: readonly number[]; data: Float32Array }>> }): void {
    const where = `${this.name} optimizer setState`;
    if (!Number.isInteger(state.iterations) || state.iterations < 0) {
      throw new Error(`wasmgrad: ${where} expected iterations to be a non-negative integer, got ${JSON.stringify(state.iterations)}`);
    }
    if (state.slots.length !== params.length) {
      throw new Error(`wasmgrad: ${where} expected slots for ${params.length} parameters, got ${state.slots.length}`);
    }
    for (let i = 0; i < params.length; i++) {
      const given = state.slots[i];
      const p = params[i];
      if (given.length !== this.slotCount) {
        throw new Error(`wasmgrad: ${where} expected ${this.slotCount} slot tensors for parameter ${i} (${p.name ?? 'unnamed'}), got ${given.length}`);
      }
      for (let k = 0; k < given.length; k++) {
        const shape = given[k].shape;
        if (shape.length !== p.shape.length || shape.some((d, j) => d !== p.shape[j]) || given[k].data.length !== p.size) {
          throw new Error(
            `wasmgrad: ${where} expected slot ${k} of parameter ${i} (${p.name ?? 'unnamed'}) to have shape [${p.shape.join(', ')}], got [${shape.join(', ')}]`,
          );
        }
      }
    }
    this.iterations = state.iterations;
    params.forEach((p, i) => this.slotsOf(p).forEach((slot, k) => slot.data.set(state.slots[i][k].data)));
  }

  /** The configuration, as Keras' get_config() (used by save/load and summaries). */
  abstract getConfig(): OptimizerConfig;

  /** learningRate as getConfig() reports it: the number, or the schedule's { className, config }. */
  protected learningRateConfig(): number | SavedSchedule {
    return this.schedule === null ? this.rate : { className: this.schedule.className, config: this.schedule.getConfig() };
  }
}

export interface SGDOptions {
  /** A number, or a schedule such as new ExponentialDecay({ ... }). */
  learningRate?: number | LearningRateSchedule;
  momentum?: number;
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent, Keras' form:
 *   momentum 0:  w -= lr·g
 *   otherwise:   v = momentum·v - lr·g;  w += v              (Nesterov: w += momentum·v - lr·g)
 * Defaults: learningRate 0.01, momentum 0, nesterov false.
 */
export class SGD extends Optimizer {
  readonly name = 'sgd';
  readonly momentum: number;
  readonly nesterov: boolean;
  protected readonly slotCount: number;

  constructor(options: SGDOptions = {}) {
    checkOptions('SGD', options, '{ learningRate: 0.01, momentum: 0.9 }');
    super(options.learningRate ?? 0.01);
    this.momentum = hyperParameter('SGD', 'momentum', options.momentum ?? 0, unitInterval, '[0, 1]');
    this.nesterov = options.nesterov ?? false;
    if (typeof this.nesterov !== 'boolean') throw new Error(`wasmgrad: SGD nesterov must be true or false, got ${describeValue(this.nesterov)}`);
    this.slotCount = this.momentum > 0 ? 1 : 0;
  }

  protected update(w: Tensor, g: Tensor, [velocity]: Tensor[]): void {
    // The loop is sgdUpdate in kernels/ (velocity pointer 0: no momentum).
    sgdUpdate(w.size, w.ptr, g.ptr, velocity === undefined ? 0 : velocity.ptr, this.lr, this.momentum, this.nesterov);
  }

  getConfig() {
    return { name: this.name, learningRate: this.learningRateConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}

export interface RMSpropOptions {
  /** A number, or a schedule such as new ExponentialDecay({ ... }). */
  learningRate?: number | LearningRateSchedule;
  rho?: number;
  momentum?: number;
  epsilon?: number;
}

/**
 * RMSprop, Keras' form: divide the gradient by a running root-mean-square of recent gradients.
 *   ms = rho·ms + (1 - rho)·g²
 *   momentum 0:  w -= lr·g / sqrt(ms + epsilon)
 *   otherwise:   mom = momentum·mom + lr·g / sqrt(ms + epsilon);  w -= mom
 * Defaults: learningRate 0.001, rho 0.9, momentum 0, epsilon 1e-7.
 */
export class RMSprop extends Optimizer {
  readonly name = 'rmsprop';
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  protected readonly slotCount: number;

  constructor(options: RMSpropOptions = {}) {
    checkOptions('RMSprop', options, '{ learningRate: 0.001 }');
    super(options.learningRate ?? 0.001);
    this.rho = hyperParameter('RMSprop', 'rho', options.rho ?? 0.9, unitIntervalOpen, '[0, 1)');
    this.momentum = hyperParameter('RMSprop', 'momentum', options.momentum ?? 0, unitInterval, '[0, 1]');
    this.epsilon = hyperParameter('RMSprop', 'epsilon', options.epsilon ?? 1e-7, positiveFinite, '(0, Infinity)');
    this.slotCount = this.momentum > 0 ? 2 : 1;
  }

  protected update(w: Tensor, g: Tensor, [ms, mom]: Tensor[]): void {
    // The loop is rmspropUpdate in kernels/ (mom pointer 0: no momentum).
    const { lr, rho, momentum, epsilon } = this;
    rmspropUpdate(w.size, w.ptr, g.ptr, ms.ptr, mom === undefined ? 0 : mom.ptr, lr, rho, momentum, epsilon);
  }

  getConfig() {
    return { name: this.name, learningRate: this.learningRateConfig(), rho: this.rho, momentum: this.momentum, epsilon: this.epsilon };
  }
}

export interface AdamOptions {
  /** A number, or a schedule such as new ExponentialDecay({ ... }). */
  learningRate?: number | LearningRateSchedule;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * Adam (Kingma and Ba), in Keras' update form, where epsilon is added after the square root
 * and the bias corrections are folded into the step size:
 *   m = beta1·m + (1 - beta1)·g
 *   v = beta2·v + (1 - beta2)·g²
 *   lr_t = lr · sqrt(1 - beta2^t) / (1 - beta1^t)
 *   w -= lr_t · m / (sqrt(v) + epsilon)
 * Defaults: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7.
 */
export class Adam extends Optimizer {
  readonly name = 'adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  protected readonly slotCount = 2;

  constructor(options: AdamOptions = {}) {
    checkOptions('Adam', options, '{ learningRate: 0.001 }');
    super(options.learningRate ?? 0.001);
    this.beta1 = hyperParameter('Adam', 'beta1', options.beta1 ?? 0.9, unitIntervalOpen, '[0, 1)');
    this.beta2 = hyperParameter('Adam', 'beta2', options.beta2 ?? 0.999, unitIntervalOpen, '[0, 1)');
    this.epsilon = hyperParameter('Adam', 'epsilon', options.epsilon ?? 1e-7, positiveFinite, '(0, Infinity)');
  }

  protected update(w: Tensor, g: Tensor, [m, v]: Tensor[]): void {
    const { beta1, beta2, epsilon } = this;
    const t = this.iterations;
    const lrT = (this.lr * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    // The loop over the elements is adamUpdate in kernels/.
    adamUpdate(w.size, w.ptr, g.ptr, m.ptr, v.ptr, lrT, beta1, beta2, epsilon);
  }

  getConfig() {
    return { name: this.name, learningRate: this.learningRateConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}
