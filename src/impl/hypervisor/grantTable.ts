// Xen's per-domain `struct grant_table` (L53-106) for a v1 table: the shared frames (through
// SharedGrantMemory) and the private active entries (`struct active_grant_entry`, L346-395),
// which gnttab_grow_table (L1920-1985) grows together, 512 per frame, never shrinking.

import type { DomId, Mfn, Ref } from '../../ops/op.ts';
import { INITIAL_NR_GRANT_FRAMES, SHGNT_PER_PAGE_V1 } from '../../xen/abi.ts';
import { SharedGrantMemory } from '../sharedMemory.ts';

/** Active entries, one per ref: the packed GNTPIN_* pin, the grantee (act->domid) and
 * act->mfn. Valid while pin != 0. One buffer, three views: [pin u32 | mfn u32 | domid u16]. */
export class ActiveEntries {
  pin: Uint32Array;
  mfn: Uint32Array;
  domid: Uint16Array;
  private buffer: ArrayBuffer;

  constructor(readonly nrEntries: number) {
    this.buffer = new ArrayBuffer(nrEntries * 10);
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

  /** A larger copy (new entries zero: not pinned). */
  grown(nrEntries: number): ActiveEntries {
    const next = new ActiveEntries(nrEntries);
    next.pin.set(this.pin);
    next.mfn.set(this.mfn);
    next.domid.set(this.domid);
    return next;
  }

  save(): ArrayBuffer {
    return this.buffer.slice(0);
  }

  /** Entries restored from save(); reuses this object when the size matches. */
  loaded(saved: ArrayBuffer): ActiveEntries {
    const target =
      saved.byteLength === this.buffer.byteLength ? this : new ActiveEntries(saved.byteLength / 10);
    new Uint8Array(target.buffer).set(new Uint8Array(saved));
    return target;
  }
}

export class GrantTable {
  /** The guest-visible entries. The object stays the same when the table grows. */
  readonly shared: SharedGrantMemory;
  active: ActiveEntries;

  constructor(readonly maxGrantFrames: number) {
    this.shared = new SharedGrantMemory(INITIAL_NR_GRANT_FRAMES);
    this.active = new ActiveEntries(INITIAL_NR_GRANT_FRAMES * SHGNT_PER_PAGE_V1);
  }

  /** nr_grant_frames(gt) */
  get nrGrantFrames(): number {
    return this.shared.nrFrames;
  }

  /** nr_grant_entries(gt) for v1 (L714-741). */
  get nrGrantEntries(): number {
    return this.shared.nrEntries;
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
