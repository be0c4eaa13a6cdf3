// Results only concurrency produces, and what explains them. Xen pins an entry for the length
// of some hypercalls only: a copy holds its source or destination pin (and GTF_reading, with
// GTF_writing for a destination) from acquire_grant_for_copy to release_grant_for_copy, and a
// map that fails after _set_status holds its bits until its undo (grant_table.c map_grant_ref's
// unlock_out_clear and undo_out). A guest ending access in that window is told "in use"
// (gnttab_end_foreign_access_ref_v1 sees GTF_reading), and a swap_grant_ref of the entry gets
// GNTST_eagain, and a GNTTABOP_transfer of the granted page finds it still referenced
// (steal_page refuses: GNTST_bad_page); in no sequential order can these happen, since before and
// after the hypercall the entry is free. The model's promise for concurrent callers
// (docs/semantics.md, "Concurrent callers"): such a result, with nothing changed, is correct
// while a hypercall that pinned that entry (the run records which entries each op's
// compare-and-swaps set GTF_reading on) overlaps it in real time. A batch is judged element by
// element: those with such a result did nothing, and the rest must be what the model gives.

import type { DomId, Op, Ref } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';
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

/** The batch op `c` less the elements `explained` says did nothing. */
function withoutExplained<E, S>(
  batch: readonly E[],
  statuses: readonly S[],
  explained: (element: E, status: S) => boolean,
  rebuild: (batch: E[], statuses: S[]) => { op: Op; result: OpResult },
): ReturnType<TransientRule> {
  const kept: E[] = [];
  const keptStatuses: S[] = [];
  batch.forEach((element, i) => {
    const status = statuses[i] as S;
    if (explained(element, status)) return;
    kept.push(element);
    keptStatuses.push(status);
  });
  if (kept.length === batch.length) return undefined;
  return kept.length === 0 ? 'no-op' : rebuild(kept, keptStatuses);
}

export const transientlyBusy: TransientRule = (c, history) => {
  const overlapping = history.filter(
    (o) => o !== c && o.invoked < c.returned && c.invoked < o.returned,
  );
  if (overlapping.length === 0) return undefined;
  if (c.op.kind === 'end_access' && c.result.kind === 'end_access') {
    const { dom, ref } = c.op;
    const busy = c.result.outcome === 'in_use' && overlapping.some((o) => pinned(o, dom, ref));
    return busy ? 'no-op' : undefined;
  }
  if (c.op.kind === 'transfer' && c.result.kind === 'transfer') {
    // The page reference a copy or map takes on a granted frame of the sender's (which of its
    // entries names the transferred gfn is state this rule does not look at).
    const op = c.op;
    const result = c.result;
    const referenced = overlapping.some((o) => pinnedAnyOf(o, op.caller));
    return withoutExplained(
      op.batch,
      result.statuses,
      (_, status) => referenced && status === GNTST_bad_page,
      (batch, statuses) => ({ op: { ...op, batch }, result: { ...result, statuses } }),
    );
  }
  if (c.op.kind === 'swap_grant_ref' && c.result.kind === 'swap_grant_ref') {
    const op = c.op;
    const result = c.result;
    return withoutExplained(
      op.batch,
      result.statuses,
      (e, status) =>
        status === GNTST_eagain &&
        overlapping.some((o) => pinned(o, op.caller, e.refA) || pinned(o, op.caller, e.refB)),
      (batch, statuses) => ({ op: { ...op, batch }, result: { ...result, statuses } }),
    );
  }
  return undefined;
};
