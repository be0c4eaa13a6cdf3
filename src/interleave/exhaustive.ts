// Every schedule of fixed programs, depth first, by re-execution (generators cannot be copied,
// so a branch is reached again by replaying its prefix from the saved start). Two reductions,
// each optional:
// - Sleep sets (Godefroid's partial-order reduction): after the schedules that take step t
//   first are explored, a sibling branch keeps t asleep for as long as the steps it takes are
//   independent of t, so the same Mazurkiewicz trace is not explored twice. Two steps are
//   independent when both are accesses to shared entries and not to the same entry with one of
//   them writing, or both lock operations on different locks (or both read-acquires), or one
//   is each, unless one drops the lock the other is a write acquire or arrival of (a writer's
//   arrival is a step of its own, so two read-acquires never refuse each other, whoever waits
//   to write). Steps that start an op or in which an op returns (the real-time points
//   linearizability looks at) are dependent on one another; a start is independent of any
//   other step, a return step is judged by the pause it began at. Xen-private state that steps
//   touch between pauses is assumed guarded by Xen's locks, whose operations are steps too.
// - A preemption bound: at most k switches away from an actor that could have gone on. (With a
//   bound the sleep sets are off: together they could miss the bound's only schedule.)

import type { StateInvariant } from '../harness/invariant.ts';
import { pauseWrites } from '../impl/index.ts';
import type { InterleaveViolation } from './check.ts';
import { finalVerdict, invariantsNow } from './check.ts';
import type { Start, StepFootprint } from './run.ts';
import { InterleavedRun } from './run.ts';

export interface ExhaustiveOptions {
  readonly reduction: boolean;
  /** At most this many preemptions per schedule (undefined: no bound). */
  readonly preemptionBound?: number;
  /** Stop after this many complete schedules. */
  readonly maxSchedules?: number;
  readonly invariants: readonly StateInvariant[];
  /** Called with every run the search completes (for tests and statistics). */
  readonly onSchedule?: (run: InterleavedRun) => void;
}

export interface ExhaustiveOutcome {
  /** Complete schedules run (each to its end or to a deadlock). */
  readonly schedules: number;
  /** Steps taken in all, replays included. */
  readonly steps: number;
  readonly limitReached: boolean;
  /** The first failing schedule found (depth first), with its violation. */
  readonly failure?: ScheduleFailure;
}

export interface ScheduleFailure {
  readonly schedule: readonly number[];
  readonly violation: InterleaveViolation;
  /** Switches away from an actor that could have gone on. */
  readonly preemptions: number;
}

export function independent(a: StepFootprint, b: StepFootprint): boolean {
  if (a.actor === b.actor) return false;
  // Real time: an op's return and another's start are ordered, so are two starts or two
  // returns (their unpaused private work, too: handles, page references).
  const edgeA = a.pause === 'begin' || a.returned;
  const edgeB = b.pause === 'begin' || b.returned;
  if (edgeA && edgeB) return false;
  if (a.pause === 'begin' || b.pause === 'begin') return true;
  // A writer arrives only while readers hold its lock (_percpu_write_lock): a reader's step that
  // drops the lock can turn the arrival into a take, so it is ordered with any write acquire of
  // that lock. (A take needs the lock free, so no one else's step can drop it then.)
  if (dropsLockOf(a, b) || dropsLockOf(b, a)) return false;
  const p = a.pause;
  const q = b.pause;
  if (p.kind !== 'lock' && q.kind !== 'lock') {
    // shared accesses, and spins (a spin reads the entry's flags)
    const sameEntry = p.dom === q.dom && p.ref === q.ref;
    const writes = (x: typeof p) => x.kind === 'shared' && pauseWrites(x);
    return !sameEntry || (!writes(p) && !writes(q));
  }
  if (p.kind === 'lock' && q.kind === 'lock') {
    return p.lock !== q.lock || (p.mode === 'read' && q.mode === 'read');
  }
  return true;
}

