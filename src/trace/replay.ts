// Replay a trace: re-run its ops deterministically against model and impl, lay the run out as a
// step-by-step table (op, model result, impl result, what changed), marking the failing step and
// check, and compare the run with everything the trace recorded (results, states, verdict).

import type { SubjectFactory } from '../subject/subject.ts';
import type { StateInvariant, StepProperty } from '../harness/invariant.ts';
import { violationName } from '../harness/checker.ts';
import type { Violation } from '../harness/checker.ts';
import { runOps } from '../harness/run.ts';
import type { RunReport } from '../harness/run.ts';
import { clipText } from '../input/index.ts';
import { diffStates } from '../model/index.ts';
import type { ModelState } from '../model/state.ts';
import type { OpResult } from '../ops/result.ts';
import { formatOp, formatResult } from '../ops/text.ts';
import type { DeepReadonly, Trace, TraceVerdict } from './format.ts';
import { sameVerdict, verdictOf } from './format.ts';
import type { StateJson } from './stateJson.ts';
import { stateFromJson } from './stateJson.ts';

export interface ReplayRow {
  readonly step: number;
  readonly op: string;
  readonly model: string;
  readonly impl: string;
  readonly changes: readonly string[];
  /** Set on the failing step: which check failed and why. */
  readonly failure?: string;
}

/** One way the replay disagrees with the trace: "<what>: recorded X, now Y at step N". */
export interface RecordedDifference {
  /** 1-based step; 0 for the initial state; null for the verdict of the whole run. */
  readonly step: number | null;
  /** `verdict`, `model result`, `impl result`, `state <field>`, `impl state <field>`. */
  readonly what: string;
  readonly recorded: string;
  readonly now: string;
}

export interface ReplayOutcome {
  readonly report: RunReport;
  readonly verdict: TraceVerdict;
  /** Same verdict (step, check, invariant, side) and no recorded result or state differs. */
  readonly matchesRecorded: boolean;
  /** Every disagreement with the recorded run; empty iff matchesRecorded. */
  readonly differences: readonly RecordedDifference[];
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

/** A verdict in words; strings from the file are escaped and clipped. */
export function describeVerdict(v: TraceVerdict): string {
  if (v.kind === 'pass') return 'pass';
  const name = v.name === undefined ? '' : ` ${clipText(v.name, 60)}`;
  const side = v.side === undefined ? '' : ` (${v.side})`;
  const where = v.step === -1 ? 'the initial state' : `step ${v.step + 1}`;
  return `${v.check}${name}${side} at ${where}`;
}

/** One line per difference, as printed by `grantcheck replay`. */
export function describeDifference(d: RecordedDifference): string {
  const at = d.step === null ? '' : d.step === 0 ? ' at the initial state' : ` at step ${d.step}`;
  return `${d.what}: recorded ${d.recorded}, now ${d.now}${at}`;
}

/** Key-order-independent JSON, for comparing a recorded result with a computed one. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** The first differing field of two states as a difference ("d1 ref 8 entry: flags 0x1 →
 * 0x9" becomes what "state d1 ref 8 entry", recorded "flags 0x1", now "0x9"), or null. */
function stateDifference(
  what: string,
  step: number,
  recorded: DeepReadonly<StateJson>,
  now: ModelState,
): RecordedDifference | null {
  const lines = diffStates(stateFromJson(recorded), now);
  const [first] = lines;
  if (first === undefined) return null;
  const more = lines.length > 1 ? ` (and ${lines.length - 1} more)` : '';
  const colon = first.indexOf(': ');
  const arrow = first.lastIndexOf(' → ');
  if (colon < 0 || arrow < colon) return { step, what, recorded: first, now: `different${more}` };
  return {
    step,
    what: `${what} ${first.slice(0, colon)}`,
    recorded: first.slice(colon + 2, arrow),
    now: `${first.slice(arrow + 3)}${more}`,
  };
}

function resultDifference(
  what: string,
  step: number,
  recorded: OpResult,
  now: OpResult,
): RecordedDifference | null {
  if (canonical(recorded) === canonical(now)) return null;
  // Clipped: a recorded batch may be long (a hypercall takes up to 1024 elements).
  const show = (r: OpResult): string => clipText(formatResult(r), 200);
  return { step, what, recorded: show(recorded), now: show(now) };
}

/** Compare a replay with the trace it replays: the verdict, the initial state, and for every
 * step that ran both results, the model state and (where recorded) abstract(impl). */
export function recordedDifferences(trace: Trace, report: RunReport): RecordedDifference[] {
  const out: RecordedDifference[] = [];
  const push = (d: RecordedDifference | null): void => void (d && out.push(d));
  const verdict = verdictOf(report.failure);
  if (!sameVerdict(verdict, trace.verdict)) {
    out.push({
      step: null,
      what: 'verdict',
      recorded: describeVerdict(trace.verdict),
      now: describeVerdict(verdict),
    });
  }
  push(stateDifference('state', 0, trace.initialState, report.initialState));
  for (const [i, ran] of report.steps.entries()) {
    const rec = trace.steps[i];
    if (rec === undefined) break;
    push(resultDifference('model result', i + 1, rec.model, ran.modelResult));
    push(resultDifference('impl result', i + 1, rec.impl, ran.implResult));
    push(stateDifference('state', i + 1, rec.state, ran.modelState));
    if (rec.implState) push(stateDifference('impl state', i + 1, rec.implState, ran.implState));
  }
  return out;
}

export function replayTrace(trace: Trace, options: ReplayOptions): ReplayOutcome {
  const report = runOps(
    trace.config,
    trace.steps.map((s) => s.op),
    options,
  );
  const differences = recordedDifferences(trace, report);
  return {
    report,
    verdict: verdictOf(report.failure),
    matchesRecorded: differences.length === 0,
    differences,
    rows: tableRows(report),
  };
}
