// A race fault's programs, written as canonical op text (src/ops/text.ts): `raceOps('end_access(d1
// ref=8)')`. A typo is an error at load time, not a different op. And the race several faults
// share: a guest ending its grant while the grantee maps it.

import type { Op } from '../ops/op.ts';
import { parseOp } from '../ops/text.ts';
import type { RaceSearch } from './fault.ts';

export function raceOps(...texts: readonly string[]): Op[] {
  return texts.map((text) => {
    const parsed = parseOp(text);
    if (!parsed.ok) throw new Error(`${parsed.error}: ${text}`);
    return parsed.op;
  });
}

/** d1 ends its grant of ref 8 to d2 while d2 maps it: end_access's check-and-clear against
 * _set_status_v1's check-and-set of the same flags+domid word. */
export const END_ACCESS_AGAINST_MAP: RaceSearch = {
  setup: raceOps('grant_access(d1 ref=8 -> d2 gfn=0 rw)'),
  actors: [
    { dom: 1, ops: raceOps('end_access(d1 ref=8)'), kinds: ['grant_access', 'end_access'] },
    {
      dom: 2,
      ops: raceOps('map(d2: d1 ref=8 host @0x1000)'),
      kinds: ['map_grant_ref', 'unmap_grant_ref'],
    },
  ],
};
