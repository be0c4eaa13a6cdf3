// The domain-death invariants (docs/semantics.md §17; issue 14 §4), on the model state and on
// the impl's own structures: no frame is freed while a mapping of it exists; a zombie's frames
// are exactly those still referenced; nothing that holds a page reference names a gone domain.

import type { CheckMessage } from '../../src/harness/invariant.ts';
import type { ImplView } from '../../src/harness/implView.ts';
import type { XenDomain } from '../../src/impl/index.ts';
import { NO_OWNER } from '../../src/impl/index.ts';
import { isPageMapped } from '../../src/model/lookup.ts';
import type { ModelState } from '../../src/model/state.ts';
import { GNTMAP_device_map, GNTMAP_host_map } from '../../src/xen/abi.ts';

const hex = (n: number): string => `0x${n.toString(16)}`;

// Most states have no dead domain, and then the death invariants hold at once: these tests
// spare them their walks over every frame and mapping after each step.

/** Is some domain a zombie or gone? */
function someDeath(state: ModelState): boolean {
  for (const d of state.domains) if (d.death !== undefined) return true;
  return false;
}

/** Is some domain dying (d->is_dying set)? */
function someDying(domains: readonly XenDomain[]): boolean {
  for (const d of domains) if (d.isDying !== 0) return true;
  return false;
}

/** Has some domain been destroyed? */
function someDestroyed(domains: readonly XenDomain[]): boolean {
  for (const d of domains) if (d.destroyed) return true;
  return false;
}

/** Every grant PTE and every device-mapped active entry names an allocated frame. */
export function mappedFramesAllocated(state: ModelState): CheckMessage {
  for (const d of state.domains) {
    for (const [page, pte] of d.hostMappings) {
      if (!state.frameOwner.has(pte.mfn))
        return `d${d.id} va page ${page} maps freed mfn ${hex(pte.mfn)}`;
    }
    for (const [ref, act] of d.grantTable.active) {
      if (act.deviceReadonly + act.deviceWritable > 0 && !state.frameOwner.has(act.mfn)) {
        return `d${d.id} ref ${ref} is device-mapped but mfn ${hex(act.mfn)} is freed`;
      }
    }
  }
  return null;
}

export function mappedFramesAllocatedImpl(view: ImplView): CheckMessage {
  const { frames } = view.system.xen;
  for (const d of view.domains) {
    for (const [page, pte] of d.pageTable) {
      if (frames.ownerOf(pte.mfn) === NO_OWNER)
        return `d${d.id} va page ${page} maps freed mfn ${hex(pte.mfn)}`;
    }
    const t = d.maptrack;
    for (const h of view.live(d.id)) {
      if (!(t.flags(h) & GNTMAP_device_map)) continue;
      const granter = view.system.xen.domains[t.domid(h)];
      if (granter === undefined || granter.destroyed) {
        return `d${d.id} handle ${h} device-maps a grant of gone d${t.domid(h)}`;
      }
      const mfn = granter.grantTable.active.mfnOf(t.ref(h));
      if (frames.ownerOf(mfn) === NO_OWNER)
        return `d${d.id} handle ${h} device-maps freed mfn ${hex(mfn)}`;
    }
  }
  return null;
}

/** A zombie owns exactly frames something still references (it owns one at least: with none it
 * is gone); a gone domain owns none. */
export function zombieFramesHeld(state: ModelState): CheckMessage {
  if (!someDeath(state)) return null; // no zombie or gone domain: nothing to check
  const owned = new Map<number, number>();
  for (const [mfn, owner] of state.frameOwner) {
    const d = state.domains[owner];
    if (d?.death === undefined) continue;
    if (d.death === 'gone') return `gone d${owner} still owns mfn ${hex(mfn)}`;
    if (!isPageMapped(state, mfn)) return `zombie d${owner} keeps mfn ${hex(mfn)} nothing maps`;
    owned.set(owner, (owned.get(owner) ?? 0) + 1);
  }
  for (const d of state.domains) {
    if (d.death === 'zombie' && !owned.has(d.id)) return `zombie d${d.id} owns no page`;
  }
  return null;
}

export function zombieFramesHeldImpl(view: ImplView): CheckMessage {
  const { frames, domains } = view.system.xen;
  if (!someDying(domains)) return null; // both loops below skip a live domain
  const owned = new Set<number>();
  for (let i = 0; i < frames.nrFrames; i++) {
    const mfn = frames.firstMfn + i;
    const owner = frames.ownerOf(mfn);
    const d = owner === NO_OWNER ? undefined : domains[owner];
    if (d === undefined || d.isDying === 0) continue;
    if (d.destroyed) return `destroyed d${owner} still owns mfn ${hex(mfn)}`;
    // relinquish dropped the base references: any left are mappings'
    if (frames.refs(mfn) === 0) return `dying d${owner} keeps unreferenced mfn ${hex(mfn)}`;
    owned.add(owner);
  }
  for (const d of domains) {
    if (d.isDying !== 0 && !d.destroyed && !owned.has(d.id)) return `zombie d${d.id} owns no page`;
  }
  return null;
}

/** A gone domain has no pin, no maptrack entry, no grant PTE; and a mapping naming it holds no
 * page reference: only a host-only mapping whose PTE its mapper overwrote (Xen crashes that
 * mapper if it ever unmaps it: unmap_common, domain_crash). */
export function goneDomainsUnnamed(state: ModelState): CheckMessage {
  if (!someDeath(state)) return null; // no gone domain: nothing names one
  for (const d of state.domains) {
    if (d.death === 'gone') {
      if (d.grantTable.active.size > 0) return `gone d${d.id} has pins`;
      if (d.maptrack.mappings.size > 0) return `gone d${d.id} has maptrack entries`;
      if (d.hostMappings.size > 0) return `gone d${d.id} has grant PTEs`;
    }
    for (const [h, m] of d.maptrack.mappings) {
      if (state.domains[m.granter]?.death !== 'gone') continue;
      if ((m.flags & GNTMAP_device_map) !== 0 || (m.flags & GNTMAP_host_map) === 0) {
        return `d${d.id} handle ${h} device-maps a grant of gone d${m.granter}`;
      }
    }
  }
  return null;
}

export function goneDomainsUnnamedImpl(view: ImplView): CheckMessage {
  if (!someDestroyed(view.system.xen.domains)) return null; // nothing names a destroyed domain
  for (const d of view.system.xen.domains) {
    if (!d.destroyed) continue;
    if (view.pinned(d.id).length > 0) return `destroyed d${d.id} has pins`;
    if (d.maptrack.limit > 0) return `destroyed d${d.id} has maptrack entries`;
    if (d.pageTable.size > 0) return `destroyed d${d.id} has grant PTEs`;
  }
  for (const d of view.domains) {
    const t = d.maptrack;
    for (const h of view.live(d.id)) {
      if (view.system.xen.domains[t.domid(h)]?.destroyed !== true) continue;
      if ((t.flags(h) & GNTMAP_device_map) !== 0) {
        return `d${d.id} handle ${h} device-maps a grant of destroyed d${t.domid(h)}`;
      }
    }
  }
  return null;
}
