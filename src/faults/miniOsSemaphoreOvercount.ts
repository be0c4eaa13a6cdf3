// Mini-OS's gnttab semaphore counting the free refs twice (before b99e537 "fix gnttab
// allocation boundary"): it started at NR_GRANT_ENTRIES and init's puts added one each, so
// after the real refs ran out get_free_entry popped slot 0's link, reserved ref 0, again and
// again. The fix starts it at 0 (and adds the BUG_ON on the range, which this keeps).

import type { MiniOsParts } from '../impl/guest/profiles/miniOs.ts';
import { putFreeEntry } from '../impl/guest/profiles/miniOs.ts';
import { GNTTAB_NR_RESERVED_ENTRIES } from '../xen/abi.ts';
import type { Fault } from './fault.ts';

/** init_gnttab with init_SEMAPHORE(&gnttab_sem, NR_GRANT_ENTRIES). */
export const miniOsInitGnttab: MiniOsParts['miniOsInitGnttab'] = (lib) => {
  lib.sem = lib.size; // BUG: the puts below count every free ref a second time
  for (let ref = GNTTAB_NR_RESERVED_ENTRIES; ref < lib.size; ref++) putFreeEntry(lib, ref);
};

export const miniOsSemaphoreOvercount: Fault = {
  id: 'mini-os-semaphore-overcount',
  title: 'Mini-OS grant semaphore over-counts the free refs',
  source: 'Mini-OS b99e537 (xen-project/mini-os)',
  mechanism:
    'The semaphore began at NR_GRANT_ENTRIES before init put every free ref, so exhaustion never blocked and the stack handed out reserved ref 0 (here the range BUG_ON of the same fix turns that into a crash).',
  caughtBy: 'state mismatch (free list) and profile-reserved-never-handed-out at the initial state',
  parts: { miniOsInitGnttab },
  search: { kinds: ['alloc_refs'] },
  profile: 'mini-os',
};
