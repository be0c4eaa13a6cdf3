// GNTTABOP_unmap_grant_ref: gnttab_unmap_grant_ref (L1670-1714) runs phase 1,
// unmap_common (L1384-1575), for up to GNTTAB_UNMAP_BATCH_SIZE elements, then phase 2,
// unmap_common_complete (L1577-1648), for each. Handles are freed in phase 1 (XSA-218).

import type { DomId, Handle, Mfn, Ref, UnmapGrantRefArgs } from '../../ops/op.ts';
import type { UnmapGrantRefResult } from '../../ops/result.ts';
import {
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTPIN_devr_inc,
  GNTPIN_devw_inc,
  GNTPIN_hstr_inc,
  GNTPIN_hstw_inc,
  GNTST_bad_dev_addr,
  GNTST_bad_domain,
  GNTST_bad_handle,
  GNTST_okay,
  PAGE_SIZE,
} from '../../xen/abi.ts';
import { pausing, type Steps } from '../steps.ts';
import type { Hypervisor } from './hypervisor.ts';
import type { MaptrackTable } from './maptrack.ts';
import { putPage, putPageType } from './mm.ts';

/** GNTTAB_UNMAP_BATCH_SIZE (L274): unmaps between TLB flushes. */
export const GNTTAB_UNMAP_BATCH_SIZE = 32;

/** struct gnttab_unmap_common: the inputs, and what phase 1 hands to phase 2. */
export interface UnmapCommon {
  readonly hostAddr: number;
  readonly devBusAddr: number;
  /** unmap_and_replace's new_addr; 0 for unmap_grant_ref. */
  readonly newAddr: number;
  readonly handle: Handle;
  status: number;
  /** GNTMAP_host_map / GNTMAP_device_map removed in phase 1, plus the mapping's readonly. */
  done: number;
  mfn: Mfn;
  rd: DomId;
  ref: Ref;
}

export function unmapCommonFor(args: UnmapGrantRefArgs): UnmapCommon {
  const { hostAddr, devBusAddr, handle } = args;
  // unmap_grant_ref: common->new_addr = 0
  return {
    hostAddr,
    devBusAddr,
    newAddr: 0,
    handle,
    status: GNTST_okay,
    done: 0,
    mfn: 0,
    rd: 0,
    ref: 0,
  };
}

/** Phase 1: check the handle, remove the host PTE and/or the device part from the maptrack
 * entry, and free the handle when nothing is left. Pins and page references are untouched. */
