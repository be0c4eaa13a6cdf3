// Two quotients of the Xen-level search beside handle renaming (./handles.ts), each keying as
// equal states that no op, invariant or later state of the model can tell apart; the proofs are
// in docs/explore.md, "Parts no op reads back". Model-only: conformance compares these parts
// with the impl's, byte for byte, so a search with conformance keys them exactly.
//
// 1. Stale entry bytes. Linux's gnttab_end_foreign_access_ref_v1 and the cancel path of
//    gnttab_end_foreign_transfer_ref_v1 clear only the `flags` of a v1 entry (cmpxchg16),
//    leaving `domid` and `frame` behind; nothing reads them before they are overwritten.
// 2. An unused maptrack frame. A domain that mapped and unmapped everything holds
//    maptrack_limit 256 and 256 free handles; one that never mapped holds limit 0. The next
//    get_maptrack_handle gives either a handle and 255 free ones (grant_table.c L640-718).

import { domainKeyParts } from '../model/key.ts';
import type { PartShortcut } from '../model/packedKey.ts';
import { entriesHash, sameEntries } from '../model/packedKey.ts';
import type { GrantTable, Maptrack, SharedEntry } from '../model/state.ts';
import { GNTTAB_NR_RESERVED_ENTRIES, MAPTRACK_PER_PAGE } from '../xen/abi.ts';
import { maptrackOrbitKey, maptrackOrbitShortcut } from './handles.ts';

/** A stale entry: flags 0, no pin, a ref the library may use (a reserved ref stays exact: the
 * invariant reserved-refs-untouched tells a zero entry there from a non-zero one). */
function isStale(ref: number, e: SharedEntry, active: GrantTable['active']): boolean {
  return e.flags === 0 && ref >= GNTTAB_NR_RESERVED_ENTRIES && !active.has(ref);
}

/**
 * The shared entries' key with every stale entry left out, as if its 8 bytes were zero: equal
 * for two tables (with their active entries) iff they differ only in the domid and frame of
 * stale entries.
 */
export function entriesStaleKey(
  entries: GrantTable['entries'],
  active: GrantTable['active'],
): string {
  let stale = false;
  for (const [ref, e] of entries) {
    if (isStale(ref, e, active)) {
      stale = true;
      break;
    }
  }
  if (!stale) return domainKeyParts.entries(entries);
  const kept = new Map<number, SharedEntry>();
  for (const [ref, e] of entries) if (!isStale(ref, e, active)) kept.set(ref, e);
  return domainKeyParts.entries(kept);
}

/** Is `mt` one maptrack frame, all of it free, of a one-vCPU domain (no live mapping)? */
function isUnusedFrame(mt: Maptrack): boolean {
  return (
    mt.limit === MAPTRACK_PER_PAGE &&
    mt.otherFreeLists === undefined &&
    mt.mappings.size === 0 &&
    mt.freeList.length === MAPTRACK_PER_PAGE
  );
}

/** The maptrack's key up to handle renaming (maptrackOrbitKey), with an unused frame keyed as
 * no frame at all (maptrack_limit 0, no list). */
export function maptrackQuotientKey(mt: Maptrack): string {
  return isUnusedFrame(mt) ? `m0/${mt.maxFrames}[0]{}` : maptrackOrbitKey(mt);
}

/** The shortcut (src/model/packedKey.ts `PartShortcut`) to `entriesStaleKey`'s ids: entries equal
 * byte for byte, each stale in both or in neither (so both keys leave out the same entries). */
export const entriesStaleShortcut: PartShortcut<GrantTable> = {
  hash: entriesHash,
  same(a, b) {
    if (a === b) return true;
    if (!sameEntries(a.entries, b.entries)) return false;
    if (a.active === b.active) return true;
    for (const [ref, e] of a.entries) {
      if (isStale(ref, e, a.active) !== isStale(ref, e, b.active)) return false;
    }
    return true;
  },
};

/** The shortcut to `maptrackQuotientKey`'s ids: the orbit shortcut's, and both maptracks an
 * unused frame or neither (an unused frame is keyed apart from its orbit). */
export const maptrackQuotientShortcut: PartShortcut<Maptrack> = {
  hash: maptrackOrbitShortcut.hash,
  same: (a, b) =>
    a === b || (maptrackOrbitShortcut.same(a, b) && isUnusedFrame(a) === isUnusedFrame(b)),
};
