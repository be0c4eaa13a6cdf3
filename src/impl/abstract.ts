// The refinement mapping: the impl's concrete state (typed arrays, packed pins, linked free
// lists) read back as the model's ModelState. It runs after every step, so it rebuilds only
// what changed: each structure carries a content version (./version.ts), and the pieces built
// for a version are kept per domain. Immutable maps (p2m, page tables, rawWritten) are shared.

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
import type { ActiveEntries } from './hypervisor/grantTable.ts';
import type { MaptrackTable } from './hypervisor/maptrack.ts';
import type { FrameTable } from './hypervisor/mm.ts';
import { NO_OWNER } from './hypervisor/mm.ts';
import type { SharedGrantMemory } from './sharedMemory.ts';
import type { GrantSystem } from './system.ts';

// Module-local copies: imported bindings can cost a getter call per use in hot loops (tsx/vite
// module transforms).
const TAIL = MAPTRACK_TAIL;
const HSTW = GNTPIN_hstw_shift;
const HSTR = GNTPIN_hstr_shift;
const DEVW = GNTPIN_devw_shift;
const DEVR = GNTPIN_devr_shift;
const NONE = NO_OWNER;

export function sharedEntries(shared: SharedGrantMemory): Map<Ref, SharedEntry> {
  const words = shared.words;
  const entries = new Map<Ref, SharedEntry>();
  for (let i = 0; i < words.length; i += 2) {
    const head = words[i] ?? 0;
    const frame = words[i + 1] ?? 0;
    if ((head | frame) === 0) continue;
    entries.set(i >> 1, { flags: head & 0xffff, domid: head >>> 16, frame });
  }
  return entries;
}

export function activeGrants(act: ActiveEntries): Map<Ref, ActiveGrant> {
  const pins = act.pin;
  const active = new Map<Ref, ActiveGrant>();
  for (let ref = 0; ref < pins.length; ref++) {
    const pin = pins[ref] ?? 0;
    if (pin === 0) continue;
    active.set(ref, {
      grantee: act.domidOf(ref),
      mfn: act.mfnOf(ref),
      hostWritable: (pin >>> HSTW) & 0xff,
      hostReadonly: (pin >>> HSTR) & 0xff,
      deviceWritable: (pin >>> DEVW) & 0xff,
      deviceReadonly: (pin >>> DEVR) & 0xff,
    });
  }
  return active;
}

function mappings(t: MaptrackTable): IntMap<GrantMapping> {
  const live = new IntMapBuilder<GrantMapping>();
  const limit = t.limit;
  for (let h = 0; h < limit; h++) {
    const flags = t.flags(h);
    if (flags !== 0) live.set(h, { granter: t.domid(h), ref: t.ref(h), flags });
  }
  return live.build();
}

/** The free list from head, following `ref` links. Bounded, so that a corrupted (cyclic) list
 * shows up as a too-long list with duplicates instead of a hang. */
function freeList(t: MaptrackTable): FreeList {
  let list = FreeList.EMPTY;
  const limit = t.limit;
  for (let h = t.head; h !== TAIL && list.length <= limit; h = t.ref(h)) {
    list = list.push(h);
    if (h >= limit) break; // a link out of the table: nothing to follow
  }
  return list;
}

export function maptrackState(t: MaptrackTable): Maptrack {
  return {
    limit: t.limit,
    maxFrames: t.maxMaptrackFrames,
    freeList: freeList(t),
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
interface DomainCache {
  sharedVersion: number;
  activeVersion: number;
  grantTable: GrantTable;
  maptrackVersion: number;
  maptrack: Maptrack;
  state: DomainState;
}

interface SystemCache {
  readonly domains: (DomainCache | undefined)[];
  framesVersion: number;
  frameOwner: ReadonlyMap<Mfn, DomId>;
  contentsVersion: number;
  contents: ReadonlyMap<Mfn, PageContents>;
  readonly pages: Map<Mfn, { version: number; page: PageContents | undefined }>;
  state: ModelState | undefined;
}

const caches = new WeakMap<GrantSystem, SystemCache>();

function domainState(d: XenDomain, guest: GuestLib, cache: DomainCache | undefined): DomainCache {
  const gt = d.grantTable;
  const shared = gt.shared;
  const act = gt.active;
  const mt = d.maptrack;

  // A version names one content for good, so a piece built for the same version is reused.
  const entries =
    cache?.sharedVersion === shared.version ? cache.grantTable.entries : sharedEntries(shared);
  const active = cache?.activeVersion === act.version ? cache.grantTable.active : activeGrants(act);
  // Growth gives both the shared and the active entries a new version.
  const grantTable: GrantTable =
    cache?.grantTable.entries === entries && cache.grantTable.active === active
      ? cache.grantTable
      : { nrFrames: gt.nrGrantFrames, maxFrames: gt.maxGrantFrames, entries, active };
  const maptrack = cache?.maptrackVersion === mt.version ? cache.maptrack : maptrackState(mt);

  const prev = cache?.state;
  const state: DomainState =
    prev !== undefined &&
    prev.grantTable === grantTable &&
    prev.maptrack === maptrack &&
    prev.totPages === d.totPages &&
    prev.p2m === d.p2m &&
    prev.hostMappings === d.pageTable &&
    prev.rawWritten === guest.rawWritten
      ? prev
      : {
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
        };
  return {
    sharedVersion: shared.version,
    activeVersion: act.version,
    grantTable,
    maptrackVersion: mt.version,
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
  const domains: DomainState[] = [];
  for (let i = 0; i < xen.domains.length; i++) {
    const d = xen.domains[i];
    if (d === undefined) continue;
    const before = cache.domains[i];
    const after = domainState(d, system.guest(i), before);
    cache.domains[i] = after;
    if (after.state !== before?.state) changed = true;
    domains.push(after.state);
  }
  if (cache.framesVersion !== xen.frames.version) {
    cache.frameOwner = frameOwners(xen.frames);
    cache.framesVersion = xen.frames.version;
    changed = true;
  }
  if (cache.contentsVersion !== xen.frames.contentsVersion) {
    cache.contents = frameContents(xen.frames, cache.pages);
    cache.contentsVersion = xen.frames.contentsVersion;
    changed = true;
  }
  if (changed || cache.state === undefined) {
    cache.state = { domains, frameOwner: cache.frameOwner, contents: cache.contents };
  }
  return cache.state;
}

/** The same mapping with no caching at all: a reference for testing abstract() itself. */
export function abstractUncached(system: GrantSystem): ModelState {
  const xen = system.xen;
  const domains = xen.domains.map((d, i): DomainState => {
    const gt = d.grantTable;
    const guest = system.guest(i);
    return {
      id: d.id,
      privileged: d.privileged,
      pv: d.pv,
      totPages: d.totPages,
      maxPages: d.maxPages,
      p2m: d.p2m,
      grantTable: {
        nrFrames: gt.nrGrantFrames,
        maxFrames: gt.maxGrantFrames,
        entries: sharedEntries(gt.shared),
        active: activeGrants(gt.active),
      },
      maptrack: maptrackState(d.maptrack),
      hostVaPages: d.hostVaPages,
      hostMappings: d.pageTable,
      rawWritten: guest.rawWritten,
    };
  });
  const contents = new Map<Mfn, PageContents>();
  const frames = xen.frames;
  for (let mfn = frames.firstMfn; mfn < frames.firstMfn + frames.nrFrames; mfn++) {
    const page = pageContents(frames, mfn);
    if (page !== undefined) contents.set(mfn, page);
  }
  return { domains, frameOwner: frameOwners(xen.frames), contents };
}
