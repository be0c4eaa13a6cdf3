// XSA-227 (Xen ce442926c2, CVE-2017-12137): a GNTMAP_contains_pte map (and unmap) took any PTE
// address, aligned or not, and wrote the grant PTE there.

import type { ImplParts } from '../impl/index.ts';
import type { Fault } from './fault.ts';

// BUG: no IS_ALIGNED(addr, sizeof(l1_pgentry_t)) test. The impl keeps PTEs as records by slot,
// so the write lands in the slot the address falls in; Xen's 8-byte store straddled two PTEs.
const pteAddressAligned: ImplParts['pteAddressAligned'] = () => true;

export const xsa227MisalignedPte: Fault = {
  id: 'xsa-227-misaligned-pte',
  title: 'a contains_pte map at a misaligned PTE address is accepted',
  source: 'XSA-227 (Xen ce442926c2, CVE-2017-12137)',
  mechanism:
    "With GNTMAP_contains_pte, host_addr is the machine address of an L1 entry the guest nominates. Before the fix create_grant_pte_mapping (today create_grant_pv_mapping) never checked that it was 8-byte aligned, so Xen wrote the grant PTE across two adjacent entries of the guest's L1 table, with largely guest-controlled values: a mapping of memory the guest was never granted. The fix refuses a misaligned address with general_error (and destroy asserts alignment). The fault drops the test; the impl's PTEs are records, so the write lands in one slot and the map reports okay.",
  caughtBy: 'result mismatch (okay vs general_error)',
  parts: { pteAddressAligned },
  search: { kinds: ['grant_access', 'map_grant_ref'] },
};
