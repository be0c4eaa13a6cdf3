// PV grant PTEs in a domain's L1 slots: create_grant_pv_mapping (pv.c L37-126) and
// replace_grant_pv_mapping (pv.c L189-323), reached through create_/replace_grant_host_mapping.
// host_addr is a linear address; its page (host_addr >> 12) names the slot.

import type { DomId, Mfn } from '../../ops/op.ts';
import { GNTMAP_readonly, GNTST_general_error, GNTST_okay, PAGE_SIZE } from '../../xen/abi.ts';
import { mapWith, mapWithout } from './domain.ts';
import type { Hypervisor } from './hypervisor.ts';
import { putPage, putPageType } from './mm.ts';

/** The slot of a linear address. Division, not `>>`: addresses are u64 (up to 2^53 here). */
export function linearPage(hostAddr: number): number {
  return Math.floor(hostAddr / PAGE_SIZE);
}

/** create_grant_pv_mapping: write a grant PTE for `mfn` at `hostAddr`, replacing whatever was
 * there; a replaced grant PTE drops its page (and type) reference (put_page_from_l1e, H §7.4). */
export function createGrantPvMapping(
  xen: Hypervisor,
  ld: DomId,
  hostAddr: number,
  mfn: Mfn,
  flags: number,
): number {
  const d = xen.domain(ld);
  const page = linearPage(hostAddr);
  // create_grant_pv_mapping: no L1 page table maps this address
  if (page >= d.hostVaPages) return GNTST_general_error;
  const old = d.pageTable.get(page);
  d.pageTable = mapWith(d.pageTable, page, { mfn, writable: (flags & GNTMAP_readonly) === 0 });
  if (old !== undefined) {
    if (old.writable) putPageType(xen, old.mfn);
    putPage(xen, old.mfn);
  }
  return GNTST_okay;
}

/** replace_grant_pv_mapping with new_addr = 0: clear the PTE at `hostAddr` if it maps exactly
 * `mfn` with the grant's writability. The page reference is the caller's to drop. */
export function replaceGrantPvMapping(
  xen: Hypervisor,
  ld: DomId,
  hostAddr: number,
  mfn: Mfn,
  flags: number,
): number {
  const d = xen.domain(ld);
  const page = linearPage(hostAddr);
  const pte = d.pageTable.get(page);
  // replace_grant_pv_mapping: no L1 here, or the PTE does not map `mfn` with these rights
  if (pte === undefined || pte.mfn !== mfn || pte.writable !== ((flags & GNTMAP_readonly) === 0)) {
    return GNTST_general_error;
  }
  d.pageTable = mapWithout(d.pageTable, page);
  return GNTST_okay;
}
