// XSA-316 (Xen da0c66c8f4): a misplaced parenthesis in map_grant_ref, rc = (_set_status(...) !=
// GNTST_okay), made a refused map report status 1 instead of a negative GNTST_* code.

import { setStatusV1 } from '../impl/hypervisor/setStatus.ts';
import type { ImplParts } from '../impl/index.ts';
import { GNTST_okay } from '../xen/abi.ts';
import type { Fault } from './fault.ts';

// map_grant_ref is the only caller of _set_status here and returns rc as the status, so giving
// it the comparison's value (0 or 1) is the same as the misplaced parenthesis.
export const setStatus: ImplParts['setStatus'] = function* (
  shared,
  ref,
  pinned,
  readonly,
  mapflag,
  ldomid,
) {
  const rc = yield* setStatusV1(shared, ref, pinned, readonly, mapflag, ldomid);
  return rc !== GNTST_okay ? 1 : GNTST_okay;
};

export const xsa316PositiveStatus: Fault = {
  id: 'xsa-316-positive-status',
  title: 'a map refused by _set_status reports status 1',
  source: 'XSA-316 (Xen da0c66c8f4)',
  mechanism:
    'When _set_status refuses a map (wrong type or grantee, a writable map of a read-only grant), map_grant_ref stored the result of the comparison, 1, as the element status. A caller that tests status < 0 takes 1 for success and goes on to use a handle that was never set.',
  caughtBy: 'result mismatch / step property well-formed-statuses',
  parts: { setStatus },
  search: { kinds: ['grant_access', 'map_grant_ref'] },
};
