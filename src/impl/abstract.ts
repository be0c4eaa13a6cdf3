// The refinement mapping: the impl's concrete state (typed arrays, packed pins, linked free
// lists) read back as the model's ModelState. It runs after every step, so it rebuilds only
// what changed: each structure carries a content version (./version.ts), and the pieces built
// for a version are kept per domain; a piece whose structure changed is patched at the entries
// its touch log (./touch.ts) names, not rebuilt from the whole table. Immutable maps (p2m, page
// tables, rawWritten) are shared.

import type { DomId, Mfn, Ref } from '../ops/op.ts';
import type {
  ActiveGrant,
  DomainState,
  GrantMapping,
  GrantTable,
  Maptrack,
  ModelState,
  SharedEntry,
} from '../model/state.ts';
import {
  GNTPIN_devr_shift,
  GNTPIN_devw_shift,
  GNTPIN_hstr_shift,
  GNTPIN_hstw_shift,
  MAPTRACK_TAIL,
} from '../xen/abi.ts';
import { FreeList } from '../model/freeList.ts';
import type { PageContents } from '../model/contents.ts';
import { pageOf } from '../model/contents.ts';
import { PAGE_SIZE } from '../xen/abi.ts';
import { runsOf } from './guest/memory.ts';
import type { IntMap } from '../model/intMap.ts';
import { IntMapBuilder } from '../model/intMap.ts';
import type { GuestLib } from './guest/guestLib.ts';
import type { XenDomain } from './hypervisor/domain.ts';
import { DOMDYING_alive } from './hypervisor/domain.ts';
import type { Death } from '../model/state.ts';
import type { Draft } from '../model/update.ts';
import type { ActiveEntries } from './hypervisor/grantTable.ts';
import { ByMaptrackContent, type MaptrackTable } from './hypervisor/maptrack.ts';
import type { FrameTable } from './hypervisor/mm.ts';
import { NO_OWNER } from './hypervisor/mm.ts';
import type { SharedGrantMemory } from './sharedMemory.ts';
import type { GrantSystem } from './system.ts';
import type { TouchMark } from './touch.ts';

// Module-local copies: imported bindings can cost a getter call per use in hot loops (tsx/vite
// module transforms).
const TAIL = MAPTRACK_TAIL;
const HSTW = GNTPIN_hstw_shift;
const HSTR = GNTPIN_hstr_shift;
const DEVW = GNTPIN_devw_shift;
const DEVR = GNTPIN_devr_shift;
const NONE = NO_OWNER;

/** Shared entry `ref`, or undefined when its 8 bytes are zero. */
function sharedEntry(words: Uint32Array, ref: Ref): SharedEntry | undefined {
  const head = words[2 * ref] ?? 0;
  const frame = words[2 * ref + 1] ?? 0;
  return (head | frame) === 0 ? undefined : { flags: head & 0xffff, domid: head >>> 16, frame };
}

export function sharedEntries(shared: SharedGrantMemory): Map<Ref, SharedEntry> {
  const words = shared.words;
  const entries = new Map<Ref, SharedEntry>();
  // One test per entry, the entry read only where it is non-zero: a fresh domain's whole table
  // is scanned at its first abstraction, and a grown table again.
  const n = words.length;
  for (let i = 0; i < n; i += 2) {
    if (((words[i] ?? 0) | (words[i + 1] ?? 0)) === 0) continue;
    const entry = sharedEntry(words, i >>> 1);
    if (entry !== undefined) entries.set(i >>> 1, entry);
  }
  return entries;
}

/** Active entry `ref`, or undefined when it is not pinned. */
function activeGrant(act: ActiveEntries, ref: Ref): ActiveGrant | undefined {
  const pin = act.pin[ref] ?? 0;
  if (pin === 0) return undefined;
  return {
    grantee: act.domidOf(ref),
    mfn: act.mfnOf(ref),
    hostWritable: (pin >>> HSTW) & 0xff,
    hostReadonly: (pin >>> HSTR) & 0xff,
    deviceWritable: (pin >>> DEVW) & 0xff,
    deviceReadonly: (pin >>> DEVR) & 0xff,
  };
}

