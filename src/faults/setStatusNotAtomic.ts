// _set_status_v1 (grant_table.c L750-820) without its compare-and-swap: it loads the flags+domid
// word, checks type and grantee, and sets GTF_reading/GTF_writing with a plain store of the flags,
// as _set_status_v2 sets its status word (L853-860) but without v2's re-read and undo (L867-890).

import type { ImplParts } from '../impl/index.ts';
import { statusFlagsFor } from '../impl/hypervisor/setStatus.ts';
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
  // BUG: a plain store of the flags checked above: a guest's end (or rewrite) of the entry since
  // the load is overwritten, and the grant it revoked comes back, in use.
  if (pausing) yield shared.before('storeFlags', ref);
  shared.storeFlags(ref, newFlags);
  return GNTST_okay;
};

export const setStatusNotAtomic: Fault = {
  id: 'set-status-not-atomic',
  title: '_set_status sets GTF_reading/GTF_writing with a plain store',
  source: '_set_status_v1 (guest_cmpxchg on the flags+domid word, grant_table.c L807)',
  mechanism:
    "Xen must set GTF_reading/GTF_writing with a compare-and-swap of the flags+domid word it checked, so that a guest ending or rewriting the entry in between makes the swap fail and the check run again. With a load, a check and a plain store, a guest's end_access between the two succeeds ('ended') and is then undone: the entry is a live grant again, mapped, though its owner was told it is gone.",
  caughtBy: 'interleave: not linearizable (end_access ended while map okay)',
  parts: { setStatus },
  search: { kinds: ['grant_access', 'map_grant_ref', 'end_access'] },
  race: END_ACCESS_AGAINST_MAP,
};
