// State invariants over the model state (sources in index.ts). Each check returns
// null when the invariant holds, or one line naming the first counterexample. The same
// invariants are checked on the impl's own structures in implChecks.ts.

import type { CheckMessage } from '../../src/harness/invariant.ts';
import { flowOf } from '../../src/model/flow.ts';
import type { IntMap } from '../../src/model/intMap.ts';
import { freeLists } from '../../src/model/maptrack.ts';
import { unpermittedLabel, unpermittedMapping } from './flows.ts';
import type { ActiveGrant, DomainState, GrantMapping, ModelState } from '../../src/model/state.ts';
import {
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTPIN_COUNTER_LIMIT,
  GNTTAB_NR_RESERVED_ENTRIES,
  GTF_accept_transfer,
  GTF_reading,
  GTF_transfer_committed,
  GTF_transfer_completed,
  GTF_type_mask,
  GTF_writing,
  MAPTRACK_PER_PAGE,
  SHGNT_PER_PAGE_V1,
} from '../../src/xen/abi.ts';

type PinName = 'hostWritable' | 'hostReadonly' | 'deviceWritable' | 'deviceReadonly';
type PinCounts = { -readonly [K in PinName]: ActiveGrant[K] };
const PIN_NAMES: readonly (keyof PinCounts)[] = [
  'hostWritable',
  'hostReadonly',
  'deviceWritable',
  'deviceReadonly',
];

function nrEntries(d: DomainState): number {
  return d.grantTable.nrFrames * SHGNT_PER_PAGE_V1;
}

/** `grantees`: the distinct mapping domains, in domain order. */
type MappingCount = PinCounts & { grantees: number[] };

/** A (granter, ref) pair as one number: refs are u32, domids small. */
export function grantKey(granter: number, ref: number): number {
  return granter * 2 ** 32 + ref;
}

// The last state counted, shared by the checks of one state. Why one entry and not a WeakMap by
// state: the checks that share it ask in turn, and a WeakMap entry per state is an ephemeron the
// garbage collector must trace (as lastChanges below).
let lastStateCounts: { state: ModelState; counts: Map<number, MappingCount> } | undefined;

/** Live mappings of each (granter, ref), counted by the pin kind each one holds; computed once
 * per state for the invariants that share it. */
function countMappings(state: ModelState): Map<number, MappingCount> {
  if (lastStateCounts !== undefined && lastStateCounts.state === state)
    return lastStateCounts.counts;
  const counts = new Map<number, MappingCount>();
  for (const mapper of state.domains) {
    mapper.maptrack.mappings.forEach((m) => {
      const key = grantKey(m.granter, m.ref);
      let c = counts.get(key);
      if (!c) {
        c = {
          hostWritable: 0,
          hostReadonly: 0,
          deviceWritable: 0,
          deviceReadonly: 0,
          grantees: [],
        };
        counts.set(key, c);
      }
      if (c.grantees[c.grantees.length - 1] !== mapper.id) c.grantees.push(mapper.id);
      const ro = (m.flags & GNTMAP_readonly) !== 0;
      if (m.flags & GNTMAP_host_map) {
        if (ro) c.hostReadonly++;
        else c.hostWritable++;
      }
      if (m.flags & GNTMAP_device_map) {
        if (ro) c.deviceReadonly++;
        else c.deviceWritable++;
      }
    });
  }
  lastStateCounts = { state, counts };
  return counts;
}

function splitKey(key: number): [number, number] {
  return [Math.floor(key / 2 ** 32), key % 2 ** 32];
}

// --- Incremental model checks (StateInvariant.onModelSince) ------------------------------------
// The checker hands these the last state on which every invariant held (`held`) and the new one.
// Model states share what a step did not change, so what did change is found by identity: the
// maptrack handles IntMap.everyChange lists, the few active entries of a domain whose map was
// replaced. Each check re-checks only the entries that changed, and answers false (the full
// check then decides) wherever what changed could alter the verdict of an entry it did not
// look at (test/properties/modelSince.test.ts compares them with the full checks).

/** A maptrack handle whose entry differs between `held` and the new state (undefined: free). */
interface MappingChange {
  readonly mapper: number;
  readonly handle: number;
  readonly was: GrantMapping | undefined;
  readonly now: GrantMapping | undefined;
}

