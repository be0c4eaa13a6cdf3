// Named predicates over a v1 shared entry (struct grant_entry_v1, pub.h L115-192). Model, impl
// and invariants read GTF_* bits through these names, never through ad-hoc masks.

import {
  GTF_accept_transfer,
  GTF_invalid,
  GTF_permit_access,
  GTF_reading,
  GTF_readonly,
  GTF_sub_page,
  GTF_transfer_committed,
  GTF_transfer_completed,
  GTF_transitive,
  GTF_type_mask,
  GTF_writing,
} from '../xen/abi.ts';
import type { GrantTable, SharedEntry } from './state.ts';

export const ZERO_ENTRY: SharedEntry = { flags: 0, domid: 0, frame: 0 };

export type EntryType = 'invalid' | 'permit_access' | 'accept_transfer' | 'transitive';

/** The shared entry at `ref`; refs without a stored entry read as eight zero bytes. */
export function entryAt(table: GrantTable, ref: number): SharedEntry {
  return table.entries.get(ref) ?? ZERO_ENTRY;
}

export function isZeroEntry(e: SharedEntry): boolean {
  return e.flags === 0 && e.domid === 0 && e.frame === 0;
}

export function entryType(e: SharedEntry): EntryType {
  switch (e.flags & GTF_type_mask) {
    case GTF_permit_access:
      return 'permit_access';
    case GTF_accept_transfer:
      return 'accept_transfer';
    case GTF_transitive:
      return 'transitive';
    default:
      return 'invalid';
  }
}

export function isInvalid(e: SharedEntry): boolean {
  return (e.flags & GTF_type_mask) === GTF_invalid;
}
export function isPermitAccess(e: SharedEntry): boolean {
  return (e.flags & GTF_type_mask) === GTF_permit_access;
}
export function isAcceptTransfer(e: SharedEntry): boolean {
  return (e.flags & GTF_type_mask) === GTF_accept_transfer;
}

// Bits 2 and 3 mean different things by type (pub.h L146-192); pick the name that fits the type.
export function isReadonly(e: SharedEntry): boolean {
  return (e.flags & GTF_readonly) !== 0;
}
export function hasReading(e: SharedEntry): boolean {
  return (e.flags & GTF_reading) !== 0;
}
export function hasWriting(e: SharedEntry): boolean {
  return (e.flags & GTF_writing) !== 0;
}
export function isSubPage(e: SharedEntry): boolean {
  return (e.flags & GTF_sub_page) !== 0;
}
export function isCommitted(e: SharedEntry): boolean {
  return (e.flags & GTF_transfer_committed) !== 0;
}
export function isCompleted(e: SharedEntry): boolean {
  return (e.flags & GTF_transfer_completed) !== 0;
}

/** GTF_reading or GTF_writing: Xen may hold a pin, so the guest must not end the entry. */
export function isInUse(e: SharedEntry): boolean {
  return hasReading(e) || hasWriting(e);
}

/** An entry the guest library may (re)grant (docs/semantics.md §3): invalid and not in use, or a
 * finished transfer (committed and completed). Anything else may still be in Xen's hands. */
export function isReusable(e: SharedEntry): boolean {
  if (isInvalid(e)) return !isInUse(e);
  return isAcceptTransfer(e) && isCommitted(e) && isCompleted(e);
}

/** _set_status_v1's unpinned type test for maps: permit_access without GTF_sub_page (L774-775). */
export function isMappableType(e: SharedEntry): boolean {
  return (e.flags & (GTF_type_mask | GTF_sub_page)) === GTF_permit_access;
}

/** gnttab_prepare_for_transfer: flags must be exactly GTF_accept_transfer (L2191-2252). */
export function isOpenForTransfer(e: SharedEntry): boolean {
  return e.flags === GTF_accept_transfer;
}
