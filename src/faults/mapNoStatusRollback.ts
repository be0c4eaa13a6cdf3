// Xen 62698cdaf3 (2012): map_grant_ref set GTF_reading/GTF_writing, then failed in
// get_paged_frame, and the unlock_out path did not clear the bits again.

import type { ImplParts } from '../impl/index.ts';
import type { Fault } from './fault.ts';

// BUG: the pre-62698cdaf3 unlock_out path: no reduce_status_for_pin.
export const mapUnlockOutClear: ImplParts['mapUnlockOutClear'] = function* () {};

export const mapNoStatusRollback: Fault = {
  id: 'map-no-status-rollback',
  title: 'a map refused with bad_page leaves GTF_reading/GTF_writing set',
  source: 'Xen 62698cdaf3 (2012)',
  mechanism:
    '_set_status_v1 marks the entry in use before the frame is looked up. When the granted gfn has no page, map_grant_ref returns GNTST_bad_page without the reduce_status_for_pin undo, so the entry keeps GTF_reading (and GTF_writing) with no pin behind it: the granter can never end access, and the bits lie about who holds the page.',
  caughtBy: 'state mismatch (entry flags) / status-bits-mirror-pins / failure-atomicity',
  parts: { mapUnlockOutClear },
  search: { kinds: ['grant_access', 'map_grant_ref'] },
};
