// GNTTABOP_transfer: gnttab_transfer (L2254-2495) gives a page of the caller to the
// receiver's accept_transfer entry; gnttab_prepare_for_transfer (L2191-2252) commits the entry.
// Commit order as the receiver sees it: committed, frame := MFN, barrier, completed.

import type { XenDomain } from './domain.ts';
import type { DomId, Ref, TransferArgs } from '../../ops/op.ts';
import type { TransferResult } from '../../ops/result.ts';
import {
  GNTST_bad_domain,
  GNTST_bad_page,
  GNTST_general_error,
  GNTST_okay,
  GTF_accept_transfer,
  GTF_transfer_committed,
  GTF_transfer_completed,
} from '../../xen/abi.ts';
import type { SharedGrantMemory } from '../sharedMemory.ts';
import { combo, comboDomid, comboFlags } from '../sharedMemory.ts';
import { pausing, type Steps } from '../steps.ts';
import { eachElement } from '../steps.ts';
import { DOMDYING_alive, mapWith, mapWithout } from './domain.ts';
import type { Hypervisor } from './hypervisor.ts';
import { assignPages, EINVAL, freeDomheapPage } from './mm.ts';

/** At most this many failed cmpxchg attempts (`retries++ == 4`, L2234). */
const PREPARE_MAX_RETRIES = 4;

/** gnttab_prepare_for_transfer's test of the receiver's flags+domid word (L2191-2252):
 * flags exactly GTF_accept_transfer (no other bit, so not already committed), domid
 * the sender `ld`. */
export function transferEntryAccepts(scombo: number, ld: DomId): boolean {
  return comboFlags(scombo) === GTF_accept_transfer && comboDomid(scombo) === ld;
}

/** gnttab_prepare_for_transfer(rd, ld, ref): while the entry passes the test above, cmpxchg
 * GTF_transfer_committed into its flags+domid word. */
export function* prepareForTransfer(
  xen: Hypervisor,
  rd: DomId,
  ld: DomId,
  ref: Ref,
): Steps<boolean> {
  const e = xen.domain(rd);
  const rgt = e.grantTable;
  if (pausing) yield e.locks.grantReadLock; // L2200
  const committed = yield* commitEntry(xen, rgt.shared, rgt.nrGrantEntries, ld, ref);
  if (pausing) yield e.locks.grantReadUnlock;
  return committed;
}

/** gnttab_prepare_for_transfer's loop, under the receiver's read lock. */
function* commitEntry(
  xen: Hypervisor,
  shared: SharedGrantMemory,
  nrEntries: number,
  ld: DomId,
  ref: Ref,
): Steps<boolean> {
  if (ref >= nrEntries) return false; // bad ref: general_error, not bad_gntref
  if (pausing) yield shared.before('loadCombo', ref);
  let scombo = shared.loadCombo(ref);
  for (let retries = 0; ; retries++) {
    if (!xen.parts.transferEntryAccepts(scombo, ld)) return false;
    const desired = combo(comboFlags(scombo) | GTF_transfer_committed, comboDomid(scombo));
    if (pausing) yield shared.before('cmpxchgCombo', ref);
    const prev = shared.cmpxchgCombo(ref, scombo, desired);
    if (prev === scombo) return true;
    if (retries === PREPARE_MAX_RETRIES) return false; // unstable entry; unreachable sequentially
    scombo = prev;
  }
}

/** One element of gnttab_transfer, by the caller `d`. */
export function* gnttabTransferOne(xen: Hypervisor, d: DomId, gop: TransferArgs): Steps<number> {
  // get_gfn_unshare (L2290) to put_gfn (L2442) takes no lock here: every sender is PV (a PV
  // guest's get_gfn takes none: asm/p2m.h _get_gfn_type_access; a translated sender's steal_page
  // is -EOPNOTSUPP before any grant lock), whatever its frame numbering. Holding the sender's
  // p2m lock across the commit, as a translated guest's would be, made a lock cycle with a
  // receiver's completion (grant, then p2m) that Xen cannot have.
  const committed = yield* stealAndCommit(xen, d, gop);
  if (typeof committed === 'number') return committed;
  const { e, mfn } = committed;

  // L2457-2475: tell the receiver about its new page, under its grant lock and the entry's.
  const shared = e.grantTable.shared;
  if (pausing) yield e.locks.grantReadLock; // L2448-2449
  if (pausing) yield e.locks.activeEntryAcquire(gop.ref);
  if (pausing) yield shared.before('loadFrame', gop.ref);
  const gfn = shared.loadFrame(gop.ref);
  // guest_physmap_add_page(e, gfn, mfn): a PV receiver's is only the m2p, so it names the page by
  // its MFN
  if (!e.pv && pausing) yield e.locks.p2mLock; // a PV receiver's add only sets the m2p
  e.p2m = mapWith(e.p2m, e.pv ? mfn : gfn, mfn);
  if (!e.pv && pausing) yield e.locks.p2mUnlock;
  if (pausing) yield shared.before('storeFrame', gop.ref);
  shared.storeFrame(gop.ref, mfn); // a PV receiver is told the MFN
  // smp_wmb(); then a plain read-modify-write, not atomic (the guest may not touch it now).
  if (pausing) yield shared.before('loadFlags', gop.ref);
  const flags = shared.loadFlags(gop.ref);
  if (pausing) yield shared.before('storeFlags', gop.ref);
  shared.storeFlags(gop.ref, flags | GTF_transfer_completed);
  if (pausing) yield e.locks.activeEntryRelease(gop.ref); // L2478-2479
  if (pausing) yield e.locks.grantReadUnlock;
  return GNTST_okay;
}

