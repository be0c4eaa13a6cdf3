// GNTTABOP_copy: gnttab_copy, gnttab_copy_one, gnttab_copy_lock_domains, gnttab_copy_claim_buf,
// gnttab_copy_buf_valid, gnttab_copy_buf, acquire_grant_for_copy and release_grant_for_copy
// (xen/common/grant_table.c, Xen 4.17.7) for a PV caller and v1 tables: no transitive grants,
// no sub-page windows, no paging (so never eagain or ERESTART).

import type { CopyArgs, CopyPtr, DomId, Mfn, Ref } from '../../ops/op.ts';
import type { CopyResult } from '../../ops/result.ts';
import {
  DOMID_SELF,
  GNTCOPY_dest_gref,
  GNTCOPY_source_gref,
  GNTPIN_devw_mask,
  GNTPIN_hstr_inc,
  GNTPIN_hstw_inc,
  GNTPIN_hstw_mask,
  GNTST_bad_copy_arg,
  GNTST_bad_domain,
  GNTST_bad_gntref,
  GNTST_general_error,
  GNTST_okay,
  GNTST_permission_denied,
  PAGE_SIZE,
} from '../../xen/abi.ts';
import { pausing, type Steps } from '../steps.ts';
import { DOMDYING_alive } from './domain.ts';
import type { Hypervisor } from './hypervisor.ts';
import {
  getPageTypeWritable,
  NO_OWNER,
  pageGetOwnerAndReference,
  putPage,
  putPageType,
} from './mm.ts';

/** struct gnttab_copy_buf: one side's cached domain lock and claim. */
export interface CopyBuf {
  domain: DomId | undefined; // the locked domain (rcu_lock_domain_by_any_id)
  domid: number; // ptr.domid as the element gave it: the cache key
  u: number; // ptr.u: the ref or gmfn claimed
  offset: number; // ptr.offset: the window's start (act->start; 0 for a gmfn)
  len: number; // the window's length
  mfn: Mfn;
  page: Mfn | undefined; // the page reference held
  mapped: boolean; // virt != NULL
  readOnly: boolean;
  haveGrant: boolean;
  haveType: boolean;
}

export function emptyCopyBuf(): CopyBuf {
  return {
    domain: undefined,
    domid: -1,
    u: 0,
    offset: 0,
    len: 0,
    mfn: 0,
    page: undefined,
    mapped: false,
    readOnly: false,
    haveGrant: false,
    haveType: false,
  };
}

/** release_grant_for_copy (v1): the pin comes off, reduce_status_for_pin. */
export function* releaseGrantForCopy(
  xen: Hypervisor,
  rd: DomId,
  ref: Ref,
  readonly: boolean,
): Steps<void> {
  const r = xen.domain(rd);
  const rgt = r.grantTable;
  if (pausing) yield r.locks.grantReadLock; // L2512-2514
  if (pausing) yield r.locks.activeEntryAcquire(ref);
  const act = rgt.active;
  const pin = (act.pinOf(ref) - (readonly ? GNTPIN_hstr_inc : GNTPIN_hstw_inc)) >>> 0;
  act.setPin(ref, pin);
  yield* xen.parts.reduceStatusForPin(rgt.shared, ref, pin, readonly);
  if (pausing) yield r.locks.activeEntryRelease(ref); // L2547-2548
  if (pausing) yield r.locks.grantReadUnlock;
}

/** acquire_grant_for_copy for a v1 entry: pins it for `ldom` and takes a page reference; the
 * frame, or a negative status with nothing held. */
export function* acquireGrantForCopy(
  xen: Hypervisor,
  rd: DomId,
  gref: Ref,
  ldom: DomId,
  readonly: boolean,
): Steps<{ status: number; mfn: Mfn }> {
  const r = xen.domain(rd);
  if (pausing) yield r.locks.grantReadLock; // L2592
  // acquire_grant_for_copy: ref beyond the table
  if (gref >= r.grantTable.nrGrantEntries) {
    if (pausing) yield r.locks.grantReadUnlock;
    return { status: GNTST_bad_gntref, mfn: 0 };
  }
  if (pausing) yield r.locks.activeEntryAcquire(gref); // L2600
  const got = yield* acquireLocked(xen, rd, gref, ldom, readonly);
  if (pausing) yield r.locks.activeEntryRelease(gref); // L2846-2847, L2854-2857
  if (pausing) yield r.locks.grantReadUnlock;
  return got;
}