/** An active entry that differs between `held` and the new state (undefined: not pinned). */
interface ActiveChange {
  readonly granter: number;
  readonly ref: number;
  readonly was: ActiveGrant | undefined;
  readonly now: ActiveGrant | undefined;
}

interface Changes {
  readonly mappings: readonly MappingChange[];
  readonly active: readonly ActiveChange[];
  /** touchedPairs' answer, once asked. */
  pairs?: readonly TouchedPair[];
}

// The last step's changes, shared by the checks of that step. Why one entry and not a WeakMap
// by state: the checks of a step ask in turn, and a WeakMap entry per step is an ephemeron the
// garbage collector must trace.
let lastChanges: { held: ModelState; state: ModelState; changes: Changes } | undefined;

/** The maptrack entries and active entries that changed from `held` to `state`; null when the
 * domains themselves differ (their number, or a domain's death), where no check here vouches
 * for what it did not look at. */
function changesSince(held: ModelState, state: ModelState): Changes | null {
  if (lastChanges !== undefined && lastChanges.held === held && lastChanges.state === state) {
    return lastChanges.changes;
  }
  if (held.domains.length !== state.domains.length) return null;
  const mappings: MappingChange[] = [];
  const active: ActiveChange[] = [];
  for (let i = 0; i < state.domains.length; i++) {
    const a = held.domains[i];
    const b = state.domains[i];
    if (a === undefined || b === undefined || a.death !== b.death) return null;
    if (a === b) continue;
    const was = a.maptrack.mappings;
    const now = b.maptrack.mappings;
    if (was !== now) {
      was.everyChange(now, (handle) => {
        mappings.push({ mapper: i, handle, was: was.get(handle), now: now.get(handle) });
        return true;
      });
    }
    const before = a.grantTable.active;
    const after = b.grantTable.active;
    if (before !== after) {
      for (const [ref, act] of after) {
        const old = before.get(ref);
        if (old !== act) active.push({ granter: i, ref, was: old, now: act });
      }
      for (const [ref, old] of before) {
        if (!after.has(ref)) active.push({ granter: i, ref, was: old, now: undefined });
      }
    }
  }
  const changes: Changes = { mappings, active };
  lastChanges = { held, state, changes };
  return changes;
}

/** One mapper's live mappings of one (granter, ref), by pin kind, and all of them (`live`: also
 * those with neither host_map nor device_map, which pin nothing). */
type KeyCount = PinCounts & { live: number };

/** A mapping domain's live mappings counted by (granter, ref): a function of its maptrack's
 * mappings, which the steps that do not touch that maptrack share. */
interface MapperCounts {
  readonly mappings: IntMap<GrantMapping>;
  readonly counts: ReadonlyMap<number, KeyCount>;
}

// The last counts computed for each domain id (one entry each, for the reason lastChanges has
// one): the next step's held state has those mappings, or shares them.
const lastCounts: (MapperCounts | undefined)[] = [];

/** Domain `id`'s counts by (granter, ref) for `mappings`: patched from those of `from` (its
 * mappings at the held state) when they are the last counted, else counted. */
function countsOf(
  id: number,
  mappings: IntMap<GrantMapping>,
  from: IntMap<GrantMapping>,
): ReadonlyMap<number, KeyCount> {
  const last = lastCounts[id];
  if (last?.mappings === mappings) return last.counts;
  const base = last?.mappings === from ? last.counts : undefined;
  const counts = new Map<number, KeyCount>();
  if (base === undefined) {
    for (const m of mappings.values()) bump(counts, m, 1, false);
  } else {
    for (const [key, c] of base) counts.set(key, c);
    const copied: number[] = []; // keys whose record is this map's own, not base's (a few)
    from.everyChange(mappings, (handle) => {
      const was = from.get(handle);
      const now = mappings.get(handle);
      if (was !== undefined) bump(counts, was, -1, copied);
      if (now !== undefined) bump(counts, now, 1, copied);
      return true;
    });
    for (const key of copied) if (counts.get(key)?.live === 0) counts.delete(key);
  }
  lastCounts[id] = { mappings, counts };
  return counts;
}

/** Add `by` to the count of mapping `m`'s (granter, ref). `copied`: the keys whose records this
 * map owns (the rest are shared with the map it was copied from); false: it owns them all. */
