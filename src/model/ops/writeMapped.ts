// The mapper writing through one of its grant host mappings: the PTE at the linear page holding
// `hostAddr` (create_grant_pv_mapping's slot) names the granted frame, and a read-only PTE
// refuses the store (docs/semantics.md §13).

import type { WriteMappedOp } from '../../ops/op.ts';
import type { WriteMappedResult } from '../../ops/result.ts';
import { withinPage } from '../contents.ts';
import { hostPage } from '../lookup.ts';
import type { ModelState } from '../state.ts';
import { labelled, writeFrame } from './writePage.ts';

export function writeMapped(
  state: ModelState,
  op: WriteMappedOp,
): { state: ModelState; result: WriteMappedResult } {
  const pte = state.domains[op.dom]?.hostMappings.get(hostPage(op.hostAddr));
  if (pte === undefined) return { state, result: { kind: 'write_mapped', outcome: 'no_mapping' } };
  if (!pte.writable) return { state, result: { kind: 'write_mapped', outcome: 'readonly' } };
  if (!withinPage(op.off, op.len)) {
    return { state, result: { kind: 'write_mapped', outcome: 'out_of_page' } };
  }
  return {
    state: writeFrame(labelled(state, op.dom, pte.mfn, op.len), pte.mfn, op.off, op.len, op.byte),
    result: { kind: 'write_mapped', outcome: 'ok' },
  };
}
