// GNTTABOP_swap_grant_ref (Xen 4.17.7 grant_table.c L3436-3522): gnttab_swap_grant_ref runs
// swap_grant_ref once per element on the caller's own table, under its write lock.

import type { DomId, Ref, SwapGrantRefArgs } from '../../ops/op.ts';
import type { SwapGrantRefResult } from '../../ops/result.ts';
import { GNTST_bad_gntref, GNTST_eagain, GNTST_okay } from '../../xen/abi.ts';
import { comboDomid, comboFlags } from '../sharedMemory.ts';
import type { GrantTable } from './grantTable.ts';
import type { Hypervisor } from './hypervisor.ts';
import { pausing, type Steps } from '../steps.ts';
import { eachElement } from '../steps.ts';

/** swap_grant_ref's bounds check (L3448-3451, added by XSA-18): is `ref` beyond the table? */
export function swapRefOutOfRange(gt: GrantTable, ref: Ref): boolean {
  return ref >= gt.nrGrantEntries;
}

/** swap_grant_ref's version branch for a v1 table (L3468-3475): a plain struct copy of the
 * two 8-byte shared entries through a temporary. */
export function* swapSharedEntriesV1(gt: GrantTable, refA: Ref, refB: Ref): Steps<void> {
  if (pausing) yield gt.shared.before('loadEntry', refA);
  const a = gt.shared.loadEntry(refA);
  if (pausing) yield gt.shared.before('loadEntry', refB);
  const b = gt.shared.loadEntry(refB);
  if (pausing) yield gt.shared.before('storeEntry', refA);
  gt.shared.storeEntry(refA, comboFlags(b.combo), comboDomid(b.combo), b.frame);
  if (pausing) yield gt.shared.before('storeEntry', refB);
  gt.shared.storeEntry(refB, comboFlags(a.combo), comboDomid(a.combo), a.frame);
}

/** swap_grant_ref(ref_a, ref_b) for the current domain `d`: one element's status. */
export function* swapGrantRef(xen: Hypervisor, d: DomId, refA: Ref, refB: Ref): Steps<number> {
  const domain = xen.domain(d);
  const locks = domain.locks;
  if (pausing) yield locks.grantWriteLock; // L3445
  const status = yield* swapLocked(xen, domain.grantTable, refA, refB);
  if (pausing) yield locks.grantWriteUnlock; // L3496
  return status;
}

/** swap_grant_ref's body under the write lock: each ref's active entry is acquired before its
 * pin is read (L3460, L3464) and released, b then a, at the end (L3492-3495). */
function* swapLocked(xen: Hypervisor, gt: GrantTable, refA: Ref, refB: Ref): Steps<number> {
  const parts = xen.parts;
  const locks = xen.domain(gt.dom).locks;
  // L3448-3451: bounds, ref_a then ref_b
  if (parts.swapRefOutOfRange(gt, refA)) return GNTST_bad_gntref;
  if (parts.swapRefOutOfRange(gt, refB)) return GNTST_bad_gntref;
  // L3456-3458: swapping the same ref is a no-op, pinned or not
  if (refA === refB) return GNTST_okay;
  if (pausing) yield locks.activeEntryAcquire(refA);
  let status: number = GNTST_okay;
  // L3460-3466: a pinned ref is busy
  if (gt.active.pinOf(refA) !== 0) status = GNTST_eagain;
  else {
    if (pausing) yield locks.activeEntryAcquire(refB);
    if (gt.active.pinOf(refB) !== 0) status = GNTST_eagain;
    else yield* parts.swapSharedEntries(gt, refA, refB);
    if (pausing) yield locks.activeEntryRelease(refB);
  }
  if (pausing) yield locks.activeEntryRelease(refA);
  return status;
}

/** gnttab_swap_grant_ref (L3503-3522): one status per element, in order. */
export function gnttabSwapGrantRef(
  xen: Hypervisor,
  d: DomId,
  batch: readonly SwapGrantRefArgs[],
): Steps<SwapGrantRefResult> {
  return eachElement(
    batch,
    ({ refA, refB }) => xen.parts.swapGrantRef(xen, d, refA, refB),
    (statuses): SwapGrantRefResult => ({ kind: 'swap_grant_ref', statuses }),
  );
}
