// The mapper reading through one of its grant host mappings, read-only or writable (as
// write_mapped; docs/semantics.md §13). Changes nothing.

import type { ReadMappedOp } from '../../ops/op.ts';
import type { ReadMappedResult } from '../../ops/result.ts';
import { digestRuns, readRuns, withinPage } from '../contents.ts';
import { hostPage } from '../lookup.ts';
import type { ModelState } from '../state.ts';

export function readMapped(
  state: ModelState,
  op: ReadMappedOp,
): { state: ModelState; result: ReadMappedResult } {
  const pte = state.domains[op.dom]?.hostMappings.get(hostPage(op.hostAddr));
  if (pte === undefined) return { state, result: { kind: 'read_mapped', outcome: 'no_mapping' } };
  if (!withinPage(op.off, op.len)) {
    return { state, result: { kind: 'read_mapped', outcome: 'out_of_page' } };
  }
  const digest = digestRuns(op.len, readRuns(state.contents.get(pte.mfn), op.off, op.len));
  return { state, result: { kind: 'read_mapped', outcome: 'ok', digest } };
}
