// gnttab_end_foreign_transfer_ref_v1: cancel by cmpxchg while not committed; once
// committed Linux spins until completed (here: 'pending'), then reads the frame Xen wrote.

import type { EndTransferOp } from '../../ops/op.ts';
import type { EndTransferResult } from '../../ops/result.ts';
import {
  GTF_accept_transfer,
  GTF_transfer_committed,
  GTF_transfer_completed,
  GTF_type_mask,
} from '../../xen/abi.ts';
import { pausing, type Steps } from '../steps.ts';
import type { GuestLib } from './guestLib.ts';

export function* endTransfer(guest: GuestLib, op: EndTransferOp): Steps<EndTransferResult> {
  const mem = guest.memory;
  if (guest.refusesRef(op.ref)) return { kind: 'end_transfer', outcome: 'einval' };
  if (pausing) yield mem.before('loadFlags', op.ref);
  let flags = mem.loadFlags(op.ref);
  // Refused: not a transfer grant (semantics.md §3)
  if ((flags & GTF_type_mask) !== GTF_accept_transfer) {
    return { kind: 'end_transfer', outcome: 'einval' };
  }
  // Phase 1: no transfer committed yet, so cancel (Linux returns frame 0).
  while ((flags & GTF_transfer_committed) === 0) {
    if (pausing) yield mem.before('cmpxchgFlags', op.ref);
    const seen = mem.cmpxchgFlags(op.ref, flags, 0);
    if (seen === flags) return { kind: 'end_transfer', outcome: 'cancelled' };
    flags = seen;
  }
  // Phase 2: committed. Linux spins here until Xen sets completed; alone (nothing else runs to
  // set it) the library reports 'pending' instead of spinning for ever.
  while ((flags & GTF_transfer_completed) === 0) {
    const completed = pausing ? yield mem.waitFor(op.ref, GTF_transfer_completed) : undefined;
    if (completed !== true) return { kind: 'end_transfer', outcome: 'pending' };
    if (pausing) yield mem.before('loadFlags', op.ref);
    flags = mem.loadFlags(op.ref);
  }
  // rmb(): the frame was written before completed.
  if (pausing) yield mem.before('loadFrame', op.ref);
  return { kind: 'end_transfer', outcome: 'completed', frame: mem.loadFrame(op.ref) };
}
