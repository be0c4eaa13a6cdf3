// Xen ef3a722f62 (2005, "Check correct flag in grant transfer - this eliminates the most common
// source of 'zombie-' domains"): gnttab_transfer tested the wrong flag for a dying receiver, so a
// dying domain was given a page that nothing would ever free. Xen 4.17.7's gnttab_transfer
// refuses it under the receiver's page_alloc_lock (`e->is_dying`: GNTST_general_error).

import type { ImplParts } from '../impl/index.ts';
import type { Fault } from './fault.ts';

// BUG: the test never sees a dying receiver.
const transferReceiverDying: ImplParts['transferReceiverDying'] = () => false;

export const transferToDyingDomain: Fault = {
  id: 'transfer-to-dying-domain',
  title: 'a transfer gives a page to a dying domain',
  source: 'Xen ef3a722f62 (2005)',
  mechanism:
    'gnttab_transfer must refuse a receiver that is dying (e->is_dying, under its page_alloc_lock): a dying domain has already relinquished its memory, so a page assigned to it now holds PGC_allocated with no one left to drop it, and the domain never finishes dying.',
  caughtBy: 'result mismatch (okay vs general_error) / zombie-frames-held',
  parts: { transferReceiverDying },
  // Out of the explorer's default bounds (one ref per domain): the receiver needs a granted,
  // mapped ref to stay a zombie and a second ref as the transfer slot (docs/faults.md).
  search: {
    kinds: ['grant_transfer', 'transfer', 'map_grant_ref', 'grant_access', 'destroy_domain'],
    extensions: ['deaths'],
  },
};
