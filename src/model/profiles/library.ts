// What the three real guest libraries share in the model (issue 14 §1-§2; docs/semantics.md
// §18): the library's state on the domain, its initial free list, the driver contract, and the
// entry writes a library call makes. Each profile's own rules are in ./linux.ts, ./miniOs.ts
// and ./mirage.ts, written from that library's source (docs/guest-libraries.md).

import type { GrantConfig } from '../../config.ts';
import { DEFAULT_FREE_PER_ITERATION, DEFAULT_GUEST_REFS, profileOf } from '../../configDefaults.ts';
import type { DomId, EndAccessOp, Gfn, GrantAccessOp, Ref } from '../../ops/op.ts';
import type { EndAccessResult, GrantAccessResult } from '../../ops/result.ts';
import { GNTTAB_NR_RESERVED_ENTRIES, GTF_permit_access, GTF_readonly } from '../../xen/abi.ts';
import { entryAt, isInUse } from '../entry.ts';
import { writeEntry } from '../guest.ts';
import { domainAt } from '../lookup.ts';
import type { DomainState, GuestLibState, ModelState, SharedEntry } from '../state.ts';
import { editDomain, withFlags, type Draft } from '../update.ts';

/** Domain `dom`'s library state when it runs a non-strict profile (config.profiles). */
export function initialGuest(config: GrantConfig, dom: DomId): GuestLibState | undefined {
  const profile = profileOf(config, dom);
  if (profile === 'strict') return undefined;
  const size = config.guestRefs ?? DEFAULT_GUEST_REFS;
  const usable: Ref[] = [];
  for (let ref = GNTTAB_NR_RESERVED_ENTRIES; ref < size; ref++) usable.push(ref);
  return {
    profile,
    size,
    // Linux gnttab_init / gnttab_set_free: 8 first, ascending. Mirage: the queue filled with
    // 8, 9, ... Mini-OS init_gnttab pushes 8..size-1 on a stack: the last pushed comes out first.
    free: profile === 'mini-os' ? usable.reverse() : usable,
    deferred: [],
    warnings: 0,
    exports: new Map(),
    granted: new Map(),
    droppedPages: new Set(),
    budget: config.freePerIteration ?? DEFAULT_FREE_PER_ITERATION,
    contract: config.rawLibraryCalls !== true,
  };
}

export interface LibraryView {
  readonly domain: DomainState;
  readonly guest: GuestLibState;
}

/** The domain and its library, or undefined for a strict (or missing) domain. */
export function libraryOf(state: ModelState, dom: DomId): LibraryView | undefined {
  const domain = domainAt(state, dom);
  const guest = domain?.guest;
  return domain === undefined || guest === undefined ? undefined : { domain, guest };
}

/** Is `ref` one the driver holds: in the library's table, not reserved, not free, not on the
 * deferred list? (free + held + deferred + reserved = table, docs/semantics.md §18.2.) */
export function isHeld(g: GuestLibState, ref: Ref): boolean {
  return (
    Number.isInteger(ref) &&
    ref >= GNTTAB_NR_RESERVED_ENTRIES &&
    ref < g.size &&
    !g.free.includes(ref) &&
    !g.deferred.some((d) => d.ref === ref)
  );
}

/** Is page `gfn` still the driver's own (it has not dropped its reference)? */
export function ownsPage(v: LibraryView, gfn: Gfn): boolean {
  return v.domain.p2m.has(gfn) && !v.guest.droppedPages.has(gfn);
}

/** Contract of a grant: the driver holds the ref, has not granted it already (it ends first),
 * and owns the page. */
export function mayGrant(v: LibraryView, ref: Ref, gfn: Gfn): boolean {
  return isHeld(v.guest, ref) && !v.guest.granted.has(ref) && ownsPage(v, gfn);
}

/** Contract of free_page (and of a page handed to end_access_deferred for `ending`): the driver
 * owns the page and no grant it still believes live (other than `ending`'s) names it. */
export function mayFreePage(v: LibraryView, gfn: Gfn, ending?: Ref): boolean {
  if (!ownsPage(v, gfn)) return false;
  for (const [ref, page] of v.guest.granted) if (page === gfn && ref !== ending) return false;
  return true;
}

/** Contract of a page handed to end_access_deferred with `ref` (gnttab_end_foreign_access(ref,
 * page)): free_page's (mayFreePage, `ref`'s grant aside), and the page `ref` grants when the
 * driver believes it granted. The library then holds that page's reference until the entry is
 * no longer in use; a driver that passes another page leaves the granted one with no holder and
 * frees it while it may still be mapped: the driver's XSA-396, not the library's. */
