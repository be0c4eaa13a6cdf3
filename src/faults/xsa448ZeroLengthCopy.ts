// Zero-length copies (XSA-448's neighbourhood): Xen 4.17.7 runs a len-0 element through every
// check; the fault treats it as a no-op, as Xen does only since a4a790f432 (2024).

import type { ImplParts } from '../impl/index.ts';
import { gnttabCopyOne } from '../impl/hypervisor/copy.ts';
import { GNTST_okay } from '../xen/abi.ts';
import type { Fault } from './fault.ts';

export const zeroLengthIsNoOp: ImplParts['gnttabCopyOne'] = function* (xen, caller, op, dest, src) {
  // BUG (against the 4.17.7 contract): nothing is looked up or claimed for len 0.
  return op.len === 0 ? GNTST_okay : yield* gnttabCopyOne(xen, caller, op, dest, src);
};

export const xsa448ZeroLengthCopy: Fault = {
  id: 'xsa-448-zero-length-copy',
  title: 'a zero-length copy element skips every check',
  source: 'XSA-448 (Linux netback zero-length fragments); Xen a4a790f432 (not in 4.17.7)',
  mechanism:
    "XSA-448 was Linux netback turning zero-length transmit fragments into zero-size SKB fragments; Xen afterwards (a4a790f432) made a zero-length copy a full no-op. A backend written against 4.17.7 gets that element's real status (bad_gntref, general_error, permission_denied…) and its pins taken and dropped; a hypervisor that answers okay without looking hides a bad ref or domain from it.",
  caughtBy: 'result mismatch (okay vs the 4.17.7 status)',
  parts: { gnttabCopyOne: zeroLengthIsNoOp },
  search: { kinds: ['grant_access', 'copy'], extensions: ['copies'] },
};
