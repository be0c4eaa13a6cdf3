// A mapping domain's maptrack table and its vCPUs' handle free lists, as in Xen:
// `struct grant_mapping` (L288-294), get_maptrack_handle (L640-718), _get_maptrack_handle
// (L544-572), steal_maptrack_handle (L584-613), put_maptrack_handle (L615-638), with the locks
// they take: each vCPU's maptrack_freelist_lock and the table's maptrack_lock.

import type { DomId, Handle, Ref } from '../../ops/op.ts';
import { MAPTRACK_PER_PAGE, MAPTRACK_TAIL } from '../../xen/abi.ts';
import { filled } from '../arrays.ts';
import { pausing, type Steps } from '../steps.ts';
import { LoadedCopy, TouchLog } from '../touch.ts';
import { freshVersion } from '../version.ts';
import type { MaptrackLocks } from './locks.ts';
import { maptrackLocks } from './locks.ts';

/** INVALID_MAPTRACK_HANDLE (L542): same value as MAPTRACK_TAIL. */
export const INVALID_MAPTRACK_HANDLE = MAPTRACK_TAIL;

// sizeof(struct grant_mapping) = 16: { u32 ref; u16 flags; domid_t domid; u32 vcpu; u32 pad }.
const MAPTRACK_ENTRY_SIZE = 16;

/** L's maptrack frames (all in one buffer, in Xen's entry layout) plus each vCPU's free list
 * (v->maptrack_head / maptrack_tail). Every write goes through a setter, which renews `version`
 * (../version.ts). */
export class MaptrackTable {
  /** Room for the frames: its first `u32.byteLength` bytes are the table, the rest spare (a
   * frame published and then taken back by a restore leaves its room for the next). Why keep
   * it? An ArrayBuffer's memory is allocated outside the heap: a new one per new frame and per
   * restore to fewer frames (the conformance search makes one of each on a fifth of its
   * transitions) cost more than the entries read. */
  private buffer: ArrayBuffer;
  private u32: Uint32Array;
  private u16: Uint16Array;
  private limit_ = 0;
  private heads: number[];
  private tails: number[];
  private saved: MaptrackSnapshot | undefined;
  private readonly loadedFrom = new LoadedCopy<MaptrackSnapshot>();
  /** Which entries may differ from a freshly linked frame's (freshWord): 1 per such handle,
   * sized with `buffer`; `dirty` lists them. Why? A copy (save) and a content hash
   * then cost what a search wrote, not a scan of every frame: a map that grows the table writes
   * one entry of 256. */
  private dirtyMarks = new Uint8Array(0);
  private dirty: number[] = [];
  /** Is `dirty` ascending? (Handles are mostly written in ascending order; a list made out of
   * order, as a random run's batch of maps after unmaps makes, is sorted once when read.) */
  private dirtyInOrder = true;
  /** The first handle of a frame addFrame published and linkNewFrame has not linked yet (its
   * zeroed entries are not fresh ones, and not in `dirty`), or -1. get_maptrack_handle calls
   * the two back to back; a copy or hash taken between them (as a test does) still sees the
   * zeroed entries as written. */
  private zeroedFrom = -1;
  /** contentHash's last answer and the version it was made for. */
  private hashVersion = -1;
  private hash = 0;
  /** The lock pauses, with more than one vCPU only: with one, no other actor can take this
   * domain's maptrack locks (actors are vCPUs), and a pause no one can contend would only add
   * schedules. */
  readonly locks: MaptrackLocks | undefined;
  /** Content version of entries, limit, head and tail. */
  version = freshVersion();
  /** The handles whose entry was written (../touch.ts); a new frame or limit resets it. */
  readonly touched = new TouchLog();

