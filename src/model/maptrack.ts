// A mapping domain's maptrack handles, one free list per vCPU: get_maptrack_handle (grant_table.c
// L640-718) with _get_maptrack_handle (L544-572) and steal_maptrack_handle (L584-613), and
// put_maptrack_handle (L615-638), as pure functions. docs/semantics.md §6.

import type { Handle } from '../ops/op.ts';
import { MAPTRACK_PER_PAGE } from '../xen/abi.ts';
import { FreeList } from './freeList.ts';
import type { GrantMapping, Maptrack } from './state.ts';
import { IntMap } from './intMap.ts';

function maptrackOf(
  limit: number,
  maxFrames: number,
  lists: readonly FreeList[],
  mappings: IntMap<GrantMapping>,
): Maptrack {
  const freeList = lists[0] ?? FreeList.EMPTY;
  // Why not `[freeList, ...others] = lists`: array destructuring runs the iterator protocol,
  // and this runs on every map and unmap.
  return lists.length <= 1
    ? { limit, maxFrames, freeList, mappings }
    : { limit, maxFrames, freeList, otherFreeLists: lists.slice(1), mappings };
}

/** `mt` with vCPU 0's list, limit and mappings replaced; the other lists kept. */
function withList0(
  mt: Maptrack,
  freeList: FreeList,
  limit: number,
  mappings: IntMap<GrantMapping>,
): Maptrack {
  const others = mt.otherFreeLists;
  return others === undefined
    ? { limit, maxFrames: mt.maxFrames, freeList, mappings }
    : { limit, maxFrames: mt.maxFrames, freeList, otherFreeLists: others, mappings };
}

/** Every vCPU's free list, vCPU 0 first. */
export function freeLists(mt: Maptrack): readonly FreeList[] {
  return mt.otherFreeLists === undefined ? [mt.freeList] : [mt.freeList, ...mt.otherFreeLists];
}

/** grant_table_init_vcpu (L4035-4040): every vCPU starts with no list (head = tail = TAIL). */
export function emptyMaptrack(maxFrames: number, vcpus = 1): Maptrack {
  const lists = Array.from({ length: vcpus }, () => FreeList.EMPTY);
  return maptrackOf(0, maxFrames, lists, IntMap.empty());
}

function withLists(mt: Maptrack, lists: readonly FreeList[], limit = mt.limit): Maptrack {
  return maptrackOf(limit, mt.maxFrames, lists, mt.mappings);
}

function replaced(lists: readonly FreeList[], vcpu: number, list: FreeList): FreeList[] {
  const next = lists.slice();
  next[vcpu] = list;
  return next;
}

/** _get_maptrack_handle(t, v) L544-572: v's head, but never v's last entry (the sentinel a put
 * appends after), nor anything from a list never set up. */
function takeFrom(
  lists: readonly FreeList[],
  vcpu: number,
): { handle: Handle; lists: FreeList[] } | undefined {
  const list = lists[vcpu] ?? FreeList.EMPTY;
  const head = list.head;
  if (head === undefined || list.length < 2) return undefined;
  return { handle: head, lists: replaced(lists, vcpu, list.shift()) };
}

/** steal_maptrack_handle(t, curr) L584-613: try each vCPU's list in turn; the first that can
 * give one does, and the handle becomes the thief's (L601: its entry's vcpu := curr). Xen starts
 * at a random vCPU (get_random() % max_vcpus); we start at the one after the thief and go round,
 * the thief itself last (docs/semantics.md §6: a documented deviation). */
function steal(
  lists: readonly FreeList[],
  thief: number,
): { handle: Handle; lists: FreeList[] } | undefined {
  for (let i = 1; i <= lists.length; i++) {
    const taken = takeFrom(lists, (thief + i) % lists.length);
    if (taken !== undefined) return taken;
  }
  return undefined;
}

/** get_maptrack_handle(lgt) for vCPU `vcpu`: a handle (or none: GNTST_no_space) and the table
 * after. The table may change even with no handle: the sentinel steal (L672-683) keeps its
 * entry when the second steal finds nothing. */
