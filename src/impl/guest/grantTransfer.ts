// gnttab_grant_foreign_transfer_ref through gnttab_update_entry_v1: domid, frame (the
// gfn slot to fill), barrier, flags = GTF_accept_transfer.

import type { GrantTransferOp } from '../../ops/op.ts';
import type { GrantTransferResult } from '../../ops/result.ts';
import { GTF_accept_transfer } from '../../xen/abi.ts';
import type { GuestLib } from './guestLib.ts';
import { isReusable } from './guestLib.ts';

export function grantTransfer(guest: GuestLib, op: GrantTransferOp): GrantTransferResult {
  const mem = guest.memory;
  // Refused (semantics.md §3): as grant_access
  if (guest.refusesRef(op.ref) || !isReusable(mem.loadFlags(op.ref))) {
    return { kind: 'grant_transfer', outcome: 'einval' };
  }
  mem.storeDomid(op.ref, op.grantee);
  mem.storeFrame(op.ref, op.gfn);
  // wmb(): flags last.
  mem.storeFlags(op.ref, GTF_accept_transfer);
  return { kind: 'grant_transfer', outcome: 'ok' };
}
