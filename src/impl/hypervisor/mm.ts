// The machine-frame table (x86 `struct page_info`: owner, count_info, type count) and the few
// mm.c functions grants use: get_page, put_page, page_get_owner_and_reference, steal_page,
// assign_pages, free_domheap_page (xen/arch/x86/mm.c, common/page_alloc.c; steal_page as
// gnttab_transfer calls it).

import { OWN_BYTES, flowLabel, labelOrigin, labelsWith, permitBit } from '../../model/flow.ts';
import type { DomId, Mfn } from '../../ops/op.ts';
import { PAGE_SIZE } from '../../xen/abi.ts';
import { filled } from '../arrays.ts';
import { freshVersion } from '../version.ts';
import { freeLastReference } from './domainDeath.ts';
import type { Hypervisor } from './hypervisor.ts';

/** page_get_owner() == NULL: a free page. */
export const NO_OWNER = -1;

/** References an allocated, otherwise unused page holds: PGC_allocated's and the owning
 * guest's own (docs/semantics.md §2). steal_page requires exactly these. */
export const PAGE_BASE_REFS = 2;

/** -EINVAL from steal_page: gnttab_transfer turns it into GNTST_bad_page. */
export const EINVAL = -22;

export interface SavedFrameTable {
  readonly version: number;
  readonly bytes: ArrayBuffer;
  readonly contentsVersion: number;
  /** The page buffers at the save: never written again (copy on write). */
  readonly pages: readonly (Uint8Array | undefined)[];
  readonly pageVersions: readonly number[];
  readonly labels: readonly (readonly number[] | undefined)[];
  readonly pagesVersion: number;
  readonly ghostVersion: number;
}

/** One entry per machine frame, index mfn - firstMfn, all in one buffer (cheap to copy). The
 * views are for reading; write through the setters (they renew `version`). */
export class FrameTable {
  /** page_get_owner(): the owning domain, or NO_OWNER. */
  readonly owner: Int32Array;
  /** count_info's reference count (PGC_count_mask). */
  readonly count: Uint32Array;
  /** type_info's count of PGT_writable_page references. */
  readonly writableTypeCount: Uint32Array;
  /** Ghost (no Xen counterpart; docs/semantics.md §15): the domains a grant or a transfer let
   * read this frame (bit d) or write it (bit 16 + d), as model/flow.ts permitBit. */
  readonly permits: Uint32Array;
  /** Content version (../version.ts) of owner, count, type count, and the ghost permits and
   * labels. */
  version = freshVersion();
  /** The same, of owner, count and type count alone (the invariants that read no ghost state
   * are not re-run after a store that only labelled a frame). */
  pagesVersion = freshVersion();
  /** The same, of the ghost permits and labels alone. */
  ghostVersion = freshVersion();
  /** Content version of the page contents as a whole, and of each page's. */
  contentsVersion = freshVersion();
  private pageVersions: number[];
  /** Each frame's bytes, allocated at its first write (undefined: all zero). A buffer some
   * snapshot holds (`frozen`) is copied before it is written. */
  private pages: (Uint8Array | undefined)[];
  private frozen: boolean[];
  /** Ghost: each frame's origin labels (model/flow.ts flowLabel), sorted; arrays are replaced,
   * never mutated, so a save shares them. */
  private labels: (readonly number[] | undefined)[];
  private readonly buffer: ArrayBuffer;
  private saved: SavedFrameTable | undefined;

  constructor(
    readonly firstMfn: Mfn,
    readonly nrFrames: number,
  ) {
    this.buffer = new ArrayBuffer(nrFrames * 16);
    this.owner = new Int32Array(this.buffer, 0, nrFrames);
    this.count = new Uint32Array(this.buffer, nrFrames * 4, nrFrames);
    this.writableTypeCount = new Uint32Array(this.buffer, nrFrames * 8, nrFrames);
    this.permits = new Uint32Array(this.buffer, nrFrames * 12, nrFrames);
    // filled (../arrays.ts), not new Array: no allocation site that V8 may pretenure.
    this.labels = filled<readonly number[] | undefined>(nrFrames, undefined);
    this.pages = filled<Uint8Array | undefined>(nrFrames, undefined);
    this.frozen = filled(nrFrames, false);
    this.pageVersions = filled(nrFrames, 0);
  }

  /** The bytes of a frame for reading (undefined: all zero, or not a frame). */
  bytesOf(mfn: Mfn): Uint8Array | undefined {
    return this.valid(mfn) ? this.pages[mfn - this.firstMfn] : undefined;
  }

  /** The content version of one frame's bytes (0: never written). */
  pageVersionOf(mfn: Mfn): number {
    return this.pageVersions[mfn - this.firstMfn] ?? 0;
  }

  /** The bytes of a frame for writing: allocated, or copied from a snapshot's, on demand. */
  writableBytes(mfn: Mfn): Uint8Array {
    const i = mfn - this.firstMfn;
    if (!this.valid(mfn)) throw new Error(`write to mfn ${mfn}: not a frame`);
    let page = this.pages[i];
    if (page === undefined) {
      page = new Uint8Array(PAGE_SIZE);
    } else if (this.frozen[i] === true) {
      page = page.slice();
    }
    this.pages[i] = page;
    this.frozen[i] = false;
    const v = freshVersion();
    this.pageVersions[i] = v;
    this.contentsVersion = v;
    return page;
  }