export function activeGrants(act: ActiveEntries): Map<Ref, ActiveGrant> {
  const active = new Map<Ref, ActiveGrant>();
  const pin = act.pin;
  const n = pin.length;
  for (let ref = 0; ref < n; ref++) {
    if ((pin[ref] ?? 0) === 0) continue; // most entries: one test (as in sharedEntries)
    const grant = activeGrant(act, ref);
    if (grant !== undefined) active.set(ref, grant);
  }
  return active;
}

/** The keys in `touched`, each once, ascending. Most steps touch one to six keys (a map writes
 * four fields of one handle): a linear dedup and an insertion sort, no Set. */
export function touchedKeys(touched: readonly number[]): number[] {
  if (touched.length === 1) return [touched[0] ?? 0];
  if (touched.length > 64) return [...new Set(touched)].sort((x, y) => x - y);
  const keys: number[] = [];
  for (const key of touched) if (!keys.includes(key)) keys.push(key);
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] ?? 0;
    let j = i - 1;
    for (; j >= 0 && (keys[j] ?? 0) > key; j--) keys[j + 1] = keys[j] ?? 0;
    keys[j + 1] = key;
  }
  return keys;
}

/** `prev` (in ascending key order) with the keys in `touched` read again: a map, in ascending
 * key order, that equals a rebuild from the whole table when `touched` names every key written
 * since `prev` was built. `prev` itself when every touched key reads as it was (`same`): a
 * write that put back what was there, or a key written twice over. */
function patched<V>(
  prev: ReadonlyMap<number, V>,
  touched: readonly number[],
  read: (key: number) => V | undefined,
  same: (x: V, y: V) => boolean,
): ReadonlyMap<number, V> {
  const keys = touchedKeys(touched);
  const values: (V | undefined)[] = [];
  let changed = false;
  for (const key of keys) {
    const now = read(key);
    values.push(now);
    if (changed) continue;
    const was = prev.get(key);
    changed = was === undefined ? now !== undefined : now === undefined || !same(was, now);
  }
  if (!changed) return prev;
  const next = new Map<number, V>();
  let k = 0;
  for (const [key, value] of prev) {
    for (; k < keys.length && (keys[k] ?? 0) < key; k++) put(next, keys[k] ?? 0, values[k]);
    if (keys[k] === key) {
      put(next, key, values[k]);
      k++;
    } else {
      next.set(key, value);
    }
  }
  for (; k < keys.length; k++) put(next, keys[k] ?? 0, values[k]);
  return next;
}

/** A table's map after a change: `prev` patched at the touched keys when the touch log names
 * them, else rebuilt from the whole table. */
function reread<V>(
  prev: ReadonlyMap<number, V> | undefined,
  touched: readonly number[] | undefined,
  rebuild: () => Map<number, V>,
  read: (key: number) => V | undefined,
  same: (x: V, y: V) => boolean,
): ReadonlyMap<number, V> {
  // Past a few dozen writes (a release of every mapping, a table's first fill) one scan of the
  // table costs less than sorting the writes.
  return prev !== undefined && touched !== undefined && touched.length <= 64
    ? patched(prev, touched, read, same)
    : rebuild();
}

const sameEntry = (x: SharedEntry, y: SharedEntry): boolean =>
  x.flags === y.flags && x.domid === y.domid && x.frame === y.frame;
const sameActive = (x: ActiveGrant, y: ActiveGrant): boolean =>
  x.grantee === y.grantee &&
  x.mfn === y.mfn &&
  x.hostWritable === y.hostWritable &&
  x.hostReadonly === y.hostReadonly &&
  x.deviceWritable === y.deviceWritable &&
  x.deviceReadonly === y.deviceReadonly;

