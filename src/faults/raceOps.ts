// A race fault's programs, written as canonical op text (src/ops/text.ts): `raceOps('end_access(d1
// ref=8)')`. A typo is an error at load time, not a different op.

import type { Op } from '../ops/op.ts';
import { parseOp } from '../ops/text.ts';

export function raceOps(...texts: readonly string[]): Op[] {
  return texts.map((text) => {
    const parsed = parseOp(text);
    if (!parsed.ok) throw new Error(`${parsed.error}: ${text}`);
    return parsed.op;
  });
}