  /** The origin labels of a frame (ghost; empty for none, or for no frame). */
  labelsOf(mfn: Mfn): readonly number[] {
    return (this.valid(mfn) ? this.labels[mfn - this.firstMfn] : undefined) ?? [];
  }

  /** The permit word of a frame (ghost; 0 for no frame). */
  permitsOf(mfn: Mfn): number {
    return this.valid(mfn) ? (this.permits[mfn - this.firstMfn] ?? 0) : 0;
  }

  /** Ghost: domain `by` stored bytes into frame `to`, read from frame `from` (undefined: its
   * own, from the CPU). Labelled only when the store crossed a domain boundary: bytes from a
   * frame `by` did not own, or into one it does not own. */
  recordStore(to: Mfn, from: Mfn | undefined, by: DomId): void {
    if (!this.valid(to)) return;
    const origin = from === undefined || this.ownerOf(from) === by ? OWN_BYTES : from;
    if (origin === OWN_BYTES && this.ownerOf(to) === by) return;
    const i = to - this.firstMfn;
    const old = this.labels[i] ?? [];
    const labels = labelsWith(old, flowLabel(origin, by));
    if (labels === old) return;
    this.labels[i] = labels;
    this.ghostChanged();
  }

  /** Ghost: frame `mfn` may flow to domain `d` (`write`: from `d` into it). */
  permit(mfn: Mfn, d: DomId, write: boolean): void {
    if (!this.valid(mfn)) return;
    const i = mfn - this.firstMfn;
    const old = this.permits[i] ?? 0;
    const bits = (old | permitBit(d, write)) >>> 0;
    if (bits === old) return;
    this.permits[i] = bits;
    this.ghostChanged();
  }

  /** Ghost: frame `mfn` is `to`'s now (assign_pages after steal_page): its old owner's permits
   * end, and so do the labels naming it as origin and its own; `to` holds its bytes through
   * the transfer. */
  transferred(mfn: Mfn, to: DomId): void {
    if (!this.valid(mfn)) return;
    this.endEra(mfn);
    this.labels[mfn - this.firstMfn] = [flowLabel(mfn, to)];
    this.permits[mfn - this.firstMfn] = permitBit(to, false);
    this.ghostChanged();
  }

  private endEra(mfn: Mfn): void {
    const i = mfn - this.firstMfn;
    let changed = this.labels[i] !== undefined || (this.permits[i] ?? 0) !== 0;
    this.labels[i] = undefined;
    this.permits[i] = 0;
    for (let j = 0; j < this.nrFrames; j++) {
      const list = this.labels[j];
      if (list === undefined || !list.some((l) => labelOrigin(l) === mfn)) continue;
      const kept = list.filter((l) => labelOrigin(l) !== mfn);
      this.labels[j] = kept.length === 0 ? undefined : kept;
      changed = true;
    }
    if (changed) this.ghostChanged();
  }

  private ghostChanged(): void {
    this.version = freshVersion();
    this.ghostVersion = this.version;
  }

  private pagesChanged(): void {
    this.version = freshVersion();
    this.pagesVersion = this.version;
  }

  /** Scrub a frame: all its bytes zero, and (ghost) its labels and permits gone. */
  scrub(mfn: Mfn): void {
    const i = mfn - this.firstMfn;
    if (this.valid(mfn)) this.endEra(mfn);
    if (!this.valid(mfn) || this.pages[i] === undefined) return;
    this.pages[i] = undefined;
    this.frozen[i] = false;
    const v = freshVersion();
    this.pageVersions[i] = v;
    this.contentsVersion = v;
  }

  /** mfn_valid(): a frame of this machine. */
  valid(mfn: Mfn): boolean {
    return mfn >= this.firstMfn && mfn < this.firstMfn + this.nrFrames;
  }

  ownerOf(mfn: Mfn): DomId | typeof NO_OWNER {
    return this.valid(mfn) ? (this.owner[mfn - this.firstMfn] ?? NO_OWNER) : NO_OWNER;
  }
  refs(mfn: Mfn): number {
    return this.count[mfn - this.firstMfn] ?? 0;
  }
  writableTypes(mfn: Mfn): number {
    return this.writableTypeCount[mfn - this.firstMfn] ?? 0;
  }

  setOwner(mfn: Mfn, owner: DomId | typeof NO_OWNER): void {
    this.owner[mfn - this.firstMfn] = owner;
    this.pagesChanged();
  }
  setRefs(mfn: Mfn, count: number): void {
    this.count[mfn - this.firstMfn] = count;
    this.pagesChanged();
  }
  setWritableTypes(mfn: Mfn, count: number): void {
    this.writableTypeCount[mfn - this.firstMfn] = count;
    this.pagesChanged();
  }

