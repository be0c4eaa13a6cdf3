// Profile `linux`: Linux drivers/xen/grant-table.c (6.x; docs/guest-libraries.md §2), v1
// entries. The allocator is gnttab_list's free list: refs 8.. ascending at init
// (gnttab_set_free), frees pushed at the head (put_free_entry: LIFO), reserved refs ignored
// (8c9eb0e3731d). The table does not grow: grantcheck's library table is at its maximum, where
// gnttab_expand fails and allocation returns -ENOSPC. Deferred ends: gnttab_add_deferred and
// the timer gnttab_handle_deferred, one run per tick op.

import type {
  AllocRefsOp,
  EndAccessDeferredOp,
  EndAccessOp,
  FreeRefOp,
  TickOp,
} from '../../ops/op.ts';
import type {
  AllocRefsResult,
  EndAccessDeferredResult,
  EndAccessResult,
  FreeRefResult,
  TickResult,
} from '../../ops/result.ts';
import { GNTTAB_NR_RESERVED_ENTRIES } from '../../xen/abi.ts';
import { isInUse } from '../entry.ts';
import type { DeferredEnd, ModelState } from '../state.ts';
import {
  clearFlags,
  editGuest,
  entryOf,
  grantByPlainStore,
  endIfIdle,
  isHeld,
  type LibraryView,
  type Out,
  mayEndWithPage,
  without,
  withMember,
} from './library.ts';

/** warn_delay's start: "still pending" is logged on the 60th failed retry. */
export const WARN_DELAY = 60;

/** gnttab_alloc_grant_references: all or nothing; count 0 is refused (Linux has no rule for
 * it: it detaches the head without counting it, docs/guest-libraries.md §2.3). */
export function allocRefs(
  state: ModelState,
  v: LibraryView,
  op: AllocRefsOp,
): Out<AllocRefsResult> {
  const g = v.guest;
  if (op.count === 0) return { state, result: { kind: 'alloc_refs', outcome: 'einval' } };
  if (g.free.length < op.count) return { state, result: { kind: 'alloc_refs', outcome: 'enospc' } };
  const refs = g.free.slice(0, op.count);
  return {
    state: editGuest(state, op.dom, (d) => {
      d.free = g.free.slice(op.count);
    }),
    result: { kind: 'alloc_refs', outcome: 'ok', refs },
  };
}

/** gnttab_free_grant_reference (put_free_entry): a reserved ref is ignored; otherwise the ref
 * goes to the head. Contract: the driver frees only a ref it holds and has ended. */
export function freeRef(state: ModelState, v: LibraryView, op: FreeRefOp): Out<FreeRefResult> {
  const g = v.guest;
  if (op.ref < GNTTAB_NR_RESERVED_ENTRIES)
    return { state, result: { kind: 'free_ref', outcome: 'ok' } };
  if (g.contract && (!isHeld(g, op.ref) || g.granted.has(op.ref))) {
    return { state, result: { kind: 'free_ref', outcome: 'contract' } };
  }
  // An index past gnttab_list: out-of-bounds (reachable only without the contract).
  if (op.ref >= g.size) return { state, result: { kind: 'free_ref', outcome: 'crash' } };
  return {
    state: editGuest(state, op.dom, (d) => {
      d.free = [op.ref, ...g.free];
    }),
    result: { kind: 'free_ref', outcome: 'ok' },
  };
}

/** gnttab_grant_foreign_access_ref: no check at all; a plain store over whatever is there
 * (over an in-use entry it erases GTF_reading/GTF_writing, §2.4). Contract: the driver grants
 * a ref it holds and has not granted, for a page it owns. */
export const grantAccess = grantByPlainStore;

/** gnttab_end_foreign_access_ref (v1): 0 if Xen holds a pin (entry unchanged), else the
 * flags go to 0 and 1. A never-granted ref gives 1. The ref stays the caller's. */
export function endAccess(
  state: ModelState,
  v: LibraryView,
  op: EndAccessOp,
): Out<EndAccessResult> {
  const g = v.guest;
  if (g.contract && !isHeld(g, op.ref)) {
    return { state, result: { kind: 'end_access', outcome: 'contract' } };
  }
  if (!Number.isInteger(op.ref) || op.ref < 0 || op.ref >= g.size) {
    return { state, result: { kind: 'end_access', outcome: 'crash' } };
  }
  return endIfIdle(state, v, op, () => {}); // the ref stays the caller's
}

