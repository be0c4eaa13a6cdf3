// XSA-234 (Xen 16b1414de9, CVE-2017-14319): destroying or replacing a PV grant PTE checked only
// that the PTE maps the grant's frame, not its _PAGE_PRESENT and _PAGE_RW bits.

import type { ImplParts } from '../impl/index.ts';
import { GNTMAP_device_map, GNTMAP_host_map, GNTMAP_readonly } from '../xen/abi.ts';
import type { Fault } from './fault.ts';
import { putPageUnchecked } from './uncheckedPut.ts';

// BUG: the frame compare alone (l1e_get_pfn(ol1e) != frame), as before the fix. An absent PTE
// has frame 0, which no grant maps here, so PRESENT is still implied; RW is not.
const grantPteMatches: ImplParts['grantPteMatches'] = (pte, mfn) =>
  pte !== undefined && pte.mfn === mfn;

// Not a second bug: unmap_common_complete's puts as a release build of Xen does them, unchecked,
// so that the type count of a read-only PTE torn down for a writable mapping wraps the way Xen's
// did, instead of tripping the impl's put_page_type assertion in the middle of a batch.
const unmapCompletePutPages: ImplParts['unmapCompletePutPages'] = (xen, _ld, op) => {
  const frames = xen.frames;
  if (op.done === 0 || !frames.valid(op.mfn)) return;
  const readonly = (op.done & GNTMAP_readonly) !== 0;
  for (const kind of [GNTMAP_device_map, GNTMAP_host_map]) {
    if (!(op.done & kind)) continue;
    putPageUnchecked(frames, op.mfn, !readonly);
  }
};

export const xsa234PteFlagsUnchecked: Fault = {
  id: 'xsa-234-pte-flags-unchecked',
  title: 'unmap (and unmap_and_replace) of a grant PTE ignores its RW bit',
  source: 'XSA-234 (Xen 16b1414de9, CVE-2017-14319)',
  mechanism:
    "replace_grant_pv_mapping (then destroy_grant_pte_mapping / replace_grant_va_mapping) must find, at host_addr, a PTE that maps the grant's frame with the grant's PRESENT and RW bits. Before the fix only the frame was compared, so a PTE whose rights differ from the mapping being destroyed (a writable grant PTE written over a read-only one of the same frame, or a PTE altered by other page-table hypercalls) was torn down for the wrong mapping: the read-only mapping's references are dropped for a writable PTE, leaving a writable type reference with no PTE behind it (reference accounting broken, the page never freed or freed while mapped).",
  caughtBy: 'result mismatch (okay vs general_error) / page-references (impl)',
  parts: { grantPteMatches, unmapCompletePutPages },
  search: { kinds: ['grant_access', 'map_grant_ref', 'unmap_grant_ref'] },
};