/** Key `key` of `map` set to `value`, or left out when undefined. */
function put<V>(map: Map<number, V>, key: number, value: V | undefined): void {
  if (value !== undefined) map.set(key, value);
}

function mapping(t: MaptrackTable, h: number): GrantMapping | undefined {
  const flags = t.flags(h);
  if (flags === 0) return undefined;
  const vcpu = t.vcpu(h);
  return vcpu === 0
    ? { granter: t.domid(h), ref: t.ref(h), flags }
    : { granter: t.domid(h), ref: t.ref(h), flags, vcpu };
}

function mappings(t: MaptrackTable): IntMap<GrantMapping> {
  const live = new IntMapBuilder<GrantMapping>();
  const limit = t.limit;
  for (let h = 0; h < limit; h++) {
    const m = mapping(t, h);
    if (m !== undefined) live.set(h, m);
  }
  return live.build();
}

/** `prev` with the handles in `touched` read again (a touch log names every entry written). */
function patchedMappings(
  t: MaptrackTable,
  prev: IntMap<GrantMapping>,
  touched: readonly number[],
): IntMap<GrantMapping> {
  let next = prev;
  for (const h of touched) {
    const m = h >= 0 && h < t.limit ? mapping(t, h) : undefined;
    next = m === undefined ? next.without(h) : next.with(h, m);
  }
  return next;
}

/** vCPU `v`'s free list from its head, following `ref` links. Bounded, so that a corrupted (cyclic) list
 * shows up as a too-long list with duplicates instead of a hang. Built as runs of consecutive
 * handles, the same runs FreeList.push would make one handle at a time. */
function freeList(t: MaptrackTable, v: number): FreeList {
  let list = FreeList.EMPTY;
  const limit = t.limit;
  const words = t.words; // each entry's first word is its `ref`: the next link
  let length = 0;
  let first = -1;
  let last = -1;
  let h = t.headOf(v);
  while (h !== TAIL && length <= limit) {
    length++;
    if (first >= 0 && h === last + 1) {
      last = h;
    } else {
      if (first >= 0) list = list.concat(FreeList.range(first, last));
      first = h;
      last = h;
    }
    if (h >= limit) break; // a link out of the table: nothing to follow
    h = words[h * 4] ?? TAIL;
    // The run goes on (a fresh frame links h to h + 1 all through): the same steps, unrolled.
    while (h === last + 1 && h < limit && length <= limit) {
      length++;
      last = h;
      h = words[h * 4] ?? TAIL;
    }
  }
  return first >= 0 ? list.concat(FreeList.range(first, last)) : list;
}

/** positionOf's state, reused: no closure or record per lookup. */
const probe = { handle: 0, at: 0, found: -1, last: -1 };

function probeRun(first: number, last: number, p: typeof probe): boolean {
  if (p.found < 0 && p.handle >= first && p.handle <= last) p.found = p.at + (p.handle - first);
  p.at += last - first + 1;
  p.last = last;
  return true;
}

/** Where `handle` stands in `list` (-1: not in it); probe.last is then the list's last handle. */
function positionOf(list: FreeList, handle: number): number {
  probe.handle = handle;
  probe.at = 0;
  probe.found = -1;
  probe.last = -1;
  list.everyRun(probeRun, probe);
  return probe.found;
}

/** freeList(t, v) from `prev`, what it gave before, and `keys`, every handle whose entry was
 * written since (ascending, each once): a handle's link is as it was unless its entry was
 * written, so from the head on the walk follows `prev` up to its last handle, and reads the
 * table only after that. This covers Xen's own list moves — a map takes the head
 * (_get_maptrack_handle), an unmap links a handle after the tail (put_maptrack_handle), a
 * failed map does both — in a few run operations where a walk reads hundreds of links.
 * Undefined (walk it all) for any other shape: the head more than 8 handles into `prev`, a
 * written handle before `prev`'s last, more than a few handles after it, or a list that
 * reaches the walk's length bound (a cyclic list). */
