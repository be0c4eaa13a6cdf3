// Every invariant of the catalogue (properties/invariants) can hold and can fail, on the model and
// on the impl. One reachable state, built by real ops, satisfies all of them; then, for each
// invariant, a copy corrupted in exactly what the invariant is about violates it, and the
// message names the corrupted domain, ref, handle or page. Without this, a check that always
// returns null would pass every suite unnoticed.
import { describe, expect, it } from 'vitest';
import { op } from '../support/ops.ts';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { initialMfn, makeConfig } from '../../src/config.ts';
import { ImplView } from '../../src/harness/implView.ts';
import type { StateInvariant } from '../../src/harness/invariant.ts';
import { GrantSystem, NO_OWNER, SharedGrantMemory } from '../../src/impl/index.ts';
import type { XenDomain } from '../../src/impl/index.ts';
import { fillRange } from '../../src/model/contents.ts';
import { flowOf, permitBit, withStore } from '../../src/model/flow.ts';
import { initialState, step } from '../../src/model/index.ts';
import { initialGuest } from '../../src/model/profiles/library.ts';
import { createProfileLib } from '../../src/impl/guest/profiles/index.ts';
import {
  GNTTAB_LIST_END,
  LinuxLib,
  linuxPutFreeEntry,
} from '../../src/impl/guest/profiles/linux.ts';
import { DEFAULT_PARTS } from '../../src/impl/index.ts';
import { DOMDYING_dead } from '../../src/impl/hypervisor/domain.ts';
import { FreeList } from '../../src/model/freeList.ts';
import { IntMap } from '../../src/model/intMap.ts';
import type {
  ActiveGrant,
  BackendRequest,
  DomainState,
  GrantMapping,
  GrantTable,
  GuestLibState,
  Maptrack,
  ModelState,
  SharedEntry,
} from '../../src/model/state.ts';
import type { DomId, Mfn, Op, Ref } from '../../src/ops/op.ts';
import type { OpResult } from '../../src/ops/result.ts';
import {
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTPIN_devr_mask,
  GNTPIN_hstr_inc,
  GNTPIN_hstw_inc,
  GNTPIN_hstw_mask,
  GNTST_okay,
  GTF_permit_access,
  GTF_reading,
  GTF_transfer_committed,
  GTF_writing,
  MAPTRACK_PER_PAGE,
  MAPTRACK_TAIL,
  SHGNT_PER_PAGE_V1,
} from '../../src/xen/abi.ts';

// --- The reachable state --------------------------------------------------------------------

// Default config: d0..d2, 4 pages each (max 5), 1..2 grant frames, 1 maptrack frame (256).
const CONFIG = makeConfig({});

const RW_REF = 8; // d1 → d2 writable, gfn 0: d2 holds a host mapping (handle 0) and a device one (1)
const RO_REF = 9; // d1 → d2 read-only, gfn 1: d2 holds a read-only host mapping (handle 2)
const TRANSFER_REF = 10; // d1 accepts a page from d2 into gfn 4: the transfer completed
const D0_REF = 11; // d1 → d0 writable, gfn 2: d0 holds a host mapping (its handle 0)
const RAW_REF = 2; // a reserved ref d1 wrote outside the library (exempt from the (G) rules)
const FREE_REF = 12; // never granted
const BACKEND_REF = 8; // d2 → d1 writable, gfn 0: d1's backend request 0 maps it (handle 0)

const RW_MFN = initialMfn(CONFIG, 1, 0); // d1's gfn 0: host- and device-mapped by d2
const RO_MFN = initialMfn(CONFIG, 1, 1); // d1's gfn 1: host-mapped read-only by d2
const D2_MFN = initialMfn(CONFIG, 2, 2); // d2's gfn 2: mapped by nobody
const D0_MFN = initialMfn(CONFIG, 1, 2); // d1's gfn 2: host-mapped writable by d0
const NO_SUCH_MFN = initialMfn(CONFIG, CONFIG.domains, 0); // the first frame past the machine

const SCENARIO: readonly Op[] = [
  { kind: 'grant_access', dom: 1, ref: RW_REF, grantee: 2, gfn: 0, readonly: false },
  { kind: 'grant_access', dom: 1, ref: RO_REF, grantee: 2, gfn: 1, readonly: true },
  { kind: 'grant_access', dom: 1, ref: D0_REF, grantee: 0, gfn: 2, readonly: false },
  {
    kind: 'map_grant_ref',
    caller: 2,
    batch: [
      { dom: 1, ref: RW_REF, flags: GNTMAP_host_map, hostAddr: 0x1000 },
      { dom: 1, ref: RW_REF, flags: GNTMAP_device_map, hostAddr: 0 },
      { dom: 1, ref: RO_REF, flags: GNTMAP_host_map | GNTMAP_readonly, hostAddr: 0x2000 },
    ],
  },
  {
    kind: 'map_grant_ref',
    caller: 0,
    batch: [{ dom: 1, ref: D0_REF, flags: GNTMAP_host_map, hostAddr: 0x3000 }],
  },
  { kind: 'grant_transfer', dom: 1, ref: TRANSFER_REF, grantee: 2, gfn: 4 },
  { kind: 'transfer', caller: 2, batch: [{ gfn: 3, domid: 1, ref: TRANSFER_REF }] },
  { kind: 'raw_write', dom: 1, ref: RAW_REF, flags: GTF_permit_access, domid: 2, frame: 0 },
  // bytes with origins: d1's own, d2's through its writable mapping of RW_MFN, and d1's copied
  // by d2 through the read-only grant into d2's gfn 2 (D2_MFN)
  { kind: 'write_page', dom: 1, gfn: 1, off: 0, len: 16, byte: 0x11 },
  { kind: 'write_mapped', dom: 2, hostAddr: 0x1000, off: 16, len: 16, byte: 0x22 },
  op(`copy(d2: d1 ref=${RO_REF} off=0 -> self gmfn=2 off=0 len=32)`),
  // d1 as a backend driver (docs/semantics.md §19): d2 grants its ref 8, d1's request 0 maps it
  // (handle 0, at d1's linear page 1)
  { kind: 'grant_access', dom: 2, ref: BACKEND_REF, grantee: 1, gfn: 0, readonly: false },
  op(`backend_map(d1 req=0 <- d2 refs=${BACKEND_REF})`),
];

function succeeded(r: OpResult): boolean {
  if ('outcome' in r) return r.outcome === 'ok';
  if ('results' in r) return r.results.every((e) => e.status === GNTST_okay);
  if ('statuses' in r) return r.statuses.every((s) => s === GNTST_okay);
  if (r.kind === 'not_running') return false;
  return r.status === GNTST_okay;
}

