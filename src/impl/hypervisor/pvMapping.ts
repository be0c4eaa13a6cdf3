// PV grant PTEs in a domain's L1 slots: create_grant_pv_mapping, steal_linear_address and
// replace_grant_pv_mapping (xen/arch/x86/pv/grant_table.c), reached through
// create_/replace_grant_host_mapping. host_addr is a linear address, or with GNTMAP_contains_pte
// the machine address of the PTE in one of the domain's L1 frames (docs/semantics.md §11.1). The
// slots are kept by linear page: an L1 frame's slot i is linear page firstPage + i. 64-bit PV.

import {
  L1_PAGETABLE_ENTRIES,
  L1_PTE_SIZE,
  l1TableCount,
  l1TableMfn,
} from '../../configDefaults.ts';
import type { DomId, Mfn } from '../../ops/op.ts';
import {
  GNTMAP_contains_pte,
  GNTMAP_readonly,
  GNTST_general_error,
  GNTST_okay,
  PAGE_SIZE,
} from '../../xen/abi.ts';
import type { GrantPte } from './domain.ts';
import { mapWith, mapWithout } from './domain.ts';
import type { Hypervisor } from './hypervisor.ts';
import { putPage, putPageType } from './mm.ts';

/** A page-table page: its page_info owner, type PGT_l1_page_table, and the linear pages its
 * slots map (the window's last L1 frame has fewer than 512 of them in the model). */
export interface L1Frame {
  readonly owner: DomId;
  readonly firstPage: number;
  readonly slots: number;
}

/** Every domain's L1 frames, by MFN: fixed for the life of the system (configDefaults.ts),
 * and the same for every system of the same bounds, which share one map. */
export function l1Frames(domains: number, hostVaPages: number): ReadonlyMap<Mfn, L1Frame> {
  const key = `${domains}:${hostVaPages}`;
  let frames = L1_FRAMES.get(key);
  if (frames === undefined) {
    frames = makeL1Frames(domains, hostVaPages);
    L1_FRAMES.set(key, frames);
  }
  return frames;
}

const L1_FRAMES = new Map<string, ReadonlyMap<Mfn, L1Frame>>();

function makeL1Frames(domains: number, hostVaPages: number): ReadonlyMap<Mfn, L1Frame> {
  const frames = new Map<Mfn, L1Frame>();
  for (let d = 0; d < domains; d++) {
    for (let i = 0; i < l1TableCount(hostVaPages); i++) {
      const firstPage = i * L1_PAGETABLE_ENTRIES;
      const slots = Math.min(L1_PAGETABLE_ENTRIES, hostVaPages - firstPage);
      frames.set(l1TableMfn(d, i), { owner: d, firstPage, slots });
    }
  }
  return frames;
}

/** The slot of a linear address. Division, not `>>`: addresses are u64 (up to 2^53 here). */
export function linearPage(hostAddr: number): number {
  return Math.floor(hostAddr / PAGE_SIZE);
}

/** IS_ALIGNED(addr, sizeof(l1_pgentry_t)): the test XSA-227 added to both PTE paths. */
export function pteAddressAligned(addr: number): boolean {
  return addr % L1_PTE_SIZE === 0;
}

/** replace_grant_pv_mapping's test of the PTE found: it maps `mfn`, and its _PAGE_PRESENT and
 * _PAGE_RW bits are the grant's (the bits XSA-234 added to the frame compare). */
export function grantPteMatches(pte: GrantPte | undefined, mfn: Mfn, flags: number): boolean {
  return pte !== undefined && pte.mfn === mfn && pte.writable === ((flags & GNTMAP_readonly) === 0);
}

/** map_guest_l1e: the slot of a linear address, or -1 when no L1 table maps it. */
function mapGuestL1e(xen: Hypervisor, ld: DomId, linear: number): number {
  const page = linearPage(linear);
  return page < xen.domain(ld).hostVaPages ? page : -1;
}

/** The contains_pte branch of create_/replace_grant_pv_mapping: the slot at machine address
 * `addr`, or -1. */
