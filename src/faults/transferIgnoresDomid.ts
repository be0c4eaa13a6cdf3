// gnttab_prepare_for_transfer (L2191-2252) requires the entry's domid to name the sender; this
// one does not look, so any domain can push a page into any accept_transfer entry.

import type { ImplParts } from '../impl/index.ts';
import { comboFlags } from '../impl/sharedMemory.ts';
import { GTF_accept_transfer } from '../xen/abi.ts';
import type { Fault } from './fault.ts';

// BUG: the entry's domid is not compared with the sender.
const transferEntryAccepts: ImplParts['transferEntryAccepts'] = (scombo) =>
  comboFlags(scombo) === GTF_accept_transfer;

export const transferIgnoresDomid: Fault = {
  id: 'transfer-ignores-domid',
  title: 'transfer accepted from a domain the entry does not name',
  source: 'gnttab_prepare_for_transfer: the entry must name the sender',
  mechanism:
    "A guest offers an accept_transfer entry to one domain (the entry's domid). Without the domid check any domain can complete it, so the receiver takes a page from a sender it never agreed to deal with and the intended sender's transfer later fails.",
  caughtBy: 'result mismatch (okay vs general_error)',
  parts: { transferEntryAccepts },
  search: { kinds: ['grant_transfer', 'transfer'] },
};
