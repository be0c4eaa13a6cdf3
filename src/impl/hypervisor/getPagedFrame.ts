// get_paged_frame (L505-540) via get_page_from_gfn: the granter's gfn to an mfn it owns, with a
// page reference taken for the caller. No paging or sharing here, so never GNTST_eagain.

import type { DomId, Gfn } from '../../ops/op.ts';
import { GNTST_bad_page } from '../../xen/abi.ts';
import type { Hypervisor } from './hypervisor.ts';
import { getPage } from './mm.ts';

/** @returns the mfn (a reference now held), or a negative GNTST_* status. */
export function getPagedFrame(xen: Hypervisor, rd: DomId, gfn: Gfn): number {
  const mfn = xen.domain(rd).p2m.get(gfn);
  // get_paged_frame: no page at this gfn
  if (mfn === undefined || !xen.frames.valid(mfn)) return GNTST_bad_page;
  // get_paged_frame: the page is not owned by rd (get_page fails)
  if (!getPage(xen, mfn, rd)) return GNTST_bad_page;
  return mfn;
}
