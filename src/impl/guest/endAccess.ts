// gnttab_end_foreign_access_ref_v1 (pub.h protocol): read flags; if Xen holds a pin
// (GTF_reading|GTF_writing) the entry is in use; otherwise cmpxchg flags to 0, retrying on change.

import type { EndAccessOp } from '../../ops/op.ts';
import type { EndAccessResult } from '../../ops/result.ts';
import { GTF_permit_access, GTF_reading, GTF_type_mask, GTF_writing } from '../../xen/abi.ts';
import { pausing, type Steps } from '../steps.ts';
import type { GuestLib } from './guestLib.ts';

export function* endAccess(guest: GuestLib, op: EndAccessOp): Steps<EndAccessResult> {
  const mem = guest.memory;
  if (guest.refusesRef(op.ref)) return { kind: 'end_access', outcome: 'einval' };
  if (pausing) yield mem.before('loadFlags', op.ref);
  let flags = mem.loadFlags(op.ref);
  // Refused: not an access grant (semantics.md §3)
  if ((flags & GTF_type_mask) !== GTF_permit_access)
    return { kind: 'end_access', outcome: 'einval' };
  for (;;) {
    if (flags & (GTF_reading | GTF_writing)) return { kind: 'end_access', outcome: 'in_use' };
    if (pausing) yield mem.before('cmpxchgFlags', op.ref);
    const seen = mem.cmpxchgFlags(op.ref, flags, 0);
    if (seen === flags) return { kind: 'end_access', outcome: 'ended' };
    flags = seen; // Xen pinned it meanwhile (or the guest raced itself): look again
  }
}
