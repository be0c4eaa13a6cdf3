// The one door to a domain's shared grant table (pub.h struct grant_entry_v1, Xen's union
// grant_combo): every guest-side and hypervisor-side access to a shared entry is a call here, so
// that a later interleaving harness can split ops at exactly these points (Xen's ACCESS_ONCE
// reads and guest_cmpxchg updates of grant_combo). Backing store: one ArrayBuffer of 8-byte v1
// entries, 512 per frame.

import type { Ref } from '../ops/op.ts';
import { GRANT_ENTRY_V1_SIZE, PAGE_SIZE, SHGNT_PER_PAGE_V1 } from '../xen/abi.ts';
import { TouchLog } from './touch.ts';
import { freshVersion } from './version.ts';

// Entry `ref` starts at byte 8*ref: flags u16 at +0, domid u16 at +2, frame u32 at +4.
// In 16-bit units: flags at 4*ref, domid at 4*ref+1. In 32-bit units: the flags+domid word
// (Xen's `union grant_combo`, L247-253) at 2*ref, frame at 2*ref+1.
const U16_PER_ENTRY = GRANT_ENTRY_V1_SIZE / 2;
const U32_PER_ENTRY = GRANT_ENTRY_V1_SIZE / 4;

// Why: typed arrays use the host's byte order, and the combo word is little-endian on x86 (flags
// in the low half). Every supported Node host is little-endian; refuse to run anywhere else.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('grantcheck needs a little-endian host (grant_combo layout)');
}

export type SharedField = 'flags' | 'domid' | 'frame' | 'combo' | 'entry';
export type SharedAccessKind = 'load' | 'store' | 'cmpxchg' | 'and';

/** One access to a shared entry, reported to the hook before it happens. */
export interface SharedAccess {
  readonly kind: SharedAccessKind;
  readonly field: SharedField;
  readonly ref: Ref;
}

/** Called before every access; an interleaving harness can schedule other actors here. */
export type SharedAccessHook = (access: SharedAccess) => void;

/** Pack flags (low half) and domid (high half) as Xen's grant_combo word. */
export function combo(flags: number, domid: number): number {
  return ((flags & 0xffff) | ((domid & 0xffff) << 16)) >>> 0;
}
export function comboFlags(word: number): number {
  return word & 0xffff;
}
export function comboDomid(word: number): number {
  return word >>> 16;
}

export class SharedGrantMemory {
  private u16: Uint16Array;
  private u32: Uint32Array;
  /** Optional observer of every access (none by default: no cost beyond one test). */
  hook: SharedAccessHook | undefined = undefined;
  /** Content version (./version.ts): renewed by every write. */
  version = freshVersion();
  /** The refs written (./touch.ts). */
  readonly touched = new TouchLog();
  private saved: SavedSharedMemory | undefined;

  constructor(nrFrames: number) {
    const buffer = new ArrayBuffer(nrFrames * PAGE_SIZE);
    this.u16 = new Uint16Array(buffer);
    this.u32 = new Uint32Array(buffer);
  }

  /** The table's size in entries (nr_grant_entries for v1). */
  get nrEntries(): number {
    return this.u32.length / U32_PER_ENTRY;
  }

  get nrFrames(): number {
    return this.nrEntries / SHGNT_PER_PAGE_V1;
  }

  /** gnttab_grow_table's shared part: new frames are zeroed, old entries kept. */
  grow(nrFrames: number): void {
    if (nrFrames <= this.nrFrames) return;
    const buffer = new ArrayBuffer(nrFrames * PAGE_SIZE);
    const u32 = new Uint32Array(buffer);
    u32.set(this.u32);
    this.u16 = new Uint16Array(buffer);
    this.u32 = u32;
    this.version = freshVersion();
    this.touched.reset();
  }

  private note(kind: SharedAccessKind, field: SharedField, ref: Ref): void {
    if (this.hook !== undefined) this.hook({ kind, field, ref });
  }

  loadFlags(ref: Ref): number {
    this.note('load', 'flags', ref);
    return this.u16[ref * U16_PER_ENTRY] ?? 0;
  }

  storeFlags(ref: Ref, flags: number): void {
    this.note('store', 'flags', ref);
    this.u16[ref * U16_PER_ENTRY] = flags;
    this.version = freshVersion();
    this.touched.touch(ref);
  }

  loadDomid(ref: Ref): number {
    this.note('load', 'domid', ref);
    return this.u16[ref * U16_PER_ENTRY + 1] ?? 0;
  }

