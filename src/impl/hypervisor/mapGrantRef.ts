// GNTTABOP_map_grant_ref, one element: map_grant_ref (L986-1358), every check in
// Xen's order, the undo path included; gnttab_map_grant_ref (L1360-1382) drives a batch.

import type { DomId, Handle, MapGrantRefArgs, Ref } from '../../ops/op.ts';
import type { MapElementResult, MapGrantRefResult } from '../../ops/result.ts';
import {
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTPIN_devr_inc,
  GNTPIN_devw_inc,
  GNTPIN_devw_mask,
  GNTPIN_hstr_inc,
  GNTPIN_hstw_inc,
  GNTPIN_hstw_mask,
  GNTPIN_incr2oflow_mask,
  GNTST_bad_domain,
  GNTST_bad_gntref,
  GNTST_general_error,
  GNTST_no_space,
  GNTST_okay,
  PAGE_SIZE,
} from '../../xen/abi.ts';
import type { SharedGrantMemory } from '../sharedMemory.ts';
import { pausing, type Steps } from '../steps.ts';
import { eachElement } from '../steps.ts';
import type { Hypervisor } from './hypervisor.ts';
import type { MaptrackTable } from './maptrack.ts';
import { INVALID_MAPTRACK_HANDLE } from './maptrack.ts';
import type { ImplParts } from '../parts.ts';
import {
  getPage,
  getPageTypeWritable,
  NO_OWNER,
  pageGetOwnerAndReference,
  putPage,
  putPageType,
} from './mm.ts';

/** The pin increment a map asks for (L1006-1011): one counter per mapping kind requested. */
export function pinIncrementFor(flags: number): number {
  const readonly = (flags & GNTMAP_readonly) !== 0;
  let pinIncr = 0;
  if (flags & GNTMAP_device_map) pinIncr += readonly ? GNTPIN_devr_inc : GNTPIN_devw_inc;
  if (flags & GNTMAP_host_map) pinIncr += readonly ? GNTPIN_hstr_inc : GNTPIN_hstw_inc;
  return pinIncr;
}

/** The overflow test of L1067-1074: refused once a counter being incremented has its top bit
 * set, i.e. at 128, not 255 (GNTPIN_incr2oflow_mask). */
export function pinIncrementRefused(pin: number, pinIncr: number): boolean {
  return (pin & GNTPIN_incr2oflow_mask(pinIncr)) !== 0;
}

/** map_grant_ref's unlock_out_clear (L1347-1348): get_paged_frame failed after _set_status set
 * GTF_reading (and GTF_writing); clear what the pins do not justify (with pin 0: both). */
export function* mapUnlockOutClear(
  xen: Hypervisor,
  shared: SharedGrantMemory,
  ref: Ref,
  pin: number,
  readonly: boolean,
): Steps<void> {
  yield* xen.parts.reduceStatusForPin(shared, ref, pin, readonly);
}

/** map_grant_ref's page reference phase (L1167-1205), "only need to grab
 * another reference if device_map claimed the other one": must the host mapping take a page
 * reference of its own, besides the one in hand? */
export function deviceMapClaimedRef(flags: number): boolean {
  return (flags & GNTMAP_device_map) !== 0;
}

/** gnttab_host_mapping_get_page_type (x86.h L66-67): a writable host mapping takes a writable
 * type reference when L == R or R is PV; every domain is PV here. */
function hostMappingGetPageType(readonly: boolean): boolean {
  return !readonly;
}

/** Every failure after the handle was taken gives it back (map_grant_ref L1356). */
function* failed(
  parts: ImplParts,
  lgt: MaptrackTable,
  handle: Handle,
  status: number,
): Steps<MapElementResult> {
  yield* parts.putMaptrackHandle(lgt, handle);
  return { status };
}

