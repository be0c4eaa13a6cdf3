// The PV page-table slots grant mappings live in, and the two x86 PV functions that write them:
// create_grant_pv_mapping and replace_grant_pv_mapping (xen/arch/x86/pv/grant_table.c). A host
// address names a slot in one of two ways (GNTMAP_contains_pte): a linear address, or the machine
// address of the PTE itself in one of the domain's L1 frames (docs/semantics.md §11.1). The model
// runs a 64-bit PV guest: the 32-bit truncation checks of both functions never apply.

import { L1_PAGETABLE_ENTRIES, L1_PTE_SIZE, l1TableCount, l1TableMfn } from '../configDefaults.ts';
import type { Mfn } from '../ops/op.ts';
import { GNTMAP_contains_pte, GNTMAP_readonly, PAGE_SIZE } from '../xen/abi.ts';
import { hostPage, isIndex } from './lookup.ts';
import type { DomainState, HostMapping } from './state.ts';
import { mapWith, mapWithout } from './update.ts';

/** map_guest_l1e: the slot of a linear address, if an L1 table maps it (the window). */
export function linearSlot(d: DomainState, linear: number): number | undefined {
  const page = hostPage(linear);
  return isIndex(page, d.hostVaPages) ? page : undefined;
}

/** The slot a GNTMAP_contains_pte address names, if Xen would write it. */
export function pteSlot(d: DomainState, addr: number): number | undefined {
  // create_grant_pv_mapping: !IS_ALIGNED(addr, sizeof(nl1e)) → fail (XSA-227)
  if (!Number.isInteger(addr) || addr % L1_PTE_SIZE !== 0) return undefined;
  const mfn = Math.floor(addr / PAGE_SIZE);
  // get_page_from_mfn(gl1mfn, currd), page_lock and the PGT_l1_page_table test: the frame must be
  // one of the caller's own L1 frames (a data page, another domain's L1 or no page: fail)
  const index = mfn - l1TableMfn(d.id, 0);
  if (!isIndex(index, l1TableCount(d.hostVaPages))) return undefined;
  const page = index * L1_PAGETABLE_ENTRIES + (addr % PAGE_SIZE) / L1_PTE_SIZE;
  // Not Xen: the last L1 frame's slots past the window are outside the model (docs/semantics.md §11.1)
  return page < d.hostVaPages ? page : undefined;
}

/** The slot `hostAddr` names under the mapping's flags (the map's own, or the ones maptrack kept:
 * unmap reads host_addr as the map did, whatever the unmap caller means). */
export function hostSlot(d: DomainState, hostAddr: number, flags: number): number | undefined {
  return flags & GNTMAP_contains_pte ? pteSlot(d, hostAddr) : linearSlot(d, hostAddr);
}

/** replace_grant_pv_mapping's check: the PTE maps `mfn`, is present, and its RW bit is the
 * grant's (frame, _PAGE_PRESENT and _PAGE_RW; the PRESENT/RW part is XSA-234's fix). */
function matchesGrant(pte: HostMapping | undefined, mfn: Mfn, flags: number): boolean {
  return pte !== undefined && pte.mfn === mfn && pte.writable === !(flags & GNTMAP_readonly);
}

export interface Replaced {
  readonly ok: boolean;
  /** The slots afterwards: a failed replace may still have zapped new_addr's slot. */
  readonly hostMappings: ReadonlyMap<number, HostMapping>;
  /** A failed replace's stolen PTE, whose reference it dropped (put_page_from_l1e at `out:`). */
  readonly dropped?: HostMapping;
}

/** replace_grant_pv_mapping(host_addr, mfn, new_addr, flags): put the PTE at new_addr (taken
 * away from there; empty when new_addr is 0) into host_addr's slot, if that slot maps the
 * grant. Failures are general_error for the caller. */
export function replaceGrantPvMapping(
  d: DomainState,
  hostAddr: number,
  mfn: Mfn,
  newAddr: number,
  flags: number,
): Replaced {
  const unchanged = { ok: false, hostMappings: d.hostMappings };
  if (flags & GNTMAP_contains_pte) {
    // replace_grant_pv_mapping: "Replace not available in this addressing mode"
    if (newAddr !== 0) return unchanged;
    // replace_grant_pv_mapping: misaligned (ASSERT_UNREACHABLE in debug builds), not an L1 slot
    const slot = pteSlot(d, hostAddr);
    if (slot === undefined || !matchesGrant(d.hostMappings.get(slot), mfn, flags)) return unchanged;
    return { ok: true, hostMappings: mapWithout(d.hostMappings, slot) };
  }
  let slots = d.hostMappings;
  let stolen: HostMapping | undefined;
  if (newAddr !== 0) {
    // steal_linear_address: new_addr needs an L1; its PTE, present or not, is taken and zapped
    const from = linearSlot(d, newAddr);
    if (from === undefined) return unchanged;
    stolen = slots.get(from);
    slots = mapWithout(slots, from);
  }
  // replace_grant_pv_mapping: from here a failure drops the stolen PTE (put_page_from_l1e at
  // out:), so new_addr's slot stays empty
  const slot = linearSlot(d, hostAddr);
  if (slot === undefined || !matchesGrant(slots.get(slot), mfn, flags)) {
    return stolen
      ? { ok: false, hostMappings: slots, dropped: stolen }
      : { ok: false, hostMappings: slots };
  }
  // UPDATE_ENTRY(ol1e -> nl1e): the stolen PTE is transplanted unchanged, references included
  return {
    ok: true,
    hostMappings: stolen ? mapWith(slots, slot, stolen) : mapWithout(slots, slot),
  };
}
