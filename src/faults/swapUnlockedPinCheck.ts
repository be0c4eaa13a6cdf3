// swap_grant_ref (grant_table.c L3437-3501) whose "not currently active" test excludes no pinner:
// the body as first written for the table spinlock (Xen 04b9829949: pins read, entries copied,
// no per-entry lock), run under the grant *read* lock that the map and unmap fast paths take since
// Xen 40de9fffb4. Since b4650e9a96 swap takes both active entries' locks, under the write lock.

import { comboDomid, comboFlags } from '../impl/sharedMemory.ts';
import type { ImplParts } from '../impl/index.ts';
import { GNTST_bad_gntref, GNTST_eagain, GNTST_okay } from '../xen/abi.ts';
import type { Fault } from './fault.ts';
import { raceOps } from './raceOps.ts';
import { pausing } from '../impl/index.ts';

export const swapGrantRef: ImplParts['swapGrantRef'] = function* (xen, d, refA, refB) {
  const parts = xen.parts;
  const domain = xen.domain(d);
  const gt = domain.grantTable;
  // BUG: a read lock and no active entry lock: a map (read lock, active entry lock) of ref_a or
  // ref_b by the grantee can pin it between the pin test and the copy.
  if (pausing) yield domain.locks.grantReadLock;
  let status: number = GNTST_okay;
  if (parts.swapRefOutOfRange(gt, refA) || parts.swapRefOutOfRange(gt, refB)) {
    status = GNTST_bad_gntref;
  } else if (refA !== refB) {
    if (gt.active.pinOf(refA) !== 0 || gt.active.pinOf(refB) !== 0) status = GNTST_eagain;
    else {
      if (pausing) yield gt.shared.before('loadEntry', refA);
      const a = gt.shared.loadEntry(refA);
      if (pausing) yield gt.shared.before('loadEntry', refB);
      const b = gt.shared.loadEntry(refB);
      if (pausing) yield gt.shared.before('storeEntry', refA);
      gt.shared.storeEntry(refA, comboFlags(b.combo), comboDomid(b.combo), b.frame);
      if (pausing) yield gt.shared.before('storeEntry', refB);
      gt.shared.storeEntry(refB, comboFlags(a.combo), comboDomid(a.combo), a.frame);
    }
  }
  if (pausing) yield domain.locks.grantReadUnlock;
  return status;
};

export const swapUnlockedPinCheck: Fault = {
  id: 'swap-unlocked-pin-check',
  title: 'swap_grant_ref tests "not pinned" without excluding a concurrent map',
  source:
    'swap_grant_ref (Xen 04b9829949, b4650e9a96, 40de9fffb4): pins tested under both active entry locks and the write lock',
  mechanism:
    "swap_grant_ref may swap two entries only while neither is pinned, and must hold that true until the copy is done: Xen takes the table's write lock and both active entries' locks, which every map holds while it sets GTF_reading and raises the pin. Under the read lock alone, a grantee's map of ref_a lands between the pin test and the copy: its pin stays on ref_a while its GTF_reading|GTF_writing move to ref_b with the entry, so ref_a shows no user while mapped, and the granter can end it and reuse the page.",
  caughtBy: 'interleave: invariant status-bits-mirror-pins',
  parts: { swapGrantRef },
  search: { kinds: ['grant_access', 'map_grant_ref', 'swap_grant_ref'] },
  race: {
    setup: raceOps(
      'grant_access(d1 ref=8 -> d2 gfn=0 rw)',
      'grant_access(d1 ref=9 -> d2 gfn=1 rw)',
    ),
    actors: [
      {
        dom: 1,
        ops: raceOps('swap(d1: ref=8 <-> ref=9)'),
        kinds: ['grant_access', 'end_access', 'swap_grant_ref'],
      },
      {
        dom: 2,
        ops: raceOps('map(d2: d1 ref=8 host @0x1000)'),
        kinds: ['map_grant_ref', 'unmap_grant_ref'],
      },
    ],
  },
};
