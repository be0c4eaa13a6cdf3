// `grantcheck replay FILE`: re-run a trace against model and impl (and its fault, if it was
// recorded against one), print the step-by-step table and every way the run differs from what
// the trace recorded. Exit 1 if it still fails, 0 if it now passes. Core-model traces (written
// by `explore --model core`) are re-run by the core model. The file is read and parsed once.

import type { CoreTrace } from '../../core/trace.ts';
import { isCoreTrace, parseCoreTrace, replayCoreTrace } from '../../core/trace.ts';
import { findFault } from '../../faults/index.ts';
import { describeComparison, lackedKindProblem } from '../../subject/subject.ts';
import type { SubjectFactory } from '../../subject/subject.ts';
import {
  clipText,
  escapeText,
  quote,
  readJsonFile,
  safeJson,
  TRACE_LIMITS,
} from '../../input/index.ts';
import type { Trace } from '../../trace/format.ts';
import { parseTrace } from '../../trace/io.ts';
import { describeDifference, replayTrace } from '../../trace/replay.ts';
import { sameVerdict } from '../../trace/format.ts';
import { renderColumns } from '../../interleave/columns.ts';
import type { Scenario } from '../../interleave/scenario.ts';
import { scenarioProblem } from '../../interleave/scenario.ts';
import { vcpusOf } from '../../configDefaults.ts';
import { replayInterleaved, scenarioOfTrace } from '../../interleave/trace.ts';
import type { Op } from '../../ops/op.ts';
import { opProblem } from '../../ops/schema.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';
import type { CliOutcome, Io } from '../outcome.ts';
import { coreReplayJson, runJson, verdictJson } from '../json.ts';
import { lackedKindBeforeStart, withSubject } from '../subject.ts';
import { XEN_SUBJECT, xenConfigProblem } from '../../subject/xen/config.ts';
import { stylerOf } from '../colour.ts';
import type { Styler } from '../colour.ts';
import { sideBySideView, stepTable, widthOf } from '../views.ts';

export interface ReplayFlags {
  readonly json?: boolean;
  /** Replay against this fault instead of the recorded one; 'none' for the correct impl. */
  readonly fault?: string;
  /** Replay against an external subject (docs/subject-protocol.md) instead of the impl. */
  readonly subject?: string;
}

/** FAILS or PASSES, in its colour. */
function verdictWord(failed: boolean, style: Styler): string {
  return failed ? style.fail('FAILS') : style.pass('PASSES');
}

/** A file name as messages show it: escaped, and clipped if very long. */
function shown(file: string): string {
  return clipText(file, 60);
}

/** The usage outcome for a bad file: one line of at most ~300 characters. */
function badFile(file: string, error: string): CliOutcome {
  return { kind: 'usage', message: `${shown(file)}: ${clipText(error, 190)}` };
}

export function replayCommand(file: string, flags: ReplayFlags, io: Io): CliOutcome {
  const read = readJsonFile(file, TRACE_LIMITS);
  if (!read.ok) return badFile(file, read.error);
  if (isCoreTrace(read.value)) {
    const loaded = parseCoreTrace(read.value);
    if (!loaded.ok) return badFile(file, loaded.error);
    if (flags.fault !== undefined || flags.subject !== undefined) {
      // Faults are broken parts of the Xen-level impl; a core trace records core actions, which
      // run on the core model alone (its broken protocols are variants: explore --variant).
      return {
        kind: 'usage',
        message: `${flags.fault !== undefined ? `--fault ${quote(flags.fault)}` : '--subject'}: not applicable to a core-model trace (faults and subjects are systems checked at the Xen level; a core trace replays its recorded variant)`,
      };
    }
    return replayCore(file, loaded.trace, flags, io);
  }
  const loaded = parseTrace(read.value);
  if (!loaded.ok) return badFile(file, loaded.error);
  if (loaded.trace.interleaving !== undefined)
    return replayInterleavedTrace(file, loaded.trace, flags, io);
  return replayXen(file, loaded.trace, flags, io);
}