function reachableModel(): { state: ModelState; results: OpResult[] } {
  let state = initialState(CONFIG);
  const results: OpResult[] = [];
  for (const op of SCENARIO) {
    const next = step(state, op);
    state = next.state;
    results.push(next.result);
  }
  return { state, results };
}

/** A fresh impl in the reachable state (each impl test corrupts its own). */
function reachableSystem(): GrantSystem {
  const system = new GrantSystem(CONFIG);
  for (const op of SCENARIO) system.apply(op);
  return system;
}

const REACHABLE = reachableModel().state;

// --- Model corruptions: new immutable states made with spreads -------------------------------

/** The reachable state with d1's backend request 0 replaced by `edit`'s (undefined: dropped). */
function withBackend(
  s: ModelState,
  edit: (r: BackendRequest) => BackendRequest | undefined,
): ModelState {
  const d1 = must(s.domains[1], 'd1');
  const request = must(d1.backend?.requests.get(0), 'backend request 0');
  const next = edit(request);
  const requests = new Map(d1.backend?.requests);
  if (next === undefined) requests.delete(0);
  else requests.set(0, next);
  const domains = s.domains.slice();
  domains[1] = { ...d1, backend: { requests } };
  return { ...s, domains };
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`fixture has no ${what}`);
  return value;
}

function withKey<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> {
  return new Map(map).set(key, value);
}

function withoutKey<K, V>(map: ReadonlyMap<K, V>, key: K): ReadonlyMap<K, V> {
  const copy = new Map(map);
  copy.delete(key);
  return copy;
}

function patchDomain(
  s: ModelState,
  id: DomId,
  patch: (d: DomainState) => Partial<DomainState>,
): ModelState {
  return { ...s, domains: s.domains.map((d) => (d.id === id ? { ...d, ...patch(d) } : d)) };
}

function patchGrantTable(
  s: ModelState,
  id: DomId,
  patch: (gt: GrantTable) => Partial<GrantTable>,
): ModelState {
  return patchDomain(s, id, (d) => ({ grantTable: { ...d.grantTable, ...patch(d.grantTable) } }));
}

function patchActive(s: ModelState, id: DomId, ref: Ref, patch: Partial<ActiveGrant>): ModelState {
  return patchGrantTable(s, id, (gt) => {
    const act = must(gt.active.get(ref), `active d${id} ref ${ref}`);
    return { active: withKey(gt.active, ref, { ...act, ...patch }) };
  });
}

/** The shared flags of `id`'s entry `ref`. */
function flagsOf(s: ModelState, id: DomId, ref: Ref): number {
  return must(s.domains[id]?.grantTable.entries.get(ref), `d${id} ref ${ref}`).flags;
}

function patchEntry(s: ModelState, id: DomId, ref: Ref, patch: Partial<SharedEntry>): ModelState {
  return patchGrantTable(s, id, (gt) => {
    const entry = gt.entries.get(ref) ?? { flags: 0, domid: 0, frame: 0 };
    return { entries: withKey(gt.entries, ref, { ...entry, ...patch }) };
  });
}

function patchMaptrack(
  s: ModelState,
  id: DomId,
  patch: (mt: Maptrack) => Partial<Maptrack>,
): ModelState {
  return patchDomain(s, id, (d) => ({ maptrack: { ...d.maptrack, ...patch(d.maptrack) } }));
}

function patchMapping(s: ModelState, id: DomId, h: number, patch: Partial<GrantMapping>) {
  return patchMaptrack(s, id, (mt) => {
    const m = must(mt.mappings.get(h), `d${id} handle ${h}`);
    return { mappings: mt.mappings.with(h, { ...m, ...patch }) };
  });
}

function setFrameOwner(s: ModelState, mfn: Mfn, owner: DomId | undefined): ModelState {
  const frameOwner =
    owner === undefined ? withoutKey(s.frameOwner, mfn) : withKey(s.frameOwner, mfn, owner);
  return { ...s, frameOwner };
}

/** d2's maptrack with every one of its 256 handles live (one more than a vCPU may hold). */
/** `s` with frame `mfn`'s permit word replaced. */
function withPermits(s: ModelState, mfn: Mfn, bits: number): ModelState {
  const flow = flowOf(s);
  return { ...s, flow: { ...flow, permits: withKey(flow.permits, mfn, bits) } };
}

function allHandlesLive(mt: Maptrack): Partial<Maptrack> {
  const m = must(mt.mappings.get(2), 'd2 handle 2');
  const handles = Array.from({ length: MAPTRACK_PER_PAGE }, (_, h) => h);
  return { mappings: IntMap.from(handles.map((h) => [h, m] as const)), freeList: FreeList.EMPTY };
}

// --- Impl corruptions: through the structures' own setters -----------------------------------

function dom(system: GrantSystem, id: DomId): XenDomain {
  return system.xen.domain(id);
}

/** The packed pin of d1's `ref`, with `change` applied. */
function repin(system: GrantSystem, ref: Ref, change: (pin: number) => number): void {
  const active = dom(system, 1).grantTable.active;
  active.setPin(ref, change(active.pinOf(ref)) >>> 0);
}

// --- Guest profiles (issue 14): the reachable state's d1 given a linux library ---------------

const LINUX_CONFIG = makeConfig({ profiles: ['strict', 'linux', 'strict'] });

/** `s` with d1 running an empty linux library, patched. */
function withLibrary(s: ModelState, patch: Partial<GuestLibState>): ModelState {
  const guest = must(initialGuest(LINUX_CONFIG, 1), 'd1 library');
  const d1 = must(s.domains[1], 'd1');
  const domains = s.domains.slice();
  domains[1] = { ...d1, guest: { ...guest, free: [], ...patch } };
  return { ...s, domains };
}

/** d1 of `system` given an empty linux library (its impl). */
function attachLibrary(system: GrantSystem): LinuxLib {
  const d = dom(system, 1);
  const lib = createProfileLib(
    LINUX_CONFIG,
    1,
    d.grantTable.shared,
    (g) => d.p2m.has(g),
    DEFAULT_PARTS,
  );
  if (!(lib instanceof LinuxLib)) throw new Error('no linux library');
  lib.head = GNTTAB_LIST_END;
  lib.count = 0;
  system.guest(1).profile = lib;
  return lib;
}

// --- The table ----------------------------------------------------------------------------

interface Corruption<S, R> {
  /** What is broken (the test's name). */
  readonly what: string;
  readonly corrupt: (state: S) => R;
  /** The message must match: it points at the corruption. */
  readonly names: RegExp;
  /** The one domain corrupted: for a per-domain invariant, only its check fires. */
  readonly dom?: DomId;
}

interface InvariantCases {
  readonly model: readonly Corruption<ModelState, ModelState>[];
  readonly impl: readonly Corruption<GrantSystem, void>[];
}

