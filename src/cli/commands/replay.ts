// `grantcheck replay FILE`: re-run a trace against model and impl (and its fault, if it was
// recorded against one) and print the step-by-step table. Exit 1 if it still fails, 0 if it
// now passes.

import { readFileSync } from 'node:fs';
import { isCoreTrace } from '../../core/trace.ts';
import { findFault, subjectOf } from '../../faults/index.ts';
import { loadTrace } from '../../trace/io.ts';
import { describeComparison } from '../../subject/subject.ts';
import { replayTrace } from '../../trace/replay.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';
import type { CliOutcome, Io } from '../outcome.ts';
import { renderReplayTable, renderSideBySide } from '../render.ts';
import { exploreCommand } from './explore.ts';

export interface ReplayFlags {
  readonly json?: boolean;
  /** Replay against this fault instead of the recorded one; 'none' for the correct impl. */
  readonly fault?: string;
  /** Replay against an external subject (docs/subject-protocol.md). */
  readonly subject?: string;
}

/** Does the file hold a core-model trace (written by `explore --model core`)? */
function holdsCoreTrace(file: string): boolean {
  try {
    return isCoreTrace(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return false; // unreadable or not JSON: loadTrace says why
  }
}

export function replayCommand(file: string, flags: ReplayFlags, io: Io): CliOutcome {
  if (holdsCoreTrace(file)) {
    // Core traces hold core actions, not Xen ops: the explorer's replay re-runs them.
    return exploreCommand({ replay: file, ...(flags.json ? { json: true } : {}) }, io);
  }
  const loaded = loadTrace(file);
  if (!loaded.ok) return { kind: 'usage', message: `${file}: ${loaded.error}` };
  const { trace } = loaded;
  const faultId =
    flags.fault === undefined ? trace.fault : flags.fault === 'none' ? null : flags.fault;
  const fault = faultId === null ? undefined : findFault(faultId);
  if (faultId !== null && !fault) {
    return {
      kind: 'usage',
      message: `${flags.fault === undefined ? `${file}: fault` : '--fault'}: no fault '${faultId}' (see: grantcheck list)`,
    };
  }
  const subject = subjectOf(fault);
  const replay = replayTrace(trace, {
    invariants: INVARIANTS,
    properties: STEP_PROPERTIES,
    subject,
  });
  const failed = replay.verdict.kind === 'violation';
  if (flags.json) {
    io.out(
      `${JSON.stringify({ result: failed ? 'violation' : 'pass', verdict: replay.verdict, matchesRecorded: replay.matchesRecorded, fault: faultId, steps: replay.rows }, null, 2)}\n`,
    );
    return failed ? { kind: 'violation' } : { kind: 'ok' };
  }
  io.out(
    `replaying ${file}: ${trace.steps.length} steps, ${trace.config.domains} domains${faultId ? `, fault ${faultId}` : ''}\ncompared: ${describeComparison(subject)}\n\n`,
  );
  for (const line of renderReplayTable(replay.rows)) io.out(`${line}\n`);
  const failure = replay.report.failure;
  if (failure && failure.step === -1)
    io.out(
      `initial state FAILED: ${replay.verdict.kind === 'violation' ? replay.verdict.message : ''}\n`,
    );
  const failing = failure && failure.step >= 0 ? replay.report.steps[failure.step] : undefined;
  if (failure && failing) {
    io.out(`\nstep ${failure.step + 1}, model and impl side by side:\n`);
    for (const line of renderSideBySide(failing)) io.out(`${line}\n`);
  }
  const recorded =
    trace.verdict.kind === 'violation' ? `violation at step ${trace.verdict.step + 1}` : 'pass';
  io.out(
    `\nresult: ${failed ? 'FAILS' : 'PASSES'} (recorded: ${recorded}${replay.matchesRecorded ? ', same' : ', different'})\n`,
  );
  return failed ? { kind: 'violation' } : { kind: 'ok' };
}
