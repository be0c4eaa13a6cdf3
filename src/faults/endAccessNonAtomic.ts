// Guest end-access (Linux gnttab_end_foreign_access_ref_v1) that checks "in use" and then clears
// the flags with a plain store instead of the compare-and-swap the public header's "Invalidating
// an unused GTF_permit_access entry" rule requires (the XSA-396 family).

import { endAccessOnce } from './endAccessOnce.ts';
import type { Fault } from './fault.ts';
import { END_ACCESS_AGAINST_MAP } from './raceOps.ts';
import { pausing } from '../impl/index.ts';

// BUG: a plain store; a pin Xen took since the check is wiped.
export const guestEndAccess = endAccessOnce(function* (mem, ref) {
  if (pausing) yield mem.before('storeFlags', ref);
  mem.storeFlags(ref, 0);
});

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
  race: END_ACCESS_AGAINST_MAP,
};
