// Domain death in the model (docs/semantics.md §17): which domains still run, and the end of a
// zombie. A destroyed domain's frame is freed when nothing references it any more (put_page of
// its last reference → free_domheap_pages); when its last frame goes, the domain is destroyed
// (free_domheap_pages drops the domain's self-reference → put_domain → domain_destroy →
// complete_domain_destroy → grant_table_destroy).

import type { DomId, Mfn } from '../ops/op.ts';
import { withoutFrame } from './flow.ts';
import { isPageMapped } from './lookup.ts';
import { emptyMaptrack, freeLists } from './maptrack.ts';
import type { DomainState, ModelState } from './state.ts';
import { editDomain, editState, grantTableOf } from './update.ts';

/** Does the domain still run? domain_kill paused it for good at its first step. */
export function isRunning(d: DomainState | undefined): boolean {
  return d?.death === undefined;
}

/** Is any domain a zombie (the only state in which reapZombies can change anything)? */
export function hasZombie(state: ModelState): boolean {
  for (const d of state.domains) if (d.death === 'zombie') return true;
  return false;
}

/** Every zombie's frames that nothing references any more are freed (scrubbed, ownerless, out
 * of its p2m, tot_pages lowered); a zombie left with no page is gone. */
export function reapZombies(state: ModelState): ModelState {
  let next = state;
  for (const d of state.domains) {
    if (d.death === 'zombie') next = reapZombie(next, d.id);
  }
  return next;
}

/** The put of one reference to frame `mfn` (put_page_from_l1e of a PTE dropped mid-batch): if
 * it was the last of a zombie's page, that page is freed, and a zombie left with no page is gone.
 * Only that page: a zombie's other unreferenced pages are those whose puts its batch still owes
 * (unmap_common_complete, phase 2), and they stay until those puts (reapZombies). */
export function reapZombiePage(state: ModelState, mfn: Mfn): ModelState {
  const owner = state.frameOwner.get(mfn);
  const d = owner === undefined ? undefined : state.domains[owner];
  return d?.death === 'zombie' ? reapZombie(state, d.id, mfn) : state;
}

/** Free zombie `id`'s unreferenced frames (`only` that one, when given); gone with its last. */
function reapZombie(state: ModelState, id: DomId, only?: Mfn): ModelState {
  const freed: Mfn[] = [];
  let owned = 0;
  for (const [mfn, owner] of state.frameOwner) {
    if (owner !== id) continue;
    owned++;
    // A page holds a reference per device mapping and per live host PTE (isPageMapped); the
    // zombie's own two base references went in domain_relinquish_resources.
    if ((only === undefined || mfn === only) && !isPageMapped(state, mfn)) freed.push(mfn);
  }
  if (freed.length === 0 && owned > 0) return state;
  let next = state;
  for (const mfn of freed) next = withoutFrame(next, mfn); // ghost (§15): no labels, no permits
  const frameOwner = new Map(next.frameOwner);
  const contents = new Map(next.contents);
  for (const mfn of freed) {
    frameOwner.delete(mfn);
    contents.delete(mfn); // free_domheap_pages scrubs a dying domain's page
  }
  next = editState(next, (s) => {
    s.frameOwner = frameOwner;
    s.contents = contents;
  });
  const gone = owned === freed.length;
  const dropped = new Set(freed);
  return editDomain(next, id, (d) => {
    d.totPages = d.totPages - freed.length;
    const p2m = new Map(d.p2m);
    for (const [gfn, mfn] of d.p2m) if (dropped.has(mfn)) p2m.delete(gfn);
    d.p2m = p2m;
    if (gone) {
      // domain_destroy → complete_domain_destroy → grant_table_destroy: the shared, active and
      // maptrack arrays are freed; the id is no longer in the domain hash.
      d.death = 'gone';
      d.grantTable = grantTableOf(
        d.grantTable.nrFrames,
        d.grantTable.maxFrames,
        new Map(),
        new Map(),
      );
    }
  });
}

/** The maptrack a dying domain is left with after gnttab_release_mappings: maptrack_limit 0,
 * every maptrack frame freed. (Xen leaves the vCPUs' free-list heads dangling; no vCPU of the
 * domain runs again, so the model shows them empty.) */
export function releasedMaptrack(d: DomainState): DomainState['maptrack'] {
  return emptyMaptrack(d.maptrack.maxFrames, freeLists(d.maptrack).length);
}