/** acquire_grant_for_copy's body, with rd's read lock and the entry's lock held. */
function* acquireLocked(
  xen: Hypervisor,
  rd: DomId,
  gref: Ref,
  ldom: DomId,
  readonly: boolean,
): Steps<{ status: number; mfn: Mfn }> {
  const parts = xen.parts;
  const rgt = xen.domain(rd).grantTable;
  const pinIncr = readonly ? GNTPIN_hstr_inc : GNTPIN_hstw_inc;
  const act = rgt.active;
  const shared = rgt.shared;
  const oldPin = act.pinOf(gref);
  // acquire_grant_for_copy: pinned by another domain, or the counter at 128
  if (oldPin !== 0 && (act.domidOf(gref) !== ldom || parts.pinIncrementRefused(oldPin, pinIncr))) {
    return { status: GNTST_general_error, mfn: 0 };
  }
  let mfn: Mfn;
  if (oldPin === 0 || (!readonly && (oldPin & (GNTPIN_devw_mask | GNTPIN_hstw_mask)) === 0)) {
    // _set_status with mapflag 0 (GTF_sub_page not checked)
    const rc = yield* parts.setStatus(shared, gref, oldPin !== 0, readonly, false, ldom);
    if (rc !== GNTST_okay) return { status: rc, mfn: 0 };
    if (pausing) yield shared.before('loadFrame', gref);
    const got = parts.getPagedFrame(xen, rd, shared.loadFrame(gref));
    if (got < 0) {
      // unlock_out_clear
      yield* parts.reduceStatusForPin(shared, gref, act.pinOf(gref), readonly);
      return { status: got, mfn: 0 };
    }
    if (oldPin === 0) {
      act.setHolder(gref, ldom, got);
    } else if (act.mfnOf(gref) !== got) {
      // the frame re-read for a write upgrade is not the pinned one (XSA-500's check)
      putPage(xen, got);
      yield* parts.reduceStatusForPin(shared, gref, act.pinOf(gref), readonly);
      return { status: GNTST_general_error, mfn: 0 };
    }
    mfn = got;
  } else {
    // pinned: a reference on act->mfn, whose owner must still be rd
    mfn = act.mfnOf(gref);
    const owner = xen.frames.valid(mfn) ? pageGetOwnerAndReference(xen, mfn) : NO_OWNER;
    // L2830: `td != rd || rd->is_dying` (a dying owner's pin counts prove nothing)
    if (owner !== rd || xen.domain(rd).isDying !== DOMDYING_alive) {
      if (owner !== NO_OWNER) putPage(xen, mfn);
      yield* parts.reduceStatusForPin(shared, gref, act.pinOf(gref), readonly);
      return { status: GNTST_bad_domain, mfn: 0 };
    }
  }
  act.setPin(gref, (act.pinOf(gref) + pinIncr) >>> 0);
  return { status: GNTST_okay, mfn };
}

/** gnttab_copy_release_buf */
export function* copyReleaseBuf(xen: Hypervisor, buf: CopyBuf): Steps<void> {
  buf.mapped = false;
  if (buf.haveGrant && buf.domain !== undefined) {
    yield* xen.parts.releaseGrantForCopy(xen, buf.domain, buf.u, buf.readOnly);
    buf.haveGrant = false;
  }
  if (buf.haveType && buf.page !== undefined) {
    putPageType(xen, buf.page);
    buf.haveType = false;
  }
  if (buf.page !== undefined) {
    putPage(xen, buf.page);
    buf.page = undefined;
  }
}

function unlockDomains(src: CopyBuf, dest: CopyBuf): void {
  src.domain = undefined;
  dest.domain = undefined;
}

/** gnttab_copy_lock_domain: the lookup (the DOMID_SELF rule is checked per side, below). */
function lockDomain(xen: Hypervisor, caller: DomId, ptr: CopyPtr, buf: CopyBuf) {
  const d = xen.rcuLockDomainByAnyId(ptr.domid, caller);
  if (d === undefined) return GNTST_bad_domain;
  buf.domain = d.id;
  buf.domid = ptr.domid;
  return GNTST_okay;
}

/** gnttab_copy_lock_domains: source, then dest (XSM grant_copy: the dummy policy allows). */
function lockDomains(xen: Hypervisor, caller: DomId, op: CopyArgs, src: CopyBuf, dest: CopyBuf) {
  let rc = lockDomain(xen, caller, op.source, src);
  if (rc === GNTST_okay) rc = lockDomain(xen, caller, op.dest, dest);
  if (rc !== GNTST_okay) unlockDomains(src, dest);
  return rc;
}

