// A mapping domain's maptrack table and its single vCPU's handle free list, as in Xen:
// `struct grant_mapping` (L281-287), get_maptrack_handle (L633-711), _get_maptrack_handle
// (L537-565), steal_maptrack_handle (L577-606), put_maptrack_handle (L608-631).

import type { DomId, Handle, Ref } from '../../ops/op.ts';
import { MAPTRACK_PER_PAGE, MAPTRACK_TAIL } from '../../xen/abi.ts';
import { TouchLog } from '../touch.ts';
import { freshVersion } from '../version.ts';

/** INVALID_MAPTRACK_HANDLE (L535): same value as MAPTRACK_TAIL. */
export const INVALID_MAPTRACK_HANDLE = MAPTRACK_TAIL;

// sizeof(struct grant_mapping) = 16: { u32 ref; u16 flags; domid_t domid; u32 vcpu; u32 pad }.
const MAPTRACK_ENTRY_SIZE = 16;

/** L's maptrack frames (all in one buffer, in Xen's entry layout) plus the vCPU's free list.
 * Every write goes through a setter, which renews `version` (../version.ts). */
export class MaptrackTable {
  private buffer: ArrayBuffer;
  private u32: Uint32Array;
  private u16: Uint16Array;
  private limit_ = 0;
  private head_: number = MAPTRACK_TAIL;
  private tail_: number = MAPTRACK_TAIL;
  private saved: MaptrackSnapshot | undefined;
  /** Content version of entries, limit, head and tail. */
  version = freshVersion();
  /** The handles whose entry was written (../touch.ts); a new frame or limit resets it. */
  readonly touched = new TouchLog();

  constructor(readonly maxMaptrackFrames: number) {
    this.buffer = new ArrayBuffer(0);
    this.u32 = new Uint32Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
  }

  /** maptrack_limit: handles 0..limit-1 exist (a multiple of MAPTRACK_PER_PAGE). */
  get limit(): number {
    return this.limit_;
  }
  set limit(limit: number) {
    this.limit_ = limit;
    this.version = freshVersion();
    this.touched.reset();
  }
  /** v->maptrack_head of the one vCPU. */
  get head(): number {
    return this.head_;
  }
  set head(handle: number) {
    this.head_ = handle;
    this.version = freshVersion();
  }
  /** v->maptrack_tail of the one vCPU. */
  get tail(): number {
    return this.tail_;
  }
  set tail(handle: number) {
    this.tail_ = handle;
    this.version = freshVersion();
  }

  /** nr_maptrack_frames(t) */
  get nrFrames(): number {
    return this.limit_ / MAPTRACK_PER_PAGE;
  }

  /** The entry's `ref`: the grant ref while in use, the free list's next link while free. */
  ref(handle: Handle): number {
    return this.u32[handle * 4] ?? MAPTRACK_TAIL;
  }
  setRef(handle: Handle, ref: Ref): void {
    this.u32[handle * 4] = ref;
    this.version = freshVersion();
    this.touched.touch(handle);
  }
  /** GNTMAP_* bits (u16); 0 means free. */
  flags(handle: Handle): number {
    return this.u16[handle * 8 + 2] ?? 0;
  }
  setFlags(handle: Handle, flags: number): void {
    this.u16[handle * 8 + 2] = flags;
    this.version = freshVersion();
    this.touched.touch(handle);
  }
  /** The granting domain. */
  domid(handle: Handle): DomId {
    return this.u16[handle * 8 + 3] ?? 0;
  }
  setDomid(handle: Handle, domid: DomId): void {
    this.u16[handle * 8 + 3] = domid;
    this.version = freshVersion();
    this.touched.touch(handle);
  }

  /** Publish one more zeroed frame (alloc_xenheap_page + clear_page); limit is raised by the
   * caller after the entries are linked. */
  addFrame(): void {
    const size = this.buffer.byteLength + MAPTRACK_PER_PAGE * MAPTRACK_ENTRY_SIZE;
    const buffer = new ArrayBuffer(size);
    new Uint8Array(buffer).set(new Uint8Array(this.buffer));
    this.buffer = buffer;
    this.u32 = new Uint32Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.version = freshVersion();
    this.touched.reset();
  }