  constructor(
    readonly maxMaptrackFrames: number,
    readonly vcpus = 1,
    dom: DomId = 0,
  ) {
    // grant_table_init_vcpu (L4035-4040): head = tail = MAPTRACK_TAIL
    this.heads = filled(vcpus, MAPTRACK_TAIL);
    this.tails = filled(vcpus, MAPTRACK_TAIL);
    this.locks = vcpus > 1 ? maptrackLocks(dom, vcpus) : undefined;
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
  /** v->maptrack_head of vCPU `v`. */
  headOf(v: number): number {
    return this.heads[v] ?? MAPTRACK_TAIL;
  }
  setHead(v: number, handle: number): void {
    this.heads[v] = handle;
    this.version = freshVersion();
  }
  /** v->maptrack_tail of vCPU `v`. */
  tailOf(v: number): number {
    return this.tails[v] ?? MAPTRACK_TAIL;
  }
  setTail(v: number, handle: number): void {
    this.tails[v] = handle;
    this.version = freshVersion();
  }
  /** vCPU 0's head (the only one with one vCPU). */
  get head(): number {
    return this.headOf(0);
  }
  set head(handle: number) {
    this.setHead(0, handle);
  }
  /** vCPU 0's tail. */
  get tail(): number {
    return this.tailOf(0);
  }
  set tail(handle: number) {
    this.setTail(0, handle);
  }

  /** nr_maptrack_frames(t) */
  get nrFrames(): number {
    return this.limit_ / MAPTRACK_PER_PAGE;
  }

  /** The table's raw 32-bit words, four per entry ([ref, flags | domid << 16, vcpu, pad]), for
   * a walk of a whole list. Read-only use, please. */
  get words(): Uint32Array {
    return this.u32;
  }

  /** The entry's `ref`: the grant ref while in use, the free list's next link while free. */
  ref(handle: Handle): number {
    return this.u32[handle * 4] ?? MAPTRACK_TAIL;
  }
  setRef(handle: Handle, ref: Ref): void {
    this.u32[handle * 4] = ref;
    this.markDirty(handle);
    this.version = freshVersion();
    this.touched.touch(handle);
  }
  /** GNTMAP_* bits (u16); 0 means free. */
  flags(handle: Handle): number {
    return this.u16[handle * 8 + 2] ?? 0;
  }
  setFlags(handle: Handle, flags: number): void {
    this.u16[handle * 8 + 2] = flags;
    this.markDirty(handle);
    this.version = freshVersion();
    this.touched.touch(handle);
  }
  /** The granting domain. */
  domid(handle: Handle): DomId {
    return this.u16[handle * 8 + 3] ?? 0;
  }
  setDomid(handle: Handle, domid: DomId): void {
    this.u16[handle * 8 + 3] = domid;
    this.markDirty(handle);
    this.version = freshVersion();
    this.touched.touch(handle);
  }

  /** The vCPU whose free list the handle returns to (u32 at offset 8). */
  vcpu(handle: Handle): number {
    return this.u32[handle * 4 + 2] ?? 0;
  }
  setVcpu(handle: Handle, vcpu: number): void {
    this.u32[handle * 4 + 2] = vcpu;
    this.markDirty(handle);
    this.version = freshVersion();
    this.touched.touch(handle);
  }

  /** Publish one more zeroed frame (alloc_xenheap_page + clear_page); limit is raised by the
   * caller after the entries are linked. */
  addFrame(): void {
    const used = this.u32.byteLength;
    const size = used + MAPTRACK_PER_PAGE * MAPTRACK_ENTRY_SIZE;
    if (size <= this.buffer.byteLength) {
      new Uint8Array(this.buffer, used, size - used).fill(0); // clear_page
    } else {
      const buffer = new ArrayBuffer(size);
      new Uint8Array(buffer).set(new Uint8Array(this.buffer, 0, used));
      this.buffer = buffer;
    }
    this.view(size);
    this.zeroedFrom = used / MAPTRACK_ENTRY_SIZE;
    this.version = freshVersion();
    this.touched.reset();
  }

  /** The table is the buffer's first `bytes`. */
  private view(bytes: number): void {
    this.u32 = new Uint32Array(this.buffer, 0, bytes >>> 2);
    this.u16 = new Uint16Array(this.buffer, 0, bytes >>> 1);
    const entries = this.buffer.byteLength / MAPTRACK_ENTRY_SIZE;
    if (this.dirtyMarks.length < entries) {
      const marks = new Uint8Array(entries);
      marks.set(this.dirtyMarks);
      this.dirtyMarks = marks;
    }
  }

  /** Entry `h` was written: it may differ from a fresh one now. */
  private markDirty(h: Handle): void {
    if (this.dirtyMarks[h] !== 0) return;
    this.dirtyMarks[h] = 1;
    const dirty = this.dirty;
    if (dirty.length > 0 && (dirty[dirty.length - 1] ?? 0) > h) this.dirtyInOrder = false;
    dirty.push(h);
  }

  /** Exactly the entries `changed` (a copy's) differ from fresh ones. */
  private markExactly(changed: Uint32Array): void {
    const marks = this.dirtyMarks;
    for (const h of this.dirty) marks[h] = 0;
    this.dirty.length = 0;
    this.dirtyInOrder = true;
    this.zeroedFrom = -1;
    for (let c = 0; c < changed.length; c += CHANGED_STRIDE) this.markDirty(changed[c] ?? 0);
  }

  /** At least as many as the entries that differ from fresh ones (what contentHash and
   * sameContent read). */
  get nonFreshBound(): number {
    return this.dirty.length + (this.zeroedFrom >= 0 ? MAPTRACK_PER_PAGE : 0);
  }

  /** The handles that may differ from a fresh entry, ascending (a superset of those that do). */
  private nonFreshHandles(): number[] {
    if (this.zeroedFrom >= 0) {
      for (let h = this.zeroedFrom; 4 * h < this.u32.length; h++) this.markDirty(h);
      this.zeroedFrom = -1;
    }
    if (!this.dirtyInOrder) {
      this.dirty.sort(ascending);
      this.dirtyInOrder = true;
    }
    return this.dirty;
  }

  /** get_maptrack_handle's loop over the frame addFrame just published (L695-700): each entry
   * from `first` links to the next handle and names `vcpu`. One write of the table, as each
   * setter's would be: a fresh version, and the touch log starts over (the frame is new to
   * every reader anyway). */
  linkNewFrame(first: Handle, vcpu: number): void {
    const u32 = this.u32;
    for (let i = 0; i < MAPTRACK_PER_PAGE; i++) {
      u32[(first + i) * 4] = first + i + 1;
      u32[(first + i) * 4 + 2] = vcpu;
    }
    // Fresh entries (freshWord) for vCPU 0: addFrame cleared the other words. A mark left on
    // one (a write into the buffer's spare room) stays: marks may cover more than differs.
    this.zeroedFrom = -1;
    if (vcpu !== 0) for (let i = 0; i < MAPTRACK_PER_PAGE; i++) this.markDirty(first + i);
    this.version = freshVersion();
    this.touched.reset();
  }

  /** gnttab_release_mappings' end: maptrack_limit = 0 and every maptrack frame freed. (Xen
   * leaves the vCPUs' heads dangling; no vCPU of a dying domain runs again, so they are reset
   * here to "never set up".) */
  release(): void {
    this.buffer = new ArrayBuffer(0);
    this.u32 = new Uint32Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.limit_ = 0;
    this.heads = filled(this.vcpus, MAPTRACK_TAIL);
    this.tails = filled(this.vcpus, MAPTRACK_TAIL);
    this.markExactly(NONE_CHANGED);
    this.version = freshVersion();
    this.touched.reset();
  }

  /** An immutable copy; an unchanged table hands out its last copy again. Only the entries
   * that differ from a freshly linked frame's (freshWord) are copied: a table of 256 entries of
   * which a search maps through a few is saved in tens of bytes, not 4 KiB a frame. */
  save(): MaptrackSnapshot {
    if (this.saved?.version !== this.version) {
      this.saved = {
        version: this.version,
        bytes: this.u32.byteLength,
        changed: this.changedEntries(),
        limit: this.limit_,
        heads: this.heads.slice(),
        tails: this.tails.slice(),
      };
    }
    return this.saved;
  }

  /** Put back a copy made by save(). With the same frames, only the entries that differ are
   * written, each logged as touched (../touch.ts LoadedCopy says why). */
  load(s: MaptrackSnapshot): void {
    if (s.version === this.version) return;
    const u32 = this.u32;
    if (s.bytes === u32.byteLength && s.limit === this.limit_) {
      const log = this.touched;
      const written = this.loadedFrom.writtenSince(s, log);
      if (written !== undefined) {
        for (let j = 0; j < written.length; j++) {
          const h = written[j] ?? 0;
          writeSavedEntry(u32, h, s.changed, findChanged(s.changed, h));
          log.touch(h);
        }
      } else {
        const changed = s.changed;
        let c = 0; // the next changed entry's position in `changed`
        for (let h = 0; 4 * h < u32.length; h++) {
          const at = c < changed.length && changed[c] === h ? c : -1;
          if (at >= 0) c += CHANGED_STRIDE;
          if (sameAsSaved(u32, h, changed, at)) continue;
          writeSavedEntry(u32, h, changed, at);
          log.touch(h);
        }
      }
    } else {
      if (s.bytes > this.buffer.byteLength) this.buffer = new ArrayBuffer(s.bytes);
      this.view(s.bytes);
      const table = this.u32;
      for (let h = 0; 4 * h < table.length; h++) writeSavedEntry(table, h, s.changed, -1);
      for (let c = 0; c < s.changed.length; c += CHANGED_STRIDE) {
        writeSavedEntry(table, s.changed[c] ?? 0, s.changed, c);
      }
      this.limit_ = s.limit;
      this.touched.reset();
    }
    this.heads = s.heads.slice();
    this.tails = s.tails.slice();
    this.markExactly(s.changed);
    this.version = s.version;
    this.saved = s;
    this.loadedFrom.loaded(s, this.touched);
  }

  /** The entries that differ from a fresh frame's (freshWord), by handle (a copy's `changed`).
   * Those found fresh again are no longer marked. */
  private changedEntries(): Uint32Array {
    const u32 = this.u32;
    const entries = u32.length / 4;
    const out: number[] = [];
    const handles = this.nonFreshHandles();
    let kept = 0;
    for (const h of handles) {
      if (h >= entries) {
        handles[kept++] = h; // beyond the table's frames now: not saved, still marked
        continue;
      }
      if (sameAsSaved(u32, h, NONE_CHANGED, -1)) {
        this.dirtyMarks[h] = 0;
        continue;
      }
      handles[kept++] = h;
      const i = 4 * h;
      out.push(h, u32[i] ?? 0, u32[i + 1] ?? 0, u32[i + 2] ?? 0, u32[i + 3] ?? 0);
    }
    handles.length = kept;
    return Uint32Array.from(out);
  }

  /** The handles below `size` whose entry is in use (flags non-zero), ascending: found among
   * the entries that differ from fresh ones (a fresh entry's flags are 0), not by a scan. */
  handlesInUse(size: number): number[] {
    const out: number[] = [];
    const u16 = this.u16;
    for (const h of this.nonFreshHandles()) {
      if (h < size && (u16[h * 8 + 2] ?? 0) !== 0) out.push(h);
    }
    return out;
  }

  /** A hash of this table's content (what sameContent compares): equal contents, equal
   * hashes. Made once per content version, from the entries that differ from fresh ones. */
  contentHash(): number {
    if (this.hashVersion !== this.version) {
      const u32 = this.u32;
      let x = mix(mix(mix(0, u32.length), this.limit_), this.maxMaptrackFrames);
      for (let v = 0; v < this.vcpus; v++) x = mix(mix(x, this.headOf(v)), this.tailOf(v));
      for (const h of this.nonFreshHandles()) {
        if (!differsFromFresh(u32, h)) continue;
        x = mix(x, h);
        for (let w = 0; w < 4; w++) x = mix(x, u32[4 * h + w] ?? 0);
      }
      this.hash = x;
      this.hashVersion = this.version;
    }
    return this.hash;
  }

  /** Is this table's content the one `s` (a save() of a table with the same maxMaptrackFrames
   * and vCPUs) copied: entries, limit, frames' room, heads and tails? */
  sameContent(s: MaptrackSnapshot): boolean {
    if (s.version === this.version) return true;
    const u32 = this.u32;
    if (s.bytes !== u32.byteLength || s.limit !== this.limit_) return false;
    for (let v = 0; v < this.vcpus; v++) {
      if (s.heads[v] !== this.headOf(v) || s.tails[v] !== this.tailOf(v)) return false;
    }
    const changed = s.changed;
    let c = 0;
    for (const h of this.nonFreshHandles()) {
      if (!differsFromFresh(u32, h)) continue;
      if (c >= changed.length || changed[c] !== h || !sameAsSaved(u32, h, changed, c)) {
        return false;
      }
      c += CHANGED_STRIDE;
    }
    return c === changed.length;
  }
}

const ascending = (a: number, b: number): number => a - b;

/** One step of contentHash (a multiply-xorshift mix of 32-bit words). */
function mix(x: number, word: number): number {
  const y = Math.imul(x ^ word, 0x9e3779b1);
  return y ^ (y >>> 15);
}

/**
 * Values derived from whole maptrack tables, kept by content (MaptrackTable.contentHash and
 * sameContent), at most `max` of them, for tables with at most `maxEntries` entries that differ
 * from fresh ones. For what a table that grew is read for: its touch log starts over, and most
 * grown tables are alike (in a conformance search, a failed map from a domain with no maptrack
 * grows the same frame, one handle taken and put back). Why the bound on entries? A table a
 * random run filled with a batch of maps is seldom met again, and its hash and copy would cost
 * what the value saves.
 */
export class ByMaptrackContent<V> {
  private readonly slots = new Map<
    number,
    { copy: MaptrackSnapshot; maxFrames: number; vcpus: number; value: V }[]
  >();
  private size = 0;

