// XSA-218 (Xen b7f6cbb9d4, "gnttab: Avoid potential double-put of maptrack entry"): before it,
// unmap_common read the maptrack entry's flags under the granter's grant read lock (shared by
// every unmap) and only then took the active entry lock, without reading them again. The fix
// reads them under the active entry lock and checks !flags || domid != dom || ref != op->ref
// (4.17.7 unmap_common L1467-1484), so that of two unmaps of one handle only the first passes.

import type { ImplParts } from '../impl/index.ts';
import { pausing } from '../impl/index.ts';
import {
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTST_bad_dev_addr,
  GNTST_bad_handle,
  GNTST_okay,
  PAGE_SIZE,
} from '../xen/abi.ts';
import type { Fault } from './fault.ts';
import { raceOps } from './raceOps.ts';

// unmap_common as in 4.17.7 but for where the flags are read and checked (and with the pre-fix
// check, which did not compare the ref). The ref's bounds check (L1455), which came with the same
// fix, stays: without it a stale ref could name an active entry past the table.
export const unmapCommon: ImplParts['unmapCommon'] = function* (xen, ld, op) {
  const parts = xen.parts;
  const lgt = xen.domain(ld).maptrack;
  const handle = op.handle;
  if (handle >= lgt.limit) {
    op.status = GNTST_bad_handle;
    return;
  }
  if (lgt.flags(handle) === 0) {
    op.status = GNTST_bad_handle;
    return;
  }
  const dom = lgt.domid(handle);
  const rd = xen.rcuLockDomainById(dom);
  if (rd === undefined)
    throw new Error(`unmap_common: granter d${dom} of handle ${handle} is gone`);
  op.rd = dom;
  const rgt = rd.grantTable;
  if (pausing) yield rd.locks.grantReadLock;
  // BUG: the flags are read (and checked) under the grant read lock only, which every other
  // unmap holds too; nothing reads them again once the active entry lock is held.
  const flags = lgt.flags(handle);
  if (flags === 0 || lgt.domid(handle) !== dom) {
    if (pausing) yield rd.locks.grantReadUnlock;
    op.status = GNTST_bad_handle;
    return;
  }
  op.ref = lgt.ref(handle);
  if (op.ref >= rgt.nrGrantEntries) {
    if (pausing) yield rd.locks.grantReadUnlock;
    op.status = GNTST_bad_handle;
    return;
  }
  if (pausing) yield rd.locks.activeEntryAcquire(op.ref);
  op.mfn = rgt.active.mfnOf(op.ref);

  if (op.devBusAddr !== 0 && flags & GNTMAP_device_map && op.devBusAddr !== op.mfn * PAGE_SIZE) {
    if (pausing) yield rd.locks.activeEntryRelease(op.ref);
    if (pausing) yield rd.locks.grantReadUnlock;
    op.status = GNTST_bad_dev_addr;
    return;
  }
  if (op.hostAddr !== 0 && flags & GNTMAP_host_map) {
    const rc = parts.replaceGrantHostMapping(xen, ld, op.hostAddr, op.mfn, flags, op.newAddr);
    if (rc < 0) {
      if (pausing) yield rd.locks.activeEntryRelease(op.ref);
      if (pausing) yield rd.locks.grantReadUnlock;
      op.status = rc;
      return;
    }
    lgt.setFlags(handle, lgt.flags(handle) & ~GNTMAP_host_map);
    op.done |= GNTMAP_host_map | (flags & GNTMAP_readonly);
  }
  if (op.devBusAddr !== 0 && flags & GNTMAP_device_map) {
    lgt.setFlags(handle, lgt.flags(handle) & ~GNTMAP_device_map);
    op.done |= GNTMAP_device_map | (flags & GNTMAP_readonly);
  }
  const putHandle = parts.unmapPutHandle(xen, lgt, handle);
  if (pausing) yield rd.locks.activeEntryRelease(op.ref);
  if (pausing) yield rd.locks.grantReadUnlock;
  if (putHandle) yield* parts.putMaptrackHandle(lgt, handle);
  op.status = GNTST_okay;
};

export const xsa218UnmapNoLockedRecheck: Fault = {
  id: 'xsa-218-unmap-no-locked-recheck',
  title: 'two vCPUs unmapping one handle at once both pass its check (pin and handle put twice)',
  source: 'XSA-218 (Xen b7f6cbb9d4): maptrack flags re-read under the active entry lock',
  mechanism:
    "unmap_common reads the maptrack entry's flags under the granter's grant read lock, which every unmap takes shared, and then takes the active entry lock without reading them again. Two vCPUs of one domain unmapping the same device mapping both read the flags before either has taken the active entry lock, so both pass: the second clears the already cleared device part, frees the already freed handle (it is put on a free list twice, and links to itself) and in phase 2 drops the pin and the page reference the first has already dropped (the pin underflows). A host mapping is protected by replace_grant_host_mapping's PTE check; a device mapping has no such second check.",
  caughtBy:
    'interleave: invariant pin-range (the devr pin dropped twice) or free-list-integrity (the handle freed twice)',
  parts: { unmapCommon },
  search: { kinds: ['grant_access', 'map_grant_ref', 'unmap_grant_ref'] },
  race: {
    config: { vcpus: 2 },
    // d2's vCPU 0 maps in the setup, so the handle is 0 (and the device address 0x104000).
    // Random programs are unmaps only: with two vCPUs of one domain the check is blind to
    // handle numbers (src/interleave/handleBlind.ts), so no op may name one the run allocates.
    setup: raceOps('grant_access(d1 ref=8 -> d2 gfn=0 rw)', 'map(d2: d1 ref=8 dev|ro @0x0)'),
    actors: [
      {
        dom: 2,
        ops: raceOps('unmap(d2: h=0 host=0x0 dev=0x104000)'),
        kinds: ['unmap_grant_ref'],
      },
      {
        dom: 2,
        vcpu: 1,
        ops: raceOps('unmap(d2: h=0 host=0x0 dev=0x104000)'),
        kinds: ['unmap_grant_ref'],
      },
    ],
  },
};
