// Immutable update helpers with structural sharing: each copies only the one map, set or domain
// it changes, so a step costs a few small copies and untouched domains stay the same objects.
//
// Why records are copied by the helpers below and not as `{ ...record, field }`: V8 (Node 20)
// builds a copy through an object spread about ten times slower than the same object literal
// written field by field, and a step copies a few records; the spreads were most of the model's
// time. Each copy lists every field of its record in state.ts's order.

import type { DomId, Mfn } from '../ops/op.ts';
import type { ActiveGrant, DomainState, GrantTable, ModelState, SharedEntry } from './state.ts';
import type { PinCounts } from './pins.ts';
import { isZeroEntry } from './entry.ts';

/** A record with its fields assignable: the fresh copy an `edit` callback fills in. */
export type Draft<T> = { -readonly [K in keyof T]: T[K] };

export function mapWith<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> {
  const next = new Map(map);
  next.set(key, value);
  return next;
}

export function mapWithout<K, V>(map: ReadonlyMap<K, V>, key: K): ReadonlyMap<K, V> {
  if (!map.has(key)) return map;
  const next = new Map(map);
  next.delete(key);
  return next;
}

export function setWith<T>(set: ReadonlySet<T>, value: T): ReadonlySet<T> {
  if (set.has(value)) return set;
  const next = new Set(set);
  next.add(value);
  return next;
}

export function setWithout<T>(set: ReadonlySet<T>, value: T): ReadonlySet<T> {
  if (!set.has(value)) return set;
  const next = new Set(set);
  next.delete(value);
  return next;
}

/** A copy of `state` that `edit` may change (absent `flow` stays absent). */
export function editState(state: ModelState, edit: (draft: Draft<ModelState>) => void): ModelState {
  const draft: Draft<ModelState> =
    state.flow === undefined
      ? { domains: state.domains, frameOwner: state.frameOwner, contents: state.contents }
      : {
          domains: state.domains,
          frameOwner: state.frameOwner,
          contents: state.contents,
          flow: state.flow,
        };
  edit(draft);
  return draft;
}

/** A copy of domain `d` that `edit` may change. */
export function editedDomain(
  d: DomainState,
  edit: (draft: Draft<DomainState>) => void,
): DomainState {
  const draft: Draft<DomainState> = {
    id: d.id,
    privileged: d.privileged,
    pv: d.pv,
    totPages: d.totPages,
    maxPages: d.maxPages,
    p2m: d.p2m,
    grantTable: d.grantTable,
    maptrack: d.maptrack,
    hostVaPages: d.hostVaPages,
    hostMappings: d.hostMappings,
    rawWritten: d.rawWritten,
  };
  // Only a destroyed domain has the field, so a live domain's record keeps its shape.
  if (d.death !== undefined) draft.death = d.death;
  if (d.guest !== undefined) draft.guest = d.guest;
  if (d.backend !== undefined) draft.backend = d.backend;
  edit(draft);
  return draft;
}

/** Replace domain `id` by `update(domain)`; the other domains are shared. */
export function updateDomain(
  state: ModelState,
  id: DomId,
  update: (domain: DomainState) => DomainState,
): ModelState {
  const domain = state.domains[id];
  if (domain === undefined) return state;
  const domains = state.domains.slice();
  domains[id] = update(domain);
  return editState(state, (s) => {
    s.domains = domains;
  });
}

/** Replace domain `id` by a copy of it that `edit` changes; the other domains are shared. */
export function editDomain(
  state: ModelState,
  id: DomId,
  edit: (draft: Draft<DomainState>) => void,
): ModelState {
  return updateDomain(state, id, (d) => editedDomain(d, edit));
}

export function grantTableOf(
  nrFrames: number,
  maxFrames: number,
  entries: GrantTable['entries'],
  active: GrantTable['active'],
): GrantTable {
  return { nrFrames, maxFrames, entries, active };
}

/** `table` with its active entries replaced. */
export function withActive(table: GrantTable, active: GrantTable['active']): GrantTable {
  if (active === table.active) return table;
  return grantTableOf(table.nrFrames, table.maxFrames, table.entries, active);
}

/** Store an entry; an all-zero entry is dropped (GrantTable.entries holds non-zero entries only). */
export function withEntry(table: GrantTable, ref: number, entry: SharedEntry): GrantTable {
  // The very entry already stored (a pin that did not change the status bits): nothing to copy.
  if (table.entries.get(ref) === entry) return table;
  const entries = isZeroEntry(entry)
    ? mapWithout(table.entries, ref)
    : mapWith(table.entries, ref, entry);
  if (entries === table.entries) return table;
  return grantTableOf(table.nrFrames, table.maxFrames, entries, table.active);
}

/** `entry` with its flags replaced (the same entry when they are unchanged). */
export function withFlags(entry: SharedEntry, flags: number): SharedEntry {
  return flags === entry.flags ? entry : { flags, domid: entry.domid, frame: entry.frame };
}

/** The active entry of `grantee`'s pin on frame `mfn` with the counts `pins`. */
export function activeGrant(grantee: DomId, mfn: Mfn, pins: PinCounts): ActiveGrant {
  return {
    grantee,
    mfn,
    hostWritable: pins.hostWritable,
    hostReadonly: pins.hostReadonly,
    deviceWritable: pins.deviceWritable,
    deviceReadonly: pins.deviceReadonly,
  };
}
