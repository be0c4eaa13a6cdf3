// A guest ignoring the protocol: plain stores of flags, domid and frame of one v1 entry. Only a
// ref outside the table's memory is refused; reserved refs and in-use entries are fair game.

import type { RawWriteOp } from '../../ops/op.ts';
import type { RawWriteResult } from '../../ops/result.ts';
import { writeEntry } from '../guest.ts';
import { domainAt, isIndex, nrEntries } from '../lookup.ts';
import type { ModelState } from '../state.ts';

export function rawWrite(
  state: ModelState,
  op: RawWriteOp,
): { state: ModelState; result: RawWriteResult } {
  const domain = domainAt(state, op.dom);
  if (domain === undefined || !isIndex(op.ref, nrEntries(domain.grantTable))) {
    return { state, result: { kind: 'raw_write', outcome: 'einval' } };
  }
  // The fields are u16, u16 and u32 in memory: a store keeps only that many bits.
  const entry = { flags: op.flags & 0xffff, domid: op.domid & 0xffff, frame: op.frame >>> 0 };
  return {
    state: writeEntry(state, op.dom, op.ref, entry, true),
    result: { kind: 'raw_write', outcome: 'ok' },
  };
}