  constructor(
    private readonly max = 4096,
    private readonly maxEntries = 32,
  ) {}

  get(t: MaptrackTable): V | undefined {
    if (t.nonFreshBound > this.maxEntries) return undefined;
    const list = this.slots.get(t.contentHash());
    if (list === undefined) return undefined;
    for (const e of list) {
      if (e.maxFrames === t.maxMaptrackFrames && e.vcpus === t.vcpus && t.sameContent(e.copy)) {
        return e.value;
      }
    }
    return undefined;
  }

  /** The value kept for `t`'s content, else `make(t)`, kept. */
  derived(t: MaptrackTable, make: (t: MaptrackTable) => V): V {
    const kept = this.get(t);
    if (kept !== undefined) return kept;
    const value = make(t);
    this.set(t, value);
    return value;
  }

  set(t: MaptrackTable, value: V): void {
    if (t.nonFreshBound > this.maxEntries) return;
    if (this.size >= this.max) {
      this.slots.clear();
      this.size = 0;
    }
    const h = t.contentHash();
    let list = this.slots.get(h);
    if (list === undefined) {
      list = [];
      this.slots.set(h, list);
    }
    list.push({ copy: t.save(), maxFrames: t.maxMaptrackFrames, vcpus: t.vcpus, value });
    this.size++;
  }
}

/** A freshly linked frame's entry `h` (linkNewFrame, for vCPU 0; get_maptrack_handle's loop
 * sets `ref = handle + i + 1` and `vcpu`): its `ref` links to the next handle, every other word
 * zero. Only a copy's baseline: an entry that differs in any word is
 * saved whole. */
function freshWord(h: Handle, word: number): number {
  return word === 0 ? h + 1 : 0;
}

/** A saved entry: its handle, then its four words. */
const CHANGED_STRIDE = 5;

const NONE_CHANGED = new Uint32Array(0);

/** Entry `h`'s position in `changed`, or -1: saved as fresh. */
function findChanged(changed: Uint32Array, h: Handle): number {
  let lo = 0;
  let hi = changed.length / CHANGED_STRIDE;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((changed[mid * CHANGED_STRIDE] ?? 0) < h) lo = mid + 1;
    else hi = mid;
  }
  const at = lo * CHANGED_STRIDE;
  return at < changed.length && changed[at] === h ? at : -1;
}

