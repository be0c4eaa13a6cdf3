// GNTTABOP_copy: gnttab_copy() (grant_table.c, Xen 4.17.7) element by element, for a PV caller
// and v1 grant tables, with its per-hypercall cache of one source and one destination buffer
// (struct gnttab_copy_buf): which checks a repeated element skips is part of the semantics.
// docs/semantics.md §14.

import type { CopyArgs, CopyOp, CopyPtr, DomId, Mfn } from '../../ops/op.ts';
import type { CopyResult } from '../../ops/result.ts';
import {
  DOMID_SELF,
  GNTCOPY_dest_gref,
  GNTCOPY_source_gref,
  GNTST_bad_copy_arg,
  GNTST_bad_domain,
  GNTST_bad_gntref,
  GNTST_bad_page,
  GNTST_general_error,
  GNTST_okay,
  GNTST_permission_denied,
  PAGE_SIZE,
} from '../../xen/abi.ts';
import { memcpyWithinPage, readRuns, writeRuns } from '../contents.ts';
import { withPermit, withStore } from '../flow.ts';
import { entryAt } from '../entry.ts';
import { domainAt, isIndex, nrEntries } from '../lookup.ts';
import type { PinCounts } from '../pins.ts';
import { NO_PINS, addPins, subtractPins, totalPins, wouldOverflow, writablePins } from '../pins.ts';
import type { ActiveGrant, ModelState, SharedEntry } from '../state.ts';
import { reduceStatusForPin, setStatusV1 } from '../status.ts';
import {
  activeGrant,
  editDomain,
  editState,
  mapWith,
  mapWithout,
  withActive,
  withEntry,
} from '../update.ts';

/** One cached side (struct gnttab_copy_buf): the domain locked for it (`domid` as the element
 * gave it, the cache key) and, once claimed, what it holds. */
interface Buf {
  readonly domain: DomId | undefined; // the locked domain; undefined: none
  readonly domid: number; // ptr.domid as given (DOMID_SELF stays DOMID_SELF)
  readonly claim: Claim | undefined; // undefined: nothing mapped (buf->virt == NULL)
}

interface Claim {
  readonly u: number; // ptr.u: the ref or gmfn it was claimed for
  readonly grant: boolean; // have_grant: a pin on `domain`'s ref `u`
  readonly mfn: Mfn;
}

const EMPTY: Buf = { domain: undefined, domid: -1, claim: undefined };

const HSTR: PinCounts = { ...NO_PINS, hostReadonly: 1 };
const HSTW: PinCounts = { ...NO_PINS, hostWritable: 1 };

interface Batch {
  state: ModelState;
  src: Buf;
  dest: Buf;
}

export function copy(state: ModelState, op: CopyOp): { state: ModelState; result: CopyResult } {
  const b: Batch = { state, src: EMPTY, dest: EMPTY };
  const statuses: number[] = [];
  for (const args of op.batch) {
    const rc = copyOne(b, op.caller, args);
    // gnttab_copy: a failing element releases both buffers (not the domain locks)
    if (rc !== GNTST_okay) {
      b.src = release(b, b.src, true);
      b.dest = release(b, b.dest, false);
    }
    statuses.push(rc);
  }
  // after the loop: release both buffers, unlock both domains
  release(b, b.src, true);
  release(b, b.dest, false);
  return { state: b.state, result: { kind: 'copy', statuses } };
}

/** gnttab_copy_release_buf: drop the claim (release_grant_for_copy for a grant); the domain
 * stays locked. */
function release(b: Batch, buf: Buf, readonly: boolean): Buf {
  const claim = buf.claim;
  if (claim === undefined) return buf;
  if (claim.grant && buf.domain !== undefined) {
    b.state = releaseGrantForCopy(b.state, buf.domain, claim.u, readonly);
  }
  return { domain: buf.domain, domid: buf.domid, claim: undefined };
}

/** release_grant_for_copy: the pin comes off, and reduce_status_for_pin clears what the pins
 * left no longer justify. */
function releaseGrantForCopy(
  state: ModelState,
  rd: DomId,
  ref: number,
  readonly: boolean,
): ModelState {
  const act = domainAt(state, rd)?.grantTable.active.get(ref);
  if (act === undefined) return state; // not reachable: the claim holds a pin
  return editDomain(state, rd, (d) => {
    const pins = subtractPins(act, readonly ? HSTR : HSTW);
    const active =
      totalPins(pins) === 0
        ? mapWithout(d.grantTable.active, ref)
        : mapWith(d.grantTable.active, ref, activeGrant(act.grantee, act.mfn, pins));
    const entry = reduceStatusForPin(entryAt(d.grantTable, ref), pins, readonly);
    d.grantTable = withActive(withEntry(d.grantTable, ref, entry), active);
  });
}

