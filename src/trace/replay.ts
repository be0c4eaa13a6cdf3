// Replay a trace: re-run its ops deterministically against model and impl, and lay the run out
// as a step-by-step table (op, model result, impl result, what changed), marking the failing
// step and check.

import type { SubjectFactory } from '../subject/subject.ts';
import type { StateInvariant, StepProperty } from '../harness/invariant.ts';
import { violationName } from '../harness/checker.ts';
import type { Violation } from '../harness/checker.ts';
import { runOps } from '../harness/run.ts';
import type { RunReport } from '../harness/run.ts';
import { diffStates } from '../model/index.ts';
import { formatOp, formatResult } from '../ops/text.ts';
import type { Trace, TraceVerdict } from './format.ts';
import { sameVerdict, verdictOf } from './format.ts';

export interface ReplayRow {
  readonly step: number;
  readonly op: string;
  readonly model: string;
  readonly impl: string;
  readonly changes: readonly string[];
  /** Set on the failing step: which check failed and why. */
  readonly failure?: string;
}

export interface ReplayOutcome {
  readonly report: RunReport;
  readonly verdict: TraceVerdict;
  /** Does the replay fail at the same step with the same check as recorded? */
  readonly matchesRecorded: boolean;
  readonly rows: readonly ReplayRow[];
}

export interface ReplayOptions {
  readonly invariants: readonly StateInvariant[];
  readonly properties: readonly StepProperty[];
  /** The system under test; the built-in impl when absent. */
  readonly subject?: SubjectFactory;
}

/** The step-by-step table of a run: op, both results, what changed, and the failing check. */
export function tableRows(report: RunReport): ReplayRow[] {
  let previous = report.initialState;
  return report.steps.map((s, i): ReplayRow => {
    const changes = diffStates(previous, s.modelState);
    previous = s.modelState;
    const row = {
      step: i + 1,
      op: formatOp(s.op),
      model: formatResult(s.modelResult),
      impl: formatResult(s.implResult),
      changes,
    };
    const failed = report.failure?.step === i ? report.failure.violation : null;
    return failed ? { ...row, failure: describeViolation(failed) } : row;
  });
}

function describeViolation(v: Violation): string {
  const detail =
    v.check === 'state-mismatch'
      ? `model → impl: ${v.diff.join('; ')}`
      : v.check === 'result-mismatch'
        ? 'model and impl returned different results'
        : v.message;
  return `${violationName(v)}: ${detail}`;
}

export function replayTrace(trace: Trace, options: ReplayOptions): ReplayOutcome {
  const report = runOps(
    trace.config,
    trace.steps.map((s) => s.op),
    options,
  );
  const verdict = verdictOf(report.failure);
  return {
    report,
    verdict,
    matchesRecorded: sameVerdict(verdict, trace.verdict),
    rows: tableRows(report),
  };
}
