// A read-only view of the impl's own data structures for the impl side of the invariant
// catalogue: the packed pins, the maptrack entries and their linked free list, the frame table,
// the shared bytes. It never goes through abstract(impl), so the invariants check the concrete
// mechanism independently of the refinement mapping. Scans shared by several invariants are
// done once per step and memoised here; with a ScanIndex, which a checker keeps from step to step,
// they are not redone at all but updated from the tables' touch logs (src/impl/touch.ts): only
// the entries a step wrote are looked at again.

import type { GrantSystem, XenDomain } from '../impl/index.ts';
import type { DomId, Handle, Ref } from '../ops/op.ts';
import type { TouchLog, TouchMark } from '../impl/touch.ts';
import type { MaptrackTable } from '../impl/hypervisor/maptrack.ts';
import { MAPTRACK_TAIL } from '../xen/abi.ts';

export interface FreeListWalk {
  readonly handles: readonly Handle[];
  /** Why the walk is not a well-formed list, or null. */
  readonly problem: string | null;
}

/** The ascending indices 0..size-1 of one table that pass a test, kept from one step to the
 * next: after a step, only the indices its touch log names are tested again. */
export class TrackedIndices {
  private members: readonly number[] = [];
  private mark: TouchMark | undefined;

  /** The indices `i` for which `test(table, i)` holds now. (A module-level `test` with its
   * table as an argument: no closure per call, after every step.) */
  current<T>(
    log: TouchLog,
    size: number,
    test: (table: T, i: number) => boolean,
    table: T,
  ): readonly number[] {
    const touched = log.since(this.mark);
    this.members =
      touched === undefined
        ? scan(size, test, table)
        : touched.length === 0
          ? this.members
          : retest(this.members, touched, size, test, table);
    this.mark = log.mark();
    return this.members;
  }
}

function scan<T>(size: number, test: (table: T, i: number) => boolean, table: T): number[] {
  const out: number[] = [];
  for (let i = 0; i < size; i++) if (test(table, i)) out.push(i);
  return out;
}

/** `members` with each touched index tested again: a new array if any changed. */
function retest<T>(
  members: readonly number[],
  touched: readonly number[],
  size: number,
  test: (table: T, i: number) => boolean,
  table: T,
): readonly number[] {
  let out = members;
  for (const i of touched) {
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((out[mid] ?? 0) < i) lo = mid + 1;
      else hi = mid;
    }
    const has = out[lo] === i;
    const passes = i >= 0 && i < size && test(table, i);
    if (has === passes) continue;
    const copy = out === members ? members.slice() : (out as number[]);
    if (passes) copy.splice(lo, 0, i);
    else copy.splice(lo, 1);
    out = copy;
  }
  return out;
}

/** The per-domain scans of ImplView (pinned refs, live handles, flagged entries), kept from one
 * step to the next by whoever checks one system step after step. */
export class ScanIndex {
  readonly pinned: TrackedIndices[] = [];
  readonly live: TrackedIndices[] = [];
  readonly flagged: TrackedIndices[] = [];
}

function tracked(list: TrackedIndices[], id: DomId): TrackedIndices {
  let t = list[id];
  if (t === undefined) {
    t = new TrackedIndices();
    list[id] = t;
  }
  return t;
}

// The scans' tests, at module level (see TrackedIndices.current).
const isPinned = (pins: ArrayLike<number>, ref: number): boolean => pins[ref] !== 0;
const isLive = (t: MaptrackTable, handle: number): boolean => t.flags(handle) !== 0;
// Two u32 words per v1 entry; the flags are the low half of the first.
const hasFlags = (words: Uint32Array, ref: number): boolean =>
  ((words[2 * ref] ?? 0) & 0xffff) !== 0;

export class ImplView {
  // Per-domain scans, each done at most once per step and only for the domains asked about.
  private readonly pinnedCache: (readonly Ref[] | undefined)[] = [];
  private readonly liveCache: (readonly Handle[] | undefined)[] = [];
  private readonly flaggedCache: (readonly Ref[] | undefined)[] = [];

  /** `index`: scans kept from earlier steps of the same system (a fresh one scans in full). */
  constructor(
    readonly system: GrantSystem,
    private readonly index: ScanIndex = new ScanIndex(),
  ) {}

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
      const act = this.domain(id)?.grantTable.active;
      const pins = act?.pin;
      refs =
        act && pins
          ? tracked(this.index.pinned, id).current(act.touched, pins.length, isPinned, pins)
          : [];
      this.pinnedCache[id] = refs;
    }
    return refs;
  }

  /** Handles of mapper `id` whose maptrack entry is in use (flags != 0). */
  live(id: DomId): readonly Handle[] {
    let handles = this.liveCache[id];
    if (handles === undefined) {
      const t = this.domain(id)?.maptrack;
      handles = t ? tracked(this.index.live, id).current(t.touched, t.limit, isLive, t) : [];
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

  /** Refs of domain `id` whose shared flags are not all 0, ascending (a superset of every
   * withStatusBits list, for a check that tests the bits itself): one scan of the table per
   * step, or none (ScanIndex). */
  flagged(id: DomId): readonly Ref[] {
    let refs = this.flaggedCache[id];
    if (refs === undefined) {
      const shared = this.domain(id)?.grantTable.shared;
      const words = shared?.words;
      refs =
        shared && words
          ? tracked(this.index.flagged, id).current(
              shared.touched,
              words.length >>> 1,
              hasFlags,
              words,
            )
          : [];
      this.flaggedCache[id] = refs;
    }
    return refs;
  }

  /** Walk vCPU `v`'s free list from head along the entries' `ref` links. */
  freeList(id: DomId, v = 0): FreeListWalk {
    const t = this.domain(id)?.maptrack;
    if (!t) return { handles: [], problem: `no domain ${id}` };
    const tail = MAPTRACK_TAIL;
    const limit = t.limit;
    const handles: Handle[] = [];
    const seen = new Uint8Array(limit);
    let h = t.headOf(v);
    while (h !== tail) {
      if (h >= limit)
        return { handles, problem: `free list reaches handle ${h} beyond limit ${limit}` };
      if (seen[h]) return { handles, problem: `free list cycles at handle ${h}` };
      seen[h] = 1;
      handles.push(h);
      h = t.ref(h);
    }
    const last = handles[handles.length - 1];
    if (last !== undefined && last !== t.tailOf(v)) {
      return { handles, problem: `free list ends at ${last} but tail is ${t.tailOf(v)}` };
    }
    if (last === undefined && t.tailOf(v) !== tail) {
      return { handles, problem: `free list empty but tail is ${t.tailOf(v)}` };
    }
    return { handles, problem: null };
  }
}