/** gnttab_copy_claim_buf */
function* claimBuf(
  xen: Hypervisor,
  caller: DomId,
  op: CopyArgs,
  ptr: CopyPtr,
  buf: CopyBuf,
  grefFlag: number,
): Steps<number> {
  buf.readOnly = grefFlag === GNTCOPY_source_gref;
  const rd = buf.domain;
  if (rd === undefined) return GNTST_general_error; // not reachable: locked before
  if (op.flags & grefFlag) {
    const got = yield* acquireGrantForCopy(xen, rd, ptr.u, caller, buf.readOnly);
    if (got.status !== GNTST_okay) return got.status;
    buf.mfn = got.mfn;
    buf.page = got.mfn;
    buf.offset = 0; // act->start and act->length: the whole page for v1
    buf.len = PAGE_SIZE;
    buf.u = ptr.u;
    buf.haveGrant = true;
  } else {
    const got = xen.parts.getPagedFrame(xen, rd, ptr.u);
    if (got < 0) return got;
    buf.mfn = got;
    buf.page = got;
    buf.u = ptr.u;
    buf.offset = 0;
    buf.len = PAGE_SIZE;
  }
  if (!buf.readOnly) {
    // get_page_type(PGT_writable_page): no page tables here, so always granted
    if (!getPageTypeWritable(xen, buf.mfn)) return GNTST_general_error;
    buf.haveType = true;
  }
  buf.mapped = true;
  return GNTST_okay;
}

/** gnttab_copy_buf_valid: a gref side hits on the same ref held as a grant, a gmfn side on the
 * same number, whatever the buffer holds. */
export function copyBufValid(ptr: CopyPtr, buf: CopyBuf, hasGref: boolean): boolean {
  if (!buf.mapped) return false;
  if (hasGref) return buf.haveGrant && ptr.u === buf.u;
  return ptr.u === buf.u;
}

/** gnttab_copy_buf's bounds: both ranges within the page (else bad_copy_arg), then within the
 * buffers' windows (else general_error); okay when the bytes may move. */
export function copyBufBounds(op: CopyArgs, dest: CopyBuf, src: CopyBuf): number {
  if (op.source.offset + op.len > PAGE_SIZE || op.dest.offset + op.len > PAGE_SIZE) {
    return GNTST_bad_copy_arg;
  }
  if (op.source.offset < src.offset || op.source.offset + op.len > src.offset + src.len) {
    return GNTST_general_error;
  }
  if (op.dest.offset < dest.offset || op.dest.offset + op.len > dest.offset + dest.len) {
    return GNTST_general_error;
  }
  return GNTST_okay;
}

/** gnttab_copy_buf: the bounds, then the bytes. */
function copyBuf(
  xen: Hypervisor,
  caller: DomId,
  op: CopyArgs,
  dest: CopyBuf,
  src: CopyBuf,
): number {
  const rc = xen.parts.copyBufBounds(op, dest, src);
  if (rc !== GNTST_okay) return rc;
  copyBytes(xen, caller, src.mfn, op.source.offset, dest.mfn, op.dest.offset, op.len);
  if (op.len > 0) {
    // Ghost (docs/semantics.md §15): a buffer held through a grant (have_grant, also when a gmfn
    // reused it) lets its frame flow to the caller (source) or from it (destination).
    if (src.haveGrant) xen.frames.permit(src.mfn, caller, false);
    if (dest.haveGrant) xen.frames.permit(dest.mfn, caller, true);
  }
  return GNTST_okay;
}

/** memcpy(dest->virt + dest offset, src->virt + source offset, len), as Xen's x86 memcpy does it
 * where the two ranges overlap in one frame (docs/semantics.md §14). A source range past its page's
 * end (only when a fault let it through) reads on into the next machine frame, as a memcpy
 * through the direct map would. */
