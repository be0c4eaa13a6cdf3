// gnttab_grant_foreign_transfer_ref through gnttab_update_entry_v1: domid, frame (the
// gfn slot to fill), barrier, flags = GTF_accept_transfer.

import type { GrantTransferOp } from '../../ops/op.ts';
import type { GrantTransferResult } from '../../ops/result.ts';
import { GTF_accept_transfer } from '../../xen/abi.ts';
import { pausing, type Steps } from '../steps.ts';
import type { GuestLib } from './guestLib.ts';
import { isReusable } from './guestLib.ts';

export function* grantTransfer(guest: GuestLib, op: GrantTransferOp): Steps<GrantTransferResult> {
  const mem = guest.memory;
  // Refused (semantics.md §3): as grant_access
  if (guest.refusesRef(op.ref)) return { kind: 'grant_transfer', outcome: 'einval' };
  if (pausing) yield mem.before('loadFlags', op.ref);
  if (!isReusable(mem.loadFlags(op.ref))) return { kind: 'grant_transfer', outcome: 'einval' };
  if (pausing) yield mem.before('storeDomid', op.ref);
  mem.storeDomid(op.ref, op.grantee);
  if (pausing) yield mem.before('storeFrame', op.ref);
  mem.storeFrame(op.ref, op.gfn);
  // wmb(): flags last.
  if (pausing) yield mem.before('storeFlags', op.ref);
  mem.storeFlags(op.ref, GTF_accept_transfer);
  return { kind: 'grant_transfer', outcome: 'ok' };
}
