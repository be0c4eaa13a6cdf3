// XSA-18 (CVE-2012-3516, Xen 4b9e508290): GNTTABOP_swap_grant_ref as first added did not check
// ref_a and ref_b against the table's size before indexing the active and shared entries.

import type { ImplParts } from '../impl/index.ts';
import type { Fault } from './fault.ts';

// BUG: no bounds check; swap_grant_ref goes on to read the pins and entries of any ref.
const swapRefOutOfRange: ImplParts['swapRefOutOfRange'] = () => false;

export const xsa18SwapUncheckedRefs: Fault = {
  id: 'xsa-18-swap-unchecked-refs',
  title: 'swap_grant_ref indexes the table with refs it never bounds-checked',
  source: 'XSA-18 (CVE-2012-3516, Xen 4b9e508290)',
  mechanism:
    'swap_grant_ref took ref_a and ref_b straight from the guest and read active[ref] past the end of the array (Xen then dereferenced whatever it found: a host crash). Here the memory past the table reads as unpinned zero bytes and a store there is lost, so a swap of an in-range ref with an out-of-range one reports okay and wipes the in-range entry, where Xen 4.17.7 answers bad_gntref and changes nothing.',
  caughtBy: 'result mismatch (okay vs bad_gntref)',
  parts: { swapRefOutOfRange },
  search: { kinds: ['swap_grant_ref'] },
};
