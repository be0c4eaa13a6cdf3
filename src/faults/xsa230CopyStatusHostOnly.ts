// XSA-230 by its own path (Xen 6e2a4c7356): release_grant_for_copy decided GTF_writing and
// GTF_reading from the host pin counters only, although a device mapping may hold the entry.

import type { ImplParts } from '../impl/index.ts';
import {
  GNTPIN_hstr_inc,
  GNTPIN_hstr_mask,
  GNTPIN_hstw_inc,
  GNTPIN_hstw_mask,
  GTF_reading,
  GTF_writing,
} from '../xen/abi.ts';
import type { Fault } from './fault.ts';
import { pausing } from '../impl/index.ts';

export const releaseGrantForCopy: ImplParts['releaseGrantForCopy'] = function* (
  xen,
  rd,
  ref,
  readonly,
) {
  const rgt = xen.domain(rd).grantTable;
  const pin = (rgt.active.pinOf(ref) - (readonly ? GNTPIN_hstr_inc : GNTPIN_hstw_inc)) >>> 0;
  rgt.active.setPin(ref, pin);
  // BUG (pre-6e2a4c7356): hstw only for GTF_writing, hstr only for GTF_reading.
  let clear = 0;
  if (!readonly && (pin & GNTPIN_hstw_mask) === 0) clear |= GTF_writing;
  if ((pin & GNTPIN_hstr_mask) === 0) clear |= GTF_reading;
  if (clear !== 0) {
    if (pausing) yield rgt.shared.before('clearFlags', ref);
    rgt.shared.clearFlags(ref, clear);
  }
};

export const xsa230CopyStatusHostOnly: Fault = {
  id: 'xsa-230-copy-status-host-only',
  title: 'a copy clears GTF_writing/GTF_reading while a device mapping still holds the grant',
  source: 'XSA-230 (Xen 6e2a4c7356, release_grant_for_copy)',
  mechanism:
    'release_grant_for_copy tested only the host pin counters before clearing the status bits: a copy through a grant the caller also maps for a device (devw/devr pins) clears GTF_writing and GTF_reading when its short-lived host pin goes, and the granter may end access to a page the device still uses.',
  caughtBy: 'entry-flags state mismatch / status-bits-mirror-pins',
  parts: { releaseGrantForCopy },
  search: { kinds: ['grant_access', 'map_grant_ref', 'copy'], extensions: ['copies'] },
};