function bump(
  counts: Map<number, KeyCount>,
  m: GrantMapping,
  by: number,
  copied: number[] | false,
): void {
  const key = grantKey(m.granter, m.ref);
  let c = counts.get(key);
  if (c === undefined || (copied !== false && !copied.includes(key))) {
    c = {
      hostWritable: c?.hostWritable ?? 0,
      hostReadonly: c?.hostReadonly ?? 0,
      deviceWritable: c?.deviceWritable ?? 0,
      deviceReadonly: c?.deviceReadonly ?? 0,
      live: c?.live ?? 0,
    };
    counts.set(key, c);
    if (copied !== false) copied.push(key);
  }
  c.live += by;
  const ro = (m.flags & GNTMAP_readonly) !== 0;
  if (m.flags & GNTMAP_host_map) c[ro ? 'hostReadonly' : 'hostWritable'] += by;
  if (m.flags & GNTMAP_device_map) c[ro ? 'deviceReadonly' : 'deviceWritable'] += by;
}

/** A (granter, ref) whose mappings or active entry changed, with its live mappings in the new
 * state: all of them by pin kind, and the mapping domains that hold some. */
interface TouchedPair {
  readonly granter: number;
  readonly ref: number;
  readonly total: KeyCount;
  /** How many domains map it, and the first of them (in domain order). */
  readonly mappers: number;
  readonly mapper: number | undefined;
}

/** The pairs whose mappings or active entry changed from `held` to `state`, counted; null when
 * changesSince declines. */
function touchedPairs(held: ModelState, state: ModelState): readonly TouchedPair[] | null {
  const changes = changesSince(held, state);
  if (changes === null) return null;
  if (changes.pairs !== undefined) return changes.pairs; // shared by pin-accounting and single-grantee
  const keys: number[] = [];
  const add = (key: number) => {
    if (!keys.includes(key)) keys.push(key); // a step touches a few pairs
  };
  for (const c of changes.mappings) {
    if (c.was !== undefined) add(grantKey(c.was.granter, c.was.ref));
    if (c.now !== undefined) add(grantKey(c.now.granter, c.now.ref));
  }
  for (const a of changes.active) add(grantKey(a.granter, a.ref));
  // each mapping domain's counts, patched from the held state's
  const perMapper: ReadonlyMap<number, KeyCount>[] = [];
  for (let i = 0; i < state.domains.length; i++) {
    const a = held.domains[i];
    const b = state.domains[i];
    if (a === undefined || b === undefined) return null; // changesSince declined already
    perMapper.push(countsOf(i, b.maptrack.mappings, a.maptrack.mappings));
  }
  const pairs: TouchedPair[] = [];
  for (const key of keys) {
    const [granter, ref] = splitKey(key);
    const total: KeyCount = {
      hostWritable: 0,
      hostReadonly: 0,
      deviceWritable: 0,
      deviceReadonly: 0,
      live: 0,
    };
    let mappers = 0;
    let mapper: number | undefined;
    for (let i = 0; i < perMapper.length; i++) {
      const c = perMapper[i]?.get(key);
      if (c === undefined || c.live === 0) continue;
      mappers++;
      mapper ??= i;
      total.live += c.live;
      total.hostWritable += c.hostWritable;
      total.hostReadonly += c.hostReadonly;
      total.deviceWritable += c.deviceWritable;
      total.deviceReadonly += c.deviceReadonly;
    }
    pairs.push({ granter, ref, total, mappers, mapper });
  }
  changes.pairs = pairs;
  return pairs;
}

/** pin-accounting since `held`: the pairs whose mappings or pins changed (every other pair's
 * mappings, pins and granter are as they were), counted exactly. */
export function pinAccountingSince(held: ModelState, state: ModelState): boolean {
  const pairs = touchedPairs(held, state);
  if (pairs === null) return false;
  for (const { granter, ref, total } of pairs) {
    const d = state.domains[granter];
    if (d === undefined) return false;
    const act = d.grantTable.active.get(ref);
    if (act === undefined) {
      if (total.live > 0 && d.death !== 'gone') return false;
    } else if (
      act.hostWritable !== total.hostWritable ||
      act.hostReadonly !== total.hostReadonly ||
      act.deviceWritable !== total.deviceWritable ||
      act.deviceReadonly !== total.deviceReadonly
    ) {
      return false;
    }
  }
  return true;
}

