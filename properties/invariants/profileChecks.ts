// The guest-profile invariants (issue 14 §2; docs/semantics.md §18.6), checked on the model's
// GuestLibState and, independently, on the impl's library structures (its linked free list or
// queue, its deferred records, the shared bytes and Xen's packed pins). Both sides reduce to one
// LibraryFacts record, read from their own structures, and the rules run on that.

import type { CheckMessage } from '../../src/harness/invariant.ts';
import type { ImplView } from '../../src/harness/implView.ts';
import type { XenDomain } from '../../src/impl/index.ts';
import { isPermitAccess } from '../../src/model/entry.ts';
import type { DomainState } from '../../src/model/state.ts';
import type { Gfn, Mfn, Ref } from '../../src/ops/op.ts';
import { GNTTAB_NR_RESERVED_ENTRIES, GTF_permit_access, GTF_type_mask } from '../../src/xen/abi.ts';

interface LibraryFacts {
  readonly dom: number;
  readonly size: number;
  readonly budget: number;
  readonly free: readonly Ref[];
  readonly deferred: readonly {
    readonly ref: Ref;
    readonly gfn?: Gfn;
    readonly idleTicks: number;
  }[];
  readonly granted: ReadonlyMap<Ref, Gfn>;
  readonly exports: ReadonlyMap<Ref, Gfn>;
  readonly dropped: ReadonlySet<Gfn>;
  readonly rawWritten: ReadonlySet<Ref>;
  readonly p2m: ReadonlyMap<Gfn, Mfn>;
  /** Is the entry a valid access grant (it may be mapped from now on)? */
  readonly valid: (ref: Ref) => boolean;
  readonly frame: (ref: Ref) => number;
  /** Xen's pin on the ref: the pinned frame, or undefined. */
  readonly pinnedMfn: (ref: Ref) => Mfn | undefined;
  /** Refs Xen holds a pin on. */
  readonly pinned: () => Iterable<Ref>;
}

function modelFacts(d: DomainState): LibraryFacts | undefined {
  const g = d.guest;
  if (g === undefined) return undefined;
  const gt = d.grantTable;
  return {
    dom: d.id,
    size: g.size,
    budget: g.budget,
    free: g.free,
    deferred: g.deferred,
    granted: g.granted,
    exports: g.exports,
    dropped: g.droppedPages,
    rawWritten: d.rawWritten,
    p2m: d.p2m,
    valid: (ref) => {
      const e = gt.entries.get(ref);
      return e !== undefined && isPermitAccess(e);
    },
    frame: (ref) => gt.entries.get(ref)?.frame ?? 0,
    pinnedMfn: (ref) => gt.active.get(ref)?.mfn,
    pinned: () => gt.active.keys(),
  };
}

function implFacts(view: ImplView, d: XenDomain): LibraryFacts | undefined {
  const guest = view.system.guests[d.id];
  const lib = guest?.profile;
  if (guest === undefined || lib === undefined) return undefined;
  const gt = d.grantTable;
  return {
    dom: d.id,
    size: lib.size,
    budget: lib.budget,
    free: lib.freeList(),
    deferred: lib.deferred.map((r) =>
      r.page === null
        ? { ref: r.ref, idleTicks: r.idleTicks }
        : { ref: r.ref, gfn: r.page, idleTicks: r.idleTicks },
    ),
    granted: lib.granted,
    exports: lib.exports,
    dropped: lib.dropped,
    rawWritten: guest.rawWritten,
    p2m: d.p2m,
    valid: (ref) =>
      ref < gt.nrGrantEntries && (gt.shared.loadFlags(ref) & GTF_type_mask) === GTF_permit_access,
    frame: (ref) => (ref < gt.nrGrantEntries ? gt.shared.loadFrame(ref) : 0),
    pinnedMfn: (ref) =>
      ref < gt.nrGrantEntries && gt.active.pinOf(ref) !== 0 ? gt.active.mfnOf(ref) : undefined,
    pinned: () => view.pinned(d.id),
  };
}

/** Run `rule` on the domain's library facts (no library: nothing to check). */
function onModel(rule: (f: LibraryFacts) => CheckMessage): (d: DomainState) => CheckMessage {
  return (d) => {
    const f = modelFacts(d);
    return f === undefined ? null : rule(f);
  };
}

function onImpl(
  rule: (f: LibraryFacts) => CheckMessage,
): (v: ImplView, d: XenDomain) => CheckMessage {
  return (v, d) => {
    const f = implFacts(v, d);
    return f === undefined ? null : rule(f);
  };
}

/** A ref on the free list is not granted: no valid entry, no pin, not the driver's or the
 * library's (raw-written entries aside). */
