// The one door to a domain's shared grant table (pub.h struct grant_entry_v1, Xen's union
// grant_combo): every guest-side and hypervisor-side access to a shared entry is a call here, and
// an op yields `before(access, ref)` just ahead of each call, so that the interleaving engine
// splits ops at exactly these points (Xen's ACCESS_ONCE reads and guest_cmpxchg updates of
// grant_combo). Backing store: one ArrayBuffer of 8-byte v1 entries, 512 per frame.

import type { DomId, Ref } from '../ops/op.ts';
import { GRANT_ENTRY_V1_SIZE, PAGE_SIZE, SHGNT_PER_PAGE_V1 } from '../xen/abi.ts';
import type { SharedAccessKind, SharedField, SharedPause, WaitPause } from './steps.ts';
import { LoadedCopy, TouchLog } from './touch.ts';
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

/** The accesses, by method name, with what their pause reports. */
const SHARED_ACCESSES = {
  loadFlags: ['load', 'flags'],
  storeFlags: ['store', 'flags'],
  loadDomid: ['load', 'domid'],
  storeDomid: ['store', 'domid'],
  loadFrame: ['load', 'frame'],
  storeFrame: ['store', 'frame'],
  loadCombo: ['load', 'combo'],
  cmpxchgFlags: ['cmpxchg', 'flags'],
  cmpxchgCombo: ['cmpxchg', 'combo'],
  clearFlags: ['and', 'flags'],
  storeEntry: ['store', 'entry'],
  loadEntry: ['load', 'entry'],
} as const satisfies Record<string, readonly [SharedAccessKind, SharedField]>;
export type SharedAccess = keyof typeof SHARED_ACCESSES;
const ACCESS_NAMES = Object.keys(SHARED_ACCESSES) as SharedAccess[];
const ACCESS_COUNT = ACCESS_NAMES.length;
const ACCESS_INDEX = Object.fromEntries(ACCESS_NAMES.map((a, i) => [a, i])) as Record<
  SharedAccess,
  number
>;

/** Domain -> its shared pauses by slot (ref * ACCESS_COUNT + access): shared by every system, as
 * the lock pauses are (./hypervisor/locks.ts domainLocks says why none are made per system). */
const SHARED_PAUSES: (SharedPause | undefined)[][] = [];

export class SharedGrantMemory {
  private u16: Uint16Array;
  private u32: Uint32Array;
  /** Content version (./version.ts): renewed by every write. */
  version = freshVersion();
  /** The refs written (./touch.ts). */
  readonly touched = new TouchLog();
  private saved: SavedSharedMemory | undefined;
  private readonly loadedFrom = new LoadedCopy<SavedSharedMemory>();

