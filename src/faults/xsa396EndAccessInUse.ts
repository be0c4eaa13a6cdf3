// XSA-396 (CVE-2022-23036..23042) at the library: before the fix, Linux frontends queried an
// entry (gnttab_query_foreign_access), then called gnttab_end_foreign_access_ref without acting
// on its result and freed the ref and page, so a backend map between the two went unseen. The
// library's end itself always was the compare-and-swap that returns 0 while the entry is in
// use; this fault plants the frontends' pattern in it instead: an end that reports success
// without looking at GTF_reading / GTF_writing. Fixed by 6b1775f26a2d
// (gnttab_try_end_foreign_access) and the per-driver commits of xsa396-5.17-tag.

import type { LinuxParts } from '../impl/guest/profiles/linux.ts';
import type { Fault } from './fault.ts';

/** The query ran before the backend's map: the end is a plain store of 0, reported as done. */
export const linuxEndForeignAccessRef: LinuxParts['linuxEndForeignAccessRef'] = (lib, ref) => {
  lib.memory.storeFlags(ref, 0); // BUG: GTF_reading / GTF_writing are not looked at
  return true;
};

export const xsa396EndAccessInUse: Fault = {
  id: 'xsa-396-end-access-in-use',
  title: "Linux frontends' query-then-end: an end reported done on an entry still mapped",
  source: 'XSA-396 (Linux 6b1775f26a2d and the xsa396-5.17-tag frontend fixes)',
  mechanism:
    "The frontends tested the entry, ended it without acting on the end's result and freed the ref and page; a backend map in between left the page mapped. Planted at the library: its end reports success without looking at the status bits.",
  caughtBy:
    'result mismatch (end_access ended vs in_use); then profile-page-not-freed-while-granted',
  parts: { linuxEndForeignAccessRef },
  search: { kinds: ['alloc_refs', 'grant_access', 'map_grant_ref', 'end_access'] },
  profile: 'linux',
};
