// XSA-73 (Xen a321abc6d8, "gnttab: correct locking order reversal"): gnttab_transfer held the
// receiver's page_alloc_lock across gnttab_prepare_for_transfer, which takes the receiver's grant
// lock, while gnttab_setup_table takes the grant lock first and page_alloc_lock under it
// (gnttab_grow_table -> share_xen_page_with_guest). Since the fix gnttab_transfer drops
// page_alloc_lock before (grant_table.c L2405-2411) and re-takes it after (L2418-2429).

import { prepareForTransfer as correctPrepareForTransfer } from '../impl/hypervisor/transfer.ts';
import type { ImplParts } from '../impl/index.ts';
import type { Fault } from './fault.ts';
import { raceOps } from './raceOps.ts';
import { pausing } from '../impl/index.ts';

export const prepareForTransfer: ImplParts['prepareForTransfer'] = function* (xen, rd, ld, ref) {
  const e = xen.domain(rd);
  // BUG: the receiver's page_alloc_lock is held around the grant lock (the pre-fix order).
  if (pausing) yield e.locks.pageAllocLock;
  const committed = yield* correctPrepareForTransfer(xen, rd, ld, ref);
  if (pausing) yield e.locks.pageAllocUnlock;
  return committed;
};

export const xsa73TransferLockOrder: Fault = {
  id: 'xsa-73-transfer-lock-order',
  title: 'gnttab_transfer takes the grant lock under page_alloc_lock (ABBA deadlock)',
  source: 'XSA-73 (Xen a321abc6d8)',
  mechanism:
    "gnttab_transfer took the receiver's grant lock (in gnttab_prepare_for_transfer) while holding its page_alloc_lock; gnttab_setup_table growing the same receiver's table takes the grant write lock and then page_alloc_lock. A transfer into a domain racing a setup_table of that domain (by the domain itself or its controller) deadlocks both vCPUs: a host hang any guest with a peer could provoke.",
  caughtBy: 'interleave: deadlock',
  parts: { prepareForTransfer },
  search: { kinds: ['grant_transfer', 'transfer', 'setup_table'] },
  race: {
    setup: raceOps('grant_transfer(d2 ref=8 <- d1 gfn=1)'),
    actors: [
      { dom: 1, ops: raceOps('transfer(d1: gfn=2 -> d2 ref=8)'), kinds: ['transfer'] },
      { dom: 0, ops: raceOps('setup_table(d0: dom=d2 frames=2)'), kinds: ['setup_table'] },
    ],
  },
};