/** Word `w` of entry `h` as saved: from `changed` at `at`, or fresh (at -1). */
function savedWord(h: Handle, w: number, changed: Uint32Array, at: number): number {
  return at < 0 ? freshWord(h, w) : (changed[at + 1 + w] ?? 0);
}

/** Is entry `h` in the table and other than a freshly linked one (what a copy keeps)? */
function differsFromFresh(u32: Uint32Array, h: Handle): boolean {
  return 4 * h < u32.length && !sameAsSaved(u32, h, NONE_CHANGED, -1);
}

function sameAsSaved(u32: Uint32Array, h: Handle, changed: Uint32Array, at: number): boolean {
  for (let w = 0; w < 4; w++) if (u32[4 * h + w] !== savedWord(h, w, changed, at)) return false;
  return true;
}

function writeSavedEntry(u32: Uint32Array, h: Handle, changed: Uint32Array, at: number): void {
  for (let w = 0; w < 4; w++) u32[4 * h + w] = savedWord(h, w, changed, at);
}

export interface MaptrackSnapshot {
  readonly version: number;
  /** The table's size in bytes (limit's frames, or a frame published and not yet linked). */
  readonly bytes: number;
  /** The entries that differ from a freshly linked frame's, CHANGED_STRIDE words each. */
  readonly changed: Uint32Array;
  readonly limit: number;
  readonly heads: readonly number[];
  readonly tails: readonly number[];
}

