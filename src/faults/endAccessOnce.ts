// The end-access races' common shape: gnttab_end_foreign_access_ref_v1's checks (an access grant,
// neither GTF_reading nor GTF_writing set) made once, then the entry cleared by `clear` — where
// the library must instead compare-and-swap the flags it checked, and look again if they changed.

import type { ImplParts } from '../impl/index.ts';
import type { SharedGrantMemory } from '../impl/index.ts';
import type { Pause } from '../impl/index.ts';
import type { Ref } from '../ops/op.ts';
import { GTF_permit_access, GTF_reading, GTF_type_mask, GTF_writing } from '../xen/abi.ts';
import { pausing } from '../impl/index.ts';

/** `clear` yields its access's pause and makes it. */
export function endAccessOnce(
  clear: (mem: SharedGrantMemory, ref: Ref) => Generator<Pause, void, true | undefined>,
): ImplParts['guestEndAccess'] {
  return function* (guest, op) {
    const mem = guest.memory;
    if (guest.refusesRef(op.ref)) return { kind: 'end_access', outcome: 'einval' };
    if (pausing) yield mem.before('loadFlags', op.ref);
    const flags = mem.loadFlags(op.ref);
    if ((flags & GTF_type_mask) !== GTF_permit_access) {
      return { kind: 'end_access', outcome: 'einval' };
    }
    if (flags & (GTF_reading | GTF_writing)) return { kind: 'end_access', outcome: 'in_use' };
    yield* clear(mem, op.ref);
    return { kind: 'end_access', outcome: 'ended' };
  };
}