  constructor(
    /** The domain whose table this is. */
    readonly dom: DomId,
    nrFrames: number,
  ) {
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

  /** The pause an op yields just before calling `access` on entry `ref`. Pauses are values:
   * each is made once, for every table of domain `dom` (SHARED_PAUSES), and handed out again. */
  before(access: SharedAccess, ref: Ref): SharedPause {
    const pauses = (SHARED_PAUSES[this.dom] ??= []);
    const slot = ref * ACCESS_COUNT + ACCESS_INDEX[access];
    let pause = pauses[slot];
    if (pause === undefined) {
      const [kind, field] = SHARED_ACCESSES[access];
      pause = { kind: 'shared', access: kind, field, dom: this.dom, ref };
      pauses[slot] = pause;
    }
    return pause;
  }

  /** Accesses made so far, and the last one (its method and ref): what
   * test/unit/impl/steps.test.ts checks each op's pauses against (one access after each shared
   * pause, the one it names). */
  accesses = 0;
  lastAccess: SharedAccess | undefined = undefined;
  lastAccessRef: Ref = 0;

  private accessed(access: SharedAccess, ref: Ref): void {
    this.accesses++;
    this.lastAccess = access;
    this.lastAccessRef = ref;
  }

  /** The pause of a guest spinning until one of `mask`'s flags of entry `ref` is set. */
  waitFor(ref: Ref, mask: number): WaitPause {
    return { kind: 'wait', dom: this.dom, ref, mask };
  }

  /** The entry as it is now, for readers outside any op (tests, reports): no pause. */
  inspect(ref: Ref): { readonly flags: number; readonly domid: number; readonly frame: number } {
    const i = ref * U32_PER_ENTRY;
    const word = this.u32[i] ?? 0;
    return { flags: comboFlags(word), domid: comboDomid(word), frame: this.u32[i + 1] ?? 0 };
  }

  loadFlags(ref: Ref): number {
    this.accessed('loadFlags', ref);
    return this.u16[ref * U16_PER_ENTRY] ?? 0;
  }

  storeFlags(ref: Ref, flags: number): void {
    this.accessed('storeFlags', ref);
    this.u16[ref * U16_PER_ENTRY] = flags;
    this.version = freshVersion();
    this.touched.touch(ref);
  }

  loadDomid(ref: Ref): number {
    this.accessed('loadDomid', ref);
    return this.u16[ref * U16_PER_ENTRY + 1] ?? 0;
  }

  storeDomid(ref: Ref, domid: number): void {
    this.accessed('storeDomid', ref);
    this.u16[ref * U16_PER_ENTRY + 1] = domid;
    this.version = freshVersion();
    this.touched.touch(ref);
  }

  loadFrame(ref: Ref): number {
    this.accessed('loadFrame', ref);
    return this.u32[ref * U32_PER_ENTRY + 1] ?? 0;
  }

  storeFrame(ref: Ref, frame: number): void {
    this.accessed('storeFrame', ref);
    this.u32[ref * U32_PER_ENTRY + 1] = frame;
    this.version = freshVersion();
    this.touched.touch(ref);
  }

  /** ACCESS_ONCE(*(uint32_t *)shah): flags and domid in one load (grant_combo). */
  loadCombo(ref: Ref): number {
    this.accessed('loadCombo', ref);
    return this.u32[ref * U32_PER_ENTRY] ?? 0;
  }

  /** 16-bit compare-and-swap of flags (the guest's sync_cmpxchg); returns the value seen. */
  cmpxchgFlags(ref: Ref, expected: number, desired: number): number {
    this.accessed('cmpxchgFlags', ref);
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
    this.accessed('cmpxchgCombo', ref);
    const i = ref * U32_PER_ENTRY;
    const seen = this.u32[i] ?? 0;
    if (seen === expected >>> 0) {
      this.u32[i] = desired;
      this.version = freshVersion();
      this.touched.touch(ref);
    }
    return seen;
  }

  /** gnttab_clear_flags (x86.h L58-63, `lock andw`): atomically clear `mask` in flags. */
  clearFlags(ref: Ref, mask: number): void {
    this.accessed('clearFlags', ref);
    const i = ref * U16_PER_ENTRY;
    this.u16[i] = (this.u16[i] ?? 0) & ~mask;
    this.version = freshVersion();
    this.touched.touch(ref);
  }

  /** A plain 8-byte store of a whole entry (a guest ignoring the protocol). */
  storeEntry(ref: Ref, flags: number, domid: number, frame: number): void {
    this.accessed('storeEntry', ref);
    const i = ref * U32_PER_ENTRY;
    this.u32[i] = combo(flags, domid);
    this.u32[i + 1] = frame;
    this.version = freshVersion();
    this.touched.touch(ref);
  }

  /** A plain 8-byte load of a whole entry (swap_grant_ref's struct copy); words beyond the
   * table read as zero. */
  loadEntry(ref: Ref): { readonly combo: number; readonly frame: number } {
    this.accessed('loadEntry', ref);
    const i = ref * U32_PER_ENTRY;
    return { combo: this.u32[i] ?? 0, frame: this.u32[i + 1] ?? 0 };
  }

  // --- Whole-table access for snapshots and the abstraction function (not for ops) ----------

  /** The raw 32-bit words: 2 per entry, [combo, frame]. Read-only use, please. */
  get words(): Uint32Array {
    return this.u32;
  }

  /** A copy of the table's words with their version, up to its last entry not all zero (the
   * rest are zeros: a table of 512 entries of which a search uses the first few is saved in
   * tens of bytes, not 4 KiB). Copies are immutable and shared: an unchanged table hands out
   * its last copy again. */
  save(): SavedSharedMemory {
    if (this.saved?.version !== this.version) {
      const u32 = this.u32;
      let end = u32.length;
      while (end > 0 && u32[end - 1] === 0) end--;
      // whole entries: the last one's two words
      end += end % U32_PER_ENTRY;
      this.saved = { version: this.version, words: u32.slice(0, end), length: u32.length };
    }
    return this.saved;
  }

  /** Put back a copy made by save(); the table takes the saved size and version. Only the
   * entries that differ are written, each logged as touched (./touch.ts LoadedCopy says why):
   * those written since the same copy was last loaded, or else those a comparison finds. */
  load(saved: SavedSharedMemory): void {
    if (saved.version === this.version) return; // same content already
    const from = saved.words;
    const u32 = this.u32;
    if (saved.length === u32.length) {
      const log = this.touched;
      const written = this.loadedFrom.writtenSince(saved, log);
      if (written !== undefined) {
        for (let j = 0; j < written.length; j++) {
          const ref = written[j] ?? 0;
          const i = ref * U32_PER_ENTRY;
          // past the copy's end: zeros
          u32[i] = i < from.length ? (from[i] ?? 0) : 0;
          u32[i + 1] = i < from.length ? (from[i + 1] ?? 0) : 0;
          log.touch(ref);
        }
      } else {
        for (let i = 0; i < u32.length; i += U32_PER_ENTRY) {
          const head = i < from.length ? (from[i] ?? 0) : 0;
          const frame = i < from.length ? (from[i + 1] ?? 0) : 0;
          if (u32[i] === head && u32[i + 1] === frame) continue;
          u32[i] = head;
          u32[i + 1] = frame;
          log.touch(i / U32_PER_ENTRY);
        }
      }
    } else {
      const buffer = new ArrayBuffer(saved.length * 4);
      const copy = new Uint32Array(buffer);
      copy.set(from);
      this.u16 = new Uint16Array(buffer);
      this.u32 = copy;
      this.touched.reset();
    }
    this.version = saved.version;
    this.saved = saved;
    this.loadedFrom.loaded(saved, this.touched);
  }
}

export interface SavedSharedMemory {
  readonly version: number;
  /** The table's first words; the rest, to `length`, are zeros. */
  readonly words: Uint32Array;
  /** The table's size in 32-bit words. */
  readonly length: number;
}
