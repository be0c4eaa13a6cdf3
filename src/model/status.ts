// The status bits of a v1 entry as Xen maintains them: _set_status_v1 (grant_table.c L750-820)
// and reduce_status_for_pin (L919-933).

import type { DomId } from '../ops/op.ts';
import { GTF_reading, GTF_writing } from '../xen/abi.ts';
import { entryType, isMappableType, isReadonly } from './entry.ts';
import type { PinCounts } from './pins.ts';
import { totalPins, writablePins } from './pins.ts';
import type { SharedEntry } from './state.ts';
import { withFlags } from './update.ts';

/** _set_status_v1 for a map: the entry with GTF_reading (and GTF_writing) set, or undefined for
 * GNTST_general_error with nothing written. */
export function setStatusV1(
  entry: SharedEntry,
  pinned: boolean,
  writable: boolean,
  mapper: DomId,
  mapflag = true,
): SharedEntry | undefined {
  // only an unpinned entry is type- and domid-checked; a pinned one is not revocable. A map
  // (mapflag) also refuses GTF_sub_page; a copy does not look at it.
  const typeOk = mapflag ? isMappableType(entry) : entryType(entry) === 'permit_access';
  if (!pinned && (!typeOk || entry.domid !== mapper)) return undefined;
  // a write request needs GTF_readonly clear, pinned or not
  if (writable && isReadonly(entry)) return undefined;
  return withFlags(entry, entry.flags | GTF_reading | (writable ? GTF_writing : 0));
}

/** reduce_status_for_pin: clear GTF_reading once no pin is left, and GTF_writing after a
 * writable mapping goes (or fails) while no hstw/devw pin is left. An atomic AND: whatever the
 * bits were before (also when a guest raw-wrote them), these are cleared. */
export function reduceStatusForPin(
  entry: SharedEntry,
  pins: PinCounts,
  readonly: boolean,
): SharedEntry {
  let clear = totalPins(pins) === 0 ? GTF_reading : 0;
  // read-only unmaps never clear GTF_writing
  if (!readonly && writablePins(pins) === 0) clear |= GTF_writing;
  return withFlags(entry, entry.flags & ~clear);
}
