// Linux put_free_entry accepting a reserved ref (before 8c9eb0e3731d "xen/grant-table: never put
// a reserved grant on the free list"): a driver freeing its "no ref" value 0 put the console's
// entry on the free list, and a later allocation handed it out.

import type { LinuxParts } from '../impl/guest/profiles/linux.ts';
import type { Fault } from './fault.ts';

/** put_free_entry without the reserved-ref check. */
export const linuxPutFreeEntry: LinuxParts['linuxPutFreeEntry'] = (lib, ref) => {
  lib.next[ref] = lib.head; // BUG: ref < GNTTAB_NR_RESERVED_ENTRIES goes on the list too
  lib.head = ref;
  lib.count++;
};

export const linuxReservedRefFreed: Fault = {
  id: 'linux-reserved-ref-freed',
  title: 'Linux puts a reserved grant ref on the free list',
  source: 'Linux 8c9eb0e3731d',
  mechanism:
    'put_free_entry linked any ref into the free list, so freeing a reserved ref (0..7) let a later allocation hand it out and a grant overwrite the toolstack entry.',
  caughtBy: 'state mismatch (free list); profile-reserved-never-handed-out',
  parts: { linuxPutFreeEntry },
  search: { kinds: ['free_ref', 'alloc_refs'] },
  profile: 'linux',
};