/** An interleaved trace (grantcheck interleave): its schedule run again, printed as columns. */
function replayInterleavedTrace(
  file: string,
  trace: Trace,
  flags: ReplayFlags,
  io: Io,
): CliOutcome {
  if (flags.subject !== undefined) {
    return {
      kind: 'usage',
      message:
        '--subject: an interleaved trace runs on the built-in impl only (a subject answers whole ops)',
    };
  }
  const faultId =
    flags.fault === undefined ? trace.fault : flags.fault === 'none' ? null : flags.fault;
  const fault = faultId === null ? undefined : findFault(faultId);
  if (faultId !== null && !fault) {
    return { kind: 'usage', message: `fault: no fault ${quote(faultId)} (see: grantcheck list)` };
  }
  const scenario = scenarioOfTrace(trace);
  if (scenario === undefined) return badFile(file, 'no interleaving');
  const problem =
    scenarioProblem(scenario, trace.config.domains, vcpusOf(trace.config)) ??
    opsProblem(scenario, trace);
  if (problem !== null) return badFile(file, `interleaving: ${problem}`);
  const replay = replayInterleaved(trace, scenario, fault?.parts ?? {}, INVARIANTS);
  const failed = replay.verdict.kind === 'violation';
  const same = sameVerdict(replay.verdict, trace.verdict);
  if (flags.json) {
    io.out(
      `${safeJson({ result: failed ? 'violation' : 'pass', verdict: verdictJson(replay.verdict), matchesRecorded: same, fault: faultId, schedule: replay.schedule, steps: replay.events.map((e, i) => ({ step: i + 1, ...e })) }, 2)}\n`,
    );
    return failed ? { kind: 'violation' } : { kind: 'ok' };
  }
  io.out(
    `replaying ${shown(file)}: ${scenario.actors.length} actors, ${replay.schedule.length} steps after a setup of ${scenario.setup.length} ops${faultId ? `, fault ${escapeText(faultId)}` : ''}\n\n`,
  );
  const v = replay.violation;
  const failingStep = replay.verdict.kind === 'violation' ? replay.verdict.step : undefined;
  for (const line of renderColumns(replay.events, scenario, undefined, failingStep))
    io.out(`${line}\n`);
  if (v !== null) {
    io.out(
      `\n${v.check}${v.check === 'invariant' ? ` ${v.name}` : ''}: ${escapeText(v.message)}\n`,
    );
  }
  const recorded = trace.verdict.kind === 'violation' ? `${trace.verdict.check}` : 'pass';
  io.out(
    `\nresult: ${verdictWord(failed, stylerOf(io))} (recorded: ${recorded}${same ? ', same' : ', different'})\n`,
  );
  return failed ? { kind: 'violation' } : { kind: 'ok' };
}

/** The first op of an interleaved trace that this config cannot run, described; or null. */
function opsProblem(scenario: Scenario, trace: Trace): string | null {
  const all = [...scenario.setup, ...scenario.actors.flatMap((a) => a.ops)];
  for (const op of all) {
    const problem = opProblem(op, trace.config);
    if (problem) return problem;
  }
  return null;
}

function replayXen(file: string, trace: Trace, flags: ReplayFlags, io: Io): CliOutcome {
  // Against a subject, the trace's recorded fault (a variant of the built-in impl) is not used.
  const recorded = flags.subject === undefined ? trace.fault : null;
  const faultId =
    flags.fault === undefined ? recorded : flags.fault === 'none' ? null : flags.fault;
  const fault = faultId === null ? undefined : findFault(faultId);
  if (faultId !== null && !fault) {
    return {
      kind: 'usage',
      message: `${flags.fault === undefined ? `${shown(file)}: fault` : '--fault'}: no fault ${quote(faultId)} (see: grantcheck list)`,
    };
  }
  const xenProblem = flags.subject === XEN_SUBJECT ? xenConfigProblem(trace.config) : null;
  if (xenProblem !== null) return badFile(file, `config: ${xenProblem}`);
  const ops = trace.steps.map((s) => s.op);
  const early = lackedKindBeforeStart(flags.subject, ops, 'step');
  if (early !== null) return lackedKind(file, early);
  return withSubject(flags.subject, fault, (subject) =>
    replayAgainst(subject, file, trace, ops, faultId, flags, io),
  );
}

/** The usage outcome for a step the subject cannot run: not clipped as badFile's messages are,
 * since the kinds the subject has are the point of it. */
function lackedKind(file: string, problem: string): CliOutcome {
  return { kind: 'usage', message: `${shown(file)}: ${problem}` };
}