/** single-grantee since `held`: the pairs whose mappings or active entry changed. */
export function singleGranteeSince(held: ModelState, state: ModelState): boolean {
  const pairs = touchedPairs(held, state);
  if (pairs === null) return false;
  for (const { granter, ref, mappers, mapper } of pairs) {
    if (mappers > 1) return false;
    const act = state.domains[granter]?.grantTable.active.get(ref);
    if (mapper !== undefined && act !== undefined && act.grantee !== mapper) return false;
  }
  return true;
}

/** live-maptrack-entries since `held`: the handles that changed, while no limit and no granter's
 * table shrank (an unchanged handle was below its limit and named a ref inside its table). */
export function liveMaptrackEntriesSince(held: ModelState, state: ModelState): boolean {
  const changes = changesSince(held, state);
  if (changes === null) return false;
  for (let i = 0; i < state.domains.length; i++) {
    const a = held.domains[i];
    const b = state.domains[i];
    if (a === undefined || b === undefined) return false;
    if (b.maptrack.limit < a.maptrack.limit) return false;
    if (b.grantTable.nrFrames < a.grantTable.nrFrames) return false;
  }
  for (const { mapper, handle, now } of changes.mappings) {
    if (now === undefined) continue;
    const d = state.domains[mapper];
    const granter = state.domains[now.granter];
    if (d === undefined || granter === undefined) return false;
    if (handle < 0 || handle >= d.maptrack.limit) return false;
    if ((now.flags & (GNTMAP_host_map | GNTMAP_device_map)) === 0) return false;
    if (now.ref >= nrEntries(granter)) return false;
  }
  return true;
}

/** mapped-pages-stay since `held`, with the frame owners unchanged: the device mappings that
 * changed, and each changed active entry's frame (still its granter's: then whatever device
 * mappings name it hold). */
export function mappedPagesStaySince(held: ModelState, state: ModelState): boolean {
  if (held.frameOwner !== state.frameOwner) return false;
  const changes = changesSince(held, state);
  if (changes === null) return false;
  for (const { now } of changes.mappings) {
    if (now === undefined || !(now.flags & GNTMAP_device_map)) continue;
    const act = state.domains[now.granter]?.grantTable.active.get(now.ref);
    if (act !== undefined && state.frameOwner.get(act.mfn) !== now.granter) return false;
  }
  for (const { granter, now } of changes.active) {
    if (now !== undefined && state.frameOwner.get(now.mfn) !== granter) return false;
  }
  return true;
}

/** page-references since `held`, with the frame owners unchanged: the grant PTEs, device
 * mappings and active entries that changed (a changed active entry's frame still allocated:
 * then whatever device mappings name it hold). */
export function pageReferencesSince(held: ModelState, state: ModelState): boolean {
  const owners = state.frameOwner;
  if (held.frameOwner !== owners) return false;
  const changes = changesSince(held, state);
  if (changes === null) return false;
  for (let i = 0; i < state.domains.length; i++) {
    const before = held.domains[i]?.hostMappings;
    const after = state.domains[i]?.hostMappings;
    if (before === undefined || after === undefined) return false;
    if (before === after) continue;
    for (const [page, pte] of after) {
      if (before.get(page) !== pte && !owners.has(pte.mfn)) return false;
    }
  }
  for (const { now } of changes.mappings) {
    if (now === undefined || !(now.flags & GNTMAP_device_map)) continue;
    const act = state.domains[now.granter]?.grantTable.active.get(now.ref);
    if (act !== undefined && !owners.has(act.mfn)) return false;
  }
  for (const { now } of changes.active) if (now !== undefined && !owners.has(now.mfn)) return false;
  return true;
}

export function pinRange(d: DomainState): CheckMessage {
  for (const [ref, act] of d.grantTable.active) {
    for (const name of PIN_NAMES) {
      const n = act[name];
      if (n < 0 || n > GNTPIN_COUNTER_LIMIT) return `d${d.id} ref ${ref}: ${name} = ${n}`;
    }
    if (PIN_NAMES.every((name) => act[name] === 0)) {
      return `d${d.id} ref ${ref}: active entry kept with all pins 0`;
    }
  }
  return null;
}