function copyBytes(
  xen: Hypervisor,
  caller: DomId,
  from: Mfn,
  off: number,
  to: Mfn,
  at: number,
  len: number,
) {
  if (len === 0) return;
  const frames = xen.frames;
  if (off + len > PAGE_SIZE) {
    // Only a fault's missing bound gets here: the range runs on into the frames after `from`
    // (and may start in one of them, at an offset past the page).
    const bytes = new Uint8Array(len);
    for (let i = 0; i < len;) {
      const frame = from + Math.floor((off + i) / PAGE_SIZE);
      const start = (off + i) % PAGE_SIZE;
      const n = Math.min(len - i, PAGE_SIZE - start);
      // Ghost: the caller stored into `to` bytes of every frame actually read.
      frames.recordStore(to, frame, caller);
      const page = frames.bytesOf(frame);
      if (page !== undefined) bytes.set(page.subarray(start, start + n), i);
      i += n;
    }
    frames.writableBytes(to).set(bytes.subarray(0, Math.min(len, PAGE_SIZE - at)), at);
    return;
  }
  frames.recordStore(to, from, caller);
  const source = frames.bytesOf(from);
  if (source === undefined) {
    // zeros: a destination never written stays all zero
    if (frames.bytesOf(to) === undefined) return;
    frames.writableBytes(to).fill(0, at, at + len);
    return;
  }
  if (from === to) {
    // Xen's x86 memcpy (xen/arch/x86/string.c): rep movsq, then rep movsb, forward; each unit
    // reads what the ones before it wrote
    const page = frames.writableBytes(to);
    const words = Math.floor(len / 8);
    for (let w = 0; w < words; w++) page.set(page.slice(off + 8 * w, off + 8 * w + 8), at + 8 * w);
    for (let i = 8 * words; i < len; i++) page[at + i] = page[off + i] ?? 0;
    return;
  }
  frames.writableBytes(to).set(source.subarray(off, off + len), at);
}

/** The DOMID_SELF rule for one side: only DOMID_SELF may name a gmfn. Checked for every element
 * (`lockedAnew`: whether this element locked its domains, or found the pair cached), just before
 * the side's buffer (XSA-523, as Debian's 4.17.7+13 has it). */
export function copySelfRule(ptr: CopyPtr, gref: boolean, _lockedAnew: boolean): number {
  return ptr.domid !== DOMID_SELF && !gref ? GNTST_permission_denied : GNTST_okay;
}

/** gnttab_copy_one: both domains locked if the pair changed, then per side the DOMID_SELF rule
 * and the buffer, then the bytes. */
export function* gnttabCopyOne(
  xen: Hypervisor,
  caller: DomId,
  op: CopyArgs,
  dest: CopyBuf,
  src: CopyBuf,
): Steps<number> {
  const srcGref = (op.flags & GNTCOPY_source_gref) !== 0;
  const destGref = (op.flags & GNTCOPY_dest_gref) !== 0;
  const lockedAnew =
    src.domain === undefined ||
    op.source.domid !== src.domid ||
    dest.domain === undefined ||
    op.dest.domid !== dest.domid;
  if (lockedAnew) {
    yield* copyReleaseBuf(xen, src);
    yield* copyReleaseBuf(xen, dest);
    unlockDomains(src, dest);
    const rc = lockDomains(xen, caller, op, src, dest);
    if (rc !== GNTST_okay) return rc;
  }
  let rc = xen.parts.copySelfRule(op.source, srcGref, lockedAnew);
  if (rc !== GNTST_okay) return rc;
  if (!copyBufValid(op.source, src, srcGref)) {
    yield* copyReleaseBuf(xen, src);
    rc = yield* claimBuf(xen, caller, op, op.source, src, GNTCOPY_source_gref);
    if (rc !== GNTST_okay) return rc;
  }
  rc = xen.parts.copySelfRule(op.dest, destGref, lockedAnew);
  if (rc !== GNTST_okay) return rc;
  if (!copyBufValid(op.dest, dest, destGref)) {
    yield* copyReleaseBuf(xen, dest);
    rc = yield* claimBuf(xen, caller, op, op.dest, dest, GNTCOPY_dest_gref);
    if (rc !== GNTST_okay) return rc;
  }
  return copyBuf(xen, caller, op, dest, src);
}

/** gnttab_copy: each element in turn; a failing one releases both buffers; at the end both
 * are released and both domains unlocked. */
export function* gnttabCopy(
  xen: Hypervisor,
  caller: DomId,
  batch: readonly CopyArgs[],
): Steps<CopyResult> {
  const src = emptyCopyBuf();
  const dest = emptyCopyBuf();
  const statuses: number[] = [];
  for (const op of batch) {
    const rc = yield* xen.parts.gnttabCopyOne(xen, caller, op, dest, src);
    if (rc !== GNTST_okay) {
      yield* copyReleaseBuf(xen, src);
      yield* copyReleaseBuf(xen, dest);
    }
    statuses.push(rc);
  }
  yield* copyReleaseBuf(xen, src);
  yield* copyReleaseBuf(xen, dest);
  unlockDomains(src, dest);
  return { kind: 'copy', statuses };
}
