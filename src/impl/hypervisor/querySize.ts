// GNTTABOP_query_size: gnttab_query_size (L2140-2185).

import type { QuerySizeOp } from '../../ops/op.ts';
import type { QuerySizeResult } from '../../ops/result.ts';
import { GNTST_bad_domain, GNTST_okay, GNTST_permission_denied } from '../../xen/abi.ts';
import { pausing, type Steps } from '../steps.ts';
import type { Hypervisor } from './hypervisor.ts';

export function* gnttabQuerySize(xen: Hypervisor, op: QuerySizeOp): Steps<QuerySizeResult> {
  const d = xen.rcuLockDomainByAnyId(op.dom, op.caller);
  // gnttab_query_size: no such domain
  if (d === undefined) return { kind: 'query_size', status: GNTST_bad_domain };
  // gnttab_query_size: xsm_grant_query_size (XSM_TARGET) refused
  if (!xen.xsmTarget(op.caller, d.id)) {
    return { kind: 'query_size', status: GNTST_permission_denied };
  }
  const gt = d.grantTable;
  if (pausing) yield d.locks.grantReadLock; // L2169
  const nrFrames = gt.nrGrantFrames;
  if (pausing) yield d.locks.grantReadUnlock;
  return { kind: 'query_size', status: GNTST_okay, nrFrames, maxNrFrames: gt.maxGrantFrames };
}