/** gnttab_end_foreign_access(ref, page): on success the ref is freed and the page reference
 * (if given) dropped; otherwise gnttab_add_deferred queues the ref with a page reference: the
 * caller's, or with no page the library's own, taken on the entry's frame (42baefac638f).
 * Either way the caller owns neither afterwards. Contract: the driver holds the ref; a page it
 * passes is its own, the one the ref grants, and no other live grant of its names it. */
export function endAccessDeferred(
  state: ModelState,
  v: LibraryView,
  op: EndAccessDeferredOp,
): Out<EndAccessDeferredResult> {
  const g = v.guest;
  if (
    g.contract &&
    (!isHeld(g, op.ref) || (op.gfn !== undefined && !mayEndWithPage(v, op.gfn, op.ref)))
  ) {
    return { state, result: { kind: 'end_access_deferred', outcome: 'contract' } };
  }
  if (!Number.isInteger(op.ref) || op.ref < 0 || op.ref >= g.size) {
    return { state, result: { kind: 'end_access_deferred', outcome: 'crash' } };
  }
  const entry = entryOf(v, op.ref);
  const granted = without(g.granted, op.ref);
  const dropped = op.gfn === undefined ? g.droppedPages : withMember(g.droppedPages, op.gfn);
  if (!isInUse(entry)) {
    return {
      state: editGuest(clearFlags(state, v, op.ref), op.dom, (d) => {
        d.granted = granted;
        d.droppedPages = dropped;
        if (op.ref >= GNTTAB_NR_RESERVED_ENTRIES) d.free = [op.ref, ...g.free];
      }),
      result: { kind: 'end_access_deferred', outcome: 'ended' },
    };
  }
  const record: DeferredEnd = {
    ref: op.ref,
    gfn: op.gfn ?? entry.frame,
    warnDelay: WARN_DELAY,
    idleTicks: 0,
  };
  return {
    state: editGuest(state, op.dom, (d) => {
      d.granted = granted;
      d.droppedPages = dropped;
      d.deferred = [...g.deferred, record];
    }),
    result: { kind: 'end_access_deferred', outcome: 'deferred' },
  };
}

/** gnttab_handle_deferred: at most `budget` records (0: all), head first, each at most once;
 * a record whose end succeeds frees its ref and drops its page reference; one that fails counts
 * warn_delay down (a u16: "still pending" at 0, then it wraps) and goes to the tail. */
export function tick(state: ModelState, v: LibraryView, op: TickOp): Out<TickResult> {
  const g = v.guest;
  const queue = [...g.deferred];
  let free = g.free;
  let warnings = g.warnings;
  let reclaimed = 0;
  let examined = 0;
  let first: DeferredEnd | undefined;
  let next = state;
  while (queue.length > 0 && (g.budget === 0 || examined < g.budget)) {
    const head = queue[0];
    if (head === undefined || head === first) break;
    queue.shift();
    examined++;
    if (!isInUse(entryOf(v, head.ref))) {
      const now = { domain: next.domains[v.domain.id] ?? v.domain, guest: g };
      next = clearFlags(next, now, head.ref);
      if (head.ref >= GNTTAB_NR_RESERVED_ENTRIES) free = [head.ref, ...free];
      reclaimed++;
      continue;
    }
    const warnDelay = (head.warnDelay - 1) & 0xffff;
    if (warnDelay === 0) warnings++;
    const again: DeferredEnd = { ...head, warnDelay, idleTicks: 0 };
    first ??= again;
    queue.push(again);
  }
  // The liveness ghost: a record left waiting although its entry is no longer in use.
  const after = queue.map((d) =>
    isInUse(entryOf(v, d.ref))
      ? d.idleTicks === 0
        ? d
        : { ...d, idleTicks: 0 }
      : { ...d, idleTicks: d.idleTicks + 1 },
  );
  return {
    state: editGuest(next, op.dom, (d) => {
      d.deferred = after;
      d.free = free;
      d.warnings = warnings;
    }),
    result: { kind: 'tick', outcome: 'ok', reclaimed, pending: after.length },
  };
}