/** gnttab_transfer: each element in turn. */
export function gnttabTransfer(
  xen: Hypervisor,
  d: DomId,
  batch: readonly TransferArgs[],
): Steps<TransferResult> {
  return eachElement(
    batch,
    (gop) => gnttabTransferOne(xen, d, gop),
    (statuses): TransferResult => ({ kind: 'transfer', statuses }),
  );
}

/** gnttab_transfer's `e->is_dying` test (L2383): a dying domain must not gain a page. */
export function transferReceiverDying(e: XenDomain): boolean {
  return e.isDying !== DOMDYING_alive;
}

/** gnttab_transfer L2383-2385 (the check XSA-385 hardened): may the receiver take one more page?
 * Refused at max_pages, or if tot_pages + 1 would overflow. */
export function receiverAtPageLimit(e: XenDomain): boolean {
  return e.totPages >= e.maxPages || e.totPages + 1 > 0xffffffff;
}

/** gnttab_transfer L2290-2442 (no p2m lock for a PV sender): the page stolen and removed from
 * the sender, the receiver's page reserved and its entry committed, the page assigned; or the
 * element's failing status. */
function* stealAndCommit(
  xen: Hypervisor,
  d: DomId,
  gop: TransferArgs,
): Steps<number | { readonly e: XenDomain; readonly mfn: number }> {
  const parts = xen.parts;
  const sender = xen.domain(d);
  // L2286-2307 (get_gfn_unshare): the gfn is not backed
  const mfn = sender.p2m.get(gop.gfn);
  if (mfn === undefined || !xen.frames.valid(mfn)) return GNTST_bad_page;

  const rc = parts.stealPage(xen, d, mfn);
  // gnttab_transfer L2310: steal_page refused (-EINVAL: not exactly the base references)
  if (rc < 0) return rc === EINVAL ? GNTST_bad_page : GNTST_general_error;

  // guest_physmap_remove_page (L2319-2328) cannot fail here. From now on a failure frees the page.
  sender.p2m = mapWithout(sender.p2m, gop.gfn);

  const e = xen.rcuLockDomainById(gop.domid);
  if (e === undefined) {
    freeDomheapPage(xen, mfn);
    // gnttab_transfer L2331: no such receiver
    return GNTST_bad_domain;
  }
  // (L2338-2350: xsm_grant_transfer allows. L2352-2374: every MFN fits in 32+12 bits, so no
  // low-memory copy and no GNTST_address_too_big.)

  if (pausing) yield e.locks.pageAllocLock; // L2376
  // gnttab_transfer L2383: the receiver is dying (docs/semantics.md §17), or at max_pages
  if (parts.transferReceiverDying(e) || parts.receiverAtPageLimit(e)) {
    if (pausing) yield e.locks.pageAllocUnlock;
    freeDomheapPage(xen, mfn);
    return GNTST_general_error;
  }
  e.totPages += 1; // reserve (L2401-2403)
  // L2405-2411: dropped before gnttab_prepare_for_transfer takes e's grant lock (XSA-73)
  if (pausing) yield e.locks.pageAllocUnlock;

  if (!(yield* parts.prepareForTransfer(xen, e.id, d, gop.ref))) {
    if (pausing) yield e.locks.pageAllocLock; // L2418-2429
    e.totPages -= 1;
    if (pausing) yield e.locks.pageAllocUnlock;
    freeDomheapPage(xen, mfn);
    // gnttab_transfer L2418: gnttab_prepare_for_transfer refused (bad ref, flags, or domid)
    return GNTST_general_error;
  }
  assignPages(xen, mfn, e.id); // cannot fail here (receiver not dying, limit checked)
  // Ghost (docs/semantics.md §15): the frame, bytes and all, may flow to the receiver; the
  // sender's grants of it end.
  xen.frames.transferred(mfn, e.id);
  return { e, mfn };
}
