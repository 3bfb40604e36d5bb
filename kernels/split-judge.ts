// kernels/split-judge.ts — the judge that keeps a thread pool from losing to one thread: it times
// whole stretches of a program's kernel calls (a few training steps) with the workers splitting
// jobs and, now and then, with the main thread alone and the workers asleep, and keeps whichever
// ran faster. It only measures and decides; kernels/thread-pool.ts feeds it and obeys it.
//
// Why whole stretches and not each job: a worker that polls for its next job takes CPU time even
// while it computes nothing, and with a busy neighbour on the machine that time comes out of the
// main thread's share of the cores: the JavaScript between the jobs and the jobs kept on the main
// thread slow down too. Only the wall time of everything, jobs and the gaps between them, shows
// that; a per-job estimate ("what the main thread alone would have taken") inflates with it.
//
// How a stretch is cut: a window starts with some job and ends, once it has lasted
// WINDOW_MILLISECONDS, just before the next job of the same signature (shape and kind). In a
// training loop that is a whole number of steps (or of a repeating part of one), so two windows
// hold the same mix of work and their speeds, work per millisecond, compare fairly.
//
// How it decides: `interval` windows in its preferred mode, then a trial: windows alternate, one
// in the other mode (a probe), one in the preferred mode, each pair giving the ratio of their
// speeds, up to TRIAL_PAIRS pairs. A trial ends at once when the probes clearly lose (the median
// ratio so far below 1 - CLEAR_LOSS: on an idle machine a probe of the main thread alone does,
// after one pair; probes of splitting, after PAIRS_BEFORE_KEEPING_ALONE) or clearly win (every pair, two or more, above 1 + CLEAR_LOSS), and otherwise
// switches modes only when, after all its pairs, the median ratio is above 1 + SWITCH_MARGIN: one window can be 30% off its neighbours on a shared machine, a median of
// five pairs taken side by side much less. A trial that does not switch doubles the interval up
// to MAX_INTERVAL, so the cost of probing the wrong mode falls to a fraction of a percent; one
// that switches sets it back to FIRST_INTERVAL, so a switch made on noise is soon undone.

/** A window lasts at least this long (then ends at the next job that starts like its first one). */
export const WINDOW_MILLISECONDS = 40;
/** ...and at most this many times as long, if no job repeats the first one's signature. */
const LONGEST_WINDOW_FACTOR = 4;
/**
 * After a change of mode a window is measured only from the first job like its first one that
 * starts this long after the change: a worker woken from sleep may first be put on the main
 * thread's core for a few milliseconds, and the first splits then lose; that is the price of
 * changing modes, not the speed of either.
 */
export const SETTLE_MILLISECONDS = 8;
/**
 * A gap between two jobs counts at most this long: a program that pauses (awaits a timer, reads a
 * file, runs code of its own) does not make the window it pauses in look slow.
 */
export const GAP_CAP_MILLISECONDS = 5;
/** Windows in the preferred mode between trials: after a switch, and at most (twice as many while alone is preferred). */
export const FIRST_INTERVAL = 4;
export const MAX_INTERVAL = 32;
/**
 * While it prefers splitting, the judge starts a trial after `interval` windows only if a window
 * since the last trial had more than LATE_SHARE of its splits joined late or not at all (a worker
 * that polls on a core of its own joins within microseconds; the pool does not count a split that
 * ended sooner than that), or else after QUIET_INTERVAL
 * windows: on an idle machine, where each probe of the main thread alone costs a window's worth
 * of the second core, probes are then rare.
 */
export const LATE_SHARE = 0.1;
/** More than this share late in a window, and a trial starts a quarter of the interval (at least FIRST_INTERVAL windows) after the last. */
export const MOSTLY_LATE_SHARE = 0.5;
export const QUIET_INTERVAL = 128;
/** Pairs of windows (probe, preferred) in a full trial. */
export const TRIAL_PAIRS = 5;
/** A trial stops early when its median ratio (probe / preferred speed) falls below 1 - CLEAR_LOSS, or every ratio is above 1 + CLEAR_LOSS. */
export const CLEAR_LOSS = 0.08;
/** A trial switches modes when its median ratio is above 1 + SWITCH_MARGIN: less is noise. */
export const SWITCH_MARGIN = 0.03;
/**
 * While the main thread alone is preferred, a trial stops early on probes of splitting that lose
 * only after this many pairs. Why not after one, as the other way round: a probe of splitting pays
 * for the workers' wake-up, and one window can be 30% off its neighbours, so a single pair says
 * little; stopped on one, with the interval doubling after each such trial, a model of a few small
 * GEMMs (the Fashion model) stayed on one thread for seconds although splitting was faster.
 */
export const PAIRS_BEFORE_KEEPING_ALONE = 3;

export class SplitJudge {
  /** Whether jobs may be split now (false: the main thread computes all of them, the workers sleep). */
  splitting = true;
  /** The mode outside probes. */
  private preferSplitting = true;
  private inTrial = false;
  private interval = FIRST_INTERVAL;
  /** Windows since the last trial ended, and whether a split in them had a late or absent worker. */
  private windowsSinceTrial = 0;
  private sawLateWorker = false;
  private sawMostlyLateWorker = false;
  /** Splits in the window being measured, and those with a late or absent worker. */
  private windowSplits = 0;
  private windowLateSplits = 0;
  /** In a trial: the last probe's speed (work per millisecond), and the pairs' ratios so far. */
  private probeSpeed = 0;
  private readonly ratios: number[] = [];
  private readonly sorted = new Float64Array(TRIAL_PAIRS);
  /** True from a change of mode until the window's measured part starts (SETTLE_MILLISECONDS). */
  private settling = false;
  /** The window being measured: its first job's signature, its work and milliseconds so far. */
  private firstSignature = -1;
  private work = 0;
  private milliseconds = 0;
  /** The mode the judge prefers, outside its trials' probes of the other. */
  get prefersSplitting(): boolean {
    return this.preferSplitting;
  }

