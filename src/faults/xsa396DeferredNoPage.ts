// Linux's deferred end with no page taking no page reference (XSA-396; fixed by 42baefac638f
// "xen/gnttab: fix gnttab_end_foreign_access() without page specified"): the caller then freed
// its page while the backend could still map it.

import type { LinuxParts } from '../impl/guest/profiles/linux.ts';
import type { Fault } from './fault.ts';

/** gnttab_add_deferred before 42baefac638f: a NULL page is recorded as none. */
export const linuxAddDeferred: LinuxParts['linuxAddDeferred'] = (lib, ref, page) => {
  // BUG: no read_frame + get_page for a NULL page
  lib.deferred.push({ ref, page, warnDelay: 60, idleTicks: 0 });
};

export const xsa396DeferredNoPage: Fault = {
  id: 'xsa-396-deferred-no-page',
  title: 'Linux deferred end with no page keeps no page reference',
  source: 'XSA-396 (Linux 42baefac638f)',
  mechanism:
    'gnttab_end_foreign_access(ref, NULL) on a mapped entry queued the ref without a page reference, so the caller freed the page while the backend still mapped it.',
  caughtBy:
    'state mismatch (deferred record without its page); then profile-page-not-freed-while-granted',
  parts: { linuxAddDeferred },
  search: { kinds: ['alloc_refs', 'grant_access', 'map_grant_ref', 'end_access_deferred'] },
  profile: 'linux',
};
