// What an interleaved run must satisfy. While it runs: every impl-side state invariant of the
// catalogue holds at every step where no op is in flight (mid-op, Xen's own state is
// inconsistent by design: map_grant_ref raises the pin before it takes the page reference,
// grant_table.c L1110 vs L1119). At its end: no deadlock, no lock misused, no crash, and the
// run is linearizable (./linearize.ts): some order of its ops, consistent with their real-time
// order, is one the sequential model gives the same results and the same final state.

import type { StateInvariant } from '../harness/invariant.ts';
import { ImplView } from '../harness/implView.ts';
import { abstract } from '../impl/index.ts';
import { formatOp, formatResult } from '../ops/text.ts';
import { transientlyBusy } from './busy.ts';
import type { CompletedOp } from './linearize.ts';
import { linearize } from './linearize.ts';
import { sharesMaptrack, withoutHandleNumbers, withoutHandles } from './handleBlind.ts';
import type { InterleavedRun } from './run.ts';

export type InterleaveViolation =
  | { readonly check: 'setup'; readonly message: string }
  | { readonly check: 'deadlock' | 'lock-misuse' | 'crash'; readonly message: string }
  | {
      readonly check: 'invariant';
      readonly name: string;
      readonly message: string;
      /** The schedule position after which it failed. */
      readonly position: number;
    }
  | { readonly check: 'not-linearizable'; readonly message: string };

/** The first impl invariant that fails now, as a violation at `position`; or null. Call it
 * where the run is quiescent. */
export function invariantsNow(
  run: InterleavedRun,
  position: number,
  invariants: readonly StateInvariant[],
): InterleaveViolation | null {
  const view = new ImplView(run.system);
  for (const inv of invariants) {
    const message = inv.onImpl(view);
    if (message !== null) return { check: 'invariant', name: inv.name, message, position };
  }
  return null;
}

/** The verdict on a run that has ended (every actor done, or broken). */
export function finalVerdict(run: InterleavedRun): InterleaveViolation | null {
  if (run.start.setupProblem !== null) return { check: 'setup', message: run.start.setupProblem };
  if (run.broken !== undefined) return { check: run.broken.kind, message: run.broken.message };
  let final;
  try {
    final = abstract(run.system);
  } catch (e) {
    return { check: 'crash', message: `abstract(impl): ${(e as Error).message}` };
  }
  // Two vCPUs of one domain: handle numbers are not the model's to give (./handleBlind.ts).
  const compare = sharesMaptrack(run.start.scenario)
    ? { result: withoutHandles, state: withoutHandleNumbers }
    : undefined;
  const lin = linearize(run.start.model, run.completed, final, transientlyBusy, compare);
  if (lin.kind === 'linearizable') return null;
  return { check: 'not-linearizable', message: explain(run.completed, lin) };
}

function describe(c: CompletedOp): string {
  return `a${c.actor} ${formatOp(c.op)} → ${formatResult(c.result)}`;
}

function explain(
  history: readonly CompletedOp[],
  lin: Exclude<ReturnType<typeof linearize>, { kind: 'linearizable' }>,
): string {
  const placed = lin.longestOrder.map((i) => history[i]).filter((c) => c !== undefined);
  const order = placed.map(describe).join('; ') || '(none)';
  if (lin.finalStateDiffers) {
    return `every op's result has a sequential explanation, but none ends in the impl's final state (one order: ${order})`;
  }
  const stuck = lin.stuck.map((i) => history[i]).filter((c) => c !== undefined);
  return `no sequential order explains ${stuck.map(describe).join(' or ')} (after ${order})`;
}
