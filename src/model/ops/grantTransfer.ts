// Guest library: gnttab_grant_foreign_transfer_ref, v1 update_entry, strict form.

import type { GrantTransferOp } from '../../ops/op.ts';
import type { GrantTransferResult } from '../../ops/result.ts';
import { GTF_accept_transfer } from '../../xen/abi.ts';
import { isReusable } from '../entry.ts';
import { libraryTarget, writeEntry } from '../guest.ts';
import type { ModelState } from '../state.ts';

export function grantTransfer(
  state: ModelState,
  op: GrantTransferOp,
): { state: ModelState; result: GrantTransferResult } {
  const target = libraryTarget(state, op.dom, op.ref);
  if (target === undefined || !isReusable(target.entry)) {
    return { state, result: { kind: 'grant_transfer', outcome: 'einval' } };
  }
  // `frame` is the gfn slot Xen will fill; `grantee` is the domain allowed to send the page.
  const entry = { flags: GTF_accept_transfer, domid: op.grantee & 0xffff, frame: op.gfn >>> 0 };
  return {
    state: writeEntry(state, op.dom, op.ref, entry, false),
    result: { kind: 'grant_transfer', outcome: 'ok' },
  };
}
