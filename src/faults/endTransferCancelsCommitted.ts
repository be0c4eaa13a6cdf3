// Guest end-transfer (gnttab_end_foreign_transfer_ref_v1) that tests
// GTF_transfer_completed where it must test GTF_transfer_committed, and so reclaims a committed entry.

import type { ImplParts } from '../impl/index.ts';
import { GTF_accept_transfer, GTF_transfer_completed, GTF_type_mask } from '../xen/abi.ts';
import type { Fault } from './fault.ts';
import { pausing } from '../impl/index.ts';

export const guestEndTransfer: ImplParts['guestEndTransfer'] = function* (guest, op) {
  const mem = guest.memory;
  if (guest.refusesRef(op.ref)) return { kind: 'end_transfer', outcome: 'einval' };
  if (pausing) yield mem.before('loadFlags', op.ref);
  let flags = mem.loadFlags(op.ref);
  if ((flags & GTF_type_mask) !== GTF_accept_transfer) {
    return { kind: 'end_transfer', outcome: 'einval' };
  }
  // BUG: "not completed" taken for "not committed": a committed entry is zeroed under Xen.
  while ((flags & GTF_transfer_completed) === 0) {
    if (pausing) yield mem.before('cmpxchgFlags', op.ref);
    const seen = mem.cmpxchgFlags(op.ref, flags, 0);
    if (seen === flags) return { kind: 'end_transfer', outcome: 'cancelled' };
    flags = seen;
  }
  if (pausing) yield mem.before('loadFrame', op.ref);
  return { kind: 'end_transfer', outcome: 'completed', frame: mem.loadFrame(op.ref) };
};

export const endTransferCancelsCommitted: Fault = {
  id: 'end-transfer-cancels-committed',
  title: 'guest end-transfer reclaims a committed entry',
  source: 'Linux gnttab_end_foreign_transfer_ref_v1 and the public header accept_transfer rules',
  mechanism:
    'Once Xen has set GTF_transfer_committed it owns the entry until it sets GTF_transfer_completed; the guest may only wait. Testing the completed bit in the cancel loop zeroes a committed entry, so Xen then writes the frame and the completed bit into an entry the guest has already reused, and the page it sent is lost.',
  caughtBy: 'step property committed-transfer-untouched / result mismatch (cancelled vs pending)',
  parts: { guestEndTransfer },
  search: {
    kinds: ['grant_transfer', 'raw_write', 'end_transfer'],
    extensions: ['hostile_writes'],
  },
};
