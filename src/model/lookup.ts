// Read-only queries over the model state shared by the ops: domain lookup, table size, and
// whether a page holds references beyond its two base ones.

import type { DomId, Mfn } from '../ops/op.ts';
import { PAGE_SIZE, SHGNT_PER_PAGE_V1 } from '../xen/abi.ts';
import type { DomainState, GrantTable, ModelState } from './state.ts';

/** An index a C unsigned value could hold and that is below `limit`. Ops are well typed but
 * not validated: negative or fractional numbers are simply out of range. */
export function isIndex(n: number, limit: number): boolean {
  return Number.isInteger(n) && n >= 0 && n < limit;
}

/** rcu_lock_domain_by_id: only 0..domains-1 exist, and not once gone (domain_destroy took the
 * domain out of the hash; a zombie is still found); DOMID_SELF is not an id. */
export function domainAt(state: ModelState, id: DomId): DomainState | undefined {
  const d = isIndex(id, state.domains.length) ? state.domains[id] : undefined;
  return d?.death === 'gone' ? undefined : d;
}

/** nr_grant_entries for v1: 512 per shared frame. */
export function nrEntries(table: GrantTable): number {
  return table.nrFrames * SHGNT_PER_PAGE_V1;
}

/** The linear page a PV host address names (host_addr >> 12, without 32-bit truncation). */
export function hostPage(hostAddr: number): number {
  return Math.floor(hostAddr / PAGE_SIZE);
}

/** steal_page's test: does anything but the two base references hold the page? A device
 * mapping holds one (counted by devr/devw pins), and so does every host PTE that maps it. An
 * overwritten grant PTE lost its reference, so host pins alone do not count. */
export function isPageMapped(state: ModelState, mfn: Mfn): boolean {
  for (const domain of state.domains) {
    for (const pte of domain.hostMappings.values()) if (pte.mfn === mfn) return true;
    for (const act of domain.grantTable.active.values()) {
      if (act.mfn === mfn && act.deviceWritable + act.deviceReadonly > 0) return true;
    }
  }
  return false;
}
