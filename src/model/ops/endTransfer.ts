// Guest library: gnttab_end_foreign_transfer_ref_v1, without the spin: a committed
// but uncompleted transfer reports `pending` instead of waiting.

import type { EndTransferOp } from '../../ops/op.ts';
import type { EndTransferResult } from '../../ops/result.ts';
import { isAcceptTransfer, isCommitted, isCompleted } from '../entry.ts';
import { libraryTarget, writeEntry } from '../guest.ts';
import type { ModelState } from '../state.ts';
import { withFlags } from '../update.ts';

export function endTransfer(
  state: ModelState,
  op: EndTransferOp,
): { state: ModelState; result: EndTransferResult } {
  const target = libraryTarget(state, op.dom, op.ref);
  if (target === undefined || !isAcceptTransfer(target.entry)) {
    return { state, result: { kind: 'end_transfer', outcome: 'einval' } };
  }
  const { entry } = target;
  // Phase 1: not committed, so Xen cannot start the transfer any more once flags are 0.
  if (!isCommitted(entry)) {
    return {
      state: writeEntry(state, op.dom, op.ref, withFlags(entry, 0), false),
      result: { kind: 'end_transfer', outcome: 'cancelled' },
    };
  }
  // Phase 2: Linux spins here until Xen ORs in GTF_transfer_completed.
  if (!isCompleted(entry)) return { state, result: { kind: 'end_transfer', outcome: 'pending' } };
  // Completed: the frame Xen wrote (the MFN, PV receiver). The entry is left as it is.
  return { state, result: { kind: 'end_transfer', outcome: 'completed', frame: entry.frame } };
}