export function* mapGrantRef(
  xen: Hypervisor,
  ld: DomId,
  op: MapGrantRefArgs,
  vcpu: number,
): Steps<MapElementResult> {
  const parts = xen.parts;
  const readonly = (op.flags & GNTMAP_readonly) !== 0;

  const pinIncr = pinIncrementFor(op.flags);
  // map_grant_ref L1013: neither host_map nor device_map
  if (pinIncr === 0) return { status: GNTST_bad_gntref };

  // (L1020-1027: flag checks for external mappers; every domain is PV.)
  const rd = xen.rcuLockDomainById(op.dom);
  // map_grant_ref L1029: no such domain (DOMID_SELF included)
  if (rd === undefined) return { status: GNTST_bad_domain };
  // (L1036-1042: xsm_grant_mapref; the dummy policy allows.)

  const lgt = xen.domain(ld).maptrack;
  const handle = yield* parts.getMaptrackHandle(lgt, vcpu);
  // map_grant_ref L1045-1052: get_maptrack_handle found nothing for the calling vCPU
  if (handle === INVALID_MAPTRACK_HANDLE) return { status: GNTST_no_space };

  const rgt = rd.grantTable;
  const locks = rd.locks;
  const ref = op.ref;
  if (pausing) yield locks.grantReadLock; // L1055
  // map_grant_ref L1059: ref beyond nr_grant_entries
  if (ref >= rgt.nrGrantEntries) {
    if (pausing) yield locks.grantReadUnlock;
    return yield* failed(parts, lgt, handle, GNTST_bad_gntref);
  }

  if (pausing) yield locks.activeEntryAcquire(ref); // L1065
  const act = rgt.active;
  const shared = rgt.shared;
  const pin = act.pinOf(ref);
  // map_grant_ref L1068: pinned by another grantee, or a counter at 128. (is_sub_page is never
  // set: only copies set it, and copies are not modelled.)
  if (pin !== 0 && (act.domidOf(ref) !== ld || parts.pinIncrementRefused(pin, pinIncr))) {
    if (pausing) yield rd.locks.activeEntryRelease(ref);
    if (pausing) yield rd.locks.grantReadUnlock;
    return yield* failed(parts, lgt, handle, GNTST_general_error);
  }

  let inHand = -1; // the page reference get_paged_frame took (first pin only)
  if (pin === 0 || (!readonly && (pin & (GNTPIN_hstw_mask | GNTPIN_devw_mask)) === 0)) {
    const rc = yield* parts.setStatus(shared, ref, pin !== 0, readonly, true, ld);
    // map_grant_ref L1084: _set_status refused (type, grantee or read-only)
    if (rc !== GNTST_okay) {
      if (pausing) yield rd.locks.activeEntryRelease(ref);
      if (pausing) yield rd.locks.grantReadUnlock;
      return yield* failed(parts, lgt, handle, rc);
    }
    if (pin === 0) {
      if (pausing) yield shared.before('loadFrame', ref);
      const gfn = shared.loadFrame(ref);
      const got = parts.getPagedFrame(xen, rd.id, gfn);
      if (got < 0) {
        // map_grant_ref L1095: get_paged_frame's bad_page (or eagain)
        yield* parts.mapUnlockOutClear(xen, shared, ref, act.pinOf(ref), readonly);
        if (pausing) yield rd.locks.activeEntryRelease(ref);
        if (pausing) yield rd.locks.grantReadUnlock;
        return yield* failed(parts, lgt, handle, got);
      }
      inHand = got;
      act.setHolder(ref, ld, got);
    }
  }

  // Pins go up before page references are taken (L1110).
  act.setPin(ref, (act.pinOf(ref) + pinIncr) >>> 0);
  const mfn = act.mfnOf(ref);
  if (pausing) yield rd.locks.activeEntryRelease(ref); // L1116-1117: page references are taken unlocked
  if (pausing) yield rd.locks.grantReadUnlock;

  // Page reference phase (L1119-1214): one reference in hand, from get_paged_frame or here.
  let refcnt = 0;
  let typecnt = 0;
  let hostMapCreated = false;
  let rc: number = GNTST_okay;
  let owner: number = NO_OWNER;
  if (inHand >= 0) owner = xen.frames.ownerOf(mfn);
  else if (xen.frames.valid(mfn)) owner = pageGetOwnerAndReference(xen, mfn);
  if (owner !== NO_OWNER) refcnt++;

  if (!xen.frames.valid(mfn)) {
    // map_grant_ref L1132-1166: no page struct (MMIO); R has no iomem permission here
    rc = GNTST_general_error;
  } else if (owner === rd.id) {
    let ok = true;
    if (op.flags & GNTMAP_device_map && !readonly) {
      ok = getPageTypeWritable(xen, mfn);
      if (ok) typecnt++;
    }
    if (ok && op.flags & GNTMAP_host_map) {
      // Only need another reference if device_map claimed the one in hand.
      if (parts.deviceMapClaimedRef(op.flags)) {
        ok = getPage(xen, mfn, rd.id);
        if (ok) refcnt++;
      }
      if (ok && hostMappingGetPageType(readonly)) {
        ok = getPageTypeWritable(xen, mfn);
        if (ok) typecnt++;
      }
      if (ok) {
        // map_grant_ref L1199: create_grant_host_mapping failed (no L1 slot at host_addr)
        rc = parts.createGrantHostMapping(xen, ld, op.hostAddr, mfn, op.flags);
        hostMapCreated = rc === GNTST_okay;
      }
    }
    // map_grant_ref L1208 (could_not_pin): a type or page reference was refused
    if (!ok) rc = GNTST_general_error;
  } else {
    // map_grant_ref L1208 (could_not_pin): the page is no longer R's
    rc = GNTST_general_error;
  }

  if (rc !== GNTST_okay) {
    // undo_out (L1313-1345): everything this element did, in reverse.
    if (hostMapCreated) parts.replaceGrantHostMapping(xen, ld, op.hostAddr, mfn, op.flags, 0);
    for (; typecnt > 0; typecnt--) putPageType(xen, mfn);
    for (; refcnt > 0; refcnt--) putPage(xen, mfn);
    if (pausing) yield locks.grantReadLock; // L1326
    if (pausing) yield locks.activeEntryAcquire(ref);
    const actNow = rgt.active; // the table may have grown while unlocked
    const after = (actNow.pinOf(ref) - pinIncr) >>> 0;
    actNow.setPin(ref, after);
    yield* parts.reduceStatusForPin(shared, ref, after, readonly);
    if (pausing) yield rd.locks.activeEntryRelease(ref);
    if (pausing) yield rd.locks.grantReadUnlock;
    return yield* failed(parts, lgt, handle, rc);
  }

  // (L1223-1292: IOMMU bookkeeping is not modelled.)
  // L1300-1304: domid and ref first, then flags (u16: higher GNTMAP bits are dropped).
  lgt.setDomid(handle, op.dom);
  lgt.setRef(handle, ref);
  lgt.setFlags(handle, op.flags & 0xffff);
  // Ghost (docs/semantics.md §15): the granted frame may now flow to the mapper, and from it
  // unless read-only.
  xen.frames.permit(mfn, ld, false);
  if (!readonly) xen.frames.permit(mfn, ld, true);
  return { status: GNTST_okay, handle, devBusAddr: mfn * PAGE_SIZE };
}

/** gnttab_map_grant_ref: each element in turn. */
export function gnttabMapGrantRef(
  xen: Hypervisor,
  ld: DomId,
  batch: readonly MapGrantRefArgs[],
  vcpu = 0,
): Steps<MapGrantRefResult> {
  return eachElement(
    batch,
    (op) => xen.parts.mapGrantRef(xen, ld, op, vcpu),
    (results): MapGrantRefResult => ({ kind: 'map_grant_ref', results }),
  );
}
