// A guest end-access that treats the entry as free when only GTF_writing is set (the XSA-396
// family: the "in use?" test does not cover every bit Xen uses to say so).

import type { ImplParts } from '../impl/index.ts';
import { GTF_permit_access, GTF_reading, GTF_type_mask } from '../xen/abi.ts';
import type { Fault } from './fault.ts';
import { pausing } from '../impl/index.ts';

export const guestEndAccess: ImplParts['guestEndAccess'] = function* (guest, op) {
  const mem = guest.memory;
  if (guest.refusesRef(op.ref)) return { kind: 'end_access', outcome: 'einval' };
  if (pausing) yield mem.before('loadFlags', op.ref);
  let flags = mem.loadFlags(op.ref);
  if ((flags & GTF_type_mask) !== GTF_permit_access)
    return { kind: 'end_access', outcome: 'einval' };
  for (;;) {
    // BUG: GTF_writing is not looked at.
    if (flags & GTF_reading) return { kind: 'end_access', outcome: 'in_use' };
    if (pausing) yield mem.before('cmpxchgFlags', op.ref);
    const seen = mem.cmpxchgFlags(op.ref, flags, 0);
    if (seen === flags) return { kind: 'end_access', outcome: 'ended' };
    flags = seen;
  }
};

export const endAccessIgnoresWriting: Fault = {
  id: 'end-access-ignores-writing',
  title: 'guest end-access ignores GTF_writing',
  source: 'Linux gnttab_end_foreign_access_ref and the public header (XSA-396 class)',
  mechanism:
    'gnttab_end_foreign_access_ref must refuse while GTF_reading or GTF_writing is set; this one checks GTF_reading only, so an entry whose flags show a writer but no reader is invalidated.',
  caughtBy: 'result mismatch (end_access ended vs in_use)',
  parts: { guestEndAccess },
  search: { kinds: ['grant_access', 'raw_write', 'end_access'], extensions: ['hostile_writes'] },
};
