// GNTTABOP_unmap_and_replace (x86 PV): gnttab_unmap_and_replace drives unmap_and_replace, which
// fills struct gnttab_unmap_common with dev_bus_addr 0 and the caller's new_addr, through the
// same two phases as unmap_grant_ref (./unmapGrantRef.ts); replace_grant_pv_mapping does the
// replacing (./pvMapping.ts).

import type { DomId, UnmapAndReplaceArgs } from '../../ops/op.ts';
import type { UnmapAndReplaceResult } from '../../ops/result.ts';
import { GNTST_okay } from '../../xen/abi.ts';
import type { Steps } from '../steps.ts';
import type { Hypervisor } from './hypervisor.ts';
import type { UnmapCommon } from './unmapGrantRef.ts';
import { unmapInChunks } from './unmapGrantRef.ts';

/** unmap_and_replace: the element as unmap_common sees it. */
export function unmapAndReplaceCommon(args: UnmapAndReplaceArgs): UnmapCommon {
  const { hostAddr, newAddr, handle } = args;
  // unmap_and_replace: common->dev_bus_addr = 0, so a device part is never removed here
  return {
    hostAddr,
    devBusAddr: 0,
    newAddr,
    handle,
    status: GNTST_okay,
    done: 0,
    mfn: 0,
    rd: 0,
    ref: 0,
  };
}

/** gnttab_unmap_and_replace: phase 1 for a chunk, (TLB flush), phase 2 for the same chunk. */
export function gnttabUnmapAndReplace(
  xen: Hypervisor,
  ld: DomId,
  batch: readonly UnmapAndReplaceArgs[],
): Steps<UnmapAndReplaceResult> {
  return unmapInChunks(xen, ld, batch.map(unmapAndReplaceCommon), 'unmap_and_replace');
}