/** The DOMID_SELF rule: only DOMID_SELF may name a gmfn. */
function gmfnNotSelf(ptr: CopyPtr, gref: boolean): boolean {
  return ptr.domid !== DOMID_SELF && !gref;
}

/** gnttab_copy_lock_domain: rcu_lock_domain_by_any_id (DOMID_SELF is the caller). */
function lockDomain(state: ModelState, caller: DomId, domid: number): DomId | undefined {
  return domainAt(state, domid === DOMID_SELF ? caller : domid)?.id;
}

function copyOne(b: Batch, caller: DomId, args: CopyArgs): number {
  const srcGref = (args.flags & GNTCOPY_source_gref) !== 0;
  const destGref = (args.flags & GNTCOPY_dest_gref) !== 0;

  // gnttab_copy_one: a new domain pair releases both buffers and locks both domains again
  // (gnttab_copy_lock_domains: source lookup, dest lookup, XSM allows)
  if (
    b.src.domain === undefined ||
    args.source.domid !== b.src.domid ||
    b.dest.domain === undefined ||
    args.dest.domid !== b.dest.domid
  ) {
    b.src = release(b, b.src, true);
    b.dest = release(b, b.dest, false);
    b.src = EMPTY;
    b.dest = EMPTY;
    const sd = lockDomain(b.state, caller, args.source.domid);
    if (sd === undefined) return GNTST_bad_domain;
    const dd = lockDomain(b.state, caller, args.dest.domid);
    if (dd === undefined) return GNTST_bad_domain;
    b.src = { domain: sd, domid: args.source.domid, claim: undefined };
    b.dest = { domain: dd, domid: args.dest.domid, claim: undefined };
  }

  // The DOMID_SELF rule, for every element and each side just before its buffer (XSA-523, as
  // Debian's 4.17.7+13 has it; checked on real Xen: after both domains are locked, the source's
  // rule and claim before the destination's rule, also when the buffer is still valid).
  if (gmfnNotSelf(args.source, srcGref)) return GNTST_permission_denied;
  // "Different source?" gnttab_copy_buf_valid: a gref side hits on the same ref held as a
  // grant; a gmfn side on the same number, whatever kind the buffer holds.
  if (!bufValid(args.source.u, b.src, srcGref)) {
    b.src = release(b, b.src, true);
    const rc = claimBuf(b, caller, args.source.u, true, srcGref);
    if (rc !== GNTST_okay) return rc;
  }
  if (gmfnNotSelf(args.dest, destGref)) return GNTST_permission_denied;
  if (!bufValid(args.dest.u, b.dest, destGref)) {
    b.dest = release(b, b.dest, false);
    const rc = claimBuf(b, caller, args.dest.u, false, destGref);
    if (rc !== GNTST_okay) return rc;
  }

  // gnttab_copy_buf: within the page (bad_copy_arg); within the buffers' windows (general_error,
  // unreachable for v1: every window is the whole page); then the bytes.
  const { source, dest, len } = args;
  if (source.offset + len > PAGE_SIZE || dest.offset + len > PAGE_SIZE) return GNTST_bad_copy_arg;
  const from = b.src.claim;
  const to = b.dest.claim;
  if (from === undefined || to === undefined) return GNTST_general_error; // not reachable
  // Xen's x86 memcpy (xen/arch/x86/string.c): forward, 8 bytes at a time, then byte by byte;
  // where the ranges overlap in one frame, what it has just written is read again
  const page =
    from.mfn === to.mfn
      ? memcpyWithinPage(b.state.contents.get(to.mfn), source.offset, dest.offset, len)
      : writeRuns(
          b.state.contents.get(to.mfn),
          dest.offset,
          len,
          readRuns(b.state.contents.get(from.mfn), source.offset, len),
        );
  const contents =
    page === undefined
      ? mapWithout(b.state.contents, to.mfn)
      : mapWith(b.state.contents, to.mfn, page);
  if (contents !== b.state.contents) {
    b.state = editState(b.state, (s) => {
      s.contents = contents;
    });
  }
  if (len > 0) {
    // Ghost (docs/semantics.md §15): the caller stored bytes of the source frame into the
    // destination; a side it holds through a grant (also a gmfn side that reused a granted
    // buffer) permits the flow of that frame to it (source) or from it (destination).
    b.state = withStore(b.state, to.mfn, from.mfn, caller);
    if (from.grant) b.state = withPermit(b.state, from.mfn, caller, false);
    if (to.grant) b.state = withPermit(b.state, to.mfn, caller, true);
  }
  return GNTST_okay;
}

function bufValid(u: number, buf: Buf, gref: boolean): boolean {
  const claim = buf.claim;
  if (claim === undefined) return false;
  return gref ? claim.grant && claim.u === u : claim.u === u;
}