/** The first of PIN_NAMES whose count in `act` differs from `mapped`'s (absent: none mapped). */
function pinMismatch(act: ActiveGrant, mapped: PinCounts | undefined): PinName | undefined {
  if (act.hostWritable !== (mapped?.hostWritable ?? 0)) return 'hostWritable';
  if (act.hostReadonly !== (mapped?.hostReadonly ?? 0)) return 'hostReadonly';
  if (act.deviceWritable !== (mapped?.deviceWritable ?? 0)) return 'deviceWritable';
  if (act.deviceReadonly !== (mapped?.deviceReadonly ?? 0)) return 'deviceReadonly';
  return undefined;
}

export function pinAccounting(state: ModelState): CheckMessage {
  const counts = countMappings(state);
  for (const d of state.domains) {
    for (const [ref, act] of d.grantTable.active) {
      const c = counts.get(grantKey(d.id, ref));
      const name = pinMismatch(act, c);
      if (name !== undefined) {
        return `d${d.id} ref ${ref}: ${name} pin ${act[name]} but ${c ? c[name] : 0} live mappings`;
      }
    }
  }
  for (const key of counts.keys()) {
    const [granter, ref] = splitKey(key);
    const d = state.domains[granter];
    // a gone granter's active entries went with it (grant_table_destroy): a mapping left naming
    // it holds no page reference (docs/semantics.md §17, invariant gone-domains-unnamed)
    if (d?.death === 'gone') continue;
    if (!d || !d.grantTable.active.has(ref)) {
      return `d${granter} ref ${ref} has live mappings but no pins`;
    }
  }
  return null;
}

export function singleGrantee(state: ModelState): CheckMessage {
  for (const [key, c] of countMappings(state)) {
    const [granter, ref] = splitKey(key);
    const act = state.domains[granter]?.grantTable.active.get(ref);
    if (c.grantees.length > 1) return `d${granter} ref ${ref} is mapped by ${c.grantees}`;
    const [grantee] = c.grantees;
    if (act && act.grantee !== grantee) {
      return `d${granter} ref ${ref}: active grantee d${act.grantee} but mapped by d${grantee}`;
    }
  }
  return null;
}

export function pinnedRefsValid(d: DomainState): CheckMessage {
  for (const ref of d.grantTable.active.keys()) {
    if (ref >= nrEntries(d)) return `d${d.id} ref ${ref} pinned beyond ${nrEntries(d)} entries`;
  }
  return null;
}

export function liveMaptrackEntries(state: ModelState): CheckMessage {
  for (const d of state.domains) {
    for (const [h, m] of d.maptrack.mappings) {
      if (h < 0 || h >= d.maptrack.limit) return `d${d.id} handle ${h} beyond limit`;
      if ((m.flags & (GNTMAP_host_map | GNTMAP_device_map)) === 0) {
        return `d${d.id} handle ${h} live without host_map or device_map`;
      }
      const granter = state.domains[m.granter];
      if (!granter) return `d${d.id} handle ${h} names unknown domain ${m.granter}`;
      if (m.ref >= nrEntries(granter))
        return `d${d.id} handle ${h} names ref ${m.ref} beyond table`;
    }
  }
  return null;
}

export function maptrackSize(d: DomainState): CheckMessage {
  const { limit, maxFrames } = d.maptrack;
  if (limit % MAPTRACK_PER_PAGE !== 0)
    return `d${d.id} maptrack limit ${limit} not a multiple of 256`;
  if (limit > MAPTRACK_PER_PAGE * maxFrames) return `d${d.id} maptrack limit ${limit} above max`;
  return null;
}

// Marks for freeListsHold's fallback, reused: it runs after most maps and unmaps.
let freeMarks = new Uint8Array(0);

// freeListsHold's runs of every list, [first0, last0, first1, last1, ...], reused.
const freeRuns: number[] = [];

/** Above this many runs, freeListsHold marks handles instead of sorting runs. */
const MAX_SORTED_RUNS = 32;

/** Does freeListIntegrity hold? The same verdict, allocating nothing: the full check's message
 * is built only when it fails (test/properties/fastVerdicts.test.ts compares the two verdicts).
 * Why runs: a list is a few runs of consecutive handles (FreeList), so sorting the runs and
 * looking each live handle up among them costs O(runs + live), where marking every free handle
 * cost the whole table (256 handles a frame) after every map and unmap. */
