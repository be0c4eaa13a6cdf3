// XSA-228 (Xen 02cbeeb620, "gnttab: split maptrack lock to make it fulfill its purpose again"):
// _get_maptrack_handle runs on another vCPU's free list from steal_maptrack_handle, so a list
// has two takers (its owner and a thief) and needs v->maptrack_freelist_lock around the whole pop.
// This fault narrows that lock: the head is read in one critical section and moved in another.

import { getMaptrackHandleWith, INVALID_MAPTRACK_HANDLE } from '../impl/hypervisor/maptrack.ts';
import type { TakeMaptrackHandle } from '../impl/hypervisor/maptrack.ts';
import type { ImplParts } from '../impl/index.ts';
import { pausing } from '../impl/index.ts';
import { MAPTRACK_TAIL } from '../xen/abi.ts';
import type { Fault } from './fault.ts';
import { raceOps } from './raceOps.ts';

const splitPop: TakeMaptrackHandle = function* (t, v) {
  const locks = t.locks;
  if (pausing && locks) yield locks.freelistLock(v);
  const head = t.headOf(v);
  const next = head === MAPTRACK_TAIL ? MAPTRACK_TAIL : t.ref(head);
  if (pausing && locks) yield locks.freelistUnlock(v);
  if (next === MAPTRACK_TAIL) return INVALID_MAPTRACK_HANDLE;
  // BUG: a second critical section: another taker may have popped `head` in between.
  if (pausing && locks) yield locks.freelistLock(v);
  t.setHead(v, next);
  if (pausing && locks) yield locks.freelistUnlock(v);
  return head;
};

export const getMaptrackHandle: ImplParts['getMaptrackHandle'] = (t, curr) =>
  getMaptrackHandleWith(splitPop, t, curr);

export const xsa228MaptrackPopSplit: Fault = {
  id: 'xsa-228-maptrack-pop-split',
  title: 'a maptrack free-list pop is not one critical section (two vCPUs get one handle)',
  source: 'XSA-228 (Xen 02cbeeb620): per-vCPU maptrack_freelist_lock',
  mechanism:
    "A vCPU's maptrack free list has two takers: the vCPU itself (_get_maptrack_handle) and any other vCPU of the domain that has run out and steals (steal_maptrack_handle calls _get_maptrack_handle on the victim's list). Xen holds the victim's maptrack_freelist_lock from reading the head to moving it. Read in one critical section and moved in another, the owner and a thief both take the same head: one handle is both a live mapping and the thief's new sentinel (whose installation overwrites the entry's ref), and the owner then moves its head to a stale successor that the thief has already mapped, so a handle in use is back on a free list and the next map hands it out again.",
  caughtBy: 'interleave: invariant pin-accounting / free-list-integrity (one handle, two owners)',
  parts: { getMaptrackHandle },
  search: { kinds: ['grant_access', 'map_grant_ref', 'unmap_grant_ref'] },
  race: {
    config: { vcpus: 2 },
    // d2's vCPU 0 has set up the table: its list is 1..255; vCPU 1 has none and must steal.
    // Random programs are maps only: with two vCPUs of one domain the check is blind to handle
    // numbers (src/interleave/handleBlind.ts), so no op may name one.
    setup: raceOps('grant_access(d1 ref=8 -> d2 gfn=0 rw)', 'map(d2: d1 ref=8 dev|ro @0x0)'),
    actors: [
      {
        dom: 2,
        ops: raceOps('map(d2: d1 ref=8 dev|ro @0x0)'),
        kinds: ['map_grant_ref'],
      },
      {
        dom: 2,
        vcpu: 1,
        ops: raceOps('map(d2 v1: d1 ref=8 dev|ro @0x0)'),
        kinds: ['map_grant_ref'],
      },
    ],
  },
};