const CASES: Readonly<Record<string, InvariantCases>> = {
  // Impl: a pin byte is unsigned, and a pin of 0 is what "not active" means, so the model's
  // other two failures (a negative count, an active entry with all pins 0) cannot be written.
  'pin-range': {
    model: [
      {
        what: 'a pin count is above 128',
        corrupt: (s) => patchActive(s, 1, RW_REF, { hostWritable: 129 }),
        names: /d1 ref 8: hostWritable = 129/,
        dom: 1,
      },
      {
        what: 'a pin count is negative',
        corrupt: (s) => patchActive(s, 1, RO_REF, { deviceReadonly: -1 }),
        names: /d1 ref 9: deviceReadonly = -1/,
        dom: 1,
      },
      {
        what: 'an active entry is kept with all pins 0',
        corrupt: (s) => patchActive(s, 1, RO_REF, { hostReadonly: 0 }),
        names: /d1 ref 9: active entry kept with all pins 0/,
        dom: 1,
      },
    ],
    impl: [
      {
        what: 'the hstw byte is 129',
        corrupt: (sys) => repin(sys, RW_REF, (pin) => (pin & ~GNTPIN_hstw_mask) | 129),
        names: /d1 ref 8: hstw byte 129/,
        dom: 1,
      },
      {
        what: 'the devr byte (the top one) is 255',
        corrupt: (sys) => repin(sys, RO_REF, (pin) => pin | GNTPIN_devr_mask),
        names: /d1 ref 9: devr byte 255/,
        dom: 1,
      },
    ],
  },

  'pin-accounting': {
    model: [
      {
        what: 'a pin counts one mapping more than there is',
        corrupt: (s) => patchActive(s, 1, RW_REF, { hostWritable: 2 }),
        names: /d1 ref 8: hostWritable pin 2 but 1 live mappings/,
      },
      {
        what: 'a ref is pinned with no mapping',
        corrupt: (s) =>
          patchGrantTable(s, 1, (gt) => ({
            active: withKey(gt.active, FREE_REF, {
              grantee: 2,
              mfn: RO_MFN,
              hostWritable: 0,
              hostReadonly: 1,
              deviceWritable: 0,
              deviceReadonly: 0,
            }),
          })),
        names: /d1 ref 12: hostReadonly pin 1 but 0 live mappings/,
      },
      {
        what: 'live mappings of a ref have no pin',
        corrupt: (s) => patchGrantTable(s, 1, (gt) => ({ active: withoutKey(gt.active, RO_REF) })),
        names: /d1 ref 9 has live mappings but no pins/,
      },
      {
        what: 'a live mapping names a domain that does not exist (and nothing is pinned for it)',
        corrupt: (s) =>
          patchMapping(
            patchGrantTable(s, 1, (gt) => ({ active: withoutKey(gt.active, RO_REF) })),
            2,
            2,
            { granter: 7 },
          ),
        names: /d7 ref 9 has live mappings but no pins/,
      },
    ],
    impl: [
      {
        what: 'a pin counts one mapping more than there is',
        corrupt: (sys) => repin(sys, RW_REF, (pin) => pin + GNTPIN_hstw_inc),
        names: /d1 ref 8: pin 0x10002 but live mappings make 0x10001/,
      },
      {
        what: 'a ref is pinned with no mapping',
        corrupt: (sys) => repin(sys, FREE_REF, () => GNTPIN_hstr_inc),
        names: /d1 ref 12: pin 0x100 but live mappings make 0x0/,
      },
      {
        what: 'live mappings of a ref have no pin',
        corrupt: (sys) => repin(sys, RO_REF, () => 0),
        names: /live mappings of d1 ref 9 but no pin/,
      },
      {
        what: 'a live mapping names a domain that does not exist (and nothing is pinned for it)',
        corrupt: (sys) => {
          repin(sys, RO_REF, () => 0);
          dom(sys, 2).maptrack.setDomid(2, 7);
        },
        names: /live mappings of d7 ref 9 but no pin/,
      },
    ],
  },

  'single-grantee': {
    model: [
      {
        what: "the active entry's grantee is not the domain that maps it",
        corrupt: (s) => patchActive(s, 1, RW_REF, { grantee: 0 }),
        names: /d1 ref 8: active grantee d0 but mapped by d2/,
      },
      {
        what: 'two domains map one ref',
        corrupt: (s) => patchMapping(s, 0, 0, { ref: RW_REF }),
        names: /d1 ref 8 is mapped by 0,2/,
      },
    ],
    impl: [
      {
        what: 'act->domid is not the domain that maps it',
        corrupt: (sys) => {
          const active = dom(sys, 1).grantTable.active;
          active.setHolder(RW_REF, 0, active.mfnOf(RW_REF));
        },
        names: /d1 ref 8: act->domid 0 but mapped by d2/,
      },
      {
        what: 'two domains map one ref',
        corrupt: (sys) => dom(sys, 0).maptrack.setRef(0, RW_REF),
        names: /d1 ref 8 mapped by 0, 2/,
      },
    ],
  },

  'pinned-refs-valid': {
    model: [
      {
        what: 'a ref past the last grant frame is pinned',
        corrupt: (s) =>
          patchGrantTable(s, 1, (gt) => ({
            active: withKey(
              gt.active,
              SHGNT_PER_PAGE_V1,
              must(gt.active.get(RO_REF), 'active d1 ref 9'),
            ),
          })),
        names: /d1 ref 512 pinned beyond 512 entries/,
        dom: 1,
      },
    ],
    impl: [
      {
        // Xen grows the active entries before the shared frames (gnttab_grow_table, XSA-26
        // order): a table stopped half-way has active entries past its last shared frame.
        what: 'a ref past the last shared frame is pinned (active entries grown alone)',
        corrupt: (sys) => {
          const gt = dom(sys, 1).grantTable;
          gt.active = gt.active.grown(2 * SHGNT_PER_PAGE_V1);
          gt.active.setPin(SHGNT_PER_PAGE_V1, GNTPIN_hstr_inc);
        },
        names: /d1 ref 512 pinned beyond the table/,
        dom: 1,
      },
    ],
  },

  // Impl: a handle exists only below maptrack_limit (ImplView.live scans 0..limit-1), so "a live
  // handle beyond the limit" cannot be written there; lowering the limit under live handles
  // breaks the free list instead, which free-list-integrity reports.
  'live-maptrack-entries': {
    model: [
      {
        what: 'a live handle is beyond the limit',
        corrupt: (s) =>
          patchMaptrack(s, 2, (mt) => ({
            mappings: mt.mappings.with(mt.limit, must(mt.mappings.get(2), 'd2 handle 2')),
          })),
        names: /d2 handle 256 beyond limit/,
      },
      {
        what: 'a live entry holds neither host_map nor device_map',
        corrupt: (s) => patchMapping(s, 2, 2, { flags: GNTMAP_readonly }),
        names: /d2 handle 2 live without host_map or device_map/,
      },
      {
        what: 'a live entry names a domain that does not exist',
        corrupt: (s) => patchMapping(s, 2, 2, { granter: 7 }),
        names: /d2 handle 2 names unknown domain 7/,
      },
      {
        what: "a live entry names a ref beyond the granter's table",
        corrupt: (s) => patchMapping(s, 2, 2, { ref: SHGNT_PER_PAGE_V1 }),
        names: /d2 handle 2 names ref 512 beyond table/,
      },
    ],
    impl: [
      {
        what: 'a live entry holds neither host_map nor device_map',
        corrupt: (sys) => dom(sys, 2).maptrack.setFlags(2, GNTMAP_readonly),
        names: /d2 handle 2 in use without host_map or device_map/,
      },
      {
        what: 'a live entry names a domain that does not exist',
        corrupt: (sys) => dom(sys, 2).maptrack.setDomid(2, 7),
        names: /d2 handle 2 names unknown domain 7/,
      },
      {
        what: "a live entry names a ref beyond the granter's table",
        corrupt: (sys) => dom(sys, 2).maptrack.setRef(2, SHGNT_PER_PAGE_V1),
        names: /d2 handle 2 names ref 512 beyond d1's table/,
      },
    ],
  },

  'maptrack-size': {
    model: [
      {
        what: 'the limit is not a multiple of 256',
        corrupt: (s) => patchMaptrack(s, 2, () => ({ limit: 300 })),
        names: /d2 maptrack limit 300 not a multiple of 256/,
        dom: 2,
      },
      {
        what: 'the limit is above 256 * max_maptrack_frames',
        corrupt: (s) => patchMaptrack(s, 2, () => ({ limit: 2 * MAPTRACK_PER_PAGE })),
        names: /d2 maptrack limit 512 above max/,
        dom: 2,
      },
    ],
    impl: [
      {
        what: 'maptrack_limit is not a multiple of 256',
        corrupt: (sys) => {
          dom(sys, 2).maptrack.limit = 300;
        },
        names: /d2 maptrack_limit 300 not a multiple of 256/,
        dom: 2,
      },
      {
        what: 'maptrack_limit is above 256 * max_maptrack_frames',
        corrupt: (sys) => {
          dom(sys, 2).maptrack.limit = 2 * MAPTRACK_PER_PAGE;
        },
        names: /d2 maptrack_limit 512 above max/,
        dom: 2,
      },
    ],
  },

  // d2's maptrack: handles 0..2 live, the free list 3 → 4 → … → 255 (the tail).
  'free-list-integrity': {
    model: [
      {
        what: 'a live handle is also on the free list',
        corrupt: (s) => patchMaptrack(s, 2, (mt) => ({ freeList: mt.freeList.push(0) })),
        names: /d2 handle 0 both free and live/,
        dom: 2,
      },
      {
        what: 'a handle is twice on the free list',
        corrupt: (s) => patchMaptrack(s, 2, (mt) => ({ freeList: mt.freeList.push(3) })),
        names: /d2 handle 3 twice on the free list/,
        dom: 2,
      },
      {
        what: 'a free handle is beyond the limit',
        corrupt: (s) => patchMaptrack(s, 2, (mt) => ({ freeList: mt.freeList.push(mt.limit) })),
        names: /d2 free handle 256 beyond limit 256/,
        dom: 2,
      },
      {
        what: 'a handle is lost (neither free nor live)',
        corrupt: (s) => patchMaptrack(s, 2, (mt) => ({ freeList: mt.freeList.shift() })),
        names: /d2: 252 free \+ 3 live handles != limit 256/,
        dom: 2,
      },
      {
        what: 'the free list lost its sentinel (every handle live)',
        corrupt: (s) => patchMaptrack(s, 2, allHandlesLive),
        names: /d2 free list lost its sentinel/,
        dom: 2,
      },
    ],
    impl: [
      {
        what: 'the list cycles back to its head',
        corrupt: (sys) => {
          const t = dom(sys, 2).maptrack;
          t.setRef(t.tail, t.head);
        },
        names: /d2: free list cycles at handle 3/,
        dom: 2,
      },
      {
        what: 'the list links to a handle beyond the limit',
        corrupt: (sys) => {
          const t = dom(sys, 2).maptrack;
          t.setRef(t.tail, t.limit);
        },
        names: /d2: free list reaches handle 256 beyond limit 256/,
        dom: 2,
      },
      {
        what: 'the list ends elsewhere than at the tail',
        corrupt: (sys) => {
          const t = dom(sys, 2).maptrack;
          t.tail = t.tail - 1;
        },
        names: /d2: free list ends at 255 but tail is 254/,
        dom: 2,
      },
      {
        what: 'the list is empty but the tail is set',
        corrupt: (sys) => {
          dom(sys, 2).maptrack.head = MAPTRACK_TAIL;
        },
        names: /d2: free list empty but tail is 255/,
        dom: 2,
      },
      {
        what: 'a handle on the free list is in use',
        corrupt: (sys) => {
          const t = dom(sys, 2).maptrack;
          t.setFlags(t.head, GNTMAP_host_map);
        },
        names: /d2 handle 3 on the free list but in use/,
        dom: 2,
      },
      {
        what: 'a handle is lost (unlinked, not in use)',
        corrupt: (sys) => {
          const t = dom(sys, 2).maptrack;
          t.setRef(t.head, t.ref(t.ref(t.head)));
        },
        names: /d2: 252 free \+ 3 live handles != limit 256/,
        dom: 2,
      },
    ],
  },

  'maptrack-capacity': {
    model: [
      {
        what: 'all 256 handles are live',
        corrupt: (s) => patchMaptrack(s, 2, allHandlesLive),
        names: /d2 has 256 live mappings, more than 255/,
        dom: 2,
      },
    ],
    impl: [
      {
        what: 'all 256 handles are in use',
        corrupt: (sys) => {
          const t = dom(sys, 2).maptrack;
          for (let h = 0; h < t.limit; h++) t.setFlags(h, GNTMAP_host_map | GNTMAP_readonly);
        },
        names: /d2 has 256 live mappings, cap 255/,
        dom: 2,
      },
    ],
  },

  // d1's ref 8 carries reading|writing (writable pins), ref 9 reading (read-only pins).
  'status-bits-mirror-pins': {
    model: [
      {
        what: 'GTF_reading is clear on a pinned entry',
        corrupt: (s) => patchEntry(s, 1, RW_REF, { flags: GTF_permit_access | GTF_writing }),
        names: /d1 ref 8: GTF_reading=false but pinned=true/,
        dom: 1,
      },
      {
        what: 'GTF_writing is set on an entry with only read-only pins',
        corrupt: (s) =>
          patchEntry(s, 1, RO_REF, {
            flags: flagsOf(s, 1, RO_REF) | GTF_writing,
          }),
        names: /d1 ref 9: GTF_writing=true but writable pins=false/,
        dom: 1,
      },
      {
        what: 'GTF_reading is set on an entry nobody pinned',
        corrupt: (s) =>
          patchEntry(s, 1, FREE_REF, { flags: GTF_permit_access | GTF_reading, domid: 2 }),
        names: /d1 ref 12: GTF_reading=true but pinned=false/,
        dom: 1,
      },
    ],
    impl: [
      {
        what: 'GTF_reading is clear on a pinned entry',
        corrupt: (sys) => dom(sys, 1).grantTable.shared.clearFlags(RW_REF, GTF_reading),
        names: /d1 ref 8: flags 0x11 with pin 0x10001 \(GTF_reading\)/,
        dom: 1,
      },
      {
        what: 'GTF_writing is set on an entry with only read-only pins',
        corrupt: (sys) => {
          const shared = dom(sys, 1).grantTable.shared;
          shared.storeFlags(RO_REF, shared.inspect(RO_REF).flags | GTF_writing);
        },
        names: /d1 ref 9: flags 0x1d with pin 0x100 \(GTF_writing\)/,
        dom: 1,
      },
      {
        what: 'GTF_reading is set on an entry nobody pinned',
        corrupt: (sys) =>
          dom(sys, 1).grantTable.shared.storeEntry(FREE_REF, GTF_permit_access | GTF_reading, 2, 0),
        names: /d1 ref 12: flags 0x9 with pin 0x0 \(GTF_reading\)/,
        dom: 1,
      },
    ],
  },

  ownership: {
    model: [
      {
        what: 'one page is in two p2m tables',
        corrupt: (s) => patchDomain(s, 2, (d) => ({ p2m: withKey(d.p2m, 3, RW_MFN) })),
        names: new RegExp(`mfn ${RW_MFN} in the p2m of d1 and d2`),
      },
      {
        what: 'a p2m entry names a page another domain owns',
        corrupt: (s) => setFrameOwner(s, RW_MFN, 0),
        names: new RegExp(`d1 gfn 0 -> mfn ${RW_MFN} owned by 0`),
      },
      {
        what: 'a p2m entry names a freed page',
        corrupt: (s) => setFrameOwner(s, D2_MFN, undefined),
        names: new RegExp(`d2 gfn 2 -> mfn ${D2_MFN} owned by nobody`),
      },
    ],
    impl: [
      {
        what: 'one page is in two p2m tables',
        corrupt: (sys) => {
          const d2 = dom(sys, 2);
          d2.p2m = new Map(d2.p2m).set(3, RW_MFN);
        },
        names: new RegExp(`mfn ${RW_MFN} in the p2m of d1 and d2`),
      },
      {
        what: 'a p2m entry names a page another domain owns',
        corrupt: (sys) => sys.xen.frames.setOwner(RW_MFN, 0),
        names: new RegExp(`d1 gfn 0 -> mfn ${RW_MFN} owned by 0`),
      },
      {
        what: 'a p2m entry names a freed page',
        corrupt: (sys) => sys.xen.frames.setOwner(D2_MFN, NO_OWNER),
        names: new RegExp(`d2 gfn 2 -> mfn ${D2_MFN} owned by ${NO_OWNER}`),
      },
    ],
  },

  // Only device mappings pin a page in place: d2's device mapping of d1's ref 8 (handle 1).
  'mapped-pages-stay': {
    model: [
      {
        what: 'a device-mapped page now belongs to another domain',
        corrupt: (s) => setFrameOwner(s, RW_MFN, 0),
        names: new RegExp(`d2 handle 1 device-maps mfn ${RW_MFN}, no longer owned by d1`),
      },
      {
        what: 'a device-mapped page was freed',
        corrupt: (s) => setFrameOwner(s, RW_MFN, undefined),
        names: new RegExp(`d2 handle 1 device-maps mfn ${RW_MFN}, no longer owned by d1`),
      },
    ],
    impl: [
      {
        what: 'a device-mapped page now belongs to another domain',
        corrupt: (sys) => sys.xen.frames.setOwner(RW_MFN, 0),
        names: new RegExp(`d2 handle 1 device-maps mfn ${RW_MFN}, no longer owned by d1`),
      },
      {
        what: 'a device-mapped page was freed',
        corrupt: (sys) => sys.xen.frames.setOwner(RW_MFN, NO_OWNER),
        names: new RegExp(`d2 handle 1 device-maps mfn ${RW_MFN}, no longer owned by d1`),
      },
    ],
  },

  // The model keeps no reference counts, only their consequence (a referenced page is never
  // freed); the impl checks the counts themselves. RW_MFN: base 2 + d2's PTE + d2's device
  // mapping = 4 references, 2 writable types. RO_MFN: base 2 + d2's read-only PTE = 3, 0 types.
  'page-references': {
    model: [
      {
        what: "a host mapping's page was freed",
        corrupt: (s) => setFrameOwner(s, RO_MFN, undefined),
        names: new RegExp(`d2 va page 2 maps freed mfn ${RO_MFN}`),
      },
      {
        what: "a device mapping's page was freed",
        corrupt: (s) =>
          patchDomain(setFrameOwner(s, RW_MFN, undefined), 2, (d) => ({
            hostMappings: withoutKey(d.hostMappings, 1), // so the PTE does not report first
          })),
        names: new RegExp(`d2 handle 1 device-maps freed mfn ${RW_MFN}`),
      },
      {
        what: 'a host mapping names a frame outside the machine',
        corrupt: (s) =>
          patchDomain(s, 2, (d) => ({
            hostMappings: withKey(d.hostMappings, 5, { mfn: NO_SUCH_MFN, writable: false }),
          })),
        names: new RegExp(`d2 va page 5 maps freed mfn ${NO_SUCH_MFN}`),
      },
    ],
    impl: [
      {
        what: 'count_info holds one reference too many',
        corrupt: (sys) => sys.xen.frames.setRefs(RW_MFN, sys.xen.frames.refs(RW_MFN) + 1),
        names: new RegExp(`mfn ${RW_MFN}: count 5, mappings make 4`),
      },
      {
        what: 'count_info misses the reference of a PTE',
        corrupt: (sys) => sys.xen.frames.setRefs(RO_MFN, sys.xen.frames.refs(RO_MFN) - 1),
        names: new RegExp(`mfn ${RO_MFN}: count 2, mappings make 3`),
      },
      {
        what: 'the writable type count is off by one',
        corrupt: (sys) =>
          sys.xen.frames.setWritableTypes(RW_MFN, sys.xen.frames.writableTypes(RW_MFN) + 1),
        names: new RegExp(`mfn ${RW_MFN}: writable type count 3, mappings make 2`),
      },
      {
        what: 'a referenced page was freed',
        corrupt: (sys) => sys.xen.frames.setOwner(RO_MFN, NO_OWNER),
        names: new RegExp(`mfn ${RO_MFN}: count 3, mappings make 1`),
      },
      {
        what: 'a grant PTE names a frame outside the machine',
        corrupt: (sys) => {
          const d2 = dom(sys, 2);
          d2.pageTable = new Map(d2.pageTable).set(5, { mfn: NO_SUCH_MFN, writable: false });
        },
        names: new RegExp(`mfn ${NO_SUCH_MFN}`),
      },
    ],
  },

  'transfer-flag-order': {
    model: [
      {
        what: 'a completed transfer is not committed',
        corrupt: (s) =>
          patchEntry(s, 1, TRANSFER_REF, {
            flags: flagsOf(s, 1, TRANSFER_REF) & ~GTF_transfer_committed,
          }),
        names: /d1 ref 10: transfer completed but not committed/,
        dom: 1,
      },
    ],
    impl: [
      {
        what: 'a completed transfer is not committed',
        corrupt: (sys) =>
          dom(sys, 1).grantTable.shared.clearFlags(TRANSFER_REF, GTF_transfer_committed),
        names: /d1 ref 10: completed but not committed/,
        dom: 1,
      },
    ],
  },

  'page-budget': {
    model: [
      {
        what: 'tot_pages counts a page the domain does not own',
        corrupt: (s) => patchDomain(s, 2, (d) => ({ totPages: d.totPages + 1 })),
        names: /d2 tot_pages 4 but owns 3 pages/,
      },
      {
        what: 'a page is lost from the frame table',
        corrupt: (s) => setFrameOwner(s, D2_MFN, undefined),
        names: /d2 tot_pages 3 but owns 2 pages/,
      },
      {
        what: 'tot_pages exceeds max_pages',
        corrupt: (s) => patchDomain(s, 1, (d) => ({ totPages: d.maxPages + 1 })),
        names: /d1 tot_pages 6 > max_pages 5/,
      },
    ],
    impl: [
      {
        what: 'tot_pages counts a page the domain does not own',
        corrupt: (sys) => {
          dom(sys, 2).totPages += 1;
        },
        names: /d2 tot_pages 4 but owns 3 pages/,
      },
      {
        what: 'a page is lost from the frame table',
        corrupt: (sys) => sys.xen.frames.setOwner(D2_MFN, NO_OWNER),
        names: /d2 tot_pages 3 but owns 2 pages/,
      },
      {
        what: 'tot_pages exceeds max_pages',
        corrupt: (sys) => {
          const d1 = dom(sys, 1);
          d1.totPages = d1.maxPages + 1;
        },
        names: /d1 tot_pages 6 > max_pages 5/,
      },
    ],
  },

  'host-slots-in-window': {
    model: [
      {
        what: 'a grant PTE sits in the slot just past the window',
        corrupt: (s) =>
          patchDomain(s, 2, (d) => ({
            hostMappings: withKey(d.hostMappings, d.hostVaPages, { mfn: RO_MFN, writable: false }),
          })),
        names: /d2 va page 16 outside its 16-page window/,
        dom: 2,
      },
    ],
    impl: [
      {
        what: 'a grant PTE was written to a slot past the window',
        corrupt: (sys) => {
          const d = dom(sys, 0);
          d.pageTable = new Map([
            ...d.pageTable,
            [d.hostVaPages + 3, { mfn: RO_MFN, writable: false }],
          ]);
        },
        names: /d0 va page 19 outside its 16-page window/,
        dom: 0,
      },
    ],
  },
  'freed-pages-scrubbed': {
    model: [
      {
        what: 'a page is freed with its bytes',
        corrupt: (s) => ({
          ...setFrameOwner(s, D2_MFN, undefined),
          contents: withKey(s.contents, D2_MFN, must(fillRange(undefined, 7, 1, 0x42), 'page')),
        }),
        names: /free mfn 0x10a holds bytes/,
      },
    ],
    impl: [
      {
        what: 'a page is freed with its bytes',
        corrupt: (sys) => {
          sys.xen.frames.writableBytes(D2_MFN)[7] = 0x42;
          sys.xen.frames.setOwner(D2_MFN, NO_OWNER);
        },
        names: /free mfn 0x10a holds bytes/,
      },
    ],
  },

  // The reachable state's ghost: d2 stored through its writable mapping of RW_MFN and copied
  // RO_MFN (granted read-only) into D2_MFN; d0 maps D0_MFN writable; d1 received d2's gfn 3
  // frame by transfer. Each corruption forgets a permit or adds a store no permit covers.
  'flows-permitted': {
    model: [
      {
        what: "d2's writable permit of the frame it stored into is forgotten",
        corrupt: (s) => withPermits(s, RW_MFN, permitBit(2, false)),
        names: new RegExp(
          `^mfn 0x${RW_MFN.toString(16)} of d1 holds bytes d2 stored, which no grant let d2 write there$`,
        ),
      },
      {
        // Per frame: d1 let d2 read RO_MFN, not its gfn 2 frame (a domain-level check passes it).
        what: "d1 granted d2 one frame, and d2's page holds bytes of d1's other frame",
        corrupt: (s) => withStore(s, D2_MFN, D0_MFN, 2),
        names: new RegExp(
          `^mfn 0x${D2_MFN.toString(16)} of d2 holds bytes of mfn 0x${D0_MFN.toString(16)}, which no grant let d2 read$`,
        ),
      },
      {
        what: 'a writable grant PTE names a frame its domain holds only a read permit of',
        corrupt: (s) => withPermits(s, D0_MFN, permitBit(0, false)),
        names: new RegExp(
          `^d0 va page 3 maps mfn 0x${D0_MFN.toString(16)} writable, which no grant let d0 write$`,
        ),
      },
    ],
    impl: [
      {
        what: "d2's writable permit of the frame it stored into is forgotten",
        corrupt: (sys) => {
          const { frames } = sys.xen;
          frames.permits[RW_MFN - frames.firstMfn] = permitBit(2, false);
        },
        names: new RegExp(
          `^mfn 0x${RW_MFN.toString(16)} of d1 holds bytes d2 stored, which no grant let d2 write there$`,
        ),
      },
      {
        what: "d1 granted d2 one frame, and d2's page holds bytes of d1's other frame",
        corrupt: (sys) => sys.xen.frames.recordStore(D2_MFN, D0_MFN, 2),
        names: new RegExp(
          `^mfn 0x${D2_MFN.toString(16)} of d2 holds bytes of mfn 0x${D0_MFN.toString(16)}, which no grant let d2 read$`,
        ),
      },
      {
        what: 'a writable grant PTE names a frame its domain holds only a read permit of',
        corrupt: (sys) => {
          const { frames } = sys.xen;
          frames.permits[D0_MFN - frames.firstMfn] = permitBit(0, false);
        },
        names: new RegExp(
          `^d0 va page 3 maps mfn 0x${D0_MFN.toString(16)} writable, which no grant let d0 write$`,
        ),
      },
    ],
  },

  'grant-frames': {
    model: [
      {
        what: 'nr_grant_frames is 0',
        corrupt: (s) => patchGrantTable(s, 1, () => ({ nrFrames: 0 })),
        names: /d1 nr_grant_frames 0 outside 1..2/,
        dom: 1,
      },
      {
        what: 'nr_grant_frames is above max_grant_frames',
        corrupt: (s) => patchGrantTable(s, 1, (gt) => ({ nrFrames: gt.maxFrames + 1 })),
        names: /d1 nr_grant_frames 3 outside 1..2/,
        dom: 1,
      },
    ],
    impl: [
      {
        // No op shrinks a table: load a copy saved from a zero-frame one.
        what: 'the shared table has no frame',
        corrupt: (sys) => dom(sys, 1).grantTable.shared.load(new SharedGrantMemory(0, 0).save()),
        names: /d1 nr_grant_frames 0 outside 1..2/,
        dom: 1,
      },
      {
        what: 'the shared table grew past max_grant_frames',
        corrupt: (sys) => {
          const gt = dom(sys, 1).grantTable;
          gt.shared.grow(gt.maxGrantFrames + 1);
        },
        names: /d1 nr_grant_frames 3 outside 1..2/,
        dom: 1,
      },
    ],
  },

  // The reachable state has ref 2 raw-written (exempt); these write refs 3 and 5 as the library.
  'reserved-refs-untouched': {
    model: [
      {
        what: 'a reserved entry holds a grant',
        corrupt: (s) => patchEntry(s, 1, 3, { flags: GTF_permit_access, domid: 2, frame: 0 }),
        names: /d1 reserved ref 3 written by the guest library/,
        dom: 1,
      },
      {
        what: "only a reserved entry's frame is written",
        corrupt: (s) => patchEntry(s, 1, 5, { frame: 1 }),
        names: /d1 reserved ref 5 written by the guest library/,
        dom: 1,
      },
    ],
    impl: [
      {
        what: 'a reserved entry holds a grant',
        corrupt: (sys) => dom(sys, 1).grantTable.shared.storeEntry(3, GTF_permit_access, 2, 0),
        names: /d1 reserved ref 3 written by the guest library/,
        dom: 1,
      },
      {
        what: "only a reserved entry's frame is written",
        corrupt: (sys) => dom(sys, 1).grantTable.shared.storeFrame(5, 1),
        names: /d1 reserved ref 5 written by the guest library/,
        dom: 1,
      },
    ],
  },
  // --- Domain death (docs/semantics.md §17) ---
  'mapped-frames-allocated': {
    model: [
      {
        what: 'a frame d2 device-maps (and maps through a grant PTE) is freed',
        corrupt: (s) => setFrameOwner(s, RW_MFN, undefined),
        names: /d1 ref 8 is device-mapped but mfn 0x[0-9a-f]+ is freed/,
      },
    ],
    impl: [
      {
        what: 'a frame d2 maps through a grant PTE is freed',
        corrupt: (sys) => sys.xen.frames.setOwner(RW_MFN, NO_OWNER),
        names: /d2 va page \d+ maps freed mfn 0x[0-9a-f]+/,
      },
    ],
  },
  'zombie-frames-held': {
    model: [
      {
        what: 'a zombie keeps a page nothing maps',
        corrupt: (s) => patchDomain(s, 1, () => ({ death: 'zombie' })),
        names: /zombie d1 keeps mfn 0x[0-9a-f]+ nothing maps/,
      },
      {
        what: 'a gone domain still owns pages',
        corrupt: (s) => patchDomain(s, 1, () => ({ death: 'gone' })),
        names: /gone d1 still owns mfn 0x[0-9a-f]+/,
      },
    ],
    impl: [
      {
        what: 'a destroyed domain still owns pages',
        corrupt: (sys) => {
          dom(sys, 1).isDying = DOMDYING_dead;
          dom(sys, 1).destroyed = true;
        },
        names: /destroyed d1 still owns mfn 0x[0-9a-f]+/,
      },
    ],
  },
  'gone-domains-unnamed': {
    model: [
      {
        what: 'a gone domain keeps its pins',
        corrupt: (s) => patchDomain(s, 1, () => ({ death: 'gone' })),
        names: /gone d1 has pins/,
      },
    ],
    impl: [
      {
        what: 'a destroyed domain keeps its pins',
        corrupt: (sys) => {
          dom(sys, 1).isDying = DOMDYING_dead;
          dom(sys, 1).destroyed = true;
        },
        names: /destroyed d1 has pins/,
      },
    ],
  },
  'profile-free-not-granted': {
    model: [
      {
        what: 'a granted, mapped ref is on the free list',
        corrupt: (s) => withLibrary(s, { free: [RW_REF] }),
        names: /d1 ref 8 is free and its entry is a valid grant/,
        dom: 1,
      },
    ],
    impl: [
      {
        what: 'a granted, mapped ref is pushed on the free list',
        corrupt: (sys) => linuxPutFreeEntry(attachLibrary(sys), RW_REF),
        names: /d1 ref 8 is free and its entry is a valid grant/,
        dom: 1,
      },
    ],
  },
  'profile-reserved-never-handed-out': {
    model: [
      {
        what: 'reserved ref 0 is on the free list',
        corrupt: (s) => withLibrary(s, { free: [0] }),
        names: /d1 reserved ref 0 is on the free list/,
        dom: 1,
      },
    ],
    impl: [
      {
        what: "reserved ref 0 is linked into gnttab_list's free chain",
        corrupt: (sys) => {
          const lib = attachLibrary(sys);
          lib.next[0] = lib.head;
          lib.head = 0;
          lib.count++;
        },
        names: /d1 reserved ref 0 is on the free list/,
        dom: 1,
      },
    ],
  },
  'profile-refs-accounted': {
    model: [
      {
        what: 'a ref is on the free list twice',
        corrupt: (s) => withLibrary(s, { free: [10, 10] }),
        names: /d1 ref 10 is on the free list twice/,
        dom: 1,
      },
    ],
    impl: [
      {
        what: 'a free ref links to itself (a double free)',
        corrupt: (sys) => {
          const lib = attachLibrary(sys);
          linuxPutFreeEntry(lib, 10);
          linuxPutFreeEntry(lib, 10);
        },
        names: /d1 ref 10 is on the free list twice/,
        dom: 1,
      },
    ],
  },
  'profile-page-not-freed-while-granted': {
    model: [
      {
        what: 'the driver dropped a page a mapped grant names, and nothing keeps it',
        corrupt: (s) => withLibrary(s, { droppedPages: new Set([0]) }),
        names: /d1 page gfn 0 was freed while Xen still maps it through ref 8/,
        dom: 1,
      },
    ],
    impl: [
      {
        what: 'the driver dropped a page a mapped grant names, and nothing keeps it',
        corrupt: (sys) => void attachLibrary(sys).dropped.add(0),
        names: /d1 page gfn 0 was freed while Xen still maps it through ref 8/,
        dom: 1,
      },
    ],
  },
  'backend-request-fully-mapped': {
    model: [
      {
        what: "a live request's segment names a handle that maps nothing",
        corrupt: (s) =>
          withBackend(s, (r) => ({ ...r, segments: [{ ref: BACKEND_REF, handle: 5 }] })),
        names: /d1 request 0 segment 0 \(ref 8\): handle 5 is not mapped \(half-mapped request\)/,
        dom: 1,
      },
    ],
    impl: [
      {
        what: "a live request's slot lost its handle",
        corrupt: (sys) => {
          const slot = sys.guest(1).backend?.slots.get(0);
          if (slot) slot.handles[0] = 5;
        },
        names: /d1 request 0 segment 0 \(ref 8\): handle 5 is not mapped \(half-mapped request\)/,
        dom: 1,
      },
    ],
  },
  'backend-mappings-owned': {
    model: [
      {
        what: 'the backend forgot a request whose segment is still mapped',
        corrupt: (s) => withBackend(s, () => undefined),
        names: /d1 handle 0 \(d2 ref 8\) is mapped but belongs to no live request \(leaked\)/,
        dom: 1,
      },
    ],
    impl: [
      {
        what: "the driver dropped a request's slot without unmapping it",
        corrupt: (sys) => void sys.guest(1).backend?.slots.delete(0),
        names: /d1 handle 0 \(d2 ref 8\) is mapped but belongs to no live request \(leaked\)/,
        dom: 1,
      },
    ],
  },
  'profile-deferred-live': {
    model: [
      {
        what: 'a deferred end of a free entry survived a tick under the default budget',
        corrupt: (s) =>
          withLibrary(s, {
            deferred: [{ ref: TRANSFER_REF + 1, gfn: 2, warnDelay: 59, idleTicks: 1 }],
          }),
        names:
          /d1 deferred end of ref 11 still pending after 1 ticks with its entry free \(bound 0\)/,
        dom: 1,
      },
    ],
    impl: [
      {
        what: 'a deferred end of a free entry survived a tick under the default budget',
        corrupt: (sys) =>
          void attachLibrary(sys).deferred.push({ ref: 11, page: 2, warnDelay: 59, idleTicks: 1 }),
        names:
          /d1 deferred end of ref 11 still pending after 1 ticks with its entry free \(bound 0\)/,
        dom: 1,
      },
    ],
  },
};