function freeListsHold(d: DomainState): boolean {
  const { limit, mappings, freeList, otherFreeLists } = d.maptrack;
  freeRuns.length = 0;
  let count = 0;
  let sentinel = false;
  for (let v = 0; v < 1 + (otherFreeLists?.length ?? 0); v++) {
    const list = v === 0 ? freeList : otherFreeLists?.[v - 1];
    if (list === undefined || !list.everyRun(collectRun, limit)) return false;
    count += list.length;
    sentinel ||= list.length > 0;
  }
  if (count + mappings.size !== limit || (limit !== 0 && !sentinel)) return false;
  const n = freeRuns.length >> 1;
  if (n > MAX_SORTED_RUNS) return freeListsHoldByMarks(d);
  // Insertion sort by first handle: a handle on two lists (or twice on one) overlaps two runs.
  for (let i = 1; i < n; i++) {
    const first = freeRuns[2 * i] ?? 0;
    const last = freeRuns[2 * i + 1] ?? 0;
    let j = i - 1;
    while (j >= 0 && (freeRuns[2 * j] ?? 0) > first) {
      freeRuns[2 * j + 2] = freeRuns[2 * j] ?? 0;
      freeRuns[2 * j + 3] = freeRuns[2 * j + 1] ?? 0;
      j--;
    }
    freeRuns[2 * j + 2] = first;
    freeRuns[2 * j + 3] = last;
  }
  for (let i = 1; i < n; i++)
    if ((freeRuns[2 * i] ?? 0) <= (freeRuns[2 * i - 1] ?? 0)) return false;
  for (const h of mappings.keys()) if (h >= 0 && h < limit && inFreeRuns(h, n)) return false;
  return true;
}

/** Keep run first..last of a list; false if a handle of it is beyond `limit`. */
function collectRun(first: number, last: number, limit: number): boolean {
  if (first > last) return true; // no handles (FreeList keeps none such)
  if (!(first >= 0 && last < limit)) return false;
  freeRuns.push(first, last);
  return true;
}

/** Is `h` in one of the `n` sorted, disjoint runs of freeRuns? */
function inFreeRuns(h: number, n: number): boolean {
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((freeRuns[2 * mid] ?? 0) > h) hi = mid - 1;
    else if ((freeRuns[2 * mid + 1] ?? 0) < h) lo = mid + 1;
    else return true;
  }
  return false;
}

/** freeListsHold by marking every free handle (a list of many short runs). */
function freeListsHoldByMarks(d: DomainState): boolean {
  const { limit, mappings, freeList, otherFreeLists } = d.maptrack;
  if (freeMarks.length < limit) freeMarks = new Uint8Array(limit);
  else freeMarks.fill(0, 0, limit);
  let count = 0;
  let sentinel = false;
  for (let v = 0; v < 1 + (otherFreeLists?.length ?? 0); v++) {
    const list = v === 0 ? freeList : otherFreeLists?.[v - 1];
    if (list === undefined || !list.everyRun(markFree, limit)) return false;
    count += list.length;
    sentinel ||= list.length > 0;
  }
  for (const h of mappings.keys()) if (h >= 0 && h < limit && freeMarks[h] === 1) return false;
  return count + mappings.size === limit && (limit === 0 || sentinel);
}

/** Mark handles first..last free; false if one is beyond `limit` or already marked. */
function markFree(first: number, last: number, limit: number): boolean {
  for (let h = first; h <= last; h++) {
    if (!(h >= 0 && h < limit) || freeMarks[h] === 1) return false;
    freeMarks[h] = 1;
  }
  return true;
}

export function freeListIntegrity(d: DomainState): CheckMessage {
  return freeListsHold(d) ? null : freeListProblem(d);
}