  storeDomid(ref: Ref, domid: number): void {
    this.note('store', 'domid', ref);
    this.u16[ref * U16_PER_ENTRY + 1] = domid;
    this.version = freshVersion();
    this.touched.touch(ref);
  }

  loadFrame(ref: Ref): number {
    this.note('load', 'frame', ref);
    return this.u32[ref * U32_PER_ENTRY + 1] ?? 0;
  }

  storeFrame(ref: Ref, frame: number): void {
    this.note('store', 'frame', ref);
    this.u32[ref * U32_PER_ENTRY + 1] = frame;
    this.version = freshVersion();
    this.touched.touch(ref);
  }

  /** ACCESS_ONCE(*(uint32_t *)shah): flags and domid in one load (grant_combo). */
  loadCombo(ref: Ref): number {
    this.note('load', 'combo', ref);
    return this.u32[ref * U32_PER_ENTRY] ?? 0;
  }

  /** 16-bit compare-and-swap of flags (the guest's sync_cmpxchg); returns the value seen. */
  cmpxchgFlags(ref: Ref, expected: number, desired: number): number {
    this.note('cmpxchg', 'flags', ref);
    const i = ref * U16_PER_ENTRY;
    const seen = this.u16[i] ?? 0;
    if (seen === (expected & 0xffff)) {
      this.u16[i] = desired;
      this.version = freshVersion();
      this.touched.touch(ref);
    }
    return seen;
  }

  /** 32-bit compare-and-swap of the flags+domid word (Xen's guest_cmpxchg on grant_combo);
   * returns the value seen. */
  cmpxchgCombo(ref: Ref, expected: number, desired: number): number {
    this.note('cmpxchg', 'combo', ref);
    const i = ref * U32_PER_ENTRY;
    const seen = this.u32[i] ?? 0;
    if (seen === expected >>> 0) {
      this.u32[i] = desired;
      this.version = freshVersion();
      this.touched.touch(ref);
    }
    return seen;
  }

  /** gnttab_clear_flags (x86.h L52-57, `lock andw`): atomically clear `mask` in flags. */
  clearFlags(ref: Ref, mask: number): void {
    this.note('and', 'flags', ref);
    const i = ref * U16_PER_ENTRY;
    this.u16[i] = (this.u16[i] ?? 0) & ~mask;
    this.version = freshVersion();
    this.touched.touch(ref);
  }

  /** A plain 8-byte store of a whole entry (a guest ignoring the protocol). */
  storeEntry(ref: Ref, flags: number, domid: number, frame: number): void {
    this.note('store', 'entry', ref);
    const i = ref * U32_PER_ENTRY;
    this.u32[i] = combo(flags, domid);
    this.u32[i + 1] = frame;
    this.version = freshVersion();
    this.touched.touch(ref);
  }

  /** A plain 8-byte load of a whole entry (swap_grant_ref's struct copy); words beyond the
   * table read as zero. */
  loadEntry(ref: Ref): { readonly combo: number; readonly frame: number } {
    this.note('load', 'entry', ref);
    const i = ref * U32_PER_ENTRY;
    return { combo: this.u32[i] ?? 0, frame: this.u32[i + 1] ?? 0 };
  }

  // --- Whole-table access for snapshots and the abstraction function (not for ops) ----------

  /** The raw 32-bit words: 2 per entry, [combo, frame]. Read-only use, please. */
  get words(): Uint32Array {
    return this.u32;
  }

  /** A copy of the table's words with their version. Copies are immutable and shared: an
   * unchanged table hands out its last copy again. */
  save(): SavedSharedMemory {
    if (this.saved?.version !== this.version) {
      this.saved = { version: this.version, words: this.u32.slice() };
    }
    return this.saved;
  }

  /** Put back a copy made by save(); the table takes the saved size and version. */
  load(saved: SavedSharedMemory): void {
    if (saved.version === this.version) return; // same content already
    if (saved.words.length === this.u32.length) {
      this.u32.set(saved.words);
    } else {
      const buffer = new ArrayBuffer(saved.words.byteLength);
      const u32 = new Uint32Array(buffer);
      u32.set(saved.words);
      this.u16 = new Uint16Array(buffer);
      this.u32 = u32;
    }
    this.version = saved.version;
    this.touched.reset();
    this.saved = saved;
  }
}

export interface SavedSharedMemory {
  readonly version: number;
  readonly words: Uint32Array;
}
