// gnttab_prepare_for_transfer (L2191-2252) requires flags == GTF_accept_transfer exactly; this
// one tests the type only, so a committed or completed entry takes a second page.

import type { ImplParts } from '../impl/index.ts';
import { comboDomid, comboFlags } from '../impl/sharedMemory.ts';
import { GTF_accept_transfer, GTF_type_mask } from '../xen/abi.ts';
import type { Fault } from './fault.ts';

// BUG: the type, not the whole flags word, is compared with GTF_accept_transfer.
const transferEntryAccepts: ImplParts['transferEntryAccepts'] = (scombo, ld) =>
  (comboFlags(scombo) & GTF_type_mask) === GTF_accept_transfer && comboDomid(scombo) === ld;

export const transferAcceptsExtraFlags: Fault = {
  id: 'transfer-accepts-extra-flags',
  title: 'transfer into an entry that is already committed or completed',
  source: 'gnttab_prepare_for_transfer: the entry must be exactly GTF_accept_transfer',
  mechanism:
    "An accept_transfer entry takes exactly one page: Xen commits it only while its flags are exactly GTF_accept_transfer. Checking the type bits alone lets a second transfer commit an entry that already received a page, overwrite its frame and leave the first page in the receiver with nothing naming it (or let a transfer race the guest's own cancel).",
  caughtBy: 'result mismatch (okay vs general_error)',
  parts: { transferEntryAccepts },
  search: { kinds: ['grant_transfer', 'transfer'] },
};
