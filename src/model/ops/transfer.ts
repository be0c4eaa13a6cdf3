// GNTTABOP_transfer: gnttab_transfer() (grant_table.c L2254-2495) with
// gnttab_prepare_for_transfer() (L2191-2252), PV caller and PV receiver. docs/semantics.md §7.

import { withTransferred, withoutFrame } from '../flow.ts';
import type { DomId, TransferArgs, TransferOp } from '../../ops/op.ts';
import type { TransferResult } from '../../ops/result.ts';
import {
  GNTST_bad_domain,
  GNTST_bad_page,
  GNTST_general_error,
  GNTST_okay,
  GTF_transfer_committed,
  GTF_transfer_completed,
} from '../../xen/abi.ts';
import { entryAt, isOpenForTransfer } from '../entry.ts';
import { domainAt, isIndex, isPageMapped, nrEntries } from '../lookup.ts';
import type { ModelState } from '../state.ts';
import { domainDraft, mapWith, mapWithout, stateDraft, withDomain, withEntry } from '../update.ts';

export function transfer(
  state: ModelState,
  op: TransferOp,
): { state: ModelState; result: TransferResult } {
  const statuses: number[] = [];
  let current = state;
  for (const args of op.batch) {
    const element = transferOne(current, op.caller, args);
    current = element.state;
    statuses.push(element.status);
  }
  return { state: current, result: { kind: 'transfer', statuses } };
}

/** Every failure after the steal frees the page: it has no owner any more. */
function lost(
  stolen: ModelState,
  mfn: number,
  status: number,
): { state: ModelState; status: number } {
  // free_domheap_pages scrubs an ownerless page (common/page_alloc.c: `scrub = 1` for d == NULL)
  const freed = withoutFrame(stolen, mfn); // ghost (§15): no labels, no permits
  const s = stateDraft(freed);
  s.frameOwner = mapWithout(stolen.frameOwner, mfn);
  s.contents = mapWithout(stolen.contents, mfn);
  return { state: s, status };
}

function transferOne(
  state: ModelState,
  caller: DomId,
  args: TransferArgs,
): { state: ModelState; status: number } {
  const sender = domainAt(state, caller);
  // Not a Xen path: a domain that does not exist cannot issue hypercalls (opProblem rejects it).
  if (sender === undefined) return { state, status: GNTST_bad_domain };
  const mfn = sender.p2m.get(args.gfn);
  // L2286-2307: the gfn is not backed → bad_page, nothing changes
  if (mfn === undefined) return { state, status: GNTST_bad_page };
  // steal_page (x86 mm.c L4376-4460): any reference beyond the two base ones → -EINVAL → bad_page
  if (isPageMapped(state, mfn)) return { state, status: GNTST_bad_page };

  // The page leaves the sender (steal_page, guest_physmap_remove_page L2309-2328).
  const robbed = domainDraft(sender);
  robbed.totPages = sender.totPages - 1;
  robbed.p2m = mapWithout(sender.p2m, args.gfn);
  const stolen = withDomain(state, caller, robbed);
  // From here on every failure frees the page.
  // Read after the steal: a self-transfer sees its own tot_pages already lowered.
  const receiver = domainAt(stolen, args.domid);
  // L2330-2336: unknown receiver (DOMID_SELF is not accepted) → bad_domain
  if (receiver === undefined) return lost(stolen, mfn, GNTST_bad_domain);
  // L2383-2398: the receiver is dying (e->is_dying, §17) or at max_pages → general_error
  if (receiver.death !== undefined) return lost(stolen, mfn, GNTST_general_error);
  // Xen tests domain_tot_pages(e): tot_pages less extra_pages, the PGC_extra pages (an HVM
  // guest's vLAPIC, ioreq and vmtrace pages; none for PV), which the model never counts.
  if (receiver.totPages >= receiver.maxPages) return lost(stolen, mfn, GNTST_general_error);
  const table = receiver.grantTable;
  // gnttab_prepare_for_transfer L2191-2252: a bad ref is general_error, not bad_gntref
  if (!isIndex(args.ref, nrEntries(table))) return lost(stolen, mfn, GNTST_general_error);
  const entry = entryAt(table, args.ref);
  // flags exactly GTF_accept_transfer (an earlier commit, or any other bit, fails) and the
  // entry names the sender
  if (!isOpenForTransfer(entry) || entry.domid !== caller)
    return lost(stolen, mfn, GNTST_general_error);

  // L2412-2475: commit, assign the page, p2m(e)[sha->frame] = mfn (guest_physmap_add_page: for
  // a PV receiver only the m2p, so it names the page by its MFN); a PV receiver's entry frame
  // becomes the MFN, then GTF_transfer_completed is ORed in.
  const done = {
    flags: entry.flags | GTF_transfer_committed | GTF_transfer_completed,
    domid: entry.domid,
    frame: mfn,
  };
  const enriched = domainDraft(receiver);
  enriched.totPages = receiver.totPages + 1;
  // a page already at that gfn stays the receiver's, unreachable through the p2m
  enriched.p2m = mapWith(receiver.p2m, receiver.pv ? mfn : entry.frame, mfn);
  enriched.grantTable = withEntry(table, args.ref, done);
  const received = withDomain(stolen, receiver.id, enriched);
  // Ghost (docs/semantics.md §15): the frame, bytes and all, may flow to the receiver; the
  // sender's grants of it end.
  const flowed = stateDraft(withTransferred(received, mfn, receiver.id));
  flowed.frameOwner = mapWith(received.frameOwner, mfn, receiver.id);
  return { state: flowed, status: GNTST_okay };
}
