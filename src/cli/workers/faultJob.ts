// One fault's share of `grantcheck faults` (its random kill and its explorer cell), and its form
// on the wire between a worker thread and the parent. Why a wire form? Suites and faults hold
// functions, and model states hold classes (IntMap, FreeList), which a structured clone loses:
// the worker sends names and ops, and the parent rebuilds the rest (the report by re-running the
// counterexample, a few ops).

import type { Fault } from '../../faults/fault.ts';
import { faultSubject } from '../../faults/fault.ts';
import { exploreFault } from '../../faults/explore.ts';
import type { ExplorerResult } from '../../faults/explore.ts';
import { bestOf, killFault } from '../../faults/kill.ts';
import type { Attempt, FaultKill } from '../../faults/kill.ts';
import { runOps } from '../../harness/run.ts';
import type { ReplayInfo, Suite } from '../../harness/suite.ts';
import type { Op } from '../../ops/op.ts';
import { DEFAULT_CONFIG } from '../../configDefaults.ts';
import { faultConfig } from '../../faults/index.ts';
import { buildSuite, SUITE_FOR_ITS_FAULTS_ONLY, SUITE_NAMES } from '../../../properties/suites.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';

export interface Judged {
  readonly kill: FaultKill;
  readonly explorer?: ExplorerResult;
}

export interface JudgeOptions {
  readonly seed: number;
  readonly runs?: number;
  /** Milliseconds of exhaustive search for the explorer column; 0: none. */
  readonly exploreMs: number;
  /** Called now and then while the fault runs (the progress bar, which answers Ctrl-C); only in
   * the command's own thread. */
  readonly onTick?: () => void;
}

/** The suites `fault` runs against: `suites`, or for a guest-library fault the same suites with
 * its profile (Fault.profile), or for a fault of one suite's ops that suite (Fault.suite). A
 * suite that serves only its own faults (SUITE_FOR_ITS_FAULTS_ONLY) is not among the others'. */
export function suitesFor(fault: Fault, suites: readonly Suite[]): readonly Suite[] {
  if (fault.suite !== undefined) {
    const own = buildSuite(fault.suite, faultConfig(fault, DEFAULT_CONFIG));
    return own === undefined ? [] : [own];
  }
  const general = suites.filter((s) => !SUITE_FOR_ITS_FAULTS_ONLY.has(s.name));
  if (fault.profile === undefined) return general;
  const config = faultConfig(fault, DEFAULT_CONFIG);
  return SUITE_NAMES.filter((name) => !SUITE_FOR_ITS_FAULTS_ONLY.has(name)).flatMap(
    (name) => buildSuite(name, config) ?? [],
  );
}

/** The random suites against `fault`, then (given time) the explorer. */
export function judgeFault(fault: Fault, suites: readonly Suite[], options: JudgeOptions): Judged {
  const { seed, runs, onTick } = options;
  const tick = onTick === undefined ? {} : { onTick };
  const kill = killFault(fault, suitesFor(fault, suites), {
    seed,
    ...(runs === undefined ? {} : { runs }),
    ...tick,
  });
  // The Xen-level explorer does not search guest profiles, nor a backend driver.
  if (options.exploreMs <= 0 || fault.profile !== undefined || fault.suite !== undefined) {
    return { kill };
  }
  const explorer = exploreFault(fault, {
    invariants: INVARIANTS,
    properties: STEP_PROPERTIES,
    timeBudgetMs: options.exploreMs,
    ...tick,
  });
  return { kill, explorer };
}

type WireAttempt =
  | {
      readonly kind: 'caught';
      readonly suite: string;
      readonly runs: number;
      readonly ops: number;
      readonly catchMs: number;
      readonly totalMs: number;
      readonly shrunk: readonly Op[];
      readonly replay: ReplayInfo;
      readonly budget: { readonly runs: number; readonly maxOps: number };
    }
  | {
      readonly kind: 'missed';
      readonly suite: string;
      readonly runs: number;
      readonly ops: number;
      readonly totalMs: number;
    }
  | {
      readonly kind: 'crashed';
      readonly suite: string;
      readonly message: string;
      readonly totalMs: number;
    };

/** A Judged as plain data (structured-clone safe). */
export interface WireJudged {
  readonly fault: string;
  readonly attempts: readonly WireAttempt[];
  readonly explorer?: ExplorerResult;
}

export function toWire(judged: Judged): WireJudged {
  const attempts = judged.kill.attempts.map((a): WireAttempt => {
    if (a.kind !== 'caught') return { ...a, suite: a.suite.name };
    const { kind, runs, ops, catchMs, totalMs, shrunk, replay, budget } = a;
    return { kind, suite: a.suite.name, runs, ops, catchMs, totalMs, shrunk, replay, budget };
  });
  return {
    fault: judged.kill.fault.id,
    attempts,
    ...(judged.explorer ? { explorer: judged.explorer } : {}),
  };
}

/** The Judged a worker sent, with `fault` and `suites` (the parent's own) put back, and each
 * catch's report and violation re-made by running its counterexample against the fault. */
export function fromWire(wire: WireJudged, fault: Fault, suites: readonly Suite[]): Judged {
  const faultSuites = suitesFor(fault, suites);
  const attempts = wire.attempts.map((a): Attempt => {
    const suite = faultSuites.find((s) => s.name === a.suite);
    if (!suite) throw new Error(`worker: unknown suite '${a.suite}'`);
    if (a.kind !== 'caught') return { ...a, suite };
    const report = runOps(suite.config, a.shrunk, {
      invariants: suite.invariants,
      properties: suite.properties,
      subject: faultSubject(fault),
    });
    if (!report.failure) {
      throw new Error(`worker: the counterexample of ${fault.id} (${suite.name}) passes here`);
    }
    return { ...a, suite, report, violation: report.failure.violation };
  });
  const kill: FaultKill = { fault, attempts, best: bestOf(attempts) };
  return { kill, ...(wire.explorer ? { explorer: wire.explorer } : {}) };
}