/** _get_maptrack_handle's shape: a handle off vCPU `v`'s list, or INVALID_MAPTRACK_HANDLE. */
export type TakeMaptrackHandle = (t: MaptrackTable, v: number) => Steps<Handle>;

/** _get_maptrack_handle(t, v) L544-572: pop v's head under v's maptrack_freelist_lock, but
 * never its last entry. */
export function* takeMaptrackHandle(t: MaptrackTable, v: number): Steps<Handle> {
  const locks = t.locks;
  if (pausing && locks) yield locks.freelistLock(v); // L549
  const head = t.headOf(v);
  let handle: Handle = INVALID_MAPTRACK_HANDLE; // no frame for this vCPU yet (L553-557)
  if (head !== MAPTRACK_TAIL) {
    // Always keep one entry in the free list, so that a free can append at the tail.
    const next = t.ref(head);
    if (next !== MAPTRACK_TAIL) {
      t.setHead(v, next);
      handle = head;
    }
  }
  if (pausing && locks) yield locks.freelistUnlock(v); // L569
  return handle;
}

/** steal_maptrack_handle(t, curr) L584-613: each vCPU's list in turn; a stolen handle's entry
 * records the thief (L601). Xen starts at get_random() % max_vcpus; we start at the vCPU after
 * the thief and go round (docs/semantics.md §6), as the model does. */
