// XSA-385 class: gnttab_transfer's receiver-side page limit (L2383-2385) missing, so a transfer
// gives a domain more pages than its max_pages allows.

import type { ImplParts } from '../impl/index.ts';
import type { Fault } from './fault.ts';

// BUG: the receiver may always take one more page.
const receiverAtPageLimit: ImplParts['receiverAtPageLimit'] = () => false;

export const xsa385TransferPastMaxPages: Fault = {
  id: 'xsa-385-transfer-past-max-pages',
  title: 'transfer past the receiver’s max_pages',
  source: 'XSA-385 (Xen 143501861d); gnttab_transfer L2376-2399',
  mechanism:
    'Before handing the stolen page to the receiver, gnttab_transfer must refuse when the receiver is at max_pages (and when tot_pages + 1 would overflow: the accounting XSA-385 hardened). Without the test a domain can be pushed past its memory allocation by anyone who can transfer to it.',
  caughtBy: 'result mismatch (okay vs general_error); page-budget',
  parts: { receiverAtPageLimit },
  search: { kinds: ['grant_transfer', 'transfer'], maxPagesSlack: 0 },
};