  /** Windows judged, those run with the main thread alone, and the trials that switched modes. */
  windows = 0;
  aloneWindows = 0;
  switches = 0;

  constructor(private readonly windowMilliseconds = WINDOW_MILLISECONDS) {}

  /**
   * A job with `signature` (any number naming its kind and shape) starts, `gapMilliseconds` after
   * the previous one ended. It may close the window (and change `splitting`, which this job obeys).
   */
  begin(signature: number, gapMilliseconds: number): void {
    // The gap before a job belongs to the window of the job before it (its step's last JavaScript).
    this.milliseconds += Math.min(Math.max(0, gapMilliseconds), GAP_CAP_MILLISECONDS);
    if (this.firstSignature === -1) {
      this.firstSignature = signature;
      this.milliseconds = 0;
      return;
    }
    if (this.settling) {
      // After a change of mode: measure from the first job like the window's first one that
      // starts SETTLE_MILLISECONDS or more after the change (still whole steps).
      if ((this.milliseconds >= SETTLE_MILLISECONDS && signature === this.firstSignature) || this.milliseconds >= LONGEST_WINDOW_FACTOR * this.windowMilliseconds) {
        this.settling = false;
        this.milliseconds = 0;
        this.work = 0;
      }
      return;
    }
    const long = this.milliseconds >= this.windowMilliseconds;
    if ((long && signature === this.firstSignature) || this.milliseconds >= LONGEST_WINDOW_FACTOR * this.windowMilliseconds) {
      this.closeWindow();
      this.firstSignature = signature;
    }
  }

  /** The job that began last ended after `milliseconds`, having done `work` (multiply-adds, floats). */
  end(work: number, milliseconds: number): void {
    if (!this.settling) this.work += work;
    this.milliseconds += milliseconds;
  }

  /** The pool split a job; `late`: its worker claimed a piece late (see LATE_SHARE) or none at all. */
  noteSplit(late: boolean): void {
    this.windowSplits++;
    if (late) this.windowLateSplits++;
  }

  /** Whether the next trial is due: see QUIET_INTERVAL. */
  private trialDue(): boolean {
    if (this.preferSplitting && this.sawMostlyLateWorker && this.windowsSinceTrial >= Math.max(FIRST_INTERVAL, this.interval / 4)) return true;
    if (this.windowsSinceTrial < this.interval) return false;
    return !this.preferSplitting || this.sawLateWorker || this.windowsSinceTrial >= QUIET_INTERVAL;
  }

  /** Ends the window: its speed in its mode, and what comes next. */
  private closeWindow(): void {
    const wasSplitting = this.splitting;
    this.decide();
    this.settling = this.splitting !== wasSplitting;
  }

  /** The window's speed in its mode, and the mode of the next. */
  private decide(): void {
    const speed = this.milliseconds > 0 ? this.work / this.milliseconds : 0;
    this.work = 0;
    this.milliseconds = 0;
    this.windows++;
    if (!this.splitting) this.aloneWindows++;
    if (this.windowLateSplits > LATE_SHARE * this.windowSplits) this.sawLateWorker = true;
    if (this.windowLateSplits > MOSTLY_LATE_SHARE * this.windowSplits) this.sawMostlyLateWorker = true;
    this.windowSplits = 0;
    this.windowLateSplits = 0;
    if (!this.inTrial) {
      this.windowsSinceTrial++;
      if (this.trialDue()) {
        this.inTrial = true;
        this.ratios.length = 0;
        this.splitting = !this.preferSplitting;
      }
      return;
    }
    if (this.splitting !== this.preferSplitting) {
      this.probeSpeed = speed; // a probe: its preferred partner comes next
      this.splitting = this.preferSplitting;
      return;
    }
    this.ratios.push(speed > 0 ? this.probeSpeed / speed : 1);
    const ratio = median(this.ratios, this.sorted);
    const pairs = this.ratios.length;
    const clearWin = pairs >= 2 && this.sorted[0]! > 1 + CLEAR_LOSS; // sorted[0]: the smallest ratio
    const clearLoss = ratio < 1 - CLEAR_LOSS && (this.preferSplitting || pairs >= PAIRS_BEFORE_KEEPING_ALONE);
    if (clearLoss || clearWin || pairs >= TRIAL_PAIRS) {
      if (clearWin || ratio > 1 + SWITCH_MARGIN) {
        this.preferSplitting = !this.preferSplitting;
        this.interval = FIRST_INTERVAL;
        this.switches++;
      } else {
        // Probes of splitting cost more (the worker wakes): while alone is preferred, rarer ones.
        this.interval = Math.min(2 * this.interval, this.preferSplitting ? MAX_INTERVAL : 2 * MAX_INTERVAL);
      }
      this.splitting = this.preferSplitting;
      this.windowsSinceTrial = 0;
      this.sawLateWorker = false;
      this.sawMostlyLateWorker = false;
      this.inTrial = false;
    } else {
      this.splitting = !this.preferSplitting; // the next pair's probe
    }
  }
}

/** The median of a few numbers, sorted in `scratch` (no array made: the judge runs inside training steps). */
function median(values: readonly number[], scratch: Float64Array): number {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    let j = i;
    for (; j > 0 && scratch[j - 1]! > values[i]!; j--) scratch[j] = scratch[j - 1]!;
    scratch[j] = values[i]!;
  }
  const middle = n >> 1;
  return n % 2 === 1 ? scratch[middle]! : (scratch[middle - 1]! + scratch[middle]!) / 2;
}