/** freeListIntegrity's full check, with its message. */
export function freeListProblem(d: DomainState): CheckMessage {
  const { limit, mappings } = d.maptrack;
  const lists = freeLists(d.maptrack);
  const free = new Uint8Array(limit); // Why not a Set: this runs after many ops
  let count = 0;
  for (const list of lists) {
    for (const [first, last] of list.ranges()) {
      for (let h = first; h <= last; h++) {
        if (!(h >= 0 && h < limit)) return `d${d.id} free handle ${h} beyond limit ${limit}`;
        if (free[h]) return `d${d.id} handle ${h} twice on the free lists`;
        free[h] = 1;
      }
    }
    count += list.length;
  }
  for (const h of mappings.keys()) if (free[h]) return `d${d.id} handle ${h} both free and live`;
  if (count + mappings.size !== limit) {
    return `d${d.id}: ${count} free + ${mappings.size} live handles != limit ${limit}`;
  }
  // Some vCPU grew the table, so its list was set up and keeps its sentinel from then on.
  if (limit > 0 && lists.every((list) => list.length === 0)) {
    return `d${d.id} free list lost its sentinel`;
  }
  return null;
}

export function maptrackCapacity(d: DomainState): CheckMessage {
  const cap = MAPTRACK_PER_PAGE * d.maptrack.maxFrames - 1;
  if (d.maptrack.mappings.size > cap) {
    return `d${d.id} has ${d.maptrack.mappings.size} live mappings, more than ${cap}`;
  }
  return null;
}

export function statusBitsMirrorPins(d: DomainState): CheckMessage {
  // Every ref with an entry, then the pinned ones without.
  for (const ref of d.grantTable.entries.keys()) {
    const problem = statusBitsProblem(d, ref);
    if (problem !== null) return problem;
  }
  for (const ref of d.grantTable.active.keys()) {
    if (d.grantTable.entries.has(ref)) continue; // seen above
    const problem = statusBitsProblem(d, ref);
    if (problem !== null) return problem;
  }
  return null;
}

function statusBitsProblem(d: DomainState, ref: number): CheckMessage {
  if (d.rawWritten.has(ref)) return null;
  const flags = d.grantTable.entries.get(ref)?.flags ?? 0;
  if ((flags & GTF_type_mask) === GTF_accept_transfer) return null;
  const act = d.grantTable.active.get(ref);
  const reading = (flags & GTF_reading) !== 0;
  const writing = (flags & GTF_writing) !== 0;
  const pinned = act !== undefined;
  const writePinned = act !== undefined && act.hostWritable + act.deviceWritable > 0;
  if (reading !== pinned) return `d${d.id} ref ${ref}: GTF_reading=${reading} but pinned=${pinned}`;
  if (writing !== writePinned) {
    return `d${d.id} ref ${ref}: GTF_writing=${writing} but writable pins=${writePinned}`;
  }
  return null;
}

export function ownership(state: ModelState): CheckMessage {
  const inP2m = new Map<number, number>();
  for (const d of state.domains) {
    for (const [gfn, mfn] of d.p2m) {
      const other = inP2m.get(mfn);
      if (other !== undefined) return `mfn ${mfn} in the p2m of d${other} and d${d.id}`;
      inP2m.set(mfn, d.id);
      const owner = state.frameOwner.get(mfn);
      if (owner !== d.id) return `d${d.id} gfn ${gfn} -> mfn ${mfn} owned by ${owner ?? 'nobody'}`;
    }
  }
  return null;
}

/** A device mapping holds a page reference, so its page cannot be stolen: it stays its
 * granter's. A grant PTE holds one too, but records no granter to check against; the page
 * reference counts (page-references, impl side) cover it. (A pin alone holds no reference:
 * after a guest overwrites the only PTE of a grant, the pinned page may be transferred —
 * docs/semantics.md §4 step 11; xen/arch/x86/mm.c put_page_from_l1e.) */
export function mappedPagesStay(state: ModelState): CheckMessage {
  for (const d of state.domains) {
    for (const [h, m] of d.maptrack.mappings) {
      if (!(m.flags & GNTMAP_device_map)) continue;
      const act = state.domains[m.granter]?.grantTable.active.get(m.ref);
      if (!act) continue; // pin-accounting reports this
      if (state.frameOwner.get(act.mfn) !== m.granter) {
        return `d${d.id} handle ${h} device-maps mfn ${act.mfn}, no longer owned by d${m.granter}`;
      }
    }
  }
  return null;
}

/** The model keeps no reference counts; their consequence is that a page a PTE or a device
 * mapping references is never freed (steal_page refuses it). */
