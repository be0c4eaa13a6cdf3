// The kill report's engine: run one fault through the random property suites and say whether,
// how fast and by which check the harness caught it (issue 4). Pure apart from the clock.

import { violationChecks } from '../harness/checker.ts';
import type { Violation } from '../harness/checker.ts';
import { runSuite } from '../harness/random.ts';
import { runOps } from '../harness/run.ts';
import type { RunReport } from '../harness/run.ts';
import type { ReplayInfo, Suite, SuiteOutcome } from '../harness/suite.ts';
import type { Op, OpKind } from '../ops/op.ts';
import type { SubjectFactory } from '../subject/subject.ts';
import { buildTrace } from '../trace/format.ts';
import type { Trace } from '../trace/format.ts';
import { TOOL } from '../version.ts';
import type { Fault } from './fault.ts';
import { faultSubject } from './fault.ts';

/** One suite's attempt at a fault. */
export type Attempt =
  | {
      readonly kind: 'caught';
      readonly suite: Suite;
      /** Runs completed before the failing one (so caught in run `runs + 1`). */
      readonly runs: number;
      /** Ops executed up to and including the failing op. */
      readonly ops: number;
      /** Time to the first counterexample: when the failing run started, plus one mean run.
       * runSuite reports only its total, which includes shrinking (`totalMs`). */
      readonly catchMs: number;
      readonly totalMs: number;
      readonly violation: Violation;
      /** The shrunk counterexample (unshrunk with `shrink: false`), up to the failing op. */
      readonly shrunk: readonly Op[];
      readonly report: RunReport;
      readonly replay: ReplayInfo;
      readonly budget: { readonly runs: number; readonly maxOps: number };
    }
  | {
      readonly kind: 'missed';
      readonly suite: Suite;
      readonly runs: number;
      readonly ops: number;
      readonly totalMs: number;
    }
  | {
      /** The impl threw (one of its own assertions, e.g. put_page on a zero count) instead of
       * reaching a state the checks could judge: a fault that needs fixing, not a catch. */
      readonly kind: 'crashed';
      readonly suite: Suite;
      readonly message: string;
      readonly totalMs: number;
    };

export type CaughtAttempt = Extract<Attempt, { kind: 'caught' }>;

export interface FaultKill {
  readonly fault: Fault;
  readonly attempts: readonly Attempt[];
  /** The attempt whose catch names a state invariant beside its mismatch, then the one with the
   * shortest counterexample, then the soonest by ops; undefined when every suite missed the
   * fault. */
  readonly best: CaughtAttempt | undefined;
}

export interface KillOptions {
  readonly seed: number;
  /** Runs per suite; each suite's own budget when absent. */
  readonly runs?: number;
  readonly maxOps?: number;
  /** false: stop at the first counterexample, unshrunk (the sweep times only the finding). */
  readonly shrink?: boolean;
  /** Generate only these op kinds (those of a subject the trace is for, such as real Xen's
   * agent); all the impl's when absent. */
  readonly opKinds?: readonly OpKind[];
  /** Called at every run, shrinking's included (progress, and the CLI's Ctrl-C check). */
  readonly onTick?: () => void;
}

function withOpKinds(subject: SubjectFactory, kinds: readonly OpKind[] | undefined) {
  if (kinds === undefined) return subject;
  const opKinds = subject.opKinds.filter((k) => kinds.includes(k));
  return { ...subject, opKinds, create: subject.create.bind(subject) };
}

