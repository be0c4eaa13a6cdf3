// XSA-218(b) (Xen 9a0bd460cf and follow-ups): before the fix, gnttab_unmap_grant_ref freed a
// maptrack handle in phase 2 (unmap_common_complete) whenever its entry had become empty.

import type { ImplParts } from '../impl/index.ts';
import { unmapCommonComplete as correctComplete } from '../impl/hypervisor/unmapGrantRef.ts';
import { GNTMAP_device_map, GNTMAP_host_map } from '../xen/abi.ts';
import type { Fault } from './fault.ts';

const MAPPED = GNTMAP_device_map | GNTMAP_host_map;

// BUG: phase 1 clears an emptied entry but keeps its handle...
const unmapPutHandle: ImplParts['unmapPutHandle'] = (_xen, lgt, handle) => {
  if ((lgt.flags(handle) & MAPPED) === 0) lgt.setFlags(handle, 0);
  return false;
};

// ...and phase 2 frees the handle of any element that finds its entry empty.
export const unmapCommonComplete: ImplParts['unmapCommonComplete'] = function* (xen, ld, op) {
  yield* correctComplete(xen, ld, op);
  if (op.done === 0) return;
  const lgt = xen.domain(ld).maptrack;
  if ((lgt.flags(op.handle) & MAPPED) === 0) yield* xen.parts.putMaptrackHandle(lgt, op.handle);
};

export const xsa218UnmapDoubleFree: Fault = {
  id: 'xsa-218-unmap-double-free',
  title: 'two unmaps of one handle in a batch both free it',
  source: 'XSA-218(b) (Xen 9a0bd460cf, b7f6cbb9d4)',
  mechanism:
    'Phase 1 of every element runs before phase 2 of any. With the handle freed in phase 2 "if the entry is now empty", a batch whose first element removes the host part of a host+device mapping and whose second removes the device part leaves the entry empty for both phase-2 calls, so put_maptrack_handle runs twice on one handle and the free list links it to itself: two later maps can get the same handle.',
  caughtBy: 'invariant free-list-integrity (impl)',
  // One bug in two places: the free moves from phase 1 (put_handle) to phase 2.
  parts: { unmapPutHandle, unmapCommonComplete },
  search: {
    kinds: ['grant_access', 'map_grant_ref', 'unmap_grant_ref'],
    extensions: ['split_unmaps'],
  },
};
