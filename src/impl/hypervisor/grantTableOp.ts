// do_grant_table_op (L3707-3885): one hypercall sub-op, dispatched on its kind. Batches are
// well formed (no -EFAULT, no continuation); each element reports its own GNTST_* status.

import type { HypercallOp } from '../../ops/op.ts';
import { unreachable } from '../../ops/op.ts';
import type { OpResult } from '../../ops/result.ts';
import { gnttabCopy } from './copy.ts';
import type { Steps } from '../steps.ts';
import type { Hypervisor } from './hypervisor.ts';
import { gnttabMapGrantRef } from './mapGrantRef.ts';
import { gnttabQuerySize } from './querySize.ts';
import { gnttabSetupTable } from './setupTable.ts';
import { gnttabSwapGrantRef } from './swapGrantRef.ts';
import { gnttabTransfer } from './transfer.ts';
import { gnttabUnmapAndReplace } from './unmapAndReplace.ts';
import { gnttabUnmapGrantRef } from './unmapGrantRef.ts';

export function* doGrantTableOp(xen: Hypervisor, op: HypercallOp): Steps<OpResult> {
  switch (op.kind) {
    case 'map_grant_ref':
      return { kind: 'map_grant_ref', results: yield* gnttabMapGrantRef(xen, op.caller, op.batch) };
    case 'unmap_grant_ref':
      return {
        kind: 'unmap_grant_ref',
        statuses: yield* gnttabUnmapGrantRef(xen, op.caller, op.batch),
      };
    case 'transfer':
      return { kind: 'transfer', statuses: yield* gnttabTransfer(xen, op.caller, op.batch) };
    case 'setup_table':
      return yield* gnttabSetupTable(xen, op);
    case 'query_size':
      return yield* gnttabQuerySize(xen, op);
    case 'unmap_and_replace':
      return {
        kind: 'unmap_and_replace',
        statuses: yield* gnttabUnmapAndReplace(xen, op.caller, op.batch),
      };
    case 'swap_grant_ref':
      return {
        kind: 'swap_grant_ref',
        statuses: yield* gnttabSwapGrantRef(xen, op.caller, op.batch),
      };
    case 'copy':
      return { kind: 'copy', statuses: yield* gnttabCopy(xen, op.caller, op.batch) };
    default:
      return unreachable(op);
  }
}
