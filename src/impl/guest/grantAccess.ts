// gnttab_grant_foreign_access_ref + gnttab_update_entry_v1 (pub.h "GRANT TABLE REPRESENTATION"):
// domid, then frame, then a write barrier, then flags, so Xen never sees a half-made entry.

import type { GrantAccessOp } from '../../ops/op.ts';
import type { GrantAccessResult } from '../../ops/result.ts';
import { GTF_permit_access, GTF_readonly } from '../../xen/abi.ts';
import { pausing, type Steps } from '../steps.ts';
import type { GuestLib } from './guestLib.ts';
import { isReusable } from './guestLib.ts';

export function* grantAccess(guest: GuestLib, op: GrantAccessOp): Steps<GrantAccessResult> {
  const mem = guest.memory;
  // Refused (semantics.md §3): reserved ref, beyond the table, or Xen may still hold the entry.
  if (guest.refusesRef(op.ref)) return { kind: 'grant_access', outcome: 'einval' };
  if (pausing) yield mem.before('loadFlags', op.ref);
  if (!isReusable(mem.loadFlags(op.ref))) return { kind: 'grant_access', outcome: 'einval' };
  if (pausing) yield mem.before('storeDomid', op.ref);
  mem.storeDomid(op.ref, op.grantee);
  if (pausing) yield mem.before('storeFrame', op.ref);
  mem.storeFrame(op.ref, op.gfn);
  // wmb(): flags last.
  if (pausing) yield mem.before('storeFlags', op.ref);
  mem.storeFlags(op.ref, GTF_permit_access | (op.readonly ? GTF_readonly : 0));
  return { kind: 'grant_access', outcome: 'ok' };
}
