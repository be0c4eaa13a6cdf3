// reduce_status_for_pin (L919-933): after pins drop, clear GTF_reading when no pin is
// left and GTF_writing when a writable mapping went and no hstw/devw pin is left, by atomic AND.

import type { Ref } from '../../ops/op.ts';
import { GNTPIN_devw_mask, GNTPIN_hstw_mask, GTF_reading, GTF_writing } from '../../xen/abi.ts';
import type { SharedGrantMemory } from '../sharedMemory.ts';
import { pausing, type Steps } from '../steps.ts';

/** @param pin the active entry's pin after the decrement. @param readonly the removed (or
 * refused) mapping was read-only: then GTF_writing is never cleared. */
export function* reduceStatusForPin(
  shared: SharedGrantMemory,
  ref: Ref,
  pin: number,
  readonly: boolean,
): Steps<void> {
  let clear = pin !== 0 ? 0 : GTF_reading;
  if (!readonly && (pin & (GNTPIN_hstw_mask | GNTPIN_devw_mask)) === 0) clear |= GTF_writing;
  if (clear !== 0) {
    if (pausing) yield shared.before('clearFlags', ref);
    shared.clearFlags(ref, clear);
  }
}