export function mayEndWithPage(v: LibraryView, gfn: Gfn, ref: Ref): boolean {
  const granted = v.guest.granted.get(ref);
  return mayFreePage(v, gfn, ref) && (granted === undefined || granted === gfn);
}

/** Replace the domain's library state. */
export function editGuest(
  state: ModelState,
  dom: DomId,
  edit: (g: Draft<GuestLibState>) => void,
): ModelState {
  return editDomain(state, dom, (d) => {
    const g = d.guest;
    if (g === undefined) return;
    const draft: Draft<GuestLibState> = { ...g };
    edit(draft);
    d.guest = draft;
  });
}

export function entryOf(v: LibraryView, ref: Ref): SharedEntry {
  return entryAt(v.domain.grantTable, ref);
}

/** The library's grant: domid, frame, then flags as plain stores (gnttab_update_entry_v1,
 * Mini-OS gnttab_grant_access, Mirage's stub). Over a pinned entry the store erases Xen's
 * GTF_reading/GTF_writing, so the entry is marked as raw-written (the (G) invariants no longer
 * hold for it, docs/semantics.md §3). */
export function storeGrant(
  state: ModelState,
  dom: DomId,
  ref: Ref,
  grantee: DomId,
  gfn: Gfn,
  readonly: boolean,
): ModelState {
  const domain = domainAt(state, dom);
  const pinned = domain?.grantTable.active.has(ref) === true;
  const entry = {
    flags: GTF_permit_access | (readonly ? GTF_readonly : 0),
    domid: grantee,
    frame: gfn,
  };
  return writeEntry(state, dom, ref, entry, pinned);
}

/** A library call's new state and result. */
export type Out<R> = { readonly state: ModelState; readonly result: R };

/** A grant as Linux's gnttab_grant_foreign_access_ref and Mini-OS's gnttab_grant_access make
 * it: no check of the entry at all, a plain store over whatever is there (storeGrant), so it
 * never fails. Contract: the driver grants a ref it holds and has not granted, for a page it
 * owns; a ref outside the table is the library's crash. */
export function grantByPlainStore(
  state: ModelState,
  v: LibraryView,
  op: GrantAccessOp,
): Out<GrantAccessResult> {
  const g = v.guest;
  if (g.contract && !mayGrant(v, op.ref, op.gfn)) {
    return { state, result: { kind: 'grant_access', outcome: 'contract' } };
  }
  if (!Number.isInteger(op.ref) || op.ref < 0 || op.ref >= g.size) {
    return { state, result: { kind: 'grant_access', outcome: 'crash' } };
  }
  const written = storeGrant(state, op.dom, op.ref, op.grantee, op.gfn, op.readonly);
  return {
    state: editGuest(written, op.dom, (d) => {
      d.granted = withKey(g.granted, op.ref, op.gfn);
    }),
    result: { kind: 'grant_access', outcome: 'ok' },
  };
}

/** What every library's end-access does once its own range and contract checks passed: nothing
 * while Xen uses the entry (in_use); else the v1 flags go to 0, the driver no longer holds the
 * grant, and `release` puts the ref back as that library does (Linux: not at all). */
export function endIfIdle(
  state: ModelState,
  v: LibraryView,
  op: EndAccessOp,
  release: (g: Draft<GuestLibState>) => void,
): Out<EndAccessResult> {
  if (isInUse(entryOf(v, op.ref)))
    return { state, result: { kind: 'end_access', outcome: 'in_use' } };
  const g = v.guest;
  return {
    state: editGuest(clearFlags(state, v, op.ref), op.dom, (d) => {
      d.granted = without(g.granted, op.ref);
      release(d);
    }),
    result: { kind: 'end_access', outcome: 'ended' },
  };
}

/** The v1 end's compare-and-swap of flags to 0 (only called when the entry is not in use). */
export function clearFlags(state: ModelState, v: LibraryView, ref: Ref): ModelState {
  // A never-granted ref: the CAS of 0 to 0 changes no byte (writeEntry keeps the entry).
  return writeEntry(state, v.domain.id, ref, withFlags(entryOf(v, ref), 0), false);
}

/** A map without `key`. */
export function without<K, V>(m: ReadonlyMap<K, V>, key: K): ReadonlyMap<K, V> {
  if (!m.has(key)) return m;
  const out = new Map(m);
  out.delete(key);
  return out;
}

export function withKey<K, V>(m: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> {
  const out = new Map(m);
  out.set(key, value);
  return out;
}

export function withMember<T>(s: ReadonlySet<T>, value: T): ReadonlySet<T> {
  if (s.has(value)) return s;
  return new Set([...s, value]);
}
