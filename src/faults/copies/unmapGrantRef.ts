// A copy of the impl's unmap_common / unmap_common_complete (src/impl/hypervisor/unmapGrantRef.ts,
// Xen L1409-1677) with named deviations, for faults whose bug sits inside one of the two phases.

import type { DomId } from '../../ops/op.ts';
import type { ImplParts } from '../../impl/index.ts';
import type { Hypervisor } from '../../impl/hypervisor/hypervisor.ts';
import type { UnmapCommon } from '../../impl/hypervisor/unmapGrantRef.ts';
import { unmapCommonComplete } from '../../impl/hypervisor/unmapGrantRef.ts';
import {
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTST_bad_dev_addr,
  GNTST_bad_handle,
  GNTST_okay,
  PAGE_SIZE,
} from '../../xen/abi.ts';

/** The deviations from Xen HEAD; each is one fault's bug. */
export interface UnmapCommonBugs {
  /** XSA-218(b), with completeWithHandleFree: phase 1 leaves the empty entry's handle alone. */
  readonly noHandleFreeInPhase1?: boolean;
}

export function unmapCommonWith(bugs: UnmapCommonBugs): ImplParts['unmapCommon'] {
  return (xen: Hypervisor, ld: DomId, op: UnmapCommon): void => {
    const parts = xen.parts;
    const lgt = xen.domain(ld).maptrack;
    const handle = op.handle;
    if (handle >= lgt.limit || lgt.flags(handle) === 0) {
      op.status = GNTST_bad_handle;
      return;
    }
    const dom = lgt.domid(handle);
    const rd = xen.rcuLockDomainById(dom);
    if (rd === undefined)
      throw new Error(`unmap_common: granter d${dom} of handle ${handle} is gone`);
    op.rd = dom;
    op.ref = lgt.ref(handle);
    const rgt = rd.grantTable;
    if (op.ref >= rgt.nrGrantEntries) {
      op.status = GNTST_bad_handle;
      return;
    }
    // (The re-read under the active entry's lock, L1492-1510, cannot differ sequentially.)
    const flags = lgt.flags(handle);
    op.mfn = rgt.active.mfnOf(op.ref);
    if (op.devBusAddr !== 0 && flags & GNTMAP_device_map && op.devBusAddr !== op.mfn * PAGE_SIZE) {
      op.status = GNTST_bad_dev_addr;
      return;
    }
    if (op.hostAddr !== 0 && flags & GNTMAP_host_map) {
      const rc = parts.replaceGrantHostMapping(xen, ld, op.hostAddr, op.mfn, flags);
      if (rc < 0) {
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
    if ((lgt.flags(handle) & (GNTMAP_device_map | GNTMAP_host_map)) === 0) {
      lgt.setFlags(handle, 0);
      // BUG (noHandleFreeInPhase1): before XSA-218 the handle was freed in phase 2.
      if (!bugs.noHandleFreeInPhase1) parts.putMaptrackHandle(lgt, handle);
    }
    op.status = GNTST_okay;
  };
}

/** Phase 2 as before XSA-224(a): the correct completion, and then, when the mapping still holds
 * its device part (phase 1 left it because dev_bus_addr was 0), its page and type references
 * are dropped all the same. Pins and maptrack flags stay right; only the references go. The
 * drops are unchecked, as in a release build of Xen, so that the count underflows the way
 * Xen's did instead of tripping the impl's put_page assertion in the middle of a batch. */
export const completeDroppingDeviceRefs: ImplParts['unmapCommonComplete'] = (xen, ld, op) => {
  unmapCommonComplete(xen, ld, op);
  if (op.status !== GNTST_okay || op.done & GNTMAP_device_map) return;
  const flags = xen.domain(ld).maptrack.flags(op.handle);
  if (!(flags & GNTMAP_device_map) || !xen.frames.valid(op.mfn)) return;
  const frames = xen.frames;
  if (!(flags & GNTMAP_readonly)) {
    frames.setWritableTypes(op.mfn, (frames.writableTypes(op.mfn) - 1) >>> 0);
  }
  frames.setRefs(op.mfn, (frames.refs(op.mfn) - 1) >>> 0);
};

/** Phase 2 as before XSA-218: the correct completion, then free the handle if its entry is
 * empty. Two elements of one batch that together empty the entry both see it empty. */
export const completeWithHandleFree: ImplParts['unmapCommonComplete'] = (xen, ld, op) => {
  unmapCommonComplete(xen, ld, op);
  if (op.done === 0) return;
  const lgt = xen.domain(ld).maptrack;
  if ((lgt.flags(op.handle) & (GNTMAP_device_map | GNTMAP_host_map)) === 0) {
    xen.parts.putMaptrackHandle(lgt, op.handle);
  }
};
