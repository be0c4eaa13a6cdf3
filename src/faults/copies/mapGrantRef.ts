// A copy of the impl's map_grant_ref (src/impl/hypervisor/mapGrantRef.ts, Xen L1003-1383) with
// named deviations, for faults whose bug sits inside it (ImplParts has no finer part there).

import type { DomId, MapGrantRefArgs } from '../../ops/op.ts';
import type { MapElementResult } from '../../ops/result.ts';
import type { ImplParts } from '../../impl/index.ts';
import type { Hypervisor } from '../../impl/hypervisor/hypervisor.ts';
import { pinIncrementFor } from '../../impl/hypervisor/mapGrantRef.ts';
import { INVALID_MAPTRACK_HANDLE } from '../../impl/hypervisor/maptrack.ts';
import {
  getPage,
  getPageTypeWritable,
  NO_OWNER,
  pageGetOwnerAndReference,
  putPage,
  putPageType,
} from '../../impl/hypervisor/mm.ts';
import {
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTPIN_devw_mask,
  GNTPIN_hstw_mask,
  GNTST_bad_domain,
  GNTST_bad_gntref,
  GNTST_general_error,
  GNTST_no_space,
  GNTST_okay,
  PAGE_SIZE,
} from '../../xen/abi.ts';

/** The deviations from Xen HEAD; each is one fault's bug. */
export interface MapGrantRefBugs {
  /** 62698cdaf3: get_paged_frame failed, and unlock_out_clear does not undo the status bits. */
  readonly keepStatusOnBadPage?: boolean;
  /** XSA-224(c) class: a host+device map takes one page reference for both mappings. */
  readonly oneRefForHostAndDevice?: boolean;
}

export function mapGrantRefWith(bugs: MapGrantRefBugs): ImplParts['mapGrantRef'] {
  return (xen: Hypervisor, ld: DomId, op: MapGrantRefArgs): MapElementResult => {
    const parts = xen.parts;
    const readonly = (op.flags & GNTMAP_readonly) !== 0;
    const pinIncr = pinIncrementFor(op.flags);
    if (pinIncr === 0) return { status: GNTST_bad_gntref };
    const rd = xen.rcuLockDomainById(op.dom);
    if (rd === undefined) return { status: GNTST_bad_domain };
    const lgt = xen.domain(ld).maptrack;
    const handle = parts.getMaptrackHandle(lgt);
    if (handle === INVALID_MAPTRACK_HANDLE) return { status: GNTST_no_space };
    const fail = (status: number): MapElementResult => {
      parts.putMaptrackHandle(lgt, handle);
      return { status };
    };
    const rgt = rd.grantTable;
    const ref = op.ref;
    if (ref >= rgt.nrGrantEntries) return fail(GNTST_bad_gntref);
    const act = rgt.active;
    const shared = rgt.shared;
    const pin = act.pinOf(ref);
    if (pin !== 0 && (act.domidOf(ref) !== ld || parts.pinIncrementRefused(pin, pinIncr))) {
      return fail(GNTST_general_error);
    }
    let inHand = -1;
    if (pin === 0 || (!readonly && (pin & (GNTPIN_hstw_mask | GNTPIN_devw_mask)) === 0)) {
      const rc = parts.setStatus(shared, ref, pin !== 0, readonly, true, ld);
      if (rc !== GNTST_okay) return fail(rc);
      if (pin === 0) {
        const got = parts.getPagedFrame(xen, rd.id, shared.loadFrame(ref));
        if (got < 0) {
          // BUG (keepStatusOnBadPage): the pre-62698cdaf3 unlock_out path skips this rollback.
          if (!bugs.keepStatusOnBadPage) {
            parts.reduceStatusForPin(shared, ref, act.pinOf(ref), readonly);
          }
          return fail(got);
        }
        inHand = got;
        act.setHolder(ref, ld, got);
      }
    }
    act.setPin(ref, (act.pinOf(ref) + pinIncr) >>> 0);
    const mfn = act.mfnOf(ref);

    let refcnt = 0;
    let typecnt = 0;
    let hostMapCreated = false;
    let rc: number = GNTST_okay;
    let owner: number = NO_OWNER;
    if (inHand >= 0) owner = xen.frames.ownerOf(mfn);
    else if (xen.frames.valid(mfn)) owner = pageGetOwnerAndReference(xen, mfn);
    if (owner !== NO_OWNER) refcnt++;

    if (!xen.frames.valid(mfn)) {
      rc = GNTST_general_error;
    } else if (owner === rd.id) {
      let ok = true;
      if (op.flags & GNTMAP_device_map && !readonly) {
        ok = getPageTypeWritable(xen, mfn);
        if (ok) typecnt++;
      }
      if (ok && op.flags & GNTMAP_host_map) {
        // BUG (oneRefForHostAndDevice): the host mapping shares the device mapping's reference.
        if (op.flags & GNTMAP_device_map && !bugs.oneRefForHostAndDevice) {
          ok = getPage(xen, mfn, rd.id);
          if (ok) refcnt++;
        }
        if (ok && !readonly) {
          ok = getPageTypeWritable(xen, mfn);
          if (ok) typecnt++;
        }
        if (ok) {
          rc = parts.createGrantHostMapping(xen, ld, op.hostAddr, mfn, op.flags);
          hostMapCreated = rc === GNTST_okay;
        }
      }
      if (!ok) rc = GNTST_general_error;
    } else {
      rc = GNTST_general_error;
    }

    if (rc !== GNTST_okay) {
      if (hostMapCreated) parts.replaceGrantHostMapping(xen, ld, op.hostAddr, mfn, op.flags);
      for (; typecnt > 0; typecnt--) putPageType(xen, mfn);
      for (; refcnt > 0; refcnt--) putPage(xen, mfn);
      const after = (act.pinOf(ref) - pinIncr) >>> 0;
      act.setPin(ref, after);
      parts.reduceStatusForPin(shared, ref, after, readonly);
      return fail(rc);
    }
    lgt.setDomid(handle, op.dom);
    lgt.setRef(handle, ref);
    lgt.setFlags(handle, op.flags & 0xffff);
    return { status: GNTST_okay, handle, devBusAddr: mfn * PAGE_SIZE };
  };
}