/** gnttab_copy_claim_buf: acquire_grant_for_copy for a gref, get_paged_frame for a gmfn; a
 * destination also takes a writable type reference (always granted here: no page tables). */
function claimBuf(b: Batch, caller: DomId, u: number, readonly: boolean, gref: boolean): number {
  const buf = readonly ? b.src : b.dest;
  const rd = buf.domain;
  if (rd === undefined) return GNTST_general_error; // not reachable: locked above
  let mfn: Mfn;
  if (gref) {
    const acquired = acquireGrantForCopy(b.state, rd, u, caller, readonly);
    b.state = acquired.state;
    if (acquired.mfn === undefined) return acquired.status;
    mfn = acquired.mfn;
  } else {
    // get_paged_frame: the gmfn must be a page the (locked) domain owns
    const found = domainAt(b.state, rd)?.p2m.get(u);
    if (found === undefined) return GNTST_bad_page;
    mfn = found;
  }
  const claimed: Buf = { domain: buf.domain, domid: buf.domid, claim: { u, grant: gref, mfn } };
  if (readonly) b.src = claimed;
  else b.dest = claimed;
  return GNTST_okay;
}

/** A claim's outcome: the state (with what a failure leaves behind), its status, and on
 * success the frame. */
interface Acquired {
  readonly state: ModelState;
  readonly status: number;
  readonly mfn?: Mfn;
}

/** acquire_grant_for_copy for a v1 entry (no transitive grants, no sub-page windows): the pin,
 * the status bits and the frame, or a status with the entry as it was. */
function acquireGrantForCopy(
  state: ModelState,
  rd: DomId,
  ref: number,
  ldom: DomId,
  readonly: boolean,
): Acquired {
  const granter = domainAt(state, rd);
  if (granter === undefined) return { state, status: GNTST_bad_domain }; // not reachable
  const table = granter.grantTable;
  // ref beyond the table → bad_gntref
  if (!isIndex(ref, nrEntries(table))) return { state, status: GNTST_bad_gntref };
  const inc = readonly ? HSTR : HSTW;
  const act = table.active.get(ref);
  // pinned by another domain, or the counter to increment at 128 → general_error
  if (act !== undefined && (act.grantee !== ldom || wouldOverflow(act, inc))) {
    return { state, status: GNTST_general_error };
  }
  const entry = entryAt(table, ref);
  let pinned: ActiveGrant;
  let marked = entry;
  if (act === undefined || (!readonly && writablePins(act) === 0)) {
    // _set_status_v1 with mapflag 0: GTF_sub_page is not looked at
    const set = setStatusV1(entry, act !== undefined, !readonly, ldom, false);
    if (set === undefined) return { state, status: GNTST_general_error };
    marked = set;
    // get_paged_frame(sha->frame): a page the granter owns, else bad_page; the bits set above
    // are reduced again (unlock_out_clear)
    const grantMfn = granter.p2m.get(marked.frame);
    if (grantMfn === undefined) {
      const cleared = reduceStatusForPin(marked, act ?? NO_PINS, readonly);
      return failWith(state, rd, ref, cleared, GNTST_bad_page);
    }
    if (act === undefined) {
      pinned = activeGrant(ldom, grantMfn, addPins(NO_PINS, inc));
    } else if (act.mfn !== grantMfn) {
      // a write upgrade of a pinned entry whose frame the granter changed since (XSA-500's check)
      const cleared = reduceStatusForPin(marked, act, readonly);
      return failWith(state, rd, ref, cleared, GNTST_general_error);
    } else {
      pinned = activeGrant(act.grantee, act.mfn, addPins(act, inc));
    }
  } else {
    // pinned, and no new status bit needed: the frame is act->mfn; its owner must be rd, and
    // rd not dying (L2830 `td != rd || rd->is_dying`, §17)
    if (state.frameOwner.get(act.mfn) !== rd || granter.death !== undefined) {
      const cleared = reduceStatusForPin(marked, act, readonly);
      return failWith(state, rd, ref, cleared, GNTST_bad_domain);
    }
    pinned = activeGrant(act.grantee, act.mfn, addPins(act, inc));
  }
  const next = editDomain(state, rd, (d) => {
    d.grantTable = withActive(
      withEntry(d.grantTable, ref, marked),
      mapWith(d.grantTable.active, ref, pinned),
    );
  });
  return { state: next, status: GNTST_okay, mfn: pinned.mfn };
}

/** A claim that failed after _set_status reduced the bits it set: the entry stays so. */
function failWith(
  state: ModelState,
  rd: DomId,
  ref: number,
  entry: SharedEntry,
  status: number,
): Acquired {
  const next = editDomain(state, rd, (d) => {
    d.grantTable = withEntry(d.grantTable, ref, entry);
  });
  return { state: next, status };
}
