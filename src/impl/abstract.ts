// The refinement mapping: the impl's concrete state (typed arrays, packed pins, linked free
// lists) read back as the model's ModelState. Runs after every step, so it scans 32-bit words
// and skips zeros; immutable maps (p2m, page tables, rawWritten) are shared, not copied.

import type { DomId, Handle, Mfn, Ref } from '../ops/op.ts';
import type {
  ActiveGrant,
  DomainState,
  GrantMapping,
  ModelState,
  SharedEntry,
} from '../model/state.ts';
import {
  GNTPIN_devr_mask,
  GNTPIN_devr_shift,
  GNTPIN_devw_mask,
  GNTPIN_devw_shift,
  GNTPIN_hstr_mask,
  GNTPIN_hstr_shift,
  GNTPIN_hstw_mask,
  GNTPIN_hstw_shift,
  MAPTRACK_TAIL,
} from '../xen/abi.ts';
import type { GuestLib } from './guest/guestLib.ts';
import type { XenDomain } from './hypervisor/domain.ts';
import { NO_OWNER } from './hypervisor/mm.ts';
import type { GrantSystem } from './system.ts';

function sharedEntries(d: XenDomain): Map<Ref, SharedEntry> {
  const words = d.grantTable.shared.words;
  const entries = new Map<Ref, SharedEntry>();
  for (let i = 0; i < words.length; i += 2) {
    const head = words[i] ?? 0;
    const frame = words[i + 1] ?? 0;
    if ((head | frame) === 0) continue;
    entries.set(i >> 1, { flags: head & 0xffff, domid: head >>> 16, frame });
  }
  return entries;
}

function activeEntries(d: XenDomain): Map<Ref, ActiveGrant> {
  const act = d.grantTable.active;
  const pins = act.pin;
  const active = new Map<Ref, ActiveGrant>();
  for (let ref = 0; ref < pins.length; ref++) {
    const pin = pins[ref] ?? 0;
    if (pin === 0) continue;
    active.set(ref, {
      grantee: act.domidOf(ref),
      mfn: act.mfnOf(ref),
      hostWritable: (pin & GNTPIN_hstw_mask) >>> GNTPIN_hstw_shift,
      hostReadonly: (pin & GNTPIN_hstr_mask) >>> GNTPIN_hstr_shift,
      deviceWritable: (pin & GNTPIN_devw_mask) >>> GNTPIN_devw_shift,
      deviceReadonly: (pin & GNTPIN_devr_mask) >>> GNTPIN_devr_shift,
    });
  }
  return active;
}

function mappings(d: XenDomain): Map<Handle, GrantMapping> {
  const t = d.maptrack;
  const live = new Map<Handle, GrantMapping>();
  for (let h = 0; h < t.limit; h++) {
    const flags = t.flags(h);
    if (flags !== 0) live.set(h, { granter: t.domid(h), ref: t.ref(h), flags });
  }
  return live;
}

/** The free list from head, following `ref` links. Bounded, so that a corrupted (cyclic) list
 * shows up as a too-long list with duplicates instead of a hang. */
function freeList(d: XenDomain): Handle[] {
  const t = d.maptrack;
  const list: Handle[] = [];
  for (let h = t.head; h !== MAPTRACK_TAIL && list.length <= t.limit; h = t.ref(h)) {
    list.push(h);
    if (h >= t.limit) break; // a link out of the table: nothing to follow
  }
  return list;
}

function domainState(d: XenDomain, guest: GuestLib): DomainState {
  const gt = d.grantTable;
  return {
    id: d.id,
    privileged: d.privileged,
    totPages: d.totPages,
    maxPages: d.maxPages,
    p2m: d.p2m,
    grantTable: {
      nrFrames: gt.nrGrantFrames,
      maxFrames: gt.maxGrantFrames,
      entries: sharedEntries(d),
      active: activeEntries(d),
    },
    maptrack: {
      limit: d.maptrack.limit,
      maxFrames: d.maptrack.maxMaptrackFrames,
      freeList: freeList(d),
      mappings: mappings(d),
    },
    hostVaPages: d.hostVaPages,
    hostMappings: d.pageTable,
    rawWritten: guest.rawWritten,
  };
}

export function abstract(system: GrantSystem): ModelState {
  const xen = system.xen;
  const domains = xen.domains.map((d, i) => domainState(d, system.guest(i)));
  const frames = xen.frames;
  const frameOwner = new Map<Mfn, DomId>();
  for (let i = 0; i < frames.nrFrames; i++) {
    const owner = frames.owner[i] ?? NO_OWNER;
    if (owner !== NO_OWNER) frameOwner.set(frames.firstMfn + i, owner);
  }
  return { domains, frameOwner };
}
