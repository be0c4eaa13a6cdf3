// The linearizability check for actors that are two vCPUs of one domain. Xen's
// get_maptrack_handle is several critical sections, not one (grant_table.c L640-718: the caller's
// own list under its maptrack_freelist_lock; maptrack_lock around growing; the sentinel steal
// and the steal, each under the victim's lock), so two vCPUs mapping at once may get handle
// numbers, and leave free lists, that no atomic order of their maps gives: a thief's sentinel
// steal and its steal may take the head of the victim's list before and after the victim's own
// pop. Which handle a map gets is then not a property of the sequential model; that each handle
// is given once, and every list stays whole, is: the impl invariants (free-list-integrity,
// pin-accounting) check it at every quiescent point. So for such runs the check compares map
// results without their handle numbers, and states with each maptrack reduced to its limit, its
// number of free handles and its mappings without their handles (docs/interleave.md).

import { FreeList } from '../model/freeList.ts';
import { IntMap } from '../model/intMap.ts';
import { freeLists } from '../model/maptrack.ts';
import type { GrantMapping, Maptrack, ModelState } from '../model/state.ts';
import type { OpResult } from '../ops/result.ts';
import type { Scenario } from './scenario.ts';

/** Are two actors of `scenario` vCPUs of one domain (one maptrack, several takers)? */
export function sharesMaptrack(scenario: Scenario): boolean {
  const doms = scenario.actors.map((a) => a.dom);
  return new Set(doms).size < doms.length;
}

/** `result` with every map element's handle set to 0. */
export function withoutHandles(result: OpResult): OpResult {
  if (result.kind !== 'map_grant_ref') return result;
  return {
    kind: 'map_grant_ref',
    results: result.results.map((r) => ('handle' in r ? { ...r, handle: 0 } : r)),
  };
}

const mappingOrder = (m: GrantMapping): string => `${m.granter}.${m.ref}.${m.flags}.${m.vcpu ?? 0}`;

function blindMaptrack(mt: Maptrack): Maptrack {
  const free = freeLists(mt).reduce((n, list) => n + list.length, 0);
  const mappings = [...mt.mappings.values()].sort((a, b) =>
    mappingOrder(a) < mappingOrder(b) ? -1 : mappingOrder(a) > mappingOrder(b) ? 1 : 0,
  );
  return {
    limit: mt.limit,
    maxFrames: mt.maxFrames,
    freeList: FreeList.range(0, free - 1),
    mappings: IntMap.from(mappings.map((m, i) => [i, m] as const)),
  };
}

/** `state` with every maptrack reduced as above. */
export function withoutHandleNumbers(state: ModelState): ModelState {
  return {
    ...state,
    domains: state.domains.map((d) => ({ ...d, maptrack: blindMaptrack(d.maptrack) })),
  };
}