export function patchedFreeList(
  t: MaptrackTable,
  v: number,
  prev: FreeList,
  keys: readonly number[],
): FreeList | undefined {
  const limit = t.limit;
  const n = prev.length;
  if (n > limit || keys.length > 8) return undefined;
  let h = t.headOf(v);
  if (h === TAIL) return FreeList.EMPTY;
  const pos = keys.includes(h) ? -1 : positionOf(prev, h);
  if (pos < 0 || pos > 8) return undefined;
  const last = probe.last; // prev's last handle
  // Every link from prev[pos] to prev's last handle is as it was.
  for (const key of keys) {
    const at = positionOf(prev, key);
    if (at >= pos && at < n - 1) return undefined;
  }
  let list = prev;
  for (let i = 0; i < pos; i++) list = list.shift();
  if (!keys.includes(last)) return list; // the walk ends where it did
  // The last handle's link was written: read on from there, as freeList does.
  let length = n - pos;
  for (h = last; h < limit;) {
    h = t.ref(h);
    if (h === TAIL) break;
    if (length >= limit || length >= n - pos + 8) return undefined;
    length++;
    list = list.push(h);
  }
  return list;
}

/** Every vCPU's list but vCPU 0's (Maptrack.otherFreeLists), or nothing with one vCPU. */
function otherFreeLists(t: MaptrackTable): { otherFreeLists?: FreeList[] } {
  if (t.vcpus === 1) return {};
  return { otherFreeLists: Array.from({ length: t.vcpus - 1 }, (_, i) => freeList(t, i + 1)) };
}

/** maptrackState(t), from `prev` (what it gave before) and the handles `touched` since: the
 * free lists patched (patchedFreeList), the mappings read again at the touched handles. */
export function patchedMaptrack(
  t: MaptrackTable,
  prev: Maptrack,
  touched: readonly number[],
): Maptrack {
  const keys = touchedKeys(touched);
  const list = (v: number, was: FreeList | undefined): FreeList =>
    (was && patchedFreeList(t, v, was, keys)) ?? freeList(t, v);
  const others = prev.otherFreeLists;
  return {
    limit: t.limit,
    maxFrames: t.maxMaptrackFrames,
    freeList: list(0, prev.freeList),
    ...(t.vcpus === 1
      ? {}
      : {
          otherFreeLists: Array.from({ length: t.vcpus - 1 }, (_, i) => list(i + 1, others?.[i])),
        }),
    mappings: patchedMappings(t, prev.mappings, keys),
  };
}

/** Maptracks built whole, by content: a table that grew is built whole (its touch log starts
 * over), and a conformance search's grown tables are mostly one (122 466 of 129 378 whole
 * builds over the first 20 000 states of the basic preset). */
const builtMaptracks = new ByMaptrackContent<Maptrack>();

/** maptrackState(t), built once per content. */
const maptrackOf = (t: MaptrackTable): Maptrack => builtMaptracks.derived(t, maptrackState);

export function maptrackState(t: MaptrackTable): Maptrack {
  return {
    limit: t.limit,
    maxFrames: t.maxMaptrackFrames,
    freeList: freeList(t, 0),
    ...otherFreeLists(t),
    mappings: mappings(t),
  };
}

export function frameOwners(frames: FrameTable): Map<Mfn, DomId> {
  const owners = new Map<Mfn, DomId>();
  const owner = frames.owner;
  for (let i = 0; i < owner.length; i++) {
    const d = owner[i] ?? NONE;
    if (d !== NONE) owners.set(frames.firstMfn + i, d);
  }
  return owners;
}

/** One frame's bytes as the model's runs. */
function pageContents(frames: FrameTable, mfn: Mfn): PageContents | undefined {
  return pageOf(runsOf(frames.bytesOf(mfn), 0, PAGE_SIZE));
}

