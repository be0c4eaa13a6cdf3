// Results only concurrency produces, and what explains them. Xen pins an entry for the length
// of some hypercalls only: a copy holds its source or destination pin (and GTF_reading, with
// GTF_writing for a destination) from acquire_grant_for_copy to release_grant_for_copy, and a
// map that fails after _set_status holds its bits until its undo (grant_table.c map_grant_ref's
// unlock_out_clear and undo_out). A guest ending access in that window is told "in use"
// (gnttab_end_foreign_access_ref_v1 sees GTF_reading), and a swap_grant_ref of the entry gets
// GNTST_eagain, and a GNTTABOP_transfer of the granted page finds it still referenced
// (steal_page refuses: GNTST_bad_page); in no sequential order can these happen, since before and
// after the hypercall the entry is free. The model's promise for concurrent callers (docs/semantics.md, "Concurrent
// callers"): such a result, with nothing changed, is correct while a hypercall that pinned that
// entry (the run records which entries each op's compare-and-swaps set GTF_reading on) overlaps
// it in real time. A batch is judged whole: every element must be such a result.

import type { DomId, Ref } from '../ops/op.ts';
import { GNTST_bad_page, GNTST_eagain } from '../xen/abi.ts';
import type { CompletedOp, TransientRule } from './linearize.ts';

/** Did `other` pin domain `dom`'s entry `ref` (set GTF_reading on it) at some point? */
function pinned(other: CompletedOp, dom: DomId, ref: Ref): boolean {
  return other.pinned?.includes(`d${dom}:${ref}`) ?? false;
}

/** Did `other` pin some entry of domain `dom`'s table? */
function pinnedAnyOf(other: CompletedOp, dom: DomId): boolean {
  return other.pinned?.some((e) => e.startsWith(`d${dom}:`)) ?? false;
}

export const transientlyBusy: TransientRule = (c: CompletedOp, other: CompletedOp): boolean => {
  const overlap = other.invoked < c.returned && c.invoked < other.returned;
  if (!overlap) return false;
  if (c.op.kind === 'end_access' && c.result.kind === 'end_access') {
    return c.result.outcome === 'in_use' && pinned(other, c.op.dom, c.op.ref);
  }
  if (c.op.kind === 'transfer' && c.result.kind === 'transfer') {
    // The page reference a copy or map takes on a granted frame of the sender's (which of its
    // entries names the transferred gfn is state this rule does not look at).
    const { caller } = c.op;
    return (
      c.result.statuses.length > 0 &&
      c.result.statuses.every((s) => s === GNTST_bad_page) &&
      pinnedAnyOf(other, caller)
    );
  }
  if (c.op.kind === 'swap_grant_ref' && c.result.kind === 'swap_grant_ref') {
    const { caller } = c.op;
    return (
      c.result.statuses.length > 0 &&
      c.result.statuses.every((s) => s === GNTST_eagain) &&
      c.op.batch.every((e) => pinned(other, caller, e.refA) || pinned(other, caller, e.refB))
    );
  }
  return false;
};