  /** An immutable copy; an unchanged table hands out its last copy again. */
  save(): MaptrackSnapshot {
    if (this.saved?.version !== this.version) {
      this.saved = {
        version: this.version,
        entries: this.buffer.slice(0),
        limit: this.limit_,
        head: this.head_,
        tail: this.tail_,
      };
    }
    return this.saved;
  }

  load(s: MaptrackSnapshot): void {
    if (s.version === this.version) return;
    if (s.entries.byteLength === this.buffer.byteLength) {
      new Uint8Array(this.buffer).set(new Uint8Array(s.entries));
    } else {
      this.buffer = s.entries.slice(0);
      this.u32 = new Uint32Array(this.buffer);
      this.u16 = new Uint16Array(this.buffer);
    }
    this.limit_ = s.limit;
    this.head_ = s.head;
    this.tail_ = s.tail;
    this.version = s.version;
    this.touched.reset();
    this.saved = s;
  }
}

export interface MaptrackSnapshot {
  readonly version: number;
  readonly entries: ArrayBuffer;
  readonly limit: number;
  readonly head: number;
  readonly tail: number;
}

/** _get_maptrack_handle(t, v): pop the free list's head, but never its last entry. */
export function takeMaptrackHandle(t: MaptrackTable): Handle {
  const head = t.head;
  if (head === MAPTRACK_TAIL) return INVALID_MAPTRACK_HANDLE; // no frame for this vCPU yet
  // Always keep one entry in the free list, so that a free can append at the tail.
  const next = t.ref(head);
  if (next === MAPTRACK_TAIL) return INVALID_MAPTRACK_HANDLE;
  t.head = next;
  return head;
}

/** steal_maptrack_handle(t, curr): try every vCPU's list; with one vCPU that is our own list,
 * which _get_maptrack_handle has just found empty. */
export function stealMaptrackHandle(t: MaptrackTable): Handle {
  return takeMaptrackHandle(t);
}

/** get_maptrack_handle(lgt): the vCPU's list; else a new frame while below
 * max_maptrack_frames (its first handle returned, the rest pushed at the list's head); else
 * steal. INVALID_MAPTRACK_HANDLE when all fail (map_grant_ref: GNTST_no_space). */
export function getMaptrackHandle(t: MaptrackTable): Handle {
  const handle = takeMaptrackHandle(t);
  if (handle !== INVALID_MAPTRACK_HANDLE) return handle;

  if (t.nrFrames >= t.maxMaptrackFrames) {
    if (t.tail === MAPTRACK_TAIL) {
      // Uninitialised free list: steal one extra entry as the tail sentinel.
      const sentinel = stealMaptrackHandle(t);
      if (sentinel === INVALID_MAPTRACK_HANDLE) return sentinel;
      t.setRef(sentinel, MAPTRACK_TAIL);
      t.tail = sentinel;
      if (t.head === MAPTRACK_TAIL) t.head = sentinel;
    }
    return stealMaptrackHandle(t);
  }

  t.addFrame();
  const first = t.limit;
  for (let i = 0; i < MAPTRACK_PER_PAGE; i++) t.setRef(first + i, first + i + 1);
  // Set the tail directly if this is the vCPU's first frame.
  if (t.tail === MAPTRACK_TAIL) t.tail = first + MAPTRACK_PER_PAGE - 1;
  t.limit += MAPTRACK_PER_PAGE;
  // The new frame's last entry links to the old head; the list now starts at first+1.
  t.setRef(first + MAPTRACK_PER_PAGE - 1, t.head);
  t.head = first + 1;
  return first;
}

/** put_maptrack_handle(t, handle): append to the tail (FIFO), so handles are not reused at once. */
export function putMaptrackHandle(t: MaptrackTable, handle: Handle): void {
  t.setRef(handle, MAPTRACK_TAIL);
  const prevTail = t.tail;
  t.tail = handle;
  t.setRef(prevTail, handle);
}