export function attemptSuite(suite: Suite, fault: Fault, options: KillOptions): Attempt {
  const started = performance.now();
  let lastRunAt = 0;
  const runs = options.runs ?? suite.defaultRuns;
  const maxOps = options.maxOps ?? suite.defaultMaxOps;
  let outcome: SuiteOutcome;
  try {
    outcome = runSuite(suite, {
      seed: options.seed,
      runs,
      maxOps,
      subject: withOpKinds(faultSubject(fault), options.opKinds),
      ...(options.shrink === undefined ? {} : { shrink: options.shrink }),
      ...(options.onTick === undefined ? {} : { onTick: options.onTick }),
      onRun: () => {
        lastRunAt = performance.now() - started;
      },
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { kind: 'crashed', suite, message, totalMs: performance.now() - started };
  }
  const { stats } = outcome;
  if (outcome.kind !== 'violation') {
    // A coverage gap is not a catch: the fault went unnoticed by every check.
    return { kind: 'missed', suite, runs: stats.runs, ops: stats.ops, totalMs: stats.elapsedMs };
  }
  const meanRun = stats.runs > 0 ? lastRunAt / stats.runs : 0;
  return {
    kind: 'caught',
    suite,
    runs: stats.runs,
    ops: stats.ops,
    catchMs: Math.min(stats.elapsedMs, lastRunAt + meanRun),
    totalMs: stats.elapsedMs,
    violation: outcome.violation,
    shrunk: outcome.ops,
    report: outcome.report,
    replay: outcome.replay,
    budget: { runs, maxOps },
  };
}

/** Does the catch name a state invariant (alone, or beside a mismatch): the broken state, not
 * only a different answer? */
function namesInvariant(a: CaughtAttempt): boolean {
  const v = a.violation;
  return v.check === 'invariant' || ('alsoFailed' in v && (v.alsoFailed?.length ?? 0) > 0);
}

/** The catch to report: one that names the broken state as well as the wrong answer, then the
 * shortest, then the soonest by ops executed, then by runs; a tie keeps the earlier suite. Why
 * not the soonest by catchMs? The clock depends on load and on how warm the process is (which
 * faults it judged before: with --workers each worker judges its own), so two suites catching
 * in 4 ops chose by the machine's mood (xsa-385: protocol's run 38 or conformance's 68). */
function better(a: CaughtAttempt, b: CaughtAttempt): boolean {
  if (namesInvariant(a) !== namesInvariant(b)) return namesInvariant(a);
  if (a.shrunk.length !== b.shrunk.length) return a.shrunk.length < b.shrunk.length;
  if (a.ops !== b.ops) return a.ops < b.ops;
  return a.runs < b.runs;
}

/** Every suite in turn. */
export function killFault(fault: Fault, suites: readonly Suite[], options: KillOptions): FaultKill {
  const attempts = suites.map((suite) => attemptSuite(suite, fault, options));
  return { fault, attempts, best: bestOf(attempts) };
}

/** The catch to report among `attempts` (FaultKill.best). */
export function bestOf(attempts: readonly Attempt[]): CaughtAttempt | undefined {
  let best: CaughtAttempt | undefined;
  for (const a of attempts) {
    if (a.kind === 'caught' && (best === undefined || better(a, best))) best = a;
  }
  return best;
}

/** The counterexample as a trace recorded against the fault. */
export function faultTrace(fault: Fault, attempt: CaughtAttempt): Trace {
  const { replay } = attempt;
  return buildTrace({
    tool: TOOL,
    config: attempt.suite.config,
    fault: fault.id,
    origin: {
      engine: 'random',
      suite: attempt.suite.name,
      seed: replay.seed,
      path: replay.path,
      ...(replay.replayPath === undefined ? {} : { replayPath: replay.replayPath }),
      runs: attempt.budget.runs,
      maxOps: attempt.budget.maxOps,
    },
    report: attempt.report,
  });
}

/** Does the counterexample pass against the correct impl? If not, it shows a harness or impl
 * bug, not the fault. */
export function passesUnfaulted(attempt: CaughtAttempt): boolean {
  const { suite } = attempt;
  const report = runOps(suite.config, attempt.shrunk, {
    invariants: suite.invariants,
    properties: suite.properties,
  });
  return report.failure === null;
}

/** The checks that caught it, as the report names them: the failing check, and the invariants
 * that failed at the same step beside a mismatch (`result mismatch + invariant NAME (impl)`). */
export function caughtBy(attempt: CaughtAttempt): string {
  return violationChecks(attempt.violation);
}
