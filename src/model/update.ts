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

// Why copy with a loop and not `new Map(map)` / `new Set(set)`: V8 (Node 20) builds a collection
// from another through the generic iterable path, about twice as slow as this loop for the small
// maps a step copies (a domain's few active entries, PTEs, frame owners). Order is kept: the
// copy iterates in the same (insertion) order.

export function mapWith<K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> {
  const next = new Map<K, V>();
  for (const [k, v] of map) next.set(k, v);
  next.set(key, value);
  return next;
}

export function mapWithout<K, V>(map: ReadonlyMap<K, V>, key: K): ReadonlyMap<K, V> {
  if (!map.has(key)) return map;
  const next = new Map<K, V>();
  for (const [k, v] of map) next.set(k, v);
  next.delete(key); // Map's own key equality (SameValueZero), not `!==`
  return next;
}

export function setWith<T>(set: ReadonlySet<T>, value: T): ReadonlySet<T> {
  if (set.has(value)) return set;
  const next = new Set<T>();
  for (const x of set) next.add(x);
  next.add(value);
  return next;
}

export function setWithout<T>(set: ReadonlySet<T>, value: T): ReadonlySet<T> {
  if (!set.has(value)) return set;
  const next = new Set<T>();
  for (const x of set) next.add(x);
  next.delete(value);
  return next;
}

/** A copy of `state` for its caller to change. */
export function stateDraft(state: ModelState): Draft<ModelState> {
  return {
    domains: state.domains,
    frameOwner: state.frameOwner,
    contents: state.contents,
    flow: state.flow,
  };
}

/** A copy of `state` that `edit` may change. */
export function editState(state: ModelState, edit: (draft: Draft<ModelState>) => void): ModelState {
  const draft = stateDraft(state);
  edit(draft);
  return draft;
}

/** `state` with its domains array replaced (editState without a callback: a hot path). */
export function withDomains(state: ModelState, domains: readonly DomainState[]): ModelState {
  const draft = stateDraft(state);
  draft.domains = domains;
  return draft;
}

/** A copy of domain `d` that `edit` may change. */
export function editedDomain(
  d: DomainState,
  edit: (draft: Draft<DomainState>) => void,
): DomainState {
  const draft = domainDraft(d);
  edit(draft);
  return draft;
}

/** A copy of domain `d` for its caller to change (editedDomain without a callback, so a hot
 * path allocates no closure). Every field is set, `death`, `guest` and `backend` too when
 * undefined (DomainState's one shape). */
export function domainDraft(d: DomainState): Draft<DomainState> {
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
    death: d.death,
    guest: d.guest,
    backend: d.backend,
  };
  return draft;
}

/** `state` with domain `id` replaced by `domain` (editDomain without a callback: a hot path);
 * the other domains are shared. */
export function withDomain(state: ModelState, id: DomId, domain: DomainState): ModelState {
  const domains = state.domains.slice();
  domains[id] = domain;
  return withDomains(state, domains);
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
  return withDomains(state, domains);
}

/** Replace domain `id` by a copy of it that `edit` changes; the other domains are shared. */
export function editDomain(
  state: ModelState,
  id: DomId,
  edit: (draft: Draft<DomainState>) => void,
): ModelState {
  const domain = state.domains[id];
  if (domain === undefined) return state;
  const domains = state.domains.slice();
  domains[id] = editedDomain(domain, edit);
  return withDomains(state, domains);
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