/** Every frame holding a non-zero byte; pages whose version is unchanged since `cache` are
 * reused from it, not scanned again. */
function frameContents(
  frames: FrameTable,
  cache: Map<Mfn, { version: number; page: PageContents | undefined }>,
): Map<Mfn, PageContents> {
  const contents = new Map<Mfn, PageContents>();
  for (let mfn = frames.firstMfn; mfn < frames.firstMfn + frames.nrFrames; mfn++) {
    const version = frames.pageVersionOf(mfn);
    if (version === 0) continue;
    let entry = cache.get(mfn);
    if (entry?.version !== version) {
      entry = { version, page: pageContents(frames, mfn) };
      cache.set(mfn, entry);
    }
    if (entry.page !== undefined) contents.set(mfn, entry.page);
  }
  return contents;
}

/** What one domain's abstraction was built from (content versions), and the pieces built. */
export interface DomainCache {
  sharedVersion: number;
  sharedMark: TouchMark;
  activeVersion: number;
  activeMark: TouchMark;
  grantTable: GrantTable;
  maptrackVersion: number;
  maptrackMark: TouchMark;
  maptrack: Maptrack;
  state: DomainState;
}

interface SystemCache {
  readonly domains: (DomainCache | undefined)[];
  /** Each domain's cache before its last change: an explorer that undoes a step (a restore of
   * the parent) gets the parent's pieces back, the very objects, so comparisons skip them. */
  readonly previous: (DomainCache | undefined)[];
  framesVersion: number;
  frameOwner: ReadonlyMap<Mfn, DomId>;
  contentsVersion: number;
  contents: ReadonlyMap<Mfn, PageContents>;
  readonly pages: Map<Mfn, { version: number; page: PageContents | undefined }>;
  state: ModelState | undefined;
}

const caches = new WeakMap<GrantSystem, SystemCache>();

/** Are the fields of `state` that come straight from the domain and its guest library (not from
 * its versioned tables) still the domain's? */
function sameDomainFields(state: DomainState, d: XenDomain, guest: GuestLib): boolean {
  return (
    state.totPages === d.totPages &&
    state.p2m === d.p2m &&
    state.hostMappings === d.pageTable &&
    state.rawWritten === guest.rawWritten &&
    state.death === deathOf(d) &&
    state.guest === guest.profileState &&
    state.backend === guest.backendState
  );
}

/** DomainState.death from d->is_dying and whether domain_destroy took it out of the hash. */
export function deathOf(d: XenDomain): Death | undefined {
  if (d.destroyed) return 'gone';
  return d.isDying === DOMDYING_alive ? undefined : 'zombie';
}

/** The domain's record, with `death` only for a destroyed domain (the model's shape). */
function domainRecord(
  d: XenDomain,
  guest: GuestLib,
  grantTable: GrantTable,
  maptrack: Maptrack,
): DomainState {
  const state: Draft<DomainState> = {
    id: d.id,
    privileged: d.privileged,
    pv: d.pv,
    totPages: d.totPages,
    maxPages: d.maxPages,
    p2m: d.p2m,
    grantTable,
    maptrack,
    hostVaPages: d.hostVaPages,
    hostMappings: d.pageTable,
    rawWritten: guest.rawWritten,
    death: deathOf(d),
    guest: guest.profileState,
    backend: guest.backendState,
  };
  return state;
}

/** Was `cache` built from the domain as it is now? */
function holds(cache: DomainCache, d: XenDomain, guest: GuestLib): boolean {
  const gt = d.grantTable;
  return (
    cache.sharedVersion === gt.shared.version &&
    cache.activeVersion === gt.active.version &&
    cache.maptrackVersion === d.maptrack.version &&
    sameDomainFields(cache.state, d, guest)
  );
}

