// XSA-295 class: a bounded compare-and-swap loop on guest memory that gives up and reports
// success. XSA-295 (Arm, Xen 86b0bc9583, c7fd09cb49, 4b0c004beb) bounded the LL/SC loops a guest
// could keep failing; a bound is only safe if giving up is reported as a failure, as
// _set_status_v1's "Shared grant entry is unstable" (`retries++ == 4`) is. Here the loop gives up
// after one failed attempt and answers GNTST_okay, with GTF_reading/GTF_writing never set.

import type { ImplParts } from '../impl/index.ts';
import { statusFlagsFor } from '../impl/hypervisor/setStatus.ts';
import { combo, comboDomid } from '../impl/sharedMemory.ts';
import { GNTST_general_error, GNTST_okay } from '../xen/abi.ts';
import type { Fault } from './fault.ts';
import { END_ACCESS_AGAINST_MAP } from './raceOps.ts';
import { pausing } from '../impl/index.ts';

export const setStatus: ImplParts['setStatus'] = function* (
  shared,
  ref,
  pinned,
  readonly,
  mapflag,
  ldomid,
) {
  if (pausing) yield shared.before('loadCombo', ref);
  const scombo = shared.loadCombo(ref);
  const newFlags = statusFlagsFor(scombo, pinned, readonly, mapflag, ldomid);
  if (newFlags === null) return GNTST_general_error;
  if (pausing) yield shared.before('cmpxchgCombo', ref);
  shared.cmpxchgCombo(ref, scombo, combo(newFlags, comboDomid(scombo)));
  // BUG: the bound is hit (here at once) and the loop gives up with success, whether or not the
  // swap took: the entry the guest changed meanwhile is neither re-checked nor marked in use.
  return GNTST_okay;
};

export const xsa295SetStatusGivesUp: Fault = {
  id: 'xsa-295-set-status-gives-up',
  title: '_set_status gives up its cmpxchg retries and reports success',
  source:
    'XSA-295 (Xen 86b0bc9583, 4b0c004beb: bounded guest cmpxchg); _set_status_v1 "Shared grant entry is unstable"',
  mechanism:
    "_set_status_v1 retries its compare-and-swap of the flags+domid word with the value it saw, re-checking type and grantee, and fails the map after 5 attempts. This one stops after the first failed swap and returns GNTST_okay: a guest that ends the grant between Xen's load and its swap gets 'ended' while the map pins the entry and maps the frame, with GTF_reading never set.",
  caughtBy: 'interleave: invariant status-bits-mirror-pins (pin with GTF_reading clear)',
  parts: { setStatus },
  search: { kinds: ['grant_access', 'map_grant_ref', 'end_access'] },
  race: END_ACCESS_AGAINST_MAP,
};
