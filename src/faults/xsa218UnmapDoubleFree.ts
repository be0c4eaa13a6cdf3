// XSA-218(b) (Xen 9a0bd460cf and follow-ups): before the fix, gnttab_unmap_grant_ref freed a
// maptrack handle in phase 2 (unmap_common_complete) whenever its entry had become empty.

import type { Fault } from './fault.ts';
import { completeWithHandleFree, unmapCommonWith } from './copies/unmapGrantRef.ts';

export const xsa218UnmapDoubleFree: Fault = {
  id: 'xsa-218-unmap-double-free',
  title: 'two unmaps of one handle in a batch both free it',
  source: 'XSA-218(b) (Xen 9a0bd460cf, b7f6cbb9d4)',
  mechanism:
    'Phase 1 of every element runs before phase 2 of any. With the handle freed in phase 2 "if the entry is now empty", a batch whose first element removes the host part of a host+device mapping and whose second removes the device part leaves the entry empty for both phase-2 calls, so put_maptrack_handle runs twice on one handle and the free list links it to itself: two later maps can get the same handle.',
  caughtBy: 'invariant free-list-integrity (impl)',
  // One bug, two parts: the free moves from phase 1 to phase 2, as in the pre-fix code.
  parts: {
    unmapCommon: unmapCommonWith({ noHandleFreeInPhase1: true }),
    unmapCommonComplete: completeWithHandleFree,
  },
};
