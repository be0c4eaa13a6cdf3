// A mapping domain's maptrack handles: get_maptrack_handle / put_maptrack_handle (grant_table.c
// L537-711, L608-631) with one vCPU, as pure functions. docs/semantics.md §6.

import type { Handle } from '../ops/op.ts';
import { MAPTRACK_PER_PAGE } from '../xen/abi.ts';
import { FreeList } from './freeList.ts';
import type { GrantMapping, Maptrack } from './state.ts';
import { IntMap } from './intMap.ts';

function maptrackOf(
  limit: number,
  maxFrames: number,
  freeList: FreeList,
  mappings: IntMap<GrantMapping>,
): Maptrack {
  return { limit, maxFrames, freeList, mappings };
}

export function emptyMaptrack(maxFrames: number): Maptrack {
  return maptrackOf(0, maxFrames, FreeList.EMPTY, IntMap.empty());
}

/** A handle and the table after taking it, or undefined: GNTST_no_space. */
export function allocateHandle(mt: Maptrack): { handle: Handle; maptrack: Maptrack } | undefined {
  // _get_maptrack_handle L537-565: the list always keeps one entry (head->next == TAIL fails)
  const head = mt.freeList.head;
  if (head !== undefined && mt.freeList.length >= 2) {
    const maptrack = maptrackOf(mt.limit, mt.maxFrames, mt.freeList.shift(), mt.mappings);
    return { handle: head, maptrack };
  }
  // get_maptrack_handle L680-708: a new frame; its first handle is returned directly and the
  // other 255 are chained in front of the old (sentinel-only) list.
  if (mt.limit / MAPTRACK_PER_PAGE < mt.maxFrames) {
    const handle = mt.limit;
    const fresh = FreeList.range(handle + 1, handle + MAPTRACK_PER_PAGE - 1);
    const limit = mt.limit + MAPTRACK_PER_PAGE;
    return {
      handle,
      maptrack: maptrackOf(limit, mt.maxFrames, fresh.concat(mt.freeList), mt.mappings),
    };
  }
  // Stealing from the only vCPU fails as well (L577-606): no handle.
  return undefined;
}

/** put_maptrack_handle L608-631: the entry becomes free and the handle goes to the list's tail. */
export function putHandle(mt: Maptrack, handle: Handle): Maptrack {
  return maptrackOf(mt.limit, mt.maxFrames, mt.freeList.push(handle), mt.mappings.without(handle));
}

export function withMapping(mt: Maptrack, handle: Handle, mapping: GrantMapping): Maptrack {
  return maptrackOf(mt.limit, mt.maxFrames, mt.freeList, mt.mappings.with(handle, mapping));
}
