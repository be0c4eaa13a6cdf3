// Ops in tests, written in their canonical text form (src/ops/text.ts) rather than as object
// literals: `op('copy(d2: d0 ref=8 off=0 -> self gmfn=1 off=0 len=4)')`.
import type { Op } from '../../src/ops/op.ts';
import { parseOp } from '../../src/ops/text.ts';

/** The op `text` names; a test's typo is an error, not a different op. */
export function op(text: string): Op {
  const parsed = parseOp(text);
  if (!parsed.ok) throw new Error(`${parsed.error}: ${text}`);
  return parsed.op;
}
