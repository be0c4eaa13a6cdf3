// GNTTABOP_setup_table: gnttab_setup_table (L2052-2138). Grows the table, never shrinks
// it; the frame list itself is not modelled, only the resulting frame count.

import type { SetupTableOp } from '../../ops/op.ts';
import type { SetupTableResult } from '../../ops/result.ts';
import {
  GNTST_bad_domain,
  GNTST_general_error,
  GNTST_okay,
  GNTST_permission_denied,
} from '../../xen/abi.ts';
import { pausing, type Steps } from '../steps.ts';
import type { Hypervisor } from './hypervisor.ts';

export function* gnttabSetupTable(xen: Hypervisor, op: SetupTableOp): Steps<SetupTableResult> {
  const d = xen.rcuLockDomainByAnyId(op.dom, op.caller);
  // gnttab_setup_table: no such domain
  if (d === undefined) return { kind: 'setup_table', status: GNTST_bad_domain };
  // gnttab_setup_table: xsm_grant_setup (XSM_TARGET) refused
  if (!xen.xsmTarget(op.caller, d.id)) {
    return { kind: 'setup_table', status: GNTST_permission_denied };
  }
  const gt = d.grantTable;
  if (pausing) yield d.locks.grantWriteLock; // L2086
  // gnttab_setup_table: more frames than max_grant_frames
  if (op.nrFrames > gt.maxGrantFrames) {
    if (pausing) yield d.locks.grantWriteUnlock;
    return { kind: 'setup_table', status: GNTST_general_error };
  }
  if (op.nrFrames > gt.nrGrantFrames) {
    // gnttab_grow_table cannot fail here; share_xen_page_with_guest takes d's page_alloc_lock
    // under the write lock (L1935)
    if (pausing) yield d.locks.pageAllocLock;
    gt.grow(op.nrFrames);
    if (pausing) yield d.locks.pageAllocUnlock;
  }
  const nrFrames = gt.nrGrantFrames;
  if (pausing) yield d.locks.grantWriteUnlock; // L2129
  return { kind: 'setup_table', status: GNTST_okay, nrFrames };
}
