// GNTTABOP_setup_table: gnttab_setup_table() (grant_table.c L2052-2138) with count 1. The frame
// list is not modelled; the result carries the table's frame count. docs/semantics.md §8.

import type { SetupTableOp } from '../../ops/op.ts';
import type { SetupTableResult } from '../../ops/result.ts';
import { GNTST_general_error } from '../../xen/abi.ts';
import type { ModelState } from '../state.ts';
import { editDomain, grantTableOf } from '../update.ts';
import { targetDomain } from './querySize.ts';

export function setupTable(
  state: ModelState,
  op: SetupTableOp,
): { state: ModelState; result: SetupTableResult } {
  const target = targetDomain(state, op.caller, op.dom);
  if (typeof target === 'number') return { state, result: { kind: 'setup_table', status: target } };
  const table = target.grantTable;
  const requested = op.nrFrames >>> 0; // nr_frames is a u32
  // more than max_grant_frames → general_error
  if (requested > table.maxFrames) {
    return { state, result: { kind: 'setup_table', status: GNTST_general_error } };
  }
  // gnttab_grow_table only grows; a smaller request leaves the table as it is
  if (requested <= table.nrFrames) {
    return { state, result: { kind: 'setup_table', status: 0, nrFrames: table.nrFrames } };
  }
  return {
    state: editDomain(state, target.id, (d) => {
      const { maxFrames, entries, active } = d.grantTable;
      d.grantTable = grantTableOf(requested, maxFrames, entries, active);
    }),
    result: { kind: 'setup_table', status: 0, nrFrames: requested },
  };
}
