// The power sweep: every fault against many seeds, each seed run through the suites (the kill
// report's attemptSuite) until one catches it. A harness whose power depends on the seed shows
// here as a seed that escapes. Counterexamples are not shrunk: only the time to find one counts.

import type { Suite } from '../harness/suite.ts';
import type { Fault } from './fault.ts';
import { attemptSuite, caughtBy } from './kill.ts';

/** One seed's attempt: the suites in turn until one catches the fault. */
export interface SeedResult {
  readonly seed: number;
  readonly caught: boolean;
  /** The suite that caught it, and the check that failed. */
  readonly suite?: string;
  readonly check?: string;
  /** Runs until the counterexample, the failing run included, over every suite tried. */
  readonly runs: number;
  /** Time to the first counterexample (or to giving up), over every suite tried. */
  readonly ms: number;
  /** The impl threw instead of failing a check (kill.ts 'crashed'). */
  readonly crash?: string;
}

export interface FaultSweep {
  readonly fault: Fault;
  readonly results: readonly SeedResult[];
  readonly caught: number;
  /** The slowest caught seed, or the first that escaped. */
  readonly worst: SeedResult | undefined;
}

export interface SweepOptions {
  readonly seeds: readonly number[];
  /** Runs per suite and seed; each suite's default when absent. */
  readonly runs?: number;
  readonly maxOps?: number;
}

/** One seed: the suites in `order` until one catches the fault. */
export function attemptSeed(
  fault: Fault,
  order: readonly Suite[],
  seed: number,
  options: SweepOptions,
): SeedResult {
  let runs = 0;
  let ms = 0;
  for (const suite of order) {
    const a = attemptSuite(suite, fault, {
      seed,
      shrink: false,
      ...(options.runs === undefined ? {} : { runs: options.runs }),
      ...(options.maxOps === undefined ? {} : { maxOps: options.maxOps }),
    });
    switch (a.kind) {
      case 'caught':
        return {
          seed,
          caught: true,
          suite: suite.name,
          check: caughtBy(a),
          runs: runs + a.runs + 1,
          ms: ms + a.catchMs,
        };
      case 'missed':
        runs += a.runs;
        ms += a.totalMs;
        break;
      case 'crashed':
        return { seed, caught: false, runs, ms: ms + a.totalMs, crash: a.message };
    }
  }
  return { seed, caught: false, runs, ms };
}

/** Every seed in turn. The suite that caught the previous seed is tried first (most faults fall
 * to one suite), which changes the time, never the verdict: a seed escapes only if every suite
 * misses it. */
export function sweepFault(
  fault: Fault,
  suites: readonly Suite[],
  options: SweepOptions,
  onSeed?: (result: SeedResult) => void,
): FaultSweep {
  let order = [...suites];
  const results: SeedResult[] = [];
  for (const seed of options.seeds) {
    const r = attemptSeed(fault, order, seed, options);
    results.push(r);
    onSeed?.(r);
    const first = order.find((s) => s.name === r.suite);
    if (first) order = [first, ...order.filter((s) => s !== first)];
  }
  const escaped = results.find((r) => !r.caught);
  const worst =
    escaped ??
    results.reduce<SeedResult | undefined>(
      (w, r) => (w === undefined || r.ms > w.ms ? r : w),
      undefined,
    );
  return { fault, results, caught: results.filter((r) => r.caught).length, worst };
}
