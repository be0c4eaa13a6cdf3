// A guest reading its own memory: the digest of `len` bytes at `off` of the page its p2m names
// for `gfn` (docs/semantics.md §13). Changes nothing.

import type { ReadPageOp } from '../../ops/op.ts';
import type { ReadPageResult } from '../../ops/result.ts';
import { digestRuns, readRuns, withinPage } from '../contents.ts';
import type { ModelState } from '../state.ts';

export function readPage(
  state: ModelState,
  op: ReadPageOp,
): { state: ModelState; result: ReadPageResult } {
  const mfn = state.domains[op.dom]?.p2m.get(op.gfn);
  if (mfn === undefined) return { state, result: { kind: 'read_page', outcome: 'unbacked' } };
  if (!withinPage(op.off, op.len)) {
    return { state, result: { kind: 'read_page', outcome: 'out_of_page' } };
  }
  const digest = digestRuns(op.len, readRuns(state.contents.get(mfn), op.off, op.len));
  return { state, result: { kind: 'read_page', outcome: 'ok', digest } };
}
