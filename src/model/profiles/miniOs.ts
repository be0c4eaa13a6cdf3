// Profile `mini-os`: Mini-OS gnttab.c (xen-project/mini-os; docs/guest-libraries.md §3). The
// free list is a stack headed in slot 0 of gnttab_list: init_gnttab pushes 8..size-1, so the
// top ref comes out first, and a freed ref comes back first (LIFO). A counting semaphore
// guards it (7c41827, b99e537): with none left, gnttab_grant_access sleeps in down(), which a
// single-threaded harness models as `would_block` with nothing changed. There is no free call:
// only a successful gnttab_end_access puts the ref back. gnttab_grant_access is alloc_refs 1
// (get_free_entry) followed by grant_access of that ref, so that ops name refs concretely.

import type { AllocRefsOp, EndAccessOp } from '../../ops/op.ts';
import type { AllocRefsResult, EndAccessResult } from '../../ops/result.ts';
import { GNTTAB_NR_RESERVED_ENTRIES } from '../../xen/abi.ts';
import type { ModelState } from '../state.ts';
import {
  editGuest,
  grantByPlainStore,
  endIfIdle,
  isHeld,
  type LibraryView,
  type Out,
} from './library.ts';

/** get_free_entry: down(&gnttab_sem), then pop the stack's head. One ref per call. */
export function allocRefs(
  state: ModelState,
  v: LibraryView,
  op: AllocRefsOp,
): Out<AllocRefsResult> {
  const g = v.guest;
  if (op.count !== 1) return { state, result: { kind: 'alloc_refs', outcome: 'einval' } };
  const ref = g.free[0];
  if (ref === undefined) return { state, result: { kind: 'alloc_refs', outcome: 'would_block' } };
  return {
    state: editGuest(state, op.dom, (d) => {
      d.free = g.free.slice(1);
    }),
    result: { kind: 'alloc_refs', outcome: 'ok', refs: [ref] },
  };
}

/** The rest of gnttab_grant_access: frame, domid, wmb, flags; it never fails. */
export const grantAccess = grantByPlainStore;

/** gnttab_end_access: BUG outside [8, size); 0 with a warning while in use (ref kept); else the
 * flags go to 0, put_free_entry pushes the ref, and 1. A never-granted ref gives 1 and is
 * pushed (a ref already free is then on the stack twice: the driver contract rules it out). */
export function endAccess(
  state: ModelState,
  v: LibraryView,
  op: EndAccessOp,
): Out<EndAccessResult> {
  const g = v.guest;
  if (!Number.isInteger(op.ref) || op.ref < GNTTAB_NR_RESERVED_ENTRIES || op.ref >= g.size) {
    return { state, result: { kind: 'end_access', outcome: 'crash' } };
  }
  if (g.contract && !isHeld(g, op.ref)) {
    return { state, result: { kind: 'end_access', outcome: 'contract' } };
  }
  return endIfIdle(state, v, op, (d) => {
    d.free = [op.ref, ...g.free]; // put_free_entry: pushed on the stack
  });
}