export function allocateHandle(
  mt: Maptrack,
  vcpu: number,
): { handle: Handle | undefined; maptrack: Maptrack } {
  if (vcpu === 0) {
    // The caller's own list first (L648-651), for vCPU 0 without copying the lists: the
    // same as takeFrom below.
    const list = mt.freeList;
    if (list.head !== undefined && list.length >= 2) {
      return { handle: list.head, maptrack: withList0(mt, list.shift(), mt.limit, mt.mappings) };
    }
  }
  const lists = freeLists(mt);
  // L648-651: the caller's own list first
  const own = takeFrom(lists, vcpu);
  if (own !== undefined) return { handle: own.handle, maptrack: withLists(mt, own.lists) };
  // L660-661, L686-715: a new frame while below max_maptrack_frames. Its first handle is
  // returned; the other 255 (entry vcpu = the caller, L699) go in front of the caller's list.
  if (mt.limit / MAPTRACK_PER_PAGE < mt.maxFrames) {
    const handle = mt.limit;
    const fresh = FreeList.range(handle + 1, handle + MAPTRACK_PER_PAGE - 1);
    const mine = lists[vcpu] ?? FreeList.EMPTY;
    const grown = replaced(lists, vcpu, fresh.concat(mine));
    return { handle, maptrack: withLists(mt, grown, mt.limit + MAPTRACK_PER_PAGE) };
  }
  // L663-684: no headroom. A caller whose list was never set up first steals one more entry as
  // its tail sentinel (L672-683), then steals the handle it returns.
  let current: readonly FreeList[] = lists;
  if ((lists[vcpu] ?? FreeList.EMPTY).length === 0) {
    const sentinel = steal(lists, vcpu);
    if (sentinel === undefined) return { handle: undefined, maptrack: mt };
    current = replaced(sentinel.lists, vcpu, FreeList.of([sentinel.handle]));
  }
  const stolen = steal(current, vcpu);
  return stolen === undefined
    ? { handle: undefined, maptrack: current === lists ? mt : withLists(mt, current) }
    : { handle: stolen.handle, maptrack: withLists(mt, stolen.lists) };
}

/** The handle get_maptrack_handle would give vCPU 0 from its own list (L648-651), without
 * taking it; undefined when vCPU 0's list cannot give one (or for another vCPU): then
 * allocateHandle decides. With `headTaken` and `headReturned` below, a map element that takes
 * the head builds one maptrack, not one to take it and another to put it back or to map it. */
export function ownHead(mt: Maptrack, vcpu: number): Handle | undefined {
  const list = mt.freeList;
  return vcpu === 0 && list.length >= 2 ? list.head : undefined;
}

/** allocateHandle(mt, 0).maptrack, where ownHead(mt, 0) gave the handle. */
export function headTaken(mt: Maptrack): Maptrack {
  return withList0(mt, mt.freeList.shift(), mt.limit, mt.mappings);
}

/** putHandle(headTaken(mt), head, 0), where ownHead(mt, 0) gave `head`: the head goes back to
 * the tail of vCPU 0's list. */
export function headReturned(mt: Maptrack, head: Handle): Maptrack {
  return withList0(mt, mt.freeList.rotate(), mt.limit, mt.mappings.without(head));
}

/** withMapping(headTaken(mt), head, mapping), where ownHead(mt, 0) gave `head`. */
export function headMapped(mt: Maptrack, head: Handle, mapping: GrantMapping): Maptrack {
  return withList0(mt, mt.freeList.shift(), mt.limit, mt.mappings.with(head, mapping));
}

/** put_maptrack_handle L615-638: the entry becomes free and the handle goes to the tail of the
 * list of the vCPU recorded in its entry (`vcpu`: the one that mapped it, L627), whichever vCPU
 * unmaps. */
export function putHandle(mt: Maptrack, handle: Handle, vcpu: number): Maptrack {
  if (vcpu === 0) {
    return withList0(mt, mt.freeList.push(handle), mt.limit, mt.mappings.without(handle));
  }
  const lists = freeLists(mt);
  const list = (lists[vcpu] ?? FreeList.EMPTY).push(handle);
  return maptrackOf(
    mt.limit,
    mt.maxFrames,
    replaced(lists, vcpu, list),
    mt.mappings.without(handle),
  );
}

export function withMapping(mt: Maptrack, handle: Handle, mapping: GrantMapping): Maptrack {
  return withList0(mt, mt.freeList, mt.limit, mt.mappings.with(handle, mapping));
}

/** The vCPU a mapping's handle goes back to (struct grant_mapping's vcpu; absent: vCPU 0). */
export function mappingVcpu(m: GrantMapping): number {
  return m.vcpu ?? 0;
}
