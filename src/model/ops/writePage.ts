// A guest writing its own memory: `len` bytes of one value at `off` of the page its p2m names
// for `gfn`. Not a hypercall: the guest's own store through its page tables (docs/semantics.md
// §13). The bytes belong to the machine frame (ModelState.contents).

import type { WritePageOp } from '../../ops/op.ts';
import type { WritePageResult } from '../../ops/result.ts';
import { fillRange, withinPage } from '../contents.ts';
import { withStore } from '../flow.ts';
import type { ModelState } from '../state.ts';
import { editState, mapWith, mapWithout } from '../update.ts';

export function writePage(
  state: ModelState,
  op: WritePageOp,
): { state: ModelState; result: WritePageResult } {
  const mfn = state.domains[op.dom]?.p2m.get(op.gfn);
  if (mfn === undefined) return { state, result: { kind: 'write_page', outcome: 'unbacked' } };
  if (!withinPage(op.off, op.len)) {
    return { state, result: { kind: 'write_page', outcome: 'out_of_page' } };
  }
  return {
    state: writeFrame(labelled(state, op.dom, mfn, op.len), mfn, op.off, op.len, op.byte),
    result: { kind: 'write_page', outcome: 'ok' },
  };
}

/** Ghost (§15): a store of `len` > 0 bytes by `by` into a frame it does not own is labelled. */
export function labelled(state: ModelState, by: number, mfn: number, len: number): ModelState {
  return len > 0 ? withStore(state, mfn, undefined, by) : state;
}

/** `state` with bytes [off, off+len) of frame `mfn` set to `byte`. */
export function writeFrame(
  state: ModelState,
  mfn: number,
  off: number,
  len: number,
  byte: number,
): ModelState {
  const before = state.contents.get(mfn);
  const after = fillRange(before, off, len, byte);
  if (after === before || after?.key === before?.key) return state;
  const contents =
    after === undefined ? mapWithout(state.contents, mfn) : mapWith(state.contents, mfn, after);
  return editState(state, (s) => {
    s.contents = contents;
  });
}
