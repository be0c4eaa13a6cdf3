// Profile `mirage`: MirageOS mirage-xen lib/xen.ml module Export and lib/bindings/gnttab.c
// (v9.0.0; docs/guest-libraries.md §4). The free list is an OCaml Queue: 8.. ascending at init,
// a put goes to the back (FIFO), and put checks nothing. The exports array keeps each granted
// page alive until a successful end. Mirage's blocking forms (get, end_access retrying every
// 10 s) are not modelled: alloc_refs is get_n_nonblock and end_access is try_end_access
// ~release_ref:true.

import type { AllocRefsOp, EndAccessOp, FreeRefOp, GrantAccessOp } from '../../ops/op.ts';
import type {
  AllocRefsResult,
  EndAccessResult,
  FreeRefResult,
  GrantAccessResult,
} from '../../ops/result.ts';
import { GNTTAB_NR_RESERVED_ENTRIES } from '../../xen/abi.ts';
import type { ModelState } from '../state.ts';
import {
  editGuest,
  endIfIdle,
  isHeld,
  type LibraryView,
  mayGrant,
  storeGrant,
  without,
  withKey,
  type Out,
} from './library.ts';

function inTable(ref: number, size: number): boolean {
  return Number.isInteger(ref) && ref >= GNTTAB_NR_RESERVED_ENTRIES && ref < size;
}

/** Export.get_n_nonblock: all or nothing. On a shortfall the refs taken (all there were) go
 * back to the tail in reverse order, so the queue is reversed, and the result is []. */
export function allocRefs(
  state: ModelState,
  v: LibraryView,
  op: AllocRefsOp,
): Out<AllocRefsResult> {
  const g = v.guest;
  if (g.free.length < op.count) {
    return {
      state: editGuest(state, op.dom, (d) => {
        d.free = [...g.free].reverse();
      }),
      result: { kind: 'alloc_refs', outcome: 'ok', refs: [] },
    };
  }
  return {
    state: editGuest(state, op.dom, (d) => {
      d.free = g.free.slice(op.count);
    }),
    result: { kind: 'alloc_refs', outcome: 'ok', refs: g.free.slice(0, op.count) },
  };
}

/** Export.put: to the back of the queue, unchecked. Contract: a ref the driver holds and has
 * ended (reserved refs included: put does not refuse them). */
export function freeRef(state: ModelState, v: LibraryView, op: FreeRefOp): Out<FreeRefResult> {
  const g = v.guest;
  if (g.contract && (!isHeld(g, op.ref) || g.granted.has(op.ref))) {
    return { state, result: { kind: 'free_ref', outcome: 'contract' } };
  }
  return {
    state: editGuest(state, op.dom, (d) => {
      d.free = [...g.free, op.ref];
    }),
    result: { kind: 'free_ref', outcome: 'ok' },
  };
}

/** Export.grant_access: Invalid_argument "already in use" if exports has a page for the ref;
 * the stub asserts 8 <= ref < size (an abort); else the page is recorded and the entry written. */
export function grantAccess(
  state: ModelState,
  v: LibraryView,
  op: GrantAccessOp,
): Out<GrantAccessResult> {
  const g = v.guest;
  if (!inTable(op.ref, g.size))
    return { state, result: { kind: 'grant_access', outcome: 'crash' } };
  if (g.contract && !mayGrant(v, op.ref, op.gfn)) {
    return { state, result: { kind: 'grant_access', outcome: 'contract' } };
  }
  if (g.exports.has(op.ref)) return { state, result: { kind: 'grant_access', outcome: 'in_use' } };
  const written = storeGrant(state, op.dom, op.ref, op.grantee, op.gfn, op.readonly);
  return {
    state: editGuest(written, op.dom, (d) => {
      d.granted = withKey(g.granted, op.ref, op.gfn);
      d.exports = withKey(g.exports, op.ref, op.gfn);
    }),
    result: { kind: 'grant_access', outcome: 'ok' },
  };
}

/** Export.try_end_access ~release_ref:true: the stub asserts the range; Error `Busy while in
 * use (nothing changes); else the flags go to 0, the export record is cleared and the ref put.
 * A never-granted ref gives Ok. */
export function endAccess(
  state: ModelState,
  v: LibraryView,
  op: EndAccessOp,
): Out<EndAccessResult> {
  const g = v.guest;
  if (!inTable(op.ref, g.size)) return { state, result: { kind: 'end_access', outcome: 'crash' } };
  if (g.contract && !isHeld(g, op.ref)) {
    return { state, result: { kind: 'end_access', outcome: 'contract' } };
  }
  return endIfIdle(state, v, op, (d) => {
    d.exports = without(g.exports, op.ref);
    d.free = [...g.free, op.ref]; // the free queue's tail
  });
}
