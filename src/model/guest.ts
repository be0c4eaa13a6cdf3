// Shared by the guest-library ops: a library call acts only on its own table, and refuses
// (einval) reserved refs and refs beyond the table (docs/semantics.md §3), which
// Linux's drivers/xen/grant-table.c (gnttab_grant_foreign_access_ref) does not check.

import type { DomId, Ref } from '../ops/op.ts';
import { GNTTAB_NR_RESERVED_ENTRIES } from '../xen/abi.ts';
import { entryAt } from './entry.ts';
import { domainAt, isIndex, nrEntries } from './lookup.ts';
import type { DomainState, ModelState, SharedEntry } from './state.ts';
import { editDomain, setWith, setWithout, withEntry } from './update.ts';

export interface LibraryTarget {
  readonly domain: DomainState;
  readonly entry: SharedEntry;
}

/** The calling domain and its entry at `ref`, or undefined when the library refuses the ref
 * (reserved, beyond the table) or the domain does not exist. */
export function libraryTarget(state: ModelState, dom: DomId, ref: Ref): LibraryTarget | undefined {
  const domain = domainAt(state, dom);
  if (domain === undefined) return undefined;
  if (ref < GNTTAB_NR_RESERVED_ENTRIES || !isIndex(ref, nrEntries(domain.grantTable))) {
    return undefined;
  }
  return { domain, entry: entryAt(domain.grantTable, ref) };
}

/** Store `entry` at `ref`. A raw_write marks the ref; a library write clears the mark only when
 * Xen holds no pin on the ref: then the entry is exactly what the library wrote and the status
 * bits mirror the (zero) pins again. Under a live pin the mark stays, since a raw write may have
 * cleared GTF_reading that Xen will not set again (docs/semantics.md §3). */
export function writeEntry(
  state: ModelState,
  dom: DomId,
  ref: Ref,
  entry: SharedEntry,
  raw: boolean,
): ModelState {
  return editDomain(state, dom, (d) => {
    d.grantTable = withEntry(d.grantTable, ref, entry);
    d.rawWritten = raw
      ? setWith(d.rawWritten, ref)
      : d.grantTable.active.has(ref)
        ? d.rawWritten
        : setWithout(d.rawWritten, ref);
  });
}
