// State invariants over the model state (sources in index.ts). Each check returns
// null when the invariant holds, or one line naming the first counterexample. The same
// invariants are checked on the impl's own structures in implChecks.ts.

import type { CheckMessage } from '../../src/harness/invariant.ts';
import { flowOf } from '../../src/model/flow.ts';
import { freeLists } from '../../src/model/maptrack.ts';
import { unpermittedLabel, unpermittedMapping } from './flows.ts';
import type { ActiveGrant, DomainState, ModelState } from '../../src/model/state.ts';
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

const mappingCounts = new WeakMap<ModelState, Map<number, MappingCount>>();

/** Live mappings of each (granter, ref), counted by the pin kind each one holds; computed once
 * per state for the invariants that share it. */
function countMappings(state: ModelState): Map<number, MappingCount> {
  const cached = mappingCounts.get(state);
  if (cached) return cached;
  const counts = new Map<number, MappingCount>();
  for (const mapper of state.domains) {
    for (const m of mapper.maptrack.mappings.values()) {
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
      if (m.flags & GNTMAP_host_map) c[ro ? 'hostReadonly' : 'hostWritable']++;
      if (m.flags & GNTMAP_device_map) c[ro ? 'deviceReadonly' : 'deviceWritable']++;
    }
  }
  mappingCounts.set(state, counts);
  return counts;
}

function splitKey(key: number): [number, number] {
  return [Math.floor(key / 2 ** 32), key % 2 ** 32];
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

export function pinAccounting(state: ModelState): CheckMessage {
  const counts = countMappings(state);
  for (const d of state.domains) {
    for (const [ref, act] of d.grantTable.active) {
      const c = counts.get(grantKey(d.id, ref));
      for (const name of PIN_NAMES) {
        const mapped = c ? c[name] : 0;
        if (act[name] !== mapped) {
          return `d${d.id} ref ${ref}: ${name} pin ${act[name]} but ${mapped} live mappings`;
        }
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

// Marks for freeListsHold, reused: it runs after most maps and unmaps.
let freeMarks = new Uint8Array(0);

/** Does freeListIntegrity hold? The same verdict, allocating nothing: the full check's message
 * is built only when it fails (test/properties/invariants.test.ts compares the two verdicts). */
function freeListsHold(d: DomainState): boolean {
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
