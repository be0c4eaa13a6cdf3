// Guest end-access (Linux gnttab_end_foreign_access_ref_v1) whose clear ignores the status bits
// Xen sets concurrently: after seeing no GTF_reading|GTF_writing it clears every other bit with
// an atomic AND instead of swapping the flags it saw for 0 (public/grant_table.h "Invalidating an
// unused GTF_permit_access entry": the CMPXCHG's result must be checked).

import { GTF_reading, GTF_writing } from '../xen/abi.ts';
import { endAccessOnce } from './endAccessOnce.ts';
import type { Fault } from './fault.ts';
import { END_ACCESS_AGAINST_MAP } from './raceOps.ts';
import { pausing } from '../impl/index.ts';

// BUG: atomic, but unconditional: GTF_reading|GTF_writing set by a map since the check survive,
// and the end is reported done while the entry (now of no type) is mapped.
export const guestEndAccess = endAccessOnce(function* (mem, ref) {
  if (pausing) yield mem.before('clearFlags', ref);
  mem.clearFlags(ref, 0xffff & ~(GTF_reading | GTF_writing));
});

export const endAccessIgnoresConcurrentWriting: Fault = {
  id: 'end-access-ignores-concurrent-writing',
  title: 'guest end-access clears the type over a concurrently set GTF_writing',
  source:
    'Linux gnttab_end_foreign_access_ref_v1; public/grant_table.h "Invalidating an unused GTF_permit_access entry" (XSA-396 class)',
  mechanism:
    "The guest checks that Xen holds no pin, then clears the entry with an atomic AND that keeps GTF_reading|GTF_writing instead of a compare-and-swap against the flags it checked. Alone it writes 0 as the swap would; but a map that set GTF_reading|GTF_writing in between neither makes it fail nor is wiped: the guest is told the grant ended (and frees the page) while the backend's writable mapping stands. No sequential order of the two calls gives both 'ended' and a successful map.",
  caughtBy: 'interleave: not linearizable (end_access ended while map okay)',
  parts: { guestEndAccess },
  search: { kinds: ['grant_access', 'map_grant_ref', 'end_access'] },
  race: END_ACCESS_AGAINST_MAP,
};