export function* unmapCommon(xen: Hypervisor, ld: DomId, op: UnmapCommon): Steps<void> {
  const parts = xen.parts;
  const lgt = xen.domain(ld).maptrack;
  const handle = op.handle;
  // unmap_common L1401: handle beyond maptrack_limit
  if (handle >= lgt.limit) {
    op.status = GNTST_bad_handle;
    return;
  }
  // unmap_common L1412: the entry is free
  if (lgt.flags(handle) === 0) {
    op.status = GNTST_bad_handle;
    return;
  }
  const dom = lgt.domid(handle);
  const rd = xen.rcuLockDomainById(dom);
  // unmap_common L1421-1427: the granter is gone. Xen crashes ld (domain_crash) and writes no
  // status; grantcheck reports bad_domain, nothing changed (docs/semantics.md §17).
  if (rd === undefined) {
    op.status = GNTST_bad_domain;
    return;
  }
  // (L1429-1435: xsm_grant_unmapref; the dummy policy allows.)
  op.rd = dom;
  const rgt = rd.grantTable;
  if (pausing) yield rd.locks.grantReadLock; // L1441
  op.ref = lgt.ref(handle);
  // unmap_common L1455: the ref is beyond the granter's table
  if (op.ref >= rgt.nrGrantEntries) {
    if (pausing) yield rd.locks.grantReadUnlock;
    op.status = GNTST_bad_handle;
    return;
  }
  // Re-read under the active entry's lock (L1467-1484): a racing unmap may have won.
  if (pausing) yield rd.locks.activeEntryAcquire(op.ref);
  const flags = lgt.flags(handle);
  // unmap_common L1479: freed, or reused for another grant, meanwhile
  if (flags === 0 || lgt.domid(handle) !== dom || lgt.ref(handle) !== op.ref) {
    if (pausing) yield rd.locks.activeEntryRelease(op.ref);
    if (pausing) yield rd.locks.grantReadUnlock;
    op.status = GNTST_bad_handle;
    return;
  }
  op.mfn = rgt.active.mfnOf(op.ref);

  // unmap_common L1489: dev_bus_addr given for a device mapping, and not mfn << 12 (a full
  // compare: low bits count too). Nothing is unmapped, not even the host part.
  if (op.devBusAddr !== 0 && flags & GNTMAP_device_map && op.devBusAddr !== op.mfn * PAGE_SIZE) {
    if (pausing) yield rd.locks.activeEntryRelease(op.ref);
    if (pausing) yield rd.locks.grantReadUnlock;
    op.status = GNTST_bad_dev_addr;
    return;
  }

  if (op.hostAddr !== 0 && flags & GNTMAP_host_map) {
    const rc = parts.replaceGrantHostMapping(xen, ld, op.hostAddr, op.mfn, flags, op.newAddr);
    // unmap_common L1497: replace_grant_host_mapping refused (no slot, or the PTE does not match)
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

  // L1512-1524: the entry is cleared under the locks, its handle freed after they are dropped
  const putHandle = parts.unmapPutHandle(xen, lgt, handle);
  if (pausing) yield rd.locks.activeEntryRelease(op.ref);
  if (pausing) yield rd.locks.grantReadUnlock;
  if (putHandle) yield* parts.putMaptrackHandle(lgt, handle);
  // (L1534-1571: IOMMU counters and log-dirty are not modelled.)
  op.status = GNTST_okay;
}

/** unmap_common's put_handle (L1512-1516): once neither a host nor a device part is left, clear
 * the entry; its handle is then freed (L1523-1524). In phase 1 since XSA-218, so that two
 * elements of one batch cannot both find the entry empty. */
export function unmapPutHandle(_xen: Hypervisor, lgt: MaptrackTable, handle: Handle): boolean {
  if ((lgt.flags(handle) & (GNTMAP_device_map | GNTMAP_host_map)) !== 0) return false;
  lgt.setFlags(handle, 0);
  return true;
}

/** Phase 2: drop the page references and pins of what phase 1 removed, then recompute the
 * status bits (reduce_status_for_pin). */
export function* unmapCommonComplete(xen: Hypervisor, ld: DomId, op: UnmapCommon): Steps<void> {
  // Which page references go is the decision of unmapCompletePutPages alone (the one XSA-224(a)
  // corrected), even when phase 1 did nothing; Xen puts them under the locks (L1608-1640).
  if (op.done === 0) {
    xen.parts.unmapCompletePutPages(xen, ld, op);
    return; // fully or partially unsuccessful, or nothing to do
  }
  const rd = xen.domain(op.rd);
  const rgt = rd.grantTable;
  if (pausing) yield rd.locks.grantReadLock; // L1597
  if (pausing) yield rd.locks.activeEntryAcquire(op.ref);
  xen.parts.unmapCompletePutPages(xen, ld, op);
  const act = rgt.active;
  const readonly = (op.done & GNTMAP_readonly) !== 0;
  let pin = act.pinOf(op.ref);
  if (op.done & GNTMAP_device_map) pin -= readonly ? GNTPIN_devr_inc : GNTPIN_devw_inc;
  if (op.done & GNTMAP_host_map) pin -= readonly ? GNTPIN_hstr_inc : GNTPIN_hstw_inc;
  pin >>>= 0;
  act.setPin(op.ref, pin);
  yield* xen.parts.reduceStatusForPin(rgt.shared, op.ref, pin, readonly);
  if (pausing) yield rd.locks.activeEntryRelease(op.ref); // L1644-1645
  if (pausing) yield rd.locks.grantReadUnlock;
}

/** unmap_common_complete's put_page / put_page_and_type (L1608-1640): drop the page
 * reference, and for a writable mapping the type reference, of each part phase 1 removed.
 * `done` decides, not the mapping's flags: since XSA-224(a) a device part left in place
 * (dev_bus_addr 0) keeps its references. An MMIO frame has no page to put. */
export function unmapCompletePutPages(xen: Hypervisor, _ld: DomId, op: UnmapCommon): void {
  const done = op.done;
  if (done === 0 || !xen.frames.valid(op.mfn)) return;
  const readonly = (done & GNTMAP_readonly) !== 0;
  if (done & GNTMAP_device_map) {
    if (!readonly) putPageType(xen, op.mfn);
    putPage(xen, op.mfn);
  }
  if (done & GNTMAP_host_map) {
    // gnttab_host_mapping_get_page_type: writable, and every domain is PV
    if (!readonly) putPageType(xen, op.mfn);
    putPage(xen, op.mfn);
  }
}

/** gnttab_unmap_grant_ref: phase 1 for a chunk, (TLB flush), phase 2 for the same chunk. */
export function gnttabUnmapGrantRef(
  xen: Hypervisor,
  ld: DomId,
  batch: readonly UnmapGrantRefArgs[],
): Steps<UnmapGrantRefResult> {
  return unmapInChunks(xen, ld, batch.map(unmapCommonFor), 'unmap_grant_ref');
}

/** The loop gnttab_unmap_grant_ref and gnttab_unmap_and_replace share: phase 1 for up to
 * GNTTAB_UNMAP_BATCH_SIZE elements, (TLB flush), phase 2 for the same ones. */
export function* unmapInChunks<K extends 'unmap_grant_ref' | 'unmap_and_replace'>(
  xen: Hypervisor,
  ld: DomId,
  batch: readonly UnmapCommon[],
  kind: K,
): Steps<{ kind: K; statuses: number[] }> {
  const statuses: number[] = [];
  for (let start = 0; start < batch.length; start += GNTTAB_UNMAP_BATCH_SIZE) {
    const common = batch.slice(start, start + GNTTAB_UNMAP_BATCH_SIZE);
    for (const op of common) {
      yield* xen.parts.unmapCommon(xen, ld, op);
      statuses.push(op.status);
    }
    // gnttab_flush_tlb(ld): nothing to model.
    for (const op of common) yield* xen.parts.unmapCommonComplete(xen, ld, op);
  }
  return { kind, statuses };
}
