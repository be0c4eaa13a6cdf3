// do_grant_table_op (L3636-3813): one hypercall sub-op, dispatched on its kind. Batches are
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

/** The sub-op's own steps. Why not a generator? It would re-yield every pause of the sub-op
 * (../steps.ts); handing the sub-op's generator back costs the sequential path nothing. */
export function doGrantTableOp(xen: Hypervisor, op: HypercallOp): Steps<OpResult> {
  switch (op.kind) {
    case 'map_grant_ref':
      return gnttabMapGrantRef(xen, op.caller, op.batch, op.vcpu ?? 0);
    case 'unmap_grant_ref':
      return gnttabUnmapGrantRef(xen, op.caller, op.batch);
    case 'transfer':
      return gnttabTransfer(xen, op.caller, op.batch);
    case 'setup_table':
      return gnttabSetupTable(xen, op);
    case 'query_size':
      return gnttabQuerySize(xen, op);
    case 'unmap_and_replace':
      return gnttabUnmapAndReplace(xen, op.caller, op.batch);
    case 'swap_grant_ref':
      return gnttabSwapGrantRef(xen, op.caller, op.batch);
    case 'copy':
      return gnttabCopy(xen, op.caller, op.batch);
    default:
      return unreachable(op);
  }
}
