// Immutable update helpers with structural sharing: each copies only the one map, set or domain
// it changes, so a step costs a few small copies and untouched domains stay the same objects.

import type { DomId } from '../ops/op.ts';
import type { DomainState, GrantTable, ModelState, SharedEntry } from './state.ts';
import { isZeroEntry } from './entry.ts';

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
  return { ...state, domains };
}

/** Store an entry; an all-zero entry is dropped (GrantTable.entries holds non-zero entries only). */
export function withEntry(table: GrantTable, ref: number, entry: SharedEntry): GrantTable {
  // The very entry already stored (a pin that did not change the status bits): nothing to copy.
  if (table.entries.get(ref) === entry) return table;
  const entries = isZeroEntry(entry)
    ? mapWithout(table.entries, ref)
    : mapWith(table.entries, ref, entry);
  return entries === table.entries ? table : { ...table, entries };
}
