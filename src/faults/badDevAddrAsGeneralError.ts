// Xen c5bf1295b0 (2021): unmap_common reported a dev_bus_addr that does not match the mapping as
// GNTST_general_error instead of GNTST_bad_dev_addr.

import { unmapCommon } from '../impl/hypervisor/unmapGrantRef.ts';
import type { ImplParts } from '../impl/index.ts';
import { GNTST_bad_dev_addr, GNTST_general_error } from '../xen/abi.ts';
import type { Fault } from './fault.ts';

// unmap_common's only bad_dev_addr return (L1489) happens before anything is changed, so
// rewriting the status is the same as the one-line bug.
export const unmapCommonWrongCode: ImplParts['unmapCommon'] = function* (xen, ld, op) {
  yield* unmapCommon(xen, ld, op);
  if (op.status === GNTST_bad_dev_addr) op.status = GNTST_general_error;
};

export const badDevAddrAsGeneralError: Fault = {
  id: 'bad-dev-addr-as-general-error',
  title: 'a mismatched dev_bus_addr reported as general_error',
  source: 'Xen c5bf1295b0 (2021)',
  mechanism:
    'An unmap whose dev_bus_addr is non-zero and differs from the mapped frame (mfn << 12) must fail with GNTST_bad_dev_addr, leaving the mapping, host part included, in place. The bug reported GNTST_general_error, which a caller cannot tell from a PTE mismatch.',
  caughtBy: 'result mismatch (general_error vs bad_dev_addr)',
  parts: { unmapCommon: unmapCommonWrongCode },
  search: { kinds: ['grant_access', 'map_grant_ref', 'unmap_grant_ref'] },
};
