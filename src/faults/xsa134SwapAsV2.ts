// XSA-134 (CVE-2015-4163, Xen 5d5c09d853): swap_grant_ref did not look at the table's version,
// so a table not yet at version 1 was swapped through the v2 branch.

import { GRANT_ENTRY_V1_SIZE } from '../xen/abi.ts';
import type { ImplParts } from '../impl/index.ts';
import { comboDomid, comboFlags } from '../impl/sharedMemory.ts';
import type { Fault } from './fault.ts';
import { pausing } from '../impl/index.ts';

/** sizeof(grant_entry_v2_t) / sizeof(grant_entry_v1_t): a v2 entry covers two v1 slots. */
const V1_SLOTS_PER_V2_ENTRY = 16 / GRANT_ENTRY_V1_SIZE;

// BUG: the v2 branch on a v1 table: the 16-byte entries ref_a and ref_b, i.e. the v1 slots
// 2a, 2a+1 and 2b, 2b+1, change places. The status words it would swap too do not exist (on
// Xen: a NULL status array, dereferenced); nothing else is touched.
export const swapSharedEntries: ImplParts['swapSharedEntries'] = function* (gt, refA, refB) {
  for (let half = 0; half < V1_SLOTS_PER_V2_ENTRY; half++) {
    const slotA = refA * V1_SLOTS_PER_V2_ENTRY + half;
    const slotB = refB * V1_SLOTS_PER_V2_ENTRY + half;
    if (pausing) yield gt.shared.before('loadEntry', slotA);
    const a = gt.shared.loadEntry(slotA);
    if (pausing) yield gt.shared.before('loadEntry', slotB);
    const b = gt.shared.loadEntry(slotB);
    if (pausing) yield gt.shared.before('storeEntry', slotA);
    gt.shared.storeEntry(slotA, comboFlags(b.combo), comboDomid(b.combo), b.frame);
    if (pausing) yield gt.shared.before('storeEntry', slotB);
    gt.shared.storeEntry(slotB, comboFlags(a.combo), comboDomid(a.combo), a.frame);
  }
};

export const xsa134SwapAsV2: Fault = {
  id: 'xsa-134-swap-as-v2',
  title: 'swap_grant_ref swaps a v1 table as if it were v2',
  source: 'XSA-134 (CVE-2015-4163, Xen 5d5c09d853)',
  mechanism:
    'swap_grant_ref chose between its v1 and v2 branches by `gt_version == 1` alone, so a table still at version 0 (no setup_table or set_version yet) took the v2 branch: 16-byte entries and the status words, whose array was NULL (a host crash). Tables start at v1 since Xen 1237659523, so the re-creation is the same missing version test on a v1 table: the v2 branch over v1 memory moves the wrong 8-byte slots (2a, 2a+1 with 2b, 2b+1) and leaves the two named entries where they were.',
  caughtBy: 'state mismatch (grant entries) / swap-exchanges-only-two-entries',
  parts: { swapSharedEntries },
  search: { kinds: ['grant_access', 'swap_grant_ref'] },
};