// --- The tests ------------------------------------------------------------------------------

/** Each domain's per-domain message, where the invariant is declared per domain. */
function perDomainMessages(
  inv: StateInvariant,
  check: (perDomain: NonNullable<StateInvariant['perDomain']>, id: DomId) => string | null,
): (string | null)[] {
  const perDomain = inv.perDomain;
  if (!perDomain) return [];
  return Array.from({ length: CONFIG.domains }, (_, id) => check(perDomain, id));
}

/** The message and, for a per-domain invariant, which domains' own checks fire. */
function expectFires(
  inv: StateInvariant,
  c: Omit<Corruption<never, unknown>, 'corrupt'>,
  message: string | null,
  perDomain: (string | null)[],
): void {
  expect(message, `${inv.name} must report: ${c.what}`).toEqual(expect.stringMatching(c.names));
  if (!inv.perDomain) return;
  if (c.dom === undefined) throw new Error(`${inv.name}: name the corrupted domain (dom)`);
  const firing = perDomain.flatMap((m, id) => (m === null ? [] : [id]));
  expect(firing, 'only the corrupted domain fails its own check').toEqual([c.dom]);
}

describe('the reachable state', () => {
  it('is built by ops that all succeed, with the same results on model and impl', () => {
    const { results } = reachableModel();
    const system = new GrantSystem(CONFIG);
    expect(SCENARIO.map((op) => system.apply(op))).toEqual(results);
    expect(results.filter((r) => !succeeded(r))).toEqual([]);
  });

  it('has a test table covering every invariant of the catalogue, on both sides', () => {
    expect(Object.keys(CASES).sort()).toEqual(INVARIANTS.map((inv) => inv.name).sort());
    for (const [name, cases] of Object.entries(CASES)) {
      expect(cases.model.length, `${name}: model cases`).toBeGreaterThan(0);
      expect(cases.impl.length, `${name}: impl cases`).toBeGreaterThan(0);
    }
  });
});