  /** An immutable copy; an unchanged table hands out its last copy again. */
  save(): SavedFrameTable {
    const last = this.saved;
    if (last?.version === this.version && last.contentsVersion === this.contentsVersion) {
      return last;
    }
    this.frozen.fill(true);
    const saved: SavedFrameTable = {
      version: this.version,
      bytes: last?.version === this.version ? last.bytes : this.buffer.slice(0),
      contentsVersion: this.contentsVersion,
      pages: this.pages.slice(),
      pageVersions: this.pageVersions.slice(),
      labels: last?.version === this.version ? last.labels : this.labels.slice(),
      pagesVersion: this.pagesVersion,
      ghostVersion: this.ghostVersion,
    };
    this.saved = saved;
    return saved;
  }

  load(saved: SavedFrameTable): void {
    if (saved.version !== this.version) {
      new Uint8Array(this.buffer).set(new Uint8Array(saved.bytes));
      this.labels = saved.labels.slice();
      this.version = saved.version;
      this.pagesVersion = saved.pagesVersion;
      this.ghostVersion = saved.ghostVersion;
    }
    if (saved.contentsVersion !== this.contentsVersion) {
      this.pages = saved.pages.slice();
      this.frozen.fill(true);
      this.pageVersions = saved.pageVersions.slice();
      this.contentsVersion = saved.contentsVersion;
    }
    this.saved = saved;
  }
}

/** page_get_owner_and_reference: take a reference on an allocated page; its owner, or
 * NO_OWNER (and no reference) for a free page. */
export function pageGetOwnerAndReference(xen: Hypervisor, mfn: Mfn): DomId | typeof NO_OWNER {
  const owner = xen.frames.ownerOf(mfn);
  if (owner === NO_OWNER) return NO_OWNER;
  xen.frames.setRefs(mfn, xen.frames.refs(mfn) + 1);
  return owner;
}

/** get_page(page, d): take a reference if `d` owns the page. */
export function getPage(xen: Hypervisor, mfn: Mfn, d: DomId): boolean {
  if (xen.frames.ownerOf(mfn) !== d) return false;
  xen.frames.setRefs(mfn, xen.frames.refs(mfn) + 1);
  return true;
}

/** put_page: drop a reference. The last one frees the page (./domainDeath.ts): only a dying
 * domain's pages lose their base references, so only they can go this way. */
export function putPage(xen: Hypervisor, mfn: Mfn): void {
  const count = xen.frames.refs(mfn);
  if (count === 0) throw new Error(`put_page: mfn ${mfn} has no reference`);
  xen.frames.setRefs(mfn, count - 1);
  if (count === 1) freeLastReference(xen, mfn);
}

/** get_page_type(page, PGT_writable_page): always succeeds here (no page tables are modelled). */
export function getPageTypeWritable(xen: Hypervisor, mfn: Mfn): boolean {
  xen.frames.setWritableTypes(mfn, xen.frames.writableTypes(mfn) + 1);
  return true;
}

/** put_page_type for a PGT_writable_page reference. */
export function putPageType(xen: Hypervisor, mfn: Mfn): void {
  const count = xen.frames.writableTypes(mfn);
  if (count === 0) throw new Error(`put_page_type: mfn ${mfn} has no type reference`);
  xen.frames.setWritableTypes(mfn, count - 1);
}

/** steal_page(d, page, 0) (x86 mm.c L4376-4460): take the page away from `d` if it holds
 * exactly its base references; it is then ownerless with one reference, the stealer's.
 * Returns 0 or -EINVAL. */
export function stealPage(xen: Hypervisor, d: DomId, mfn: Mfn): number {
  const frames = xen.frames;
  if (frames.ownerOf(mfn) !== d) return EINVAL;
  // Why exactly the base count: any other reference is a mapping (grant or PTE) that would
  // outlive the page's move (XSA-287).
  if (frames.refs(mfn) !== PAGE_BASE_REFS) return EINVAL;
  frames.setOwner(mfn, NO_OWNER);
  frames.setRefs(mfn, 1);
  frames.setWritableTypes(mfn, 0);
  xen.domain(d).totPages -= 1; // domain_adjust_tot_pages(d, -1)
  return 0;
}

/** assign_pages(page, 1, e, MEMF_no_refcount): the stolen page becomes `e`'s, with its base
 * references (tot_pages was already raised by the caller). */
export function assignPages(xen: Hypervisor, mfn: Mfn, e: DomId): void {
  xen.frames.setOwner(mfn, e);
  xen.frames.setRefs(mfn, PAGE_BASE_REFS);
}

/** free_domheap_page / put_page of the last reference: the page is gone, and scrubbed (an
 * ownerless page always is: free_domheap_pages, common/page_alloc.c L2546 `scrub = 1`). */
export function freeDomheapPage(xen: Hypervisor, mfn: Mfn): void {
  xen.frames.scrub(mfn);
  xen.frames.setOwner(mfn, NO_OWNER);
  xen.frames.setRefs(mfn, 0);
  xen.frames.setWritableTypes(mfn, 0);
}
