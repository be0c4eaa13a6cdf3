// GNTTABOP_swap_grant_ref: gnttab_swap_grant_ref() and swap_grant_ref() (Xen 4.17.7
// grant_table.c L3436-3522), v1 tables only. docs/semantics.md §11.

import type { DomId, SwapGrantRefArgs, SwapGrantRefOp } from '../../ops/op.ts';
import type { SwapGrantRefResult } from '../../ops/result.ts';
import {
  GNTST_bad_domain,
  GNTST_bad_gntref,
  GNTST_eagain,
  GNTST_okay,
  GNTTAB_NR_RESERVED_ENTRIES,
} from '../../xen/abi.ts';
import { entryAt } from '../entry.ts';
import { domainAt, isIndex, nrEntries } from '../lookup.ts';
import type { ModelState } from '../state.ts';
import { editDomain, setWith, setWithout, withEntry } from '../update.ts';

export function swapGrantRef(
  state: ModelState,
  op: SwapGrantRefOp,
): { state: ModelState; result: SwapGrantRefResult } {
  const statuses: number[] = [];
  let current = state;
  for (const args of op.batch) {
    const element = swapOne(current, op.caller, args);
    current = element.state;
    statuses.push(element.status);
  }
  return { state: current, result: { kind: 'swap_grant_ref', statuses } };
}

function swapOne(
  state: ModelState,
  caller: DomId,
  { refA, refB }: SwapGrantRefArgs,
): { state: ModelState; status: number } {
  // The caller's own table (rcu_lock_current_domain): there is no domid argument.
  const domain = domainAt(state, caller);
  // Not a Xen path: a domain that does not exist cannot issue hypercalls (opProblem rejects it).
  if (domain === undefined) return { state, status: GNTST_bad_domain };
  const table = domain.grantTable;
  // swap_grant_ref: bounds on ref_a, then ref_b (XSA-18), before the equality test
  if (!isIndex(refA, nrEntries(table))) return { state, status: GNTST_bad_gntref };
  if (!isIndex(refB, nrEntries(table))) return { state, status: GNTST_bad_gntref };
  // swap_grant_ref: the same ref twice is a no-op, okay even when pinned (b4650e9a96)
  if (refA === refB) return { state, status: GNTST_okay };
  // swap_grant_ref: a pinned ref is busy, ref_a first; nothing changes
  if (table.active.has(refA) || table.active.has(refB)) return { state, status: GNTST_eagain };
  // v1: the two 8-byte shared entries change places, whatever they hold (no type or flag is
  // looked at). The active entries stay: neither is pinned.
  const a = entryAt(table, refA);
  const b = entryAt(table, refB);
  const swapped = editDomain(state, caller, (d) => {
    d.grantTable = withEntry(withEntry(d.grantTable, refA, b), refB, a);
    d.rawWritten = moveMark(
      moveMark(d.rawWritten, refA, d.rawWritten.has(refB)),
      refB,
      d.rawWritten.has(refA),
    );
  });
  return { state: swapped, status: GNTST_okay };
}

/** The ghost mark travels with the entry's contents; a reserved ref that receives contents is
 * marked too, since the library never writes there (docs/semantics.md §11). */
function moveMark(marks: ReadonlySet<number>, ref: number, marked: boolean): ReadonlySet<number> {
  return marked || ref < GNTTAB_NR_RESERVED_ENTRIES ? setWith(marks, ref) : setWithout(marks, ref);
}