for (const inv of INVARIANTS) {
  const cases = CASES[inv.name];
  describe(inv.name, () => {
    if (!cases) return; // reported by the coverage test above

    it('model: holds on the reachable state', () => {
      expect(inv.onModel(REACHABLE)).toBeNull();
      const mine = perDomainMessages(inv, (p, id) => p.onModel(must(REACHABLE.domains[id], 'd')));
      expect(mine.filter((m) => m !== null)).toEqual([]);
    });

    it('impl: holds on the reachable state', () => {
      const view = new ImplView(reachableSystem());
      expect(inv.onImpl(view)).toBeNull();
      const mine = perDomainMessages(inv, (p, id) => p.onImpl(view, dom(view.system, id)));
      expect(mine.filter((m) => m !== null)).toEqual([]);
    });

    for (const c of cases.model) {
      it(`model: fails when ${c.what}`, () => {
        const state = c.corrupt(REACHABLE);
        const perDomain = perDomainMessages(inv, (p, id) =>
          p.onModel(must(state.domains[id], 'd')),
        );
        expectFires(inv, c, inv.onModel(state), perDomain);
      });
    }

    for (const c of cases.impl) {
      it(`impl: fails when ${c.what}`, () => {
        const system = reachableSystem();
        c.corrupt(system);
        const view = new ImplView(system);
        const perDomain = perDomainMessages(inv, (p, id) => p.onImpl(view, dom(system, id)));
        expectFires(inv, c, inv.onImpl(view), perDomain);
      });
    }
  });
}