export function pageReferences(state: ModelState): CheckMessage {
  for (const d of state.domains) {
    for (const [page, pte] of d.hostMappings) {
      if (!state.frameOwner.has(pte.mfn))
        return `d${d.id} va page ${page} maps freed mfn ${pte.mfn}`;
    }
    for (const [h, m] of d.maptrack.mappings) {
      const act = state.domains[m.granter]?.grantTable.active.get(m.ref);
      if (act && m.flags & GNTMAP_device_map && !state.frameOwner.has(act.mfn)) {
        return `d${d.id} handle ${h} device-maps freed mfn ${act.mfn}`;
      }
    }
  }
  return null;
}

export function transferFlagOrder(d: DomainState): CheckMessage {
  for (const [ref, e] of d.grantTable.entries) {
    if (d.rawWritten.has(ref) || (e.flags & GTF_type_mask) !== GTF_accept_transfer) continue;
    if (e.flags & GTF_transfer_completed && !(e.flags & GTF_transfer_committed)) {
      return `d${d.id} ref ${ref}: transfer completed but not committed`;
    }
  }
  return null;
}

export function pageBudget(state: ModelState): CheckMessage {
  const owned = new Map<number, number>();
  for (const owner of state.frameOwner.values()) owned.set(owner, (owned.get(owner) ?? 0) + 1);
  for (const d of state.domains) {
    if (d.totPages > d.maxPages)
      return `d${d.id} tot_pages ${d.totPages} > max_pages ${d.maxPages}`;
    const n = owned.get(d.id) ?? 0;
    if (d.totPages !== n) return `d${d.id} tot_pages ${d.totPages} but owns ${n} pages`;
  }
  return null;
}

export function grantFrames(d: DomainState): CheckMessage {
  const { nrFrames, maxFrames } = d.grantTable;
  if (nrFrames < 1 || nrFrames > maxFrames) {
    return `d${d.id} nr_grant_frames ${nrFrames} outside 1..${maxFrames}`;
  }
  return null;
}

export function reservedRefsUntouched(d: DomainState): CheckMessage {
  for (const ref of d.grantTable.entries.keys()) {
    if (ref < GNTTAB_NR_RESERVED_ENTRIES && !d.rawWritten.has(ref)) {
      return `d${d.id} reserved ref ${ref} written by the guest library`;
    }
  }
  return null;
}

/** Grant PTEs only sit in slots of the domain's own window: a contains_pte address outside its
 * L1 frames, or a linear address past the window, never gets one (create_grant_pv_mapping). */
export function hostSlotsInWindow(d: DomainState): CheckMessage {
  for (const page of d.hostMappings.keys()) {
    if (!Number.isInteger(page) || page < 0 || page >= d.hostVaPages) {
      return `d${d.id} va page ${page} outside its ${d.hostVaPages}-page window`;
    }
  }
  return null;
}

/** A page with no owner holds only zeros: free_domheap_pages scrubs an ownerless page. */
export function freedPagesScrubbed(state: ModelState): CheckMessage {
  for (const mfn of state.contents.keys()) {
    if (!state.frameOwner.has(mfn)) return `free mfn 0x${mfn.toString(16)} holds bytes`;
  }
  return null;
}

/** Information flow, per frame: every store into a frame that crossed a domain boundary read
 * its origin frame, and wrote this one, through a permit of that frame; every grant PTE names
 * a frame its domain owns or holds a permit of (the model's ghost labels and permits). */
export function flowsPermitted(state: ModelState): CheckMessage {
  const flow = flowOf(state);
  const permitsOf = (mfn: number) => flow.permits.get(mfn) ?? 0;
  for (const [mfn, labels] of flow.labels) {
    const owner = state.frameOwner.get(mfn);
    if (owner === undefined) continue; // freed-pages-scrubbed's concern
    const bad = unpermittedLabel(mfn, owner, labels, permitsOf);
    if (bad !== null) return bad;
  }
  for (const d of state.domains) {
    for (const [page, pte] of d.hostMappings) {
      const owner = state.frameOwner.get(pte.mfn);
      const bad = unpermittedMapping(d.id, page, pte.mfn, owner, pte.writable, permitsOf(pte.mfn));
      if (bad !== null) return bad;
    }
  }
  return null;
}
