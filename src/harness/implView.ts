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
import { insertAscending } from '../impl/sorted.ts';
import {
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTPIN_devr_shift,
  GNTPIN_devw_shift,
  GNTPIN_hstr_shift,
  GNTPIN_hstw_shift,
  MAPTRACK_TAIL,
} from '../xen/abi.ts';

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
    scanAll: (table: T, size: number) => number[] = (t, n) => scan(n, test, t),
  ): readonly number[] {
    const touched = log.since(this.mark);
    this.members =
      touched === undefined
        ? scanAll(table, size)
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

/** What one check saw when it last ran on one domain: the marks of the logs it reads, the sets
 * it reads (replaced, never mutated: e.g. the raw-written refs; a replaced one counts as touched
 * where it differs), a token (any other replaced-not-mutated part, e.g. a size), and whether it
 * held. Updated in place by each run. */
interface Watch {
  readonly marks: TouchMark[];
  sets: readonly ReadonlySet<number>[];
  token: unknown;
  held: boolean;
}

/** The per-domain scans of ImplView (pinned refs, live handles, flagged entries), kept from one
 * step to the next by whoever checks one system step after step; and what the incremental
 * checks (ImplView.touchedSince, ImplView.pinLedger) keep between their runs. */
export class ScanIndex {
  readonly pinned: TrackedIndices[] = [];
  readonly live: TrackedIndices[] = [];
  readonly flagged: TrackedIndices[] = [];
  readonly watches = new Map<object, (Watch | undefined)[]>();
  ledger: PinLedger | undefined;
  /** Per domain, its maptrack's free lists as free-list-integrity last saw them hold. */
  readonly freeLists: FreeListOrder[] = [];
}

/** The pin one live maptrack entry's flags account for: one count of its kind, host and device
 * (map_grant_ref's pin_incr). */
export function pinOfMapFlags(flags: number): number {
  const ro = (flags & GNTMAP_readonly) !== 0;
  let pin = 0;
  if (flags & GNTMAP_host_map) pin += 1 << (ro ? GNTPIN_hstr_shift : GNTPIN_hstw_shift);
  if (flags & GNTMAP_device_map) pin += 1 << (ro ? GNTPIN_devr_shift : GNTPIN_devw_shift);
  return pin;
}

/** A (granter, ref) pair as one number (the same as properties/invariants' grantKey). */
function pairKey(granter: number, ref: number): number {
  return granter * 2 ** 32 + ref;
}

/** What the live maptrack entries naming one (granter, ref) add up to. */
export interface PinSum {
  /** The packed pin they account for. */
  pin: number;
  /** How many there are. */
  live: number;
  /** Live entries per mapping domain (index: mapper id). */
  readonly byMapper: number[];
  /** How many mappers have one or more. */
  mappers: number;
}

/** The pins the live maptrack entries account for, per (granter, ref), kept from step to step by
 * the maptrack tables' touch logs: after a step only the handles it wrote are read again. As in
 * pin-accounting, an entry whose granter is destroyed accounts for nothing (its pins went with
 * its table, docs/semantics.md §17). A mapper whose log was reset (a new maptrack frame, a
 * restore, a full log) is counted again alone: its old entries out, its live handles in. A
 * fresh ledger, or a domain destroyed: rebuilt from every table. */
export class PinLedger {
  readonly sums = new Map<number, PinSum>();
  /** Bumped by each update. */
  generation = 0;
  /** The keys an update changed (or whose pins an active table's log names), with repeats, or
   * undefined when every key must be read again (a rebuild, an active table's log reset). */
  dirty: number[] | undefined;
  /** Per mapper and handle: 1 + the key its entry was counted under (0: none), and its pin.
   * Plain arrays: a ledger is made per checker (per run), and a typed array of the maptrack's
   * size each time was most of a rebuild's cost (an ArrayBuffer is allocated off the heap).
   * They only grow (a handle at or past the table's limit is 0 here): a conformance search
   * restores tables of 0 and 256 handles in turn, and an array made for each was 2% of it. */
  private keys: number[][] = [];
  private pins: number[][] = [];
  /** Per mapper, how many of its handles are counted (a key in `keys`): a recount stops
   * looking for them once it met them all (the live handles are the first few). */
  private counted: number[] = [];
  private maptrackMarks: (TouchMark | undefined)[] = [];
  private activeMarks: (TouchMark | undefined)[] = [];
  /** The tables' versions at their marks. */
  private maptrackVersions: number[] = [];
  private activeVersions: number[] = [];
  private destroyed: boolean[] = [];
  /** Generation at which each reader (a check) last held. */
  readonly heldAt = new Map<object, number>();

  update(view: ImplView): void {
    this.generation++;
    const domains = view.domains;
    let rebuild = this.destroyed.length !== domains.length;
    for (let i = 0; i < domains.length && !rebuild; i++) {
      if ((domains[i]?.destroyed ?? false) !== this.destroyed[i]) rebuild = true;
    }
    if (rebuild) {
      this.sums.clear();
      this.destroyed = domains.map((d) => d.destroyed);
      for (const d of domains) this.countMapper(view, d, undefined);
      this.dirty = undefined;
    } else {
      let dirty: number[] | undefined = [];
      for (let m = 0; m < domains.length; m++) {
        const d = domains[m];
        const t = d?.maptrack;
        if (d === undefined || t === undefined || t.version === this.maptrackVersions[m]) continue;
        const handles = t.touched.since(this.maptrackMarks[m]);
        // a reset log: this mapper's every entry, from the live handles the view scans for the
        // other checks too
        if (handles === undefined) this.countMapper(view, d, dirty);
        else
          for (let j = 0; j < handles.length; j++) this.recount(domains, d, handles[j] ?? 0, dirty);
      }
      for (let g = 0; g < domains.length && dirty !== undefined; g++) {
        const act = domains[g]?.grantTable.active;
        if (act === undefined || act.version === this.activeVersions[g]) continue;
        const refs = act.touched.since(this.activeMarks[g]);
        if (refs === undefined) dirty = undefined;
        else for (let j = 0; j < refs.length; j++) dirty.push(pairKey(g, refs[j] ?? 0));
      }
      this.dirty = dirty;
    }
    // A table whose version did not change keeps its mark: nothing was written (a restore to
    // the same version brings back the same content, and its reset log makes the mark stale).
    for (let i = 0; i < domains.length; i++) {
      const d = domains[i];
      if (d === undefined) continue;
      if (d.maptrack.version !== this.maptrackVersions[i] || rebuild) {
        this.maptrackMarks[i] = d.maptrack.touched.mark();
        this.maptrackVersions[i] = d.maptrack.version;
      }
      const act = d.grantTable.active;
      if (act.version !== this.activeVersions[i] || rebuild) {
        this.activeMarks[i] = act.touched.mark();
        this.activeVersions[i] = act.version;
      }
    }
  }

  /** Count mapper `d` again from its table as it is: each entry it was counted with taken out
   * (`dirty`: and its key noted; undefined: the sums were cleared, only forget them), then each
   * live handle counted. Room for every handle below the table's limit. */
  private countMapper(view: ImplView, d: XenDomain, dirty: number[] | undefined): void {
    const keys = (this.keys[d.id] ??= []);
    const pins = (this.pins[d.id] ??= []);
    for (let h = 0, left = this.counted[d.id] ?? 0; left > 0 && h < keys.length; h++) {
      const old = (keys[h] ?? 0) - 1;
      if (old < 0) continue;
      left--;
      if (dirty !== undefined) this.uncount(d.id, old, pins[h] ?? 0, dirty);
      keys[h] = 0;
      pins[h] = 0;
    }
    this.counted[d.id] = 0;
    for (let h = keys.length; h < d.maptrack.limit; h++) {
      keys.push(0);
      pins.push(0);
    }
    const live = view.live(d.id);
    const domains = view.domains;
    for (let j = 0; j < live.length; j++) this.recount(domains, d, live[j] ?? 0, dirty);
  }

  private uncount(mapper: number, key: number, pin: number, dirty: number[] | undefined): void {
    const sum = this.sums.get(key);
    if (sum !== undefined) {
      sum.pin -= pin;
      sum.live--;
      const n = (sum.byMapper[mapper] ?? 0) - 1;
      sum.byMapper[mapper] = n;
      if (n === 0) sum.mappers--;
      if (sum.live === 0) this.sums.delete(key);
    }
    dirty?.push(key);
  }

  /** Count mapper `d`'s handle `h` again: out of the sum it was counted in, into its own. */
  private recount(
    domains: readonly XenDomain[],
    d: XenDomain,
    h: number,
    dirty: number[] | undefined,
  ): void {
    const keys = this.keys[d.id];
    const pins = this.pins[d.id];
    const t = d.maptrack;
    if (keys === undefined || pins === undefined || h < 0 || h >= t.limit) return;
    const flags = t.flags(h);
    const granter = t.domid(h);
    // a destroyed granter's pins went with its table (docs/semantics.md §17)
    const counted = flags !== 0 && domains[granter]?.destroyed !== true;
    const key = counted ? pairKey(granter, t.ref(h)) : -1;
    const pin = counted ? pinOfMapFlags(flags) : 0;
    const old = (keys[h] ?? 0) - 1;
    if (old === key && (pins[h] ?? 0) === pin) return; // unchanged (a handle touched twice)
    if (old >= 0) this.uncount(d.id, old, pins[h] ?? 0, dirty);
    keys[h] = key + 1;
    pins[h] = pin;
    this.counted[d.id] = (this.counted[d.id] ?? 0) + (counted ? 1 : 0) - (old >= 0 ? 1 : 0);
    if (!counted) return;
    let sum = this.sums.get(key);
    if (sum === undefined) {
      sum = { pin: 0, live: 0, byMapper: [], mappers: 0 };
      this.sums.set(key, sum);
    }
    sum.pin += pin;
    sum.live++;
    const n = (sum.byMapper[d.id] ?? 0) + 1;
    sum.byMapper[d.id] = n;
    if (n === 1) sum.mappers++;
    dirty?.push(key);
  }
}

/** One maptrack table's free lists as they were when free-list-integrity last held there (each
 * vCPU's handles in list order, and each handle's place), so that after a step only what its
 * log names is walked: a run of handles the step did not write is still linked as it was, still
 * free and of the same vCPU, and is counted at once (put_maptrack_handle appends at the tail,
 * get_maptrack_handle takes the head: most steps keep one run and add a handle or two). */
export class FreeListOrder {
  /** Per vCPU, its list: order[v][start[v]..end[v]). */
  private order: number[][] = [];
  private start: number[] = [];
  private end: number[] = [];
  /** Per handle, its index in order[listOf[h]] (stale, or a hole, where order says otherwise:
   * never cleared). */
  private pos: number[] = [];
  private listOf: number[] = [];
  /** False from the start of a pass until it holds: a pass that fails may have changed some
   * lists half-way, and the next one walks them whole. */
  private valid = false;
  /** Scratch, per pass: handles after a list's one run, in list order; the touched handles'
   * places; the lists to record again. */
  private readonly appended: number[] = [];
  private readonly runPositions: number[] = [];
  private readonly again: boolean[] = [];

  /** Is `h` (below the limit) on vCPU `v`'s list as recorded, and where? -1: not. */
  private placeOf(h: number): number {
    const v = this.listOf[h] ?? -1;
    if (v < 0) return -1;
    const p = this.pos[h] ?? -1;
    const start = this.start[v] ?? 0;
    const end = this.end[v] ?? 0;
    return p >= start && p < end && this.order[v]?.[p] === h ? p : -1;
  }

  /** free-list-integrity's one-pass verdict on `t`: every list walked from its head with no
   * handle beyond the limit, none met twice, each free and of the list's vCPU, ending at its
   * tail; then free + `live` = limit. With `record`, the lists are recorded as they are walked:
   * what holdsAfter starts from (a checker following the table step by step records; after a
   * reset log, as the Xen-level explorer's restore before every transition makes, the next
   * step would walk in full anyway, and the walk writes nothing). */
  walk(t: MaptrackTable, live: number, record: boolean): boolean {
    const limit = t.limit;
    this.valid = false;
    if (record && this.pos.length !== limit) {
      this.pos = new Array<number>(limit);
      this.listOf = new Array<number>(limit);
    }
    const seenAt = stamps(limit);
    const pass = ++stampPass;
    if (record && this.order.length !== t.vcpus) {
      this.order.length = t.vcpus;
      this.start.length = t.vcpus;
      this.end.length = t.vcpus;
    }
    let free = 0;
    // Each entry's words: [ref (the next link), flags | domid << 16, vcpu, pad]
    // (MaptrackTable.words), read directly: a fresh frame's list is 256 links long, and a
    // conformance search walks one on a sixth of its transitions. Handles as int32 (`| 0`; the
    // end, MAPTRACK_TAIL, is -1 then, and a link of 2^31 or more is negative, out of the table
    // as it was): a uint32 that may not fit an int32 is a double to V8, and the walk took
    // twice as long reading them.
    const words = t.words;
    for (let v = 0; v < t.vcpus; v++) {
      const order = record ? (this.order[v] ??= []) : undefined;
      if (order !== undefined) truncate(order, 0);
      let last = TAIL_INT32;
      let n = 0;
      for (let h = t.headOf(v) | 0; h !== TAIL_INT32; h = (words[4 * h] ?? MAPTRACK_TAIL) | 0) {
        if (h < 0 || h >= limit || seenAt[h] === pass) return false;
        seenAt[h] = pass;
        if (((words[4 * h + 1] ?? 0) & 0xffff) !== 0 || words[4 * h + 2] !== v) return false;
        if (order !== undefined) {
          this.pos[h] = n;
          this.listOf[h] = v;
          order.push(h);
        }
        n++;
        last = h;
      }
      if (last !== (t.tailOf(v) | 0)) return false;
      this.start[v] = 0;
      this.end[v] = n;
      free += n;
    }
    if (free + live !== limit) return false;
    this.valid = record;
    return true;
  }

  /** Nothing recorded is current (the verdict was had without a walk). */
  forget(): void {
    this.valid = false;
  }

  /** Does free-list-integrity hold on `t` now, given that it held when the lists were
   * recorded and that only the handles in `touched` were written since (the heads and tails
   * are read as they are now)? False also when this cannot tell: the full check decides. The
   * lists recorded are brought up to date when it holds. `live`: the live handles now. */
  holdsAfter(t: MaptrackTable, touched: readonly number[], live: number): boolean {
    const limit = t.limit;
    if (!this.valid || this.pos.length !== limit || this.order.length !== t.vcpus) return false;
    this.valid = false;
    const touchedAt = stamps(limit, 1);
    const seenAt = stamps(limit);
    const pass = ++stampPass;
    // The recorded places of the touched handles, per list, ascending: where runs end.
    const positions = this.runPositions;
    truncate(positions, 0);
    let distinct = 0;
    for (let i = 0; i < touched.length; i++) {
      const h = touched[i] ?? 0;
      if (h < 0 || h >= limit || touchedAt[h] === pass) continue;
      touchedAt[h] = pass;
      // many handles written (a long batch): one walk of the whole list costs less
      if (++distinct > MAX_TOUCHED) return false;
      const p = this.placeOf(h);
      // one number per (list, place): lists' places kept apart by the limit's size
      if (p >= 0) insertAscending(positions, (this.listOf[h] ?? 0) * 2 ** 26 + p);
    }
    let free = 0;
    const again = this.again;
    truncate(again, 0);
    for (let v = 0; v < t.vcpus; v++) {
      const order = this.order[v] ?? [];
      const end = this.end[v] ?? 0;
      const appended = this.appended;
      truncate(appended, 0);
      let runStart = -1; // the list's one run (start), -1: none yet
      let runEnd = -1;
      let runs = 0;
      let before = 0; // handles ahead of the first run
      let last = MAPTRACK_TAIL;
      let h = t.headOf(v);
      while (h !== MAPTRACK_TAIL) {
        if (h >= limit) return false;
        const p = touchedAt[h] === pass ? -1 : this.placeOf(h);
        if (p >= 0) {
          // An untouched run of the recorded list: linked, free and of its vCPU as it was.
          if (this.listOf[h] !== v) return false;
          const q = Math.min(end, nextAbove(positions, v * 2 ** 26 + p) - v * 2 ** 26);
          const runLast = order[q - 1] ?? 0;
          if (seenAt[runLast] === pass) return false; // entered twice
          seenAt[runLast] = pass;
          free += q - p;
          last = runLast;
          h = q < end ? (order[q] ?? MAPTRACK_TAIL) : MAPTRACK_TAIL;
          if (runs++ === 0) {
            runStart = p;
            runEnd = q;
          }
        } else {
          // A handle written since (or not on a list then): as freeListsHold looks at it.
          if (seenAt[h] === pass) return false;
          seenAt[h] = pass;
          if (t.flags(h) !== 0 || t.vcpu(h) !== v) return false;
          free++;
          last = h;
          if (runs === 0) before++;
          else appended.push(h);
          h = t.ref(h);
        }
      }
      if (last !== t.tailOf(v)) return false;
      // The new list is one recorded run and then handles appended: keep the order and append
      // them; any other shape (or an order grown long): record the list again below.
      if (runs === 1 && before === 0 && order.length <= 2 * limit + 64) {
        truncate(order, runEnd);
        for (let i = 0; i < appended.length; i++) {
          const a = appended[i] ?? 0;
          this.pos[a] = order.length;
          this.listOf[a] = v;
          order.push(a);
        }
        this.start[v] = runStart;
        this.end[v] = order.length;
      } else if (runs === 0 && before === 0) {
        truncate(order, 0);
        this.start[v] = 0;
        this.end[v] = 0;
      } else again[v] = true;
    }
    if (free + live !== limit) return false;
    for (let v = 0; v < t.vcpus; v++) if (again[v] === true) this.recordList(t, v);
    this.valid = true;
    return true;
  }

  private recordList(t: MaptrackTable, v: number): void {
    const order = (this.order[v] ??= []);
    truncate(order, 0);
    const limit = t.limit;
    for (
      let h = t.headOf(v);
      h !== MAPTRACK_TAIL && h < limit && order.length < limit;
      h = t.ref(h)
    ) {
      this.pos[h] = order.length;
      this.listOf[h] = v;
      order.push(h);
    }
    this.start[v] = 0;
    this.end[v] = order.length;
  }
}

/** `array` cut to `length` (setting an array's length is a call into V8's runtime: not when it
 * already has that length, as these mostly do). */
function truncate(array: unknown[], length: number): void {
  if (array.length !== length) array.length = length;
}

/** MAPTRACK_TAIL as an int32 (FreeListOrder.walk's handles). */
const TAIL_INT32 = MAPTRACK_TAIL | 0;

/** Above this many distinct handles written since, FreeListOrder walks the lists whole. */
const MAX_TOUCHED = 24;

// Stamps per handle for the walks of FreeListOrder, shared by every instance (one walk at a
// time): slot i is `stampPass` when handle i was met in this walk. Never cleared.
let stampPass = 0;
const stampArrays: number[][] = [[], []];

/** Stamp array `which`, with room for `limit` handles. */
function stamps(limit: number, which = 0): number[] {
  let a = stampArrays[which] ?? [];
  if (a.length < limit) {
    a = new Array<number>(limit).fill(0);
    stampArrays[which] = a;
  }
  return a;
}

/** The first value in ascending `sorted` above `x`, or +Infinity. */
function nextAbove(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? 0) <= x) lo = mid + 1;
    else hi = mid;
  }
  return sorted[lo] ?? Infinity;
}

