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
// five pairs taken side by side much less. A trial that does not switch doubles the interval (up
// to QUIET_INTERVAL while splitting is preferred, 2 * MAX_INTERVAL while alone is), so the cost
// of probing the wrong mode falls to a fraction of a percent; one that switches sets it back to
// FIRST_INTERVAL, so a switch made on noise is soon undone. The intervals can be that long
// because something else watches for the change that matters: while splitting is preferred, a
// window with most of its splits late (a neighbour arriving) brings the next trial within
// MOSTLY_LATE_INTERVAL windows, however long the interval; and while the main thread alone is
// preferred because the workers came late, the scouts below watch for the neighbour leaving, so
// blind trials come only every SCOUTED_INTERVAL windows (beside the neighbour, each costs at least
// three windows of losing splits).
//
// How it notices that a neighbour left: while the main thread alone is preferred because the
// workers came late (a neighbour held the other core), long intervals alone would keep one thread
// for seconds after the neighbour is gone. The speed of the main thread's own windows is a poor
// sign: it has a core of its own whether the neighbour is there or not, and on a shared virtual
// machine its windows drift by a third or more within a second for reasons of their own (in some
// runs they ran as fast beside the busy loop as after it). What changes is how soon a woken
// worker gets a core.
// So every SCOUT_INTERVAL windows the judge scouts: it lets a few jobs split, SCOUT_WAKE_SPLITS
// for the worker to wake and then SCOUT_SPLITS more, and looks only at whether the worker joined
// them in time (the pool's `late`, as for LATE_SHARE). With at most SCOUT_LATE_ALLOWED late, the
// other core is free again and a trial starts at the next window (if it keeps alone although
// its workers came in time, the interval goes back to FIRST_INTERVAL: the first trial after a
// change can be unlucky, and the next is then not far); with more, the scout stops at
// once, having cost a few split jobs (beside a busy loop, most of a scout's splits are late; with
// the machine free, almost none after the first few). Scouts run only while the last trial saw
// late workers: where the main thread alone won with the workers on time, they would say "free"
// every time and prove nothing.

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
/**
 * Windows in the preferred mode between trials: FIRST_INTERVAL after a switch; at most 2 *
 * MAX_INTERVAL while alone is preferred (SCOUTED_INTERVAL while the scouts watch), and
 * QUIET_INTERVAL while splitting is.
 */
export const FIRST_INTERVAL = 4;
export const MAX_INTERVAL = 32;
/**
 * While alone is preferred because the workers came late, and the scouts watch for the neighbour
 * leaving: a blind trial this many windows after the last (~10 s of training). Every 2 *
 * MAX_INTERVAL windows instead, the probes of such trials beside a busy loop lost about 1% of the
 * fit's time (ThreadStats.judgeProbeLostMilliseconds), more than anything else two threads lose
 * there against one.
 */
export const SCOUTED_INTERVAL = 256;
/**
 * While it prefers splitting, the judge starts a trial after `interval` windows only if a window
 * since the last trial had more than LATE_SHARE of its splits joined late or not at all (a worker
 * that polls on a core of its own joins within microseconds; the pool does not count a split that
 * ended sooner than that), or else after QUIET_INTERVAL windows; and the interval doubles up to
 * QUIET_INTERVAL. On an idle machine each probe of the main thread alone costs a window's worth
 * of the second core, and on a shared virtual machine a window with a few late splits comes
 * every second or two (the host runs something else on the worker's core for a moment), so with
 * the interval capped at MAX_INTERVAL a trial came every ~60 windows, twice as often as now.
 */
export const LATE_SHARE = 0.1;
export const QUIET_INTERVAL = 128;
/**
 * More than this share late in a window, and a trial starts MOSTLY_LATE_INTERVAL windows (or the
 * interval, if shorter) after the last: beside a busy loop, a window of splits has 30-60% of them
 * late; on the idle machine, none of some 240 windows had more than half.
 */
