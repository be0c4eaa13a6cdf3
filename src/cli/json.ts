// What the CLI's --json prints for a replayed or executed run. Steps count from 1 everywhere a
// person reads them (0: the initial state), as the text tables and `steps[].step` do. The trace
// file keeps its 0-based `verdict.step` (format version 1; -1 for the initial state), so every
// trace written before still loads: the shift happens here, on the way out, and nowhere else.

import type { CoreReplay } from '../core/trace.ts';
import type { TraceVerdict } from '../trace/format.ts';
import type { ReplayOutcome } from '../trace/replay.ts';

/** A verdict whose `step` is a 0-based index (-1: the initial state), shown 1-based. */
export function verdictJson<V extends { readonly kind: string; readonly step?: number }>(v: V): V {
  return v.step === undefined ? v : { ...v, step: v.step + 1 };
}

/** replay's and exec's JSON for a Xen-level run: the verdict and one row per step. `recorded`
 * is absent for exec, which has no recorded run to compare with. */
export function runJson(
  run: Pick<ReplayOutcome, 'verdict' | 'rows'>,
  fault: string | null,
  recorded?: Pick<ReplayOutcome, 'matchesRecorded' | 'differences'>,
): Record<string, unknown> {
  const verdict: TraceVerdict = run.verdict;
  return {
    result: verdict.kind === 'violation' ? 'violation' : 'pass',
    verdict: verdictJson(verdict),
    ...(recorded
      ? { matchesRecorded: recorded.matchesRecorded, differences: recorded.differences }
      : {}),
    fault,
    steps: run.rows,
  };
}

/** A core replay as JSON: the verdict 1-based, and each row with its 1-based step. */
export function coreReplayJson(replay: CoreReplay): Record<string, unknown> {
  return {
    result: replay.verdict.kind === 'violation' ? 'violation' : 'pass',
    verdict: verdictJson(replay.verdict),
    matchesRecorded: replay.matchesRecorded,
    differences: replay.differences,
    steps: replay.rows.map((r, i) => ({ step: i + 1, ...r })),
  };
}
