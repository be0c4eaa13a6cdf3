// _set_status_v1 (L750-820): set GTF_reading (and GTF_writing for a writable request)
// with a cmpxchg loop on the 32-bit flags+domid word, checking type and domid only when unpinned.

import type { DomId, Ref } from '../../ops/op.ts';
import {
  GNTST_general_error,
  GNTST_okay,
  GTF_permit_access,
  GTF_readonly,
  GTF_reading,
  GTF_sub_page,
  GTF_type_mask,
  GTF_writing,
} from '../../xen/abi.ts';
import type { SharedGrantMemory } from '../sharedMemory.ts';
import { combo, comboDomid, comboFlags } from '../sharedMemory.ts';
import { pausing, type Steps } from '../steps.ts';

/** After this many failed cmpxchg attempts the entry is "unstable" (`retries++ == 4`). */
const SET_STATUS_MAX_RETRIES = 4;

/** _set_status_v1's check of the flags+domid word it loaded (L790-805): the flags with
 * GTF_reading (and GTF_writing for a writable request) set, or null when refused. `pinned` and
 * `mapflag` as for setStatusV1. */
export function statusFlagsFor(
  scombo: number,
  pinned: boolean,
  readonly: boolean,
  mapflag: boolean,
  ldomid: DomId,
): number | null {
  const flags = comboFlags(scombo);
  const mask = GTF_type_mask | (mapflag ? GTF_sub_page : 0);
  // _set_status_v1: not pinned, and wrong type or wrong grantee
  if (!pinned && ((flags & mask) !== GTF_permit_access || comboDomid(scombo) !== ldomid)) {
    return null;
  }
  if (readonly) return flags | GTF_reading;
  // _set_status_v1: a writable pin of a read-only grant
  if (flags & GTF_readonly) return null;
  return flags | GTF_reading | GTF_writing;
}

/**
 * @param pinned act->pin != 0: type and domid are then not checked (no revocation: Xen
 *   commit b339e3a976).
 * @param mapflag a map (not a copy): GTF_sub_page also refuses.
 * @returns GNTST_okay or GNTST_general_error; nothing written on failure.
 */
export function* setStatusV1(
  shared: SharedGrantMemory,
  ref: Ref,
  pinned: boolean,
  readonly: boolean,
  mapflag: boolean,
  ldomid: DomId,
): Steps<number> {
  if (pausing) yield shared.before('loadCombo', ref);
  let scombo = shared.loadCombo(ref);
  for (let retries = 0; ; retries++) {
    const newFlags = statusFlagsFor(scombo, pinned, readonly, mapflag, ldomid);
    if (newFlags === null) return GNTST_general_error;
    if (pausing) yield shared.before('cmpxchgCombo', ref);
    const prev = shared.cmpxchgCombo(ref, scombo, combo(newFlags, comboDomid(scombo)));
    if (prev === scombo) return GNTST_okay;
    // _set_status_v1: the guest keeps changing the entry ("unstable"); unreachable sequentially
    if (retries === SET_STATUS_MAX_RETRIES) return GNTST_general_error;
    scombo = prev;
  }
}