function freeNotGranted(f: LibraryFacts): CheckMessage {
  for (const ref of f.free) {
    if (f.rawWritten.has(ref)) continue;
    if (f.valid(ref)) return `d${f.dom} ref ${ref} is free and its entry is a valid grant`;
    if (f.pinnedMfn(ref) !== undefined)
      return `d${f.dom} ref ${ref} is free and Xen holds a pin on it`;
    if (f.granted.has(ref))
      return `d${f.dom} ref ${ref} is free and its driver still has it granted`;
    if (f.exports.has(ref)) return `d${f.dom} ref ${ref} is free and still exported`;
  }
  return null;
}

/** No reserved ref is on the free or deferred list, nor granted by the driver. */
function reservedNeverHandedOut(f: LibraryFacts): CheckMessage {
  for (const ref of f.free) {
    if (ref < GNTTAB_NR_RESERVED_ENTRIES)
      return `d${f.dom} reserved ref ${ref} is on the free list`;
  }
  for (const d of f.deferred) {
    if (d.ref < GNTTAB_NR_RESERVED_ENTRIES)
      return `d${f.dom} reserved ref ${d.ref} is on the deferred list`;
  }
  for (const ref of f.granted.keys()) {
    if (ref < GNTTAB_NR_RESERVED_ENTRIES)
      return `d${f.dom} reserved ref ${ref} was handed out and granted`;
  }
  return null;
}

/** free + held + deferred + reserved = table: every listed ref is in the table and listed
 * once (held is the rest, so a ref listed twice or on both lists is the only way to lose one). */
function refsAccounted(f: LibraryFacts): CheckMessage {
  const seen = new Set<Ref>();
  for (const ref of f.free) {
    if (ref >= f.size || ref < 0)
      return `d${f.dom} ref ${ref} on the free list is outside the table`;
    if (seen.has(ref)) return `d${f.dom} ref ${ref} is on the free list twice`;
    seen.add(ref);
  }
  for (const d of f.deferred) {
    if (seen.has(d.ref))
      return `d${f.dom} ref ${d.ref} is both free and deferred (or deferred twice)`;
    seen.add(d.ref);
  }
  return null;
}

/** XSA-396: a page no one holds a reference to (the driver dropped its own, and no deferred
 * record or export keeps it) is named by no valid entry and pinned by no one. */
function pageNotFreedWhileGranted(f: LibraryFacts): CheckMessage {
  if (f.dropped.size === 0) return null;
  const kept = new Set<Gfn>();
  for (const d of f.deferred) if (d.gfn !== undefined) kept.add(d.gfn);
  for (const gfn of f.exports.values()) kept.add(gfn);
  const freed = [...f.dropped].filter((gfn) => !kept.has(gfn));
  if (freed.length === 0) return null;
  const freedMfns = new Map<Mfn, Gfn>();
  for (const gfn of freed) {
    const mfn = f.p2m.get(gfn);
    if (mfn !== undefined) freedMfns.set(mfn, gfn);
  }
  for (const ref of f.pinned()) {
    const mfn = f.pinnedMfn(ref);
    const gfn = mfn === undefined ? undefined : freedMfns.get(mfn);
    if (gfn !== undefined)
      return `d${f.dom} page gfn ${gfn} was freed while Xen still maps it through ref ${ref}`;
  }
  for (let ref = GNTTAB_NR_RESERVED_ENTRIES; ref < f.size; ref++) {
    if (f.rawWritten.has(ref) || !f.valid(ref)) continue;
    const gfn = f.frame(ref);
    if (freed.includes(gfn))
      return `d${f.dom} page gfn ${gfn} was freed while ref ${ref} still grants it`;
  }
  return null;
}

/** A deferred end whose entry is no longer in use completes within the budget's ticks: it
 * survives at most floor(p / budget) ticks idle, p < size - 8 its place in the list (every
 * tick when the budget is 0, unlimited). */
function deferredLive(f: LibraryFacts): CheckMessage {
  const bound =
    f.budget === 0 ? 0 : Math.floor((f.size - GNTTAB_NR_RESERVED_ENTRIES - 1) / f.budget);
  for (const d of f.deferred) {
    if (d.idleTicks > bound) {
      return `d${f.dom} deferred end of ref ${d.ref} still pending after ${d.idleTicks} ticks with its entry free (bound ${bound})`;
    }
  }
  return null;
}

export const model = {
  freeNotGranted: onModel(freeNotGranted),
  reservedNeverHandedOut: onModel(reservedNeverHandedOut),
  refsAccounted: onModel(refsAccounted),
  pageNotFreedWhileGranted: onModel(pageNotFreedWhileGranted),
  deferredLive: onModel(deferredLive),
};

export const impl = {
  freeNotGranted: onImpl(freeNotGranted),
  reservedNeverHandedOut: onImpl(reservedNeverHandedOut),
  refsAccounted: onImpl(refsAccounted),
  pageNotFreedWhileGranted: onImpl(pageNotFreedWhileGranted),
  deferredLive: onImpl(deferredLive),
};