function replayAgainst(
  subject: SubjectFactory,
  file: string,
  trace: Trace,
  /** The trace's ops, in order. */
  ops: readonly Op[],
  faultId: string | null,
  flags: ReplayFlags,
  io: Io,
): CliOutcome {
  const lacked = lackedKindProblem(subject, ops, 'step');
  if (lacked !== null) return lackedKind(file, lacked);
  const replay = replayTrace(trace, {
    invariants: INVARIANTS,
    properties: STEP_PROPERTIES,
    subject,
  });
  const failed = replay.verdict.kind === 'violation';
  const differences = replay.differences.map(describeDifference);
  if (flags.json) {
    const compared = flags.subject === undefined ? {} : { compared: describeComparison(subject) };
    io.out(`${safeJson({ ...runJson(replay, faultId, replay), ...compared }, 2)}\n`);
    return failed ? { kind: 'violation' } : { kind: 'ok' };
  }
  io.out(
    `replaying ${shown(file)}: ${trace.steps.length} steps, ${trace.config.domains} domains${faultId ? `, fault ${escapeText(faultId)}` : ''}\ncompared: ${escapeText(describeComparison(subject))}\n\n`,
  );
  const style = stylerOf(io);
  for (const line of stepTable(replay.rows, widthOf(io), style)) io.out(`${line}\n`);
  const failure = replay.report.failure;
  if (failure && failure.step === -1)
    io.out(
      `initial state FAILED: ${replay.verdict.kind === 'violation' ? escapeText(replay.verdict.message) : ''}\n`,
    );
  const failing = failure && failure.step >= 0 ? replay.report.steps[failure.step] : undefined;
  if (failure && failing) {
    io.out(`\nstep ${failure.step + 1}, model and impl side by side:\n`);
    for (const line of sideBySideView(failing, widthOf(io), style)) io.out(`${line}\n`);
  }
  const recorded =
    trace.verdict.kind === 'violation' ? `violation at step ${trace.verdict.step + 1}` : 'pass';
  io.out(
    `\nresult: ${verdictWord(failed, style)} (recorded: ${recorded}${replay.matchesRecorded ? ', same' : ', different'})\n`,
  );
  printDifferences(differences, io);
  return failed ? { kind: 'violation' } : { kind: 'ok' };
}

/** The differences from the recorded run, at most 20 (the count of the rest is given). */
function printDifferences(lines: readonly string[], io: Io): void {
  const MAX = 20;
  for (const line of lines.slice(0, MAX)) io.out(`  ${line}\n`);
  if (lines.length > MAX) io.out(`  (and ${lines.length - MAX} more differences)\n`);
}

function replayCore(file: string, trace: CoreTrace, flags: ReplayFlags, io: Io): CliOutcome {
  const replay = replayCoreTrace(trace);
  // A step the model does not enable (the correct variant refuses the bug's step) is no failure.
  const failed = replay.verdict.kind === 'violation';
  if (flags.json) {
    io.out(`${safeJson(coreReplayJson(replay), 2)}\n`);
    return failed ? { kind: 'violation' } : { kind: 'ok' };
  }
  // The schema already refuses control characters in a core trace's strings; escaping here
  // keeps output safe whatever the schema allows.
  io.out(
    `replaying ${shown(file)}: ${trace.steps.length} core steps, ${escapeText(trace.origin.model)}, variant ${trace.variant}\n\n`,
  );
  io.out(`     (initial) ${escapeText(trace.initialState)}\n`);
  replay.rows.forEach((r, i) => {
    const n = String(i + 1).padStart(3);
    if (!r.enabled) {
      io.out(`>${n}  ${escapeText(r.action)}  NOT ENABLED\n`);
      return;
    }
    io.out(`${r.broken ? '>' : ' '}${n}  ${escapeText(r.action)}\n       ${escapeText(r.state)}\n`);
    if (r.broken) io.out(`       ^ FAILED: invariant ${escapeText(r.broken)}\n`);
  });
  io.out(
    `\nresult: ${verdictWord(failed, stylerOf(io))} (${replay.matchesRecorded ? 'same as recorded' : 'differs from the recorded run'})\n`,
  );
  printDifferences(replay.differences.map(describeDifference), io);
  return failed ? { kind: 'violation' } : { kind: 'ok' };
}
