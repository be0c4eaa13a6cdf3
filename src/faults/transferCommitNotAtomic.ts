// gnttab_prepare_for_transfer (grant_table.c L2191-2252) committing the receiver's entry with a
// plain load, check and store instead of its guest_cmpxchg loop (L2214-2241), so a guest's
// end-transfer (Linux gnttab_end_foreign_transfer_ref_v1) that cancels in between is overwritten.

import type { ImplParts } from '../impl/index.ts';
import { comboFlags } from '../impl/sharedMemory.ts';
import { GTF_transfer_committed } from '../xen/abi.ts';
import type { Fault } from './fault.ts';
import { raceOps } from './raceOps.ts';
import { pausing } from '../impl/index.ts';

export const prepareForTransfer: ImplParts['prepareForTransfer'] = function* (xen, rd, ld, ref) {
  const e = xen.domain(rd);
  const shared = e.grantTable.shared;
  if (pausing) yield e.locks.grantReadLock;
  let committed = false;
  if (ref < e.grantTable.nrGrantEntries) {
    if (pausing) yield shared.before('loadCombo', ref);
    const scombo = shared.loadCombo(ref);
    if (xen.parts.transferEntryAccepts(scombo, ld)) {
      // BUG: a plain store of the flags checked above; a cancel since the load is undone.
      if (pausing) yield shared.before('storeFlags', ref);
      shared.storeFlags(ref, comboFlags(scombo) | GTF_transfer_committed);
      committed = true;
    }
  }
  if (pausing) yield e.locks.grantReadUnlock;
  return committed;
};

export const transferCommitNotAtomic: Fault = {
  id: 'transfer-commit-not-atomic',
  title: 'gnttab_transfer commits the receiver entry with a plain store',
  source:
    'gnttab_prepare_for_transfer (guest_cmpxchg, grant_table.c L2230); public/grant_table.h "Invalidating an unused GTF_accept_transfer entry"',
  mechanism:
    "The receiver may cancel an accept_transfer entry, while it is not committed, by a compare-and-swap of its flags to 0; Xen commits it by a compare-and-swap that sets GTF_transfer_committed, so exactly one of the two wins. Committing with a load, a check and a plain store lets a cancel land in between: the guest is told 'cancelled' and reuses the entry, then Xen brings the entry back, committed, and completes the transfer into it.",
  caughtBy: 'interleave: not linearizable (end_transfer cancelled while transfer okay)',
  parts: { prepareForTransfer },
  search: { kinds: ['grant_transfer', 'transfer', 'end_transfer'] },
  race: {
    setup: raceOps('grant_transfer(d2 ref=8 <- d1 gfn=1)'),
    actors: [
      { dom: 1, ops: raceOps('transfer(d1: gfn=2 -> d2 ref=8)'), kinds: ['transfer'] },
      {
        dom: 2,
        ops: raceOps('end_transfer(d2 ref=8)'),
        kinds: ['grant_transfer', 'end_transfer'],
      },
    ],
  },
};