export const MOSTLY_LATE_SHARE = 0.5;
export const MOSTLY_LATE_INTERVAL = 8;
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
/** While alone is preferred (and the last trial saw late workers), a scout once in this many windows. */
export const SCOUT_INTERVAL = 16;
/** A scout's first splits, not counted: a worker woken from sleep claims its first pieces late even on a free core. */
export const SCOUT_WAKE_SPLITS = 3;
/** The splits a scout counts after those, and how many of them may be late for the other core to count as free. */
export const SCOUT_SPLITS = 12;
export const SCOUT_LATE_ALLOWED = 1;

/**
 * Where the judge adds up its probes (the windows a trial runs in the mode it does not prefer):
 * their milliseconds, and the milliseconds they lost against the window after each, in the
 * preferred mode (a probe's time times 1 - its speed / that window's speed; below 0 where probes
 * won). Its share of a run is what the judge's exploration costs, measured window by window, which
 * fits timed one against another on a noisy machine cannot resolve. The pool passes ThreadStats.
 */
export interface ProbeLedger {
  judgeProbeMilliseconds: number;
  judgeProbeLostMilliseconds: number;
}

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
  private probeMilliseconds = 0;
  private readonly ratios: number[] = [];
  private readonly sorted = new Float64Array(TRIAL_PAIRS);
  /** Whether a split window of the current trial, and of the last one, had late workers (see LATE_SHARE). */
  private trialSawLate = false;
  private lastTrialSawLate = false;
  /** A scout (see SCOUT_INTERVAL): whether one runs, its splits and late ones so far, windows since the last. */
  private scouting = false;
  private scoutSplits = 0;
  private scoutLateSplits = 0;
  private windowsSinceScout = 0;
  /** The last scout found the worker in time: a trial starts at the next window (a trial from a scout). */
  private scoutFoundFreeCore = false;
  private trialFromScout = false;
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
  /** Scouts started, and those that found the other core free (each starts a trial). */
  scouts = 0;
  freeScouts = 0;

  constructor(
    readonly ledger: ProbeLedger = { judgeProbeMilliseconds: 0, judgeProbeLostMilliseconds: 0 },
    private readonly windowMilliseconds = WINDOW_MILLISECONDS,
  ) {}

  /**
   * A job with `signature` (any number naming its kind and shape) starts, `gapMilliseconds` after
   * the previous one ended. It may close the window (and change `splitting`, which this job obeys).
   */
  begin(signature: number, gapMilliseconds: number): void {
    // The gap before a job belongs to the window of the job before it (its step's last JavaScript).
    this.milliseconds += Math.min(Math.max(0, gapMilliseconds), GAP_CAP_MILLISECONDS);
    if (this.scouting && (this.scoutLateSplits > SCOUT_LATE_ALLOWED || this.scoutSplits >= SCOUT_WAKE_SPLITS + SCOUT_SPLITS)) this.endScout();
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
    if (this.scouting && ++this.scoutSplits > SCOUT_WAKE_SPLITS && late) this.scoutLateSplits++;
  }

  /** Ends a scout: the main thread alone again, and whether the worker came in time on a full count. */
  private endScout(): void {
    this.scouting = false;
    this.splitting = false;
    this.windowsSinceScout = 0;
    if (this.scoutSplits >= SCOUT_WAKE_SPLITS + SCOUT_SPLITS && this.scoutLateSplits <= SCOUT_LATE_ALLOWED) {
      this.scoutFoundFreeCore = true;
      this.freeScouts++;
    }
  }

  /** Whether the next trial is due: see QUIET_INTERVAL. */
  private trialDue(): boolean {
    if (this.preferSplitting && this.sawMostlyLateWorker && this.windowsSinceTrial >= Math.min(this.interval, MOSTLY_LATE_INTERVAL)) return true;
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
    const milliseconds = this.milliseconds;
    const speed = milliseconds > 0 ? this.work / milliseconds : 0;
    this.work = 0;
    this.milliseconds = 0;
    this.windows++;
    if (!this.splitting) this.aloneWindows++;
    if (this.windowLateSplits > LATE_SHARE * this.windowSplits) this.sawLateWorker = true;
    if (this.windowLateSplits > MOSTLY_LATE_SHARE * this.windowSplits) this.sawMostlyLateWorker = true;
    if (this.inTrial && this.splitting && this.windowLateSplits > LATE_SHARE * this.windowSplits) this.trialSawLate = true;
    this.windowSplits = 0;
    this.windowLateSplits = 0;
    if (!this.inTrial) {
      if (this.scouting) this.endScout(); // a window ended first: a scout that counted too few splits proves nothing
      this.windowsSinceTrial++;
      this.windowsSinceScout++;
      if (this.trialDue() || this.scoutFoundFreeCore) {
        this.inTrial = true;
        this.trialFromScout = this.scoutFoundFreeCore;
        this.trialSawLate = false;
        this.scoutFoundFreeCore = false;
        this.ratios.length = 0;
        this.splitting = !this.preferSplitting;
      } else if (!this.preferSplitting && this.lastTrialSawLate && this.windowsSinceScout >= SCOUT_INTERVAL) {
        this.scouting = true;
        this.scoutSplits = 0;
        this.scoutLateSplits = 0;
        this.scouts++;
        this.splitting = true;
      }
      return;
    }
    if (this.splitting !== this.preferSplitting) {
      this.probeSpeed = speed; // a probe: its preferred partner comes next
      this.probeMilliseconds = milliseconds;
      this.ledger.judgeProbeMilliseconds += milliseconds;
      this.splitting = this.preferSplitting;
      return;
    }
    const pairRatio = speed > 0 ? this.probeSpeed / speed : 1;
    this.ratios.push(pairRatio);
    this.ledger.judgeProbeLostMilliseconds += this.probeMilliseconds * (1 - pairRatio);
    const ratio = median(this.ratios, this.sorted);
    const pairs = this.ratios.length;
    const clearWin = pairs >= 2 && this.sorted[0]! > 1 + CLEAR_LOSS; // sorted[0]: the smallest ratio
    const clearLoss = ratio < 1 - CLEAR_LOSS && (this.preferSplitting || pairs >= PAIRS_BEFORE_KEEPING_ALONE);
    if (clearLoss || clearWin || pairs >= TRIAL_PAIRS) {
      if (clearWin || ratio > 1 + SWITCH_MARGIN) {
        this.preferSplitting = !this.preferSplitting;
        // Alone because the workers came late: scouts will see the neighbour leave, so blind trials
        // need not come soon (beside a busy loop, each costs three windows of losing splits).
        this.interval = !this.preferSplitting && this.trialSawLate ? SCOUTED_INTERVAL : FIRST_INTERVAL;
        this.switches++;
      } else {
        // Probes of splitting cost more (the worker wakes): while alone is preferred, rarer ones.
        // But after a scout's trial whose workers were in time, the machine has changed (the
        // neighbour left) and one unlucky trial must not keep alone for the longest interval.
        const changed = this.trialFromScout && !this.trialSawLate;
        if (changed) this.interval = FIRST_INTERVAL;
        else if (this.preferSplitting) this.interval = Math.min(2 * this.interval, QUIET_INTERVAL);
        else if (this.trialSawLate) this.interval = SCOUTED_INTERVAL; // the scouts go on watching
        else this.interval = Math.min(2 * this.interval, 2 * MAX_INTERVAL);
      }
      this.splitting = this.preferSplitting;
      this.windowsSinceTrial = 0;
      this.sawLateWorker = false;
      this.sawMostlyLateWorker = false;
      this.lastTrialSawLate = this.trialSawLate;
      this.windowsSinceScout = 0;
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
