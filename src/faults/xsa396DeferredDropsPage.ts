// Linux's deferred list dropping the page reference it was given: the page the caller handed
// over is put at once instead of when the deferred end completes, so it goes back to the
// allocator while the backend still maps it (docs/guest-libraries.md §2.6). Synthetic, of the
// XSA-396 class: no Linux release did this (gnttab_handle_deferred always put the page only on
// reclaim); the historical page bug is xsa-396-deferred-no-page's.

import type { LinuxParts } from '../impl/guest/profiles/linux.ts';
import type { Fault } from './fault.ts';

/** gnttab_add_deferred that put_page()s the caller's page instead of keeping it. */
export const linuxAddDeferred: LinuxParts['linuxAddDeferred'] = (lib, ref, page) => {
  // BUG: the caller's reference is dropped here; the record keeps none
  const held = page === null ? lib.memory.loadFrame(ref) : null;
  lib.deferred.push({ ref, page: held, warnDelay: 60, idleTicks: 0 });
};

export const xsa396DeferredDropsPage: Fault = {
  id: 'xsa-396-deferred-drops-page',
  title: "Linux deferred list drops the caller's page reference",
  source: 'synthetic, XSA-396 class (gnttab_add_deferred page ownership; no Linux release)',
  mechanism:
    'A deferred end given the page put it at once rather than when the end completed, so the page was freed while the grant was still mapped.',
  caughtBy:
    'state mismatch (deferred record without its page); then profile-page-not-freed-while-granted',
  parts: { linuxAddDeferred },
  search: { kinds: ['alloc_refs', 'grant_access', 'map_grant_ref', 'end_access_deferred'] },
  profile: 'linux',
};
