// GNTTABOP_unmap_and_replace (x86 PV): gnttab_unmap_and_replace / unmap_and_replace
// (grant_table.c) run unmap_common with dev_bus_addr forced to 0 and the caller's new_addr, then
// unmap_common_complete; replace_grant_pv_mapping moves new_addr's PTE into host_addr's slot
// (../hostPte.ts). docs/semantics.md §11.4.

import type { UnmapAndReplaceOp } from '../../ops/op.ts';
import type { UnmapAndReplaceResult } from '../../ops/result.ts';
import type { ModelState } from '../state.ts';
import { reapAtChunkEnd, unmapOne } from './unmapGrantRef.ts';

export function unmapAndReplace(
  state: ModelState,
  op: UnmapAndReplaceOp,
): { state: ModelState; result: UnmapAndReplaceResult } {
  const statuses: number[] = [];
  let current = state;
  op.batch.forEach(({ handle, hostAddr, newAddr }, i) => {
    // unmap_and_replace: common->dev_bus_addr = 0, so a device mapping is never removed here
    const args = { handle, hostAddr, devBusAddr: 0 };
    const element = unmapOne(current, op.caller, args, newAddr);
    current = reapAtChunkEnd(element.state, i, op.batch.length);
    statuses.push(element.status);
  });
  return { state: current, result: { kind: 'unmap_and_replace', statuses } };
}