export function* stealMaptrackHandle(
  t: MaptrackTable,
  curr: number,
  take: TakeMaptrackHandle = takeMaptrackHandle,
): Steps<Handle> {
  for (let i = 1; i <= t.vcpus; i++) {
    const handle = yield* take(t, (curr + i) % t.vcpus);
    if (handle !== INVALID_MAPTRACK_HANDLE) {
      t.setVcpu(handle, curr);
      return handle;
    }
  }
  return INVALID_MAPTRACK_HANDLE;
}

/** get_maptrack_handle(lgt) L640-718 for vCPU `curr`: its list; else, under maptrack_lock, a new
 * frame while below max_maptrack_frames (its first handle returned, the rest pushed at the head
 * of curr's list); else steal. INVALID_MAPTRACK_HANDLE when all fail (GNTST_no_space). */
export function getMaptrackHandle(t: MaptrackTable, curr: number): Steps<Handle> {
  return getMaptrackHandleWith(takeMaptrackHandle, t, curr);
}

/** get_maptrack_handle over a given _get_maptrack_handle (a fault may replace that one). */
export function* getMaptrackHandleWith(
  take: TakeMaptrackHandle,
  t: MaptrackTable,
  curr: number,
): Steps<Handle> {
  const handle = yield* take(t, curr);
  if (handle !== INVALID_MAPTRACK_HANDLE) return handle;

  const locks = t.locks;
  if (pausing && locks) yield locks.maptrackLock; // L653
  if (t.nrFrames >= t.maxMaptrackFrames) {
    if (pausing && locks) yield locks.maptrackUnlock; // L666
    if (t.tailOf(curr) === MAPTRACK_TAIL) {
      // L672-683: uninitialised free list: steal one extra entry as the tail sentinel.
      const sentinel = yield* stealMaptrackHandle(t, curr, take);
      if (sentinel === INVALID_MAPTRACK_HANDLE) return sentinel;
      if (pausing && locks) yield locks.freelistLock(curr); // L677
      t.setRef(sentinel, MAPTRACK_TAIL);
      t.setTail(curr, sentinel);
      if (t.headOf(curr) === MAPTRACK_TAIL) t.setHead(curr, sentinel);
      if (pausing && locks) yield locks.freelistUnlock(curr); // L682
    }
    return yield* stealMaptrackHandle(t, curr, take);
  }

  t.addFrame();
  const first = t.limit;
  t.linkNewFrame(first, curr); // L695-700
  // Set the tail directly if this is the vCPU's first frame.
  if (t.tailOf(curr) === MAPTRACK_TAIL) t.setTail(curr, first + MAPTRACK_PER_PAGE - 1);
  t.limit += MAPTRACK_PER_PAGE;
  if (pausing && locks) yield locks.maptrackUnlock; // L710
  // L712-715: the new frame's last entry links to curr's old head; the list now starts at first+1.
  if (pausing && locks) yield locks.freelistLock(curr);
  t.setRef(first + MAPTRACK_PER_PAGE - 1, t.headOf(curr));
  t.setHead(curr, first + 1);
  if (pausing && locks) yield locks.freelistUnlock(curr);
  return first;
}

/** put_maptrack_handle(t, handle) L615-638: append to the tail (FIFO, so handles are not reused
 * at once) of the list of the vCPU in the handle's entry, whichever vCPU frees it. */
export function* putMaptrackHandle(t: MaptrackTable, handle: Handle): Steps<void> {
  t.setRef(handle, MAPTRACK_TAIL); // L624, outside the lock
  const v = t.vcpu(handle); // L627
  const locks = t.locks;
  if (pausing && locks) yield locks.freelistLock(v); // L629
  const prevTail = t.tailOf(v);
  t.setTail(v, handle);
  t.setRef(prevTail, handle);
  if (pausing && locks) yield locks.freelistUnlock(v); // L637
}
