// Xen's per-domain `struct grant_table` (L53-106) for a v1 table: the shared frames (through
// SharedGrantMemory) and the private active entries (`struct active_grant_entry`, L353-402),
// which gnttab_grow_table (L1892-1957) grows together, 512 per frame, never shrinking.

import type { DomId, Mfn, Ref } from '../../ops/op.ts';
import { INITIAL_NR_GRANT_FRAMES, SHGNT_PER_PAGE_V1 } from '../../xen/abi.ts';
import { SharedGrantMemory } from '../sharedMemory.ts';
import { LoadedCopy, TouchLog } from '../touch.ts';
import { freshVersion } from '../version.ts';

/** Bytes per active entry in our layout: pin u32, mfn u32, domid u16. */
const ACT_BYTES = 10;

/** Entries 0..used-1 of a table of `nrEntries` (the rest are all zero), laid out as the table
 * is: [pin u32 | mfn u32 | domid u16], `used` of each. */
export interface SavedActiveEntries {
  readonly version: number;
  readonly nrEntries: number;
  readonly used: number;
  readonly bytes: ArrayBuffer;
}

/** Active entries, one per ref: the packed GNTPIN_* pin, the grantee (act->domid) and
 * act->mfn. Valid while pin != 0. One buffer, three views: [pin u32 | mfn u32 | domid u16].
 * The views are for reading; write through the setters (they renew `version`). */
export class ActiveEntries {
  readonly pin: Uint32Array;
  readonly mfn: Uint32Array;
  readonly domid: Uint16Array;
  /** Content version (../version.ts). */
  version = freshVersion();
  /** The refs written (../touch.ts). */
  readonly touched = new TouchLog();
  private readonly buffer: ArrayBuffer;
  private saved: SavedActiveEntries | undefined;
  private readonly loadedFrom = new LoadedCopy<SavedActiveEntries>();

  constructor(readonly nrEntries: number) {
    this.buffer = new ArrayBuffer(nrEntries * ACT_BYTES);
    this.pin = new Uint32Array(this.buffer, 0, nrEntries);
    this.mfn = new Uint32Array(this.buffer, nrEntries * 4, nrEntries);
    this.domid = new Uint16Array(this.buffer, nrEntries * 8, nrEntries);
  }

  pinOf(ref: Ref): number {
    return this.pin[ref] ?? 0;
  }
  domidOf(ref: Ref): DomId {
    return this.domid[ref] ?? 0;
  }
  mfnOf(ref: Ref): Mfn {
    return this.mfn[ref] ?? 0;
  }

  setPin(ref: Ref, pin: number): void {
    this.pin[ref] = pin;
    this.version = freshVersion();
    this.touched.touch(ref);
  }

  /** The first pin's bookkeeping (L1099-1106): who holds the entry, and which frame. */
  setHolder(ref: Ref, domid: DomId, mfn: Mfn): void {
    this.domid[ref] = domid;
    this.mfn[ref] = mfn;
    this.version = freshVersion();
    this.touched.touch(ref);
  }

  /** A larger copy (new entries zero: not pinned). */
  grown(nrEntries: number): ActiveEntries {
    const next = new ActiveEntries(nrEntries);
    next.pin.set(this.pin);
    next.mfn.set(this.mfn);
    next.domid.set(this.domid);
    return next;
  }

  /** An immutable copy, up to the last entry not all zero (as SharedGrantMemory.save); an
   * unchanged table hands out its last copy again. */
  save(): SavedActiveEntries {
    if (this.saved?.version !== this.version) {
      let used = this.nrEntries;
      const { pin, mfn, domid } = this;
      while (used > 0 && pin[used - 1] === 0 && mfn[used - 1] === 0 && domid[used - 1] === 0) {
        used--;
      }
      const bytes = new ArrayBuffer(used * ACT_BYTES);
      new Uint32Array(bytes, 0, used).set(this.pin.subarray(0, used));
      new Uint32Array(bytes, used * 4, used).set(this.mfn.subarray(0, used));
      new Uint16Array(bytes, used * 8, used).set(this.domid.subarray(0, used));
      this.saved = { version: this.version, nrEntries: this.nrEntries, used, bytes };
    }
    return this.saved;
  }

