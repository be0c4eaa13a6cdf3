// Guest end-access (Linux gnttab_end_foreign_access_ref_v1) that checks "in use" and then clears
// the flags with a plain store instead of the compare-and-swap the public header's "Invalidating
// an unused GTF_permit_access entry" rule requires (the XSA-396 family).

import type { ImplParts } from '../impl/index.ts';
import { GTF_permit_access, GTF_reading, GTF_type_mask, GTF_writing } from '../xen/abi.ts';
import type { Fault } from './fault.ts';
import { raceOps } from './raceOps.ts';

const guestEndAccess: ImplParts['guestEndAccess'] = function* (guest, op) {
  const mem = guest.memory;
  if (guest.refusesRef(op.ref)) return { kind: 'end_access', outcome: 'einval' };
  yield mem.before('loadFlags', op.ref);
  const flags = mem.loadFlags(op.ref);
  if ((flags & GTF_type_mask) !== GTF_permit_access)
    return { kind: 'end_access', outcome: 'einval' };
  if (flags & (GTF_reading | GTF_writing)) return { kind: 'end_access', outcome: 'in_use' };
  // BUG: a plain store; a pin Xen took since the load above is wiped.
  yield mem.before('storeFlags', op.ref);
  mem.storeFlags(op.ref, 0);
  return { kind: 'end_access', outcome: 'ended' };
};

export const endAccessNonAtomic: Fault = {
  id: 'end-access-non-atomic',
  title: 'guest end-access clears the entry with a plain store',
  source:
    'Linux gnttab_end_foreign_access_ref_v1; public/grant_table.h "Invalidating an unused GTF_permit_access entry" (XSA-396 class)',
  mechanism:
    'The guest must invalidate an unused entry with a compare-and-swap of its flags to 0, so that a map that set GTF_reading after the guest looked makes the swap fail. This one looks, sees no reader or writer, and stores 0: a map landing between the two keeps its pin and its mapping while the entry reads as free, and the guest reuses the page.',
  caughtBy: 'interleave: invariant status-bits-mirror-pins (pin with GTF_reading clear)',
  parts: { guestEndAccess },
  search: { kinds: ['grant_access', 'map_grant_ref', 'end_access'] },
  race: {
    setup: raceOps('grant_access(d1 ref=8 -> d2 gfn=0 rw)'),
    actors: [
      { dom: 1, ops: raceOps('end_access(d1 ref=8)'), kinds: ['grant_access', 'end_access'] },
      {
        dom: 2,
        ops: raceOps('map(d2: d1 ref=8 host @0x1000)'),
        kinds: ['map_grant_ref', 'unmap_grant_ref'],
      },
    ],
  },
};
