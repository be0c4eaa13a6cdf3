// _set_status_v1 (grant_table.c L750-820) without its compare-and-swap: it loads the flags+domid
// word, checks type and grantee, and sets GTF_reading/GTF_writing with a plain store of the flags,
// as _set_status_v2 sets its status word (L853-860) but without v2's re-read and undo (L867-886).

import type { ImplParts } from '../impl/index.ts';
import { comboDomid, comboFlags } from '../impl/sharedMemory.ts';
import {
  GNTST_general_error,
  GNTST_okay,
  GTF_permit_access,
  GTF_readonly,
  GTF_reading,
  GTF_sub_page,
  GTF_type_mask,
  GTF_writing,
} from '../xen/abi.ts';
import type { Fault } from './fault.ts';
import { raceOps } from './raceOps.ts';

const setStatus: ImplParts['setStatus'] = function* (
  shared,
  ref,
  pinned,
  readonly,
  mapflag,
  ldomid,
) {
  const mask = GTF_type_mask | (mapflag ? GTF_sub_page : 0);
  yield shared.before('loadCombo', ref);
  const scombo = shared.loadCombo(ref);
  const flags = comboFlags(scombo);
  if (!pinned && ((flags & mask) !== GTF_permit_access || comboDomid(scombo) !== ldomid)) {
    return GNTST_general_error;
  }
  let newFlags = flags | GTF_reading;
  if (!readonly) {
    newFlags |= GTF_writing;
    if (flags & GTF_readonly) return GNTST_general_error;
  }
  // BUG: a plain store of the flags checked above: a guest's end (or rewrite) of the entry since
  // the load is overwritten, and the grant it revoked comes back, in use.
  yield shared.before('storeFlags', ref);
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