function domainState(d: XenDomain, guest: GuestLib, cache: DomainCache | undefined): DomainCache {
  const gt = d.grantTable;
  const shared = gt.shared;
  const act = gt.active;
  const mt = d.maptrack;
  if (cache !== undefined && holds(cache, d, guest)) return cache; // nothing changed (most steps)

  // A version names one content for good, so a piece built for the same version is reused; one
  // built for an earlier version is patched where the touch log says the table was written.
  const entries =
    cache?.sharedVersion === shared.version
      ? cache.grantTable.entries
      : reread(
          cache?.grantTable.entries,
          shared.touched.since(cache?.sharedMark),
          () => sharedEntries(shared),
          (ref) => sharedEntry(shared.words, ref),
          sameEntry,
        );
  const active =
    cache?.activeVersion === act.version
      ? cache.grantTable.active
      : reread(
          cache?.grantTable.active,
          act.touched.since(cache?.activeMark),
          () => activeGrants(act),
          (ref) => activeGrant(act, ref),
          sameActive,
        );
  // Growth gives both the shared and the active entries a new version.
  const grantTable: GrantTable =
    cache?.grantTable.entries === entries && cache.grantTable.active === active
      ? cache.grantTable
      : { nrFrames: gt.nrGrantFrames, maxFrames: gt.maxGrantFrames, entries, active };
  let maptrack: Maptrack;
  if (cache?.maptrackVersion === mt.version) {
    maptrack = cache.maptrack;
  } else {
    const touched = mt.touched.since(cache?.maptrackMark);
    maptrack =
      cache !== undefined && touched !== undefined && touched.length <= 64
        ? patchedMaptrack(mt, cache.maptrack, touched)
        : maptrackOf(mt);
  }

  const prev = cache?.state;
  const state: DomainState =
    prev !== undefined &&
    prev.grantTable === grantTable &&
    prev.maptrack === maptrack &&
    sameDomainFields(prev, d, guest)
      ? prev
      : domainRecord(d, guest, grantTable, maptrack);
  return {
    sharedVersion: shared.version,
    sharedMark: cache?.sharedVersion === shared.version ? cache.sharedMark : shared.touched.mark(),
    activeVersion: act.version,
    activeMark: cache?.activeVersion === act.version ? cache.activeMark : act.touched.mark(),
    grantTable,
    maptrackVersion: mt.version,
    maptrackMark: cache?.maptrackVersion === mt.version ? cache.maptrackMark : mt.touched.mark(),
    maptrack,
    state,
  };
}

/** abstract(system): the ModelState this concrete state stands for. States are immutable and
 * shared between calls where nothing changed. */
export function abstract(system: GrantSystem): ModelState {
  const xen = system.xen;
  let cache = caches.get(system);
  if (cache === undefined) {
    cache = {
      domains: [],
      previous: [],
      framesVersion: -1,
      frameOwner: new Map(),
      contentsVersion: -1,
      contents: new Map(),
      pages: new Map(),
      state: undefined,
    };
    caches.set(system, cache);
  }
  let changed = cache.state === undefined;
  for (let i = 0; i < xen.domains.length; i++) {
    const d = xen.domains[i];
    if (d === undefined) continue;
    const before = cache.domains[i];
    const back = cache.previous[i];
    const guest = system.guest(i);
    const after =
      back !== undefined && holds(back, d, guest) ? back : domainState(d, guest, before);
    if (after === before) continue;
    cache.previous[i] = before;
    cache.domains[i] = after;
    if (after.state !== before?.state) changed = true;
  }
  if (cache.framesVersion !== xen.frames.version) {
    // The version also follows reference counts: owners are often as they were, and are
    // compared in place before a map is built.
    if (!ownersAre(xen.frames, cache.frameOwner)) {
      cache.frameOwner = frameOwners(xen.frames);
      changed = true;
    }
    cache.framesVersion = xen.frames.version;
  }
  if (cache.contentsVersion !== xen.frames.contentsVersion) {
    cache.contents = frameContents(xen.frames, cache.pages);
    cache.contentsVersion = xen.frames.contentsVersion;
    changed = true;
  }
  if (changed || cache.state === undefined) {
    const domains: DomainState[] = [];
    for (const d of cache.domains) if (d !== undefined) domains.push(d.state);
    cache.state = {
      domains,
      frameOwner: cache.frameOwner,
      contents: cache.contents,
      flow: undefined,
    };
  }
  return cache.state;
}