  /** Entries restored from save(); reuses this object when the size matches, writing only the
   * entries that differ, each logged as touched (../touch.ts LoadedCopy says why). */
  loaded(saved: SavedActiveEntries): ActiveEntries {
    if (saved.version === this.version) return this;
    const { used } = saved;
    const pin = new Uint32Array(saved.bytes, 0, used);
    const mfn = new Uint32Array(saved.bytes, used * 4, used);
    const domid = new Uint16Array(saved.bytes, used * 8, used);
    if (saved.nrEntries !== this.nrEntries) {
      const target = new ActiveEntries(saved.nrEntries);
      target.pin.set(pin);
      target.mfn.set(mfn);
      target.domid.set(domid);
      target.version = saved.version;
      target.saved = saved;
      target.loadedFrom.loaded(saved, target.touched);
      return target;
    }
    const log = this.touched;
    const written = this.loadedFrom.writtenSince(saved, log);
    if (written !== undefined) {
      for (let j = 0; j < written.length; j++) this.copyEntry(written[j] ?? 0, pin, mfn, domid);
    } else {
      for (let ref = 0; ref < this.nrEntries; ref++) {
        const inCopy = ref < used;
        if (
          this.pin[ref] !== (inCopy ? pin[ref] : 0) ||
          this.mfn[ref] !== (inCopy ? mfn[ref] : 0) ||
          this.domid[ref] !== (inCopy ? domid[ref] : 0)
        ) {
          this.copyEntry(ref, pin, mfn, domid);
        }
      }
    }
    this.version = saved.version;
    this.saved = saved;
    this.loadedFrom.loaded(saved, log);
    return this;
  }

  /** Entry `ref` from a saved copy's views (zero past their end), logged as touched. */
  private copyEntry(ref: Ref, pin: Uint32Array, mfn: Uint32Array, domid: Uint16Array): void {
    const inCopy = ref < pin.length;
    this.pin[ref] = inCopy ? (pin[ref] ?? 0) : 0;
    this.mfn[ref] = inCopy ? (mfn[ref] ?? 0) : 0;
    this.domid[ref] = inCopy ? (domid[ref] ?? 0) : 0;
    this.touched.touch(ref);
  }
}

export class GrantTable {
  /** The guest-visible entries. The object stays the same when the table grows. */
  readonly shared: SharedGrantMemory;
  active: ActiveEntries;

  constructor(
    readonly dom: DomId,
    readonly maxGrantFrames: number,
  ) {
    this.shared = new SharedGrantMemory(dom, INITIAL_NR_GRANT_FRAMES);
    this.active = new ActiveEntries(INITIAL_NR_GRANT_FRAMES * SHGNT_PER_PAGE_V1);
  }

  /** nr_grant_frames(gt) */
  get nrGrantFrames(): number {
    return this.shared.nrFrames;
  }

  /** nr_grant_entries(gt) for v1 (L721-748). */
  get nrGrantEntries(): number {
    return this.shared.nrEntries;
  }

  /** grant_table_destroy (complete_domain_destroy): the shared and active arrays are freed.
   * The table stays readable, all zero, so that a gone domain abstracts to empty tables. */
  destroy(): void {
    const words = this.shared.words;
    for (let ref = 0; 2 * ref < words.length; ref++) {
      if ((words[2 * ref] ?? 0) !== 0 || (words[2 * ref + 1] ?? 0) !== 0) {
        this.shared.storeEntry(ref, 0, 0, 0);
      }
    }
    this.active = new ActiveEntries(this.active.nrEntries);
  }

  /** gnttab_grow_table(d, req_nr_frames): active frames first, then shared frames (XSA-26
   * order); the request is at least INITIAL_NR_GRANT_FRAMES. Never shrinks. */
  grow(reqNrFrames: number): void {
    const nrFrames = Math.max(reqNrFrames, INITIAL_NR_GRANT_FRAMES);
    if (nrFrames <= this.nrGrantFrames) return;
    this.active = this.active.grown(nrFrames * SHGNT_PER_PAGE_V1);
    this.shared.grow(nrFrames);
  }
}
