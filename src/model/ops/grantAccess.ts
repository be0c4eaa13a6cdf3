// Guest library: gnttab_grant_foreign_access_ref / gnttab_update_entry_v1, strict form.

import type { GrantAccessOp } from '../../ops/op.ts';
import type { GrantAccessResult } from '../../ops/result.ts';
import { GTF_permit_access, GTF_readonly } from '../../xen/abi.ts';
import { isReusable } from '../entry.ts';
import { libraryTarget, writeEntry } from '../guest.ts';
import type { ModelState } from '../state.ts';

export function grantAccess(
  state: ModelState,
  op: GrantAccessOp,
): { state: ModelState; result: GrantAccessResult } {
  const target = libraryTarget(state, op.dom, op.ref);
  // Linux would overwrite an entry still in Xen's hands; the strict library refuses instead.
  if (target === undefined || !isReusable(target.entry)) {
    return { state, result: { kind: 'grant_access', outcome: 'einval' } };
  }
  const entry = {
    flags: GTF_permit_access | (op.readonly ? GTF_readonly : 0),
    domid: op.grantee & 0xffff,
    frame: op.gfn >>> 0,
  };
  return {
    state: writeEntry(state, op.dom, op.ref, entry, false),
    result: { kind: 'grant_access', outcome: 'ok' },
  };
}
