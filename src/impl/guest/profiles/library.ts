// What the impl's three real guest libraries share (issue 14 §1; docs/semantics.md §18): the
// shared-entry accesses they make (plain stores to grant, the v1 compare-and-swap to end) and
// the driver's ghost bookkeeping (the refs it believes granted, the pages it dropped), which
// the driver contract reads. Each library's own allocator is in its file.

import type { DomId, Gfn, Ref } from '../../../ops/op.ts';
import {
  GNTTAB_NR_RESERVED_ENTRIES,
  GTF_permit_access,
  GTF_readonly,
  GTF_reading,
  GTF_writing,
} from '../../../xen/abi.ts';
import type { SharedGrantMemory } from '../../sharedMemory.ts';

/** One record of Linux's deferred list (struct deferred_entry) and its liveness ghost. */
export interface DeferredRecord {
  ref: Ref;
  page: Gfn | null;
  warnDelay: number;
  idleTicks: number;
}

/** The library state a snapshot keeps (copied, so that a restore can reuse it). */
export interface SavedProfileLib {
  readonly allocator: unknown;
  readonly deferred: readonly DeferredRecord[];
  readonly warnings: number;
  readonly exports: ReadonlyMap<Ref, Gfn>;
  readonly granted: ReadonlyMap<Ref, Gfn>;
  readonly dropped: ReadonlySet<Gfn>;
}

export abstract class ProfileLibBase {
  /** Driver ghost: refs granted and not ended, with their pages. */
  granted = new Map<Ref, Gfn>();
  /** Driver ghost: pages the driver dropped its reference to. */
  dropped = new Set<Gfn>();
  /** linux: the deferred list; mirage: unused. */
  deferred: DeferredRecord[] = [];
  warnings = 0;
  /** mirage: the exports array. */
  exports = new Map<Ref, Gfn>();
  /** linux: free_per_iteration (set from the config). */
  budget = 10;

  constructor(
    readonly dom: DomId,
    readonly memory: SharedGrantMemory,
    readonly size: number,
    readonly contract: boolean,
    /** The domain's pages (its p2m), for the page contract. */
    readonly hasPage: (gfn: Gfn) => boolean,
  ) {}

  /** The free list in allocation order (bounded: a corrupt list is cut after a repeat). */
  abstract freeList(): Ref[];
  protected abstract saveAllocator(): unknown;
  protected abstract loadAllocator(saved: unknown): void;

  /** Held by the driver: in the table, not reserved, not free, not deferred. */
  holds(ref: Ref): boolean {
    if (!Number.isInteger(ref) || ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= this.size)
      return false;
    if (this.deferred.some((d) => d.ref === ref)) return false;
    return !this.freeList().includes(ref);
  }

  ownsPage(gfn: Gfn): boolean {
    return this.hasPage(gfn) && !this.dropped.has(gfn);
  }

  mayGrant(ref: Ref, gfn: Gfn): boolean {
    return this.holds(ref) && !this.granted.has(ref) && this.ownsPage(gfn);
  }

  /** free_page's contract (with `ending`: but for that ref's grant). */
  mayFreePage(gfn: Gfn, ending?: Ref): boolean {
    if (!this.ownsPage(gfn)) return false;
    for (const [ref, page] of this.granted) if (page === gfn && ref !== ending) return false;
    return true;
  }

  /** The contract of a page handed to gnttab_end_foreign_access(ref, page): free_page's, and the
   * page `ref` grants when the driver believes it granted (src/model/profiles/library.ts
   * mayEndWithPage says why). */
  mayEndWithPage(gfn: Gfn, ref: Ref): boolean {
    const granted = this.granted.get(ref);
    return this.mayFreePage(gfn, ref) && (granted === undefined || granted === gfn);
  }

  /** domid, frame, (wmb), flags: plain stores. */
  storeGrant(ref: Ref, grantee: DomId, gfn: Gfn, readonly: boolean): void {
    this.memory.storeDomid(ref, grantee);
    this.memory.storeFrame(ref, gfn);
    this.memory.storeFlags(ref, GTF_permit_access | (readonly ? GTF_readonly : 0));
  }

  /** The v1 end: 0 (false) while GTF_reading/GTF_writing is set, else CAS the flags to 0. */
  endV1(ref: Ref): boolean {
    let flags = this.memory.loadFlags(ref);
    for (;;) {
      if (flags & (GTF_reading | GTF_writing)) return false;
      const seen = this.memory.cmpxchgFlags(ref, flags, 0);
      if (seen === flags) return true;
      flags = seen;
    }
  }

  inUse(ref: Ref): boolean {
    return (this.memory.loadFlags(ref) & (GTF_reading | GTF_writing)) !== 0;
  }

  save(): SavedProfileLib {
    return {
      allocator: this.saveAllocator(),
      deferred: this.deferred.map((d) => ({ ...d })),
      warnings: this.warnings,
      exports: new Map(this.exports),
      granted: new Map(this.granted),
      dropped: new Set(this.dropped),
    };
  }

  load(s: SavedProfileLib): void {
    this.loadAllocator(s.allocator);
    this.deferred = s.deferred.map((d) => ({ ...d }));
    this.warnings = s.warnings;
    this.exports = new Map(s.exports);
    this.granted = new Map(s.granted);
    this.dropped = new Set(s.dropped);
  }
}
