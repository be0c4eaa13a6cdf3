// How a suite's violation is shown and kept, the same in `grantcheck run` and in assertSuite's
// error: the failing check, the shrunk ops as a step table with both results, the failing step
// side by side, fast-check's replay line; and the trace that reproduces it.

import { violationName } from '../harness/checker.ts';
import type { Violation } from '../harness/checker.ts';
import type { Suite, SuiteOutcome } from '../harness/suite.ts';
import { buildTrace } from '../trace/format.ts';
import type { Trace } from '../trace/format.ts';
import type { StepRecord } from '../harness/run.ts';
import { tableRows } from '../trace/replay.ts';
import type { ReplayRow } from '../trace/replay.ts';
import { TOOL } from '../version.ts';
import { sideBySideView, stepTable } from '../cli/views.ts';

export type SuiteViolation = Extract<SuiteOutcome, { kind: 'violation' }>;

/** The trace of a violation found by `suite` with these budgets. */
export function violationTrace(
  suite: Suite,
  outcome: SuiteViolation,
  run: { readonly fault: string | null; readonly runs: number; readonly maxOps: number },
): Trace {
  return buildTrace({
    tool: TOOL,
    config: suite.config,
    fault: run.fault,
    origin: {
      engine: 'random',
      suite: suite.name,
      seed: outcome.replay.seed,
      path: outcome.replay.path,
      ...(outcome.replay.replayPath === undefined ? {} : { replayPath: outcome.replay.replayPath }),
      runs: run.runs,
      maxOps: run.maxOps,
    },
    report: outcome.report,
  });
}

/** How the step table and the side-by-side view are drawn (the CLI fits them to its width). */
export interface ViolationRenderers {
  readonly table: (rows: readonly ReplayRow[]) => string[];
  readonly sideBySide: (step: StepRecord) => string[];
}

/** Where no terminal says how wide (assertSuite's error, read in a test runner's log): the
 * CLI's fitted tables, at this width. */
const MESSAGE_WIDTH = 120;

/** The failing check, the step table, and the failing step side by side. */
export function violationLines(
  outcome: Pick<SuiteViolation, 'report' | 'ops' | 'violation'>,
  render: ViolationRenderers = {
    table: (rows) => stepTable(rows, MESSAGE_WIDTH),
    sideBySide: (step) => sideBySideView(step, MESSAGE_WIDTH),
  },
): string[] {
  const failure = outcome.report.failure;
  const step = (failure?.step ?? 0) + 1;
  const lines = [
    `VIOLATION: ${violationName(outcome.violation)} at step ${step} of ${outcome.ops.length}`,
    ...alsoFailedLines(outcome.violation),
    '',
    ...render.table(tableRows(outcome.report)),
  ];
  const failing = failure && failure.step >= 0 ? outcome.report.steps[failure.step] : undefined;
  if (failing)
    lines.push('', `step ${step}, model and impl side by side:`, ...render.sideBySide(failing));
  return lines;
}

/** The invariants that failed beside a mismatch, one line each. */
function alsoFailedLines(v: Violation): string[] {
  const also = 'alsoFailed' in v ? (v.alsoFailed ?? []) : [];
  return also.map((a) => `also failed at that step: ${violationName(a)}: ${a.message}`);
}

/** fast-check's own replay information. */
export function fastCheckLine(outcome: SuiteViolation): string {
  const { seed, path, replayPath } = outcome.replay;
  return `fast-check:    seed=${seed} path="${path}"${replayPath ? ` replayPath="${replayPath}"` : ''}`;
}
