// A guest ignoring the pub.h protocol: one plain 8-byte store of an entry in its own
// table, reserved refs included. Marks the ref in rawWritten for the (G) invariants.

import type { RawWriteOp } from '../../ops/op.ts';
import type { RawWriteResult } from '../../ops/result.ts';
import { pausing, type Steps } from '../steps.ts';
import type { GuestLib } from './guestLib.ts';

export function* rawWrite(guest: GuestLib, op: RawWriteOp): Steps<RawWriteResult> {
  // Refused: outside the table's memory (semantics.md §3)
  if (op.ref >= guest.nrEntries()) return { kind: 'raw_write', outcome: 'einval' };
  if (pausing) yield guest.memory.before('storeEntry', op.ref);
  guest.memory.storeEntry(op.ref, op.flags, op.domid, op.frame);
  guest.markRawWritten(op.ref);
  return { kind: 'raw_write', outcome: 'ok' };
}