/** After a restore (GrantSystem.restore): where a domain is back at the very content one of
 * abstract()'s two builds kept for it was made from (the last, or the one before: an explorer's
 * undo of a step brings back the parent), that build is current again, its marks taken anew.
 * Why? Without it the next abstract() patches from the child's build, at the entries the undo
 * wrote back as well as those the next step writes, and an undo reshapes a free list in ways
 * patchedFreeList leaves to a walk of the whole list (an unmap undone cuts it before its end).
 * Content versions name one content for good (./version.ts), so a build whose versions are the
 * tables' own is exact now, and a mark taken now names what is written from here on. Builds
 * nothing: a domain at any other content is left to the next abstract(). */
export function resyncAbstract(
  system: GrantSystem,
  /** Is a kept build the domain's content now? (A test plants a wrong one.) */
  current: (cache: DomainCache, d: XenDomain, guest: GuestLib) => boolean = holds,
): void {
  const cache = caches.get(system);
  if (cache === undefined) return;
  const domains = system.xen.domains;
  for (let i = 0; i < domains.length; i++) {
    const d = domains[i];
    if (d === undefined) continue;
    const before = cache.domains[i];
    const back = cache.previous[i];
    const guest = system.guest(i);
    if (back !== undefined && current(back, d, guest)) {
      cache.previous[i] = before;
      cache.domains[i] = back;
      freshMarks(back, d);
      if (back.state !== before?.state) cache.state = undefined;
    } else if (before !== undefined && current(before, d, guest)) {
      freshMarks(before, d);
    }
  }
}

/** `cache`, which holds for `d` (its versions are the tables'), marked at the logs' ends. */
function freshMarks(cache: DomainCache, d: XenDomain): void {
  const gt = d.grantTable;
  cache.sharedMark = gt.shared.touched.mark();
  cache.activeMark = gt.active.touched.mark();
  cache.maptrackMark = d.maptrack.touched.mark();
}

/** Is `owners` frameOwners(frames)? (Without building the map.) */
function ownersAre(frames: FrameTable, owners: ReadonlyMap<Mfn, DomId>): boolean {
  const owner = frames.owner;
  let n = 0;
  for (let i = 0; i < owner.length; i++) {
    const d = owner[i] ?? NONE;
    if (d === NONE) continue;
    if (owners.get(frames.firstMfn + i) !== d) return false;
    n++;
  }
  return n === owners.size;
}

/** The same mapping with no caching at all: a reference for testing abstract() itself. */
export function abstractUncached(system: GrantSystem): ModelState {
  const xen = system.xen;
  const domains = xen.domains.map((d, i): DomainState => {
    const gt = d.grantTable;
    const guest = system.guest(i);
    const grantTable: GrantTable = {
      nrFrames: gt.nrGrantFrames,
      maxFrames: gt.maxGrantFrames,
      entries: sharedEntries(gt.shared),
      active: activeGrants(gt.active),
    };
    return domainRecord(d, guest, grantTable, maptrackState(d.maptrack));
  });
  const contents = new Map<Mfn, PageContents>();
  const frames = xen.frames;
  for (let mfn = frames.firstMfn; mfn < frames.firstMfn + frames.nrFrames; mfn++) {
    const page = pageContents(frames, mfn);
    if (page !== undefined) contents.set(mfn, page);
  }
  return { domains, frameOwner: frameOwners(xen.frames), contents, flow: undefined };
}
