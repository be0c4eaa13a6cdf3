// Xen 8cec5d065c (2021): the map overflow test checked all four pin counters instead of only
// the ones the map increments (GNTPIN_incr2oflow_mask).

import {
  GNTPIN_devr_inc,
  GNTPIN_devw_inc,
  GNTPIN_hstr_inc,
  GNTPIN_hstw_inc,
  GNTPIN_incr2oflow_mask,
} from '../xen/abi.ts';
import type { ImplParts } from '../impl/index.ts';
import type { Fault } from './fault.ts';

// The top bit of every counter: 0x80808080.
const ALL_COUNTERS_AT_128 = GNTPIN_incr2oflow_mask(
  GNTPIN_hstw_inc | GNTPIN_hstr_inc | GNTPIN_devw_inc | GNTPIN_devr_inc,
);

// BUG: refused once ANY counter is at 128, whatever this map increments.
const pinIncrementRefused: ImplParts['pinIncrementRefused'] = (pin) =>
  (pin & ALL_COUNTERS_AT_128) !== 0;

export const pinOverflowAllCounters: Fault = {
  id: 'pin-overflow-all-counters',
  title: 'a full pin counter refuses maps of the other kinds too',
  source: 'Xen 8cec5d065c (2021)',
  mechanism:
    'map_grant_ref must refuse a map only when a counter it increments is already at 128. Testing the mask 0x80808080 instead makes 128 read-only host mappings block a writable device mapping (or any other kind) of the same grant with GNTST_general_error.',
  caughtBy: 'result mismatch (general_error vs okay)',
  parts: { pinIncrementRefused },
  search: { kinds: ['grant_access', 'map_grant_ref'], extensions: ['map_bursts'] },
};
