// Guest library: gnttab_end_foreign_access_ref_v1, strict form.

import type { EndAccessOp } from '../../ops/op.ts';
import type { EndAccessResult } from '../../ops/result.ts';
import { isInUse, isPermitAccess } from '../entry.ts';
import { libraryTarget, writeEntry } from '../guest.ts';
import type { ModelState } from '../state.ts';
import { withFlags } from '../update.ts';

export function endAccess(
  state: ModelState,
  op: EndAccessOp,
): { state: ModelState; result: EndAccessResult } {
  const target = libraryTarget(state, op.dom, op.ref);
  if (target === undefined || !isPermitAccess(target.entry)) {
    return { state, result: { kind: 'end_access', outcome: 'einval' } };
  }
  // There is no revocation: a pinned entry cannot be ended, and nothing is written.
  if (isInUse(target.entry)) return { state, result: { kind: 'end_access', outcome: 'in_use' } };
  // cmpxchg16(flags, seen, 0): only the flags are cleared; domid and frame stay, as in Linux.
  return {
    state: writeEntry(state, op.dom, op.ref, withFlags(target.entry, 0), false),
    result: { kind: 'end_access', outcome: 'ended' },
  };
}