function tracked(list: TrackedIndices[], id: DomId): TrackedIndices {
  let t = list[id];
  if (t === undefined) {
    t = new TrackedIndices();
    list[id] = t;
  }
  return t;
}

const NOTHING: readonly number[] = [];
const NO_SETS: readonly ReadonlySet<number>[] = [];

// The scans' tests, at module level (see TrackedIndices.current).
const isPinned = (pins: ArrayLike<number>, ref: number): boolean => pins[ref] !== 0;
const isLive = (t: MaptrackTable, handle: number): boolean => t.flags(handle) !== 0;
// Two u32 words per v1 entry; the flags are the low half of the first.
const hasFlags = (words: Uint32Array, ref: number): boolean =>
  ((words[2 * ref] ?? 0) & 0xffff) !== 0;

// The same tests over a whole table, in one loop each: a checker's first look at a system (and
// a look after a table grew) scans every entry, and a test called through a parameter is not
// inlined there.
function scanPinned(pins: ArrayLike<number>, size: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < size; i++) if (pins[i] !== 0) out.push(i);
  return out;
}
// A maptrack knows which entries differ from fresh ones, and only those can be in use.
const scanLive = (t: MaptrackTable, size: number): number[] => t.handlesInUse(size);
function scanFlagged(words: Uint32Array, size: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < size; i++) if (((words[2 * i] ?? 0) & 0xffff) !== 0) out.push(i);
  return out;
}

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
          ? tracked(this.index.pinned, id).current(
              act.touched,
              pins.length,
              isPinned,
              pins,
              scanPinned,
            )
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
      handles = t
        ? tracked(this.index.live, id).current(t.touched, t.limit, isLive, t, scanLive)
        : [];
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
              scanFlagged,
            )
          : [];
      this.flaggedCache[id] = refs;
    }
    return refs;
  }

  /** The pins the live maptrack entries account for, brought up to date once per view. */
  pinLedger(): PinLedger {
    if (this.ledger === undefined) {
      this.ledger = this.index.ledger ?? new PinLedger();
      this.index.ledger = this.ledger;
      this.ledger.update(this);
    }
    return this.ledger;
  }
  private ledger: PinLedger | undefined;

  /** The indices written in `logs` since `check` last held on domain `id` with `token` then as
   * now, and those in which each of `sets` differs from the set it read then (with repeats), or
   * undefined: check it in full (no such run, it failed, a log was reset, the token was
   * replaced). */
  touchedSince(
    check: object,
    id: DomId,
    logs: readonly TouchLog[],
    token: unknown,
    sets: readonly ReadonlySet<number>[] = NO_SETS,
  ): readonly number[] | undefined {
    const w = this.index.watches.get(check)?.[id];
    if (
      w === undefined ||
      !w.held ||
      w.token !== token ||
      w.marks.length !== logs.length ||
      w.sets.length !== sets.length
    ) {
      return undefined;
    }
    let out: number[] | undefined;
    for (let i = 0; i < logs.length; i++) {
      const touched = logs[i]?.since(w.marks[i]);
      if (touched === undefined) return undefined;
      if (touched.length === 0) continue;
      // since() hands out a fresh array: the first is extended, not copied
      if (out === undefined) out = touched as number[];
      else for (let j = 0; j < touched.length; j++) out.push(touched[j] ?? 0);
    }
    for (let i = 0; i < sets.length; i++) {
      const now = sets[i];
      const then = w.sets[i];
      if (now === then || now === undefined || then === undefined) continue;
      out ??= [];
      for (const x of now) if (!then.has(x)) out.push(x);
      for (const x of then) if (!now.has(x)) out.push(x);
    }
    return out ?? NOTHING;
  }

  /** `check` ran on domain `id` now, reading `logs`, `token` and `sets` (an array the caller
   * does not change afterwards): did it hold? */
  checked(
    check: object,
    id: DomId,
    logs: readonly TouchLog[],
    token: unknown,
    held: boolean,
    sets: readonly ReadonlySet<number>[] = NO_SETS,
  ): void {
    let list = this.index.watches.get(check);
    if (list === undefined) {
      list = [];
      this.index.watches.set(check, list);
    }
    const w = list[id];
    if (w === undefined) {
      list[id] = { marks: logs.map((log) => log.mark()), sets, token, held };
      return;
    }
    const marks = w.marks;
    truncate(marks, logs.length);
    for (let i = 0; i < logs.length; i++) {
      const log = logs[i];
      if (log !== undefined) marks[i] = log.mark();
    }
    w.sets = sets;
    w.token = token;
    w.held = held;
  }

  /** Domain `id`'s free lists as free-list-integrity last saw them hold (kept with the scans). */
  freeListOrder(id: DomId): FreeListOrder {
    let order = this.index.freeLists[id];
    if (order === undefined) {
      order = new FreeListOrder();
      this.index.freeLists[id] = order;
    }
    return order;
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
