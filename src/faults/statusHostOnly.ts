// XSA-230 class: reduce_status_for_pin deciding GTF_writing (and GTF_reading) from the host pins
// only, so the granter sees its page free of writers while a writable device mapping remains.

import type { ImplParts } from '../impl/index.ts';
import { GNTPIN_hstr_mask, GNTPIN_hstw_mask, GTF_reading, GTF_writing } from '../xen/abi.ts';
import type { Fault } from './fault.ts';
import { pausing } from '../impl/index.ts';

export const reduceStatusForPin: ImplParts['reduceStatusForPin'] = function* (
  shared,
  ref,
  pin,
  readonly,
) {
  // BUG: looks at hstw/hstr only; the correct code tests every pin (and hstw|devw for writing).
  let clear = (pin & (GNTPIN_hstw_mask | GNTPIN_hstr_mask)) !== 0 ? 0 : GTF_reading;
  if (!readonly && (pin & GNTPIN_hstw_mask) === 0) clear |= GTF_writing;
  if (clear !== 0) {
    if (pausing) yield shared.before('clearFlags', ref);
    shared.clearFlags(ref, clear);
  }
};

export const statusHostOnly: Fault = {
  id: 'xsa-230-status-host-only',
  title: 'GTF_reading/GTF_writing cleared while device mappings remain',
  source: 'XSA-230 (Xen 6e2a4c7356)',
  mechanism:
    'reduce_status_for_pin tests only the host pin counters, so unmapping the last writable host mapping clears GTF_writing although a writable device mapping of the same grant remains, and the granter may end access to a page a device still writes.',
  caughtBy: 'state mismatch / status-bits-mirror-pins',
  parts: { reduceStatusForPin },
  search: { kinds: ['grant_access', 'map_grant_ref', 'unmap_grant_ref'] },
};
