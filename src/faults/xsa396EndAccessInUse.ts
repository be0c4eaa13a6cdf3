// Linux's end-access reporting success on an entry the backend still maps (XSA-396,
// CVE-2022-23036..23042 class): frontends queried the entry (gnttab_query_foreign_access) and
// then ended it with a plain store, so a map between the two went unseen. Fixed by
// 6b1775f26a2d (gnttab_try_end_foreign_access) and the per-driver commits of xsa396-5.17-tag.

import type { LinuxParts } from '../impl/guest/profiles/linux.ts';
import type { Fault } from './fault.ts';

/** The query ran before the backend's map: the end is a plain store of 0, reported as done. */
export const linuxEndForeignAccessRef: LinuxParts['linuxEndForeignAccessRef'] = (lib, ref) => {
  lib.memory.storeFlags(ref, 0); // BUG: GTF_reading / GTF_writing are not looked at
  return true;
};

export const xsa396EndAccessInUse: Fault = {
  id: 'xsa-396-end-access-in-use',
  title: 'Linux end-access reports success on an entry still mapped',
  source: 'XSA-396 (Linux 6b1775f26a2d and the xsa396-5.17-tag frontend fixes)',
  mechanism:
    'The frontend tested the entry and then cleared it with a plain store; a backend map in between left the page mapped while the ref and page were freed.',
  caughtBy:
    'result mismatch (end_access ended vs in_use); then profile-page-not-freed-while-granted',
  parts: { linuxEndForeignAccessRef },
  search: { kinds: ['alloc_refs', 'grant_access', 'map_grant_ref', 'end_access'] },
  profile: 'linux',
};