function pteSlot(xen: Hypervisor, ld: DomId, addr: number): number {
  // create_grant_pv_mapping / replace_grant_pv_mapping: misaligned PTE address (XSA-227)
  if (!xen.parts.pteAddressAligned(addr)) return -1;
  // get_page_from_mfn(gl1mfn, currd) then the PGT_l1_page_table test: an L1 frame of ld's. (A
  // data page, even ld's own, has type PGT_writable_page or none: it fails the same way.)
  const l1 = xen.l1Frames.get(linearPage(addr));
  if (l1 === undefined || l1.owner !== ld) return -1;
  const slot = Math.floor((addr % PAGE_SIZE) / L1_PTE_SIZE);
  // Not Xen: a slot past the model's window (docs/semantics.md §11.1)
  return slot < l1.slots ? l1.firstPage + slot : -1;
}

/** put_page_from_l1e: a present PTE's page reference, and its type reference if writable. */
function putPageFromL1e(xen: Hypervisor, pte: GrantPte | undefined): void {
  if (pte === undefined) return;
  if (pte.writable) putPageType(xen, pte.mfn);
  putPage(xen, pte.mfn);
}

/** create_grant_pv_mapping: write a grant PTE for `mfn` at `hostAddr`, replacing whatever was
 * there; a replaced grant PTE drops its page (and type) reference (put_page_from_l1e, x86 mm.c). */
export function createGrantPvMapping(
  xen: Hypervisor,
  ld: DomId,
  hostAddr: number,
  mfn: Mfn,
  flags: number,
): number {
  const d = xen.domain(ld);
  const page =
    flags & GNTMAP_contains_pte ? pteSlot(xen, ld, hostAddr) : mapGuestL1e(xen, ld, hostAddr);
  // create_grant_pv_mapping: no L1 slot at this address (goto out / out_unmap / out_unlock)
  if (page < 0) return GNTST_general_error;
  const old = d.pageTable.get(page);
  d.pageTable = mapWith(d.pageTable, page, { mfn, writable: (flags & GNTMAP_readonly) === 0 });
  putPageFromL1e(xen, old);
  return GNTST_okay;
}

/** replace_grant_pv_mapping(host_addr, mfn, new_addr, flags): if the PTE at `hostAddr` maps
 * `mfn` with the grant's rights, replace it by the PTE stolen from `newAddr` (empty when 0).
 * The page reference of the grant PTE removed is the caller's to drop. */
export function replaceGrantPvMapping(
  xen: Hypervisor,
  ld: DomId,
  hostAddr: number,
  mfn: Mfn,
  flags: number,
  newAddr = 0,
): number {
  const d = xen.domain(ld);
  let stolen: GrantPte | undefined;
  let page: number;
  if (flags & GNTMAP_contains_pte) {
    // replace_grant_pv_mapping: "Replace not available in this addressing mode"
    if (newAddr !== 0) return GNTST_general_error;
    page = pteSlot(xen, ld, hostAddr);
  } else {
    if (newAddr !== 0) {
      // steal_linear_address: no L1 for new_addr → fail, nothing taken
      const from = mapGuestL1e(xen, ld, newAddr);
      if (from < 0) return GNTST_general_error;
      // UPDATE_ENTRY(ol1e -> l1e_empty()): the PTE is ours now, present or not
      stolen = d.pageTable.get(from);
      if (stolen !== undefined) d.pageTable = mapWithout(d.pageTable, from);
    }
    page = mapGuestL1e(xen, ld, hostAddr);
  }
  const pte = page < 0 ? undefined : d.pageTable.get(page);
  // replace_grant_pv_mapping: no slot, or the PTE does not map `mfn` with these rights
  if (page < 0 || !xen.parts.grantPteMatches(pte, mfn, flags)) {
    // out: "If there was an error, we are still responsible for the stolen pte."
    putPageFromL1e(xen, stolen);
    return GNTST_general_error;
  }
  d.pageTable =
    stolen === undefined ? mapWithout(d.pageTable, page) : mapWith(d.pageTable, page, stolen);
  return GNTST_okay;
}