/** Does `a` release the lock that `b` is a write acquire (or arrival) of? */
function dropsLockOf(a: StepFootprint, b: StepFootprint): boolean {
  const q = b.pause;
  if (q === 'begin' || q.kind !== 'lock' || q.mode !== 'write') return false;
  return a.released?.includes(q.lock) ?? false;
}

export function exploreSchedules(start: Start, options: ExhaustiveOptions): ExhaustiveOutcome {
  let schedules = 0;
  let steps = 0;
  let limitReached = false;
  let failure: ExhaustiveOutcome['failure'];
  const max = options.maxSchedules ?? Infinity;
  // Sleep sets and a preemption bound do not mix: a schedule the sleep sets prune may be the
  // only one of its trace within the bound. With a bound, every schedule within it is run.
  const reduce = options.reduction && options.preemptionBound === undefined;

  const replay = (prefix: readonly number[]): InterleavedRun => {
    const run = new InterleavedRun(start);
    for (const actor of prefix) run.step(actor);
    steps += prefix.length;
    return run;
  };

  const visit = (
    run: InterleavedRun,
    prefix: number[],
    sleep: readonly StepFootprint[],
    preemptions: number,
  ): void => {
    if (failure !== undefined || limitReached) return;
    const enabled = run.enabledActors();
    if (enabled.length === 0 || run.broken !== undefined) {
      schedules++;
      options.onSchedule?.(run);
      const violation = finalVerdict(run);
      if (violation !== null) failure = { schedule: [...prefix], violation, preemptions };
      if (schedules >= max) limitReached = true;
      return;
    }
    const last = prefix[prefix.length - 1];
    const lastEnabled = last !== undefined && enabled.includes(last);
    const explored: StepFootprint[] = [];
    let fresh: InterleavedRun | undefined = run;
    for (const actor of enabled) {
      if (failure !== undefined || limitReached) return;
      if (reduce && sleep.some((s) => s.actor === actor)) continue;
      const preempts = lastEnabled && actor !== last ? 1 : 0;
      const bound = options.preemptionBound;
      if (bound !== undefined && preemptions + preempts > bound) continue;
      const child = fresh ?? replay(prefix);
      fresh = undefined;
      const footprint = child.step(actor);
      steps++;
      prefix.push(actor);
      const bad = child.quiescent
        ? invariantsNow(child, prefix.length - 1, options.invariants)
        : null;
      if (bad !== null) {
        schedules++;
        failure = { schedule: [...prefix], violation: bad, preemptions: preemptions + preempts };
        prefix.pop();
        return;
      }
      const childSleep = reduce
        ? [...sleep, ...explored].filter((s) => independent(s, footprint))
        : [];
      visit(child, prefix, childSleep, preemptions + preempts);
      prefix.pop();
      explored.push(footprint);
    }
  };

  const first = new InterleavedRun(start);
  const bad = invariantsNow(first, -1, options.invariants);
  if (bad !== null)
    return {
      schedules: 1,
      steps: 0,
      limitReached: false,
      failure: { schedule: [], violation: bad, preemptions: 0 },
    };
  visit(first, [], [], 0);
  return { schedules, steps, limitReached, ...(failure !== undefined ? { failure } : {}) };
}

/** The exhaustive search, then, if it failed, the same search bounded to fewer preemptions
 * (0, 1, …) until one fails too: the failure reported has the fewest preemptions, the race in
 * its simplest schedule. Counts are the unbounded search's. */
export function exploreFewestPreemptions(
  start: Start,
  options: ExhaustiveOptions,
): ExhaustiveOutcome {
  const full = exploreSchedules(start, options);
  const found = full.failure;
  if (found === undefined) return full;
  for (let bound = 0; bound < found.preemptions; bound++) {
    const fewer = exploreSchedules(start, { ...options, preemptionBound: bound });
    if (fewer.failure !== undefined) return { ...full, failure: fewer.failure };
  }
  return full;
}
