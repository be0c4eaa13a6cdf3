// Xen 5c10b96795 (2021): map_grant_ref reported maptrack exhaustion as GNTST_no_device_space
// (-7) instead of GNTST_no_space (-13).

import { mapGrantRef } from '../impl/hypervisor/mapGrantRef.ts';
import type { ImplParts } from '../impl/index.ts';
import { GNTST_no_device_space, GNTST_no_space } from '../xen/abi.ts';
import type { Fault } from './fault.ts';

// The only no_space return of map_grant_ref is get_maptrack_handle's failure (L1046), after
// which nothing else changes, so rewriting the status is the same as the one-line bug.
export const mapGrantRefWrongCode: ImplParts['mapGrantRef'] = function* (xen, ld, op, vcpu) {
  const result = yield* mapGrantRef(xen, ld, op, vcpu);
  return result.status === GNTST_no_space ? { status: GNTST_no_device_space } : result;
};

export const noSpaceAsNoDeviceSpace: Fault = {
  id: 'no-space-as-no-device-space',
  title: 'maptrack exhaustion reported as no_device_space',
  source: 'Xen 5c10b96795 (2021)',
  mechanism:
    'When get_maptrack_handle finds no free handle (one vCPU, max_maptrack_frames full: 255 live mappings per frame), map_grant_ref must return GNTST_no_space. The bug returned GNTST_no_device_space, a code Xen otherwise never produces, so callers that retry on no_space (Linux gntdev) saw a hard error.',
  caughtBy: 'result mismatch (no_device_space vs no_space)',
  parts: { mapGrantRef: mapGrantRefWrongCode },
  search: { kinds: ['grant_access', 'map_grant_ref'], extensions: ['map_bursts'] },
};
