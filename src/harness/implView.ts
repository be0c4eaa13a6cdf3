// A read-only view of the impl's own data structures for the impl side of the invariant
// catalogue: the packed pins, the maptrack entries and their linked free list, the frame table,
// the shared bytes. It never goes through abstract(impl), so the invariants check the concrete
// mechanism independently of the refinement mapping. Scans shared by several invariants are
// done once per step and memoised here.

import type { GrantSystem, XenDomain } from '../impl/index.ts';
import type { DomId, Handle, Ref } from '../ops/op.ts';
import { MAPTRACK_TAIL } from '../xen/abi.ts';

export interface FreeListWalk {
  readonly handles: readonly Handle[];
  /** Why the walk is not a well-formed list, or null. */
  readonly problem: string | null;
}

export class ImplView {
  // Per-domain scans, each done at most once per step and only for the domains asked about.
  private readonly pinnedCache: (Ref[] | undefined)[] = [];
  private readonly liveCache: (Handle[] | undefined)[] = [];
  private readonly flaggedCache: (Ref[] | undefined)[] = [];

  constructor(readonly system: GrantSystem) {}

  get domains(): readonly XenDomain[] {
    return this.system.xen.domains;
  }

  domain(id: DomId): XenDomain | undefined {
    return this.system.xen.domains[id];
  }

  rawWritten(id: DomId): ReadonlySet<Ref> {
    return this.system.guests[id]?.rawWritten ?? new Set();
  }

  /** Refs of domain `id` whose packed pin is non-zero. */
  pinned(id: DomId): readonly Ref[] {
    let refs = this.pinnedCache[id];
    if (refs === undefined) {
      refs = [];
      const pins = this.domain(id)?.grantTable.active.pin ?? [];
      for (let r = 0; r < pins.length; r++) if (pins[r] !== 0) refs.push(r);
      this.pinnedCache[id] = refs;
    }
    return refs;
  }

  /** Handles of mapper `id` whose maptrack entry is in use (flags != 0). */
  live(id: DomId): readonly Handle[] {
    let handles = this.liveCache[id];
    if (handles === undefined) {
      handles = [];
      const t = this.domain(id)?.maptrack;
      if (t) for (let h = 0; h < t.limit; h++) if (t.flags(h) !== 0) handles.push(h);
      this.liveCache[id] = handles;
    }
    return handles;
  }

  /** Refs of domain `id` whose shared flags have a bit of `mask` set (any entry type). */
  withStatusBits(id: DomId, mask: number): readonly Ref[] {
    const words = this.domain(id)?.grantTable.shared.words;
    if (!words) return [];
    // Two u32 words per v1 entry; the flags are the low half of the first.
    return this.flagged(id).filter((r) => ((words[2 * r] ?? 0) & mask) !== 0);
  }

  /** Refs of domain `id` whose shared flags are not all 0: one scan of the table per step. */
  private flagged(id: DomId): readonly Ref[] {
    let refs = this.flaggedCache[id];
    if (refs === undefined) {
      refs = [];
      const words = this.domain(id)?.grantTable.shared.words ?? [];
      for (let r = 0; 2 * r < words.length; r++)
        if (((words[2 * r] ?? 0) & 0xffff) !== 0) refs.push(r);
      this.flaggedCache[id] = refs;
    }
    return refs;
  }

  /** Walk the vCPU free list from head along the entries' `ref` links. */
  freeList(id: DomId): FreeListWalk {
    const t = this.domain(id)?.maptrack;
    if (!t) return { handles: [], problem: `no domain ${id}` };
    const tail = MAPTRACK_TAIL;
    const limit = t.limit;
    const handles: Handle[] = [];
    const seen = new Uint8Array(limit);
    let h = t.head;
    while (h !== tail) {
      if (h >= limit)
        return { handles, problem: `free list reaches handle ${h} beyond limit ${limit}` };
      if (seen[h]) return { handles, problem: `free list cycles at handle ${h}` };
      seen[h] = 1;
      handles.push(h);
      h = t.ref(h);
    }
    const last = handles[handles.length - 1];
    if (last !== undefined && last !== t.tail) {
      return { handles, problem: `free list ends at ${last} but tail is ${t.tail}` };
    }
    if (last === undefined && t.tail !== tail) {
      return { handles, problem: `free list empty but tail is ${t.tail}` };
    }
    return { handles, problem: null };
  }
}
