// GNTTABOP_query_size: gnttab_query_size() (grant_table.c L2140-2185) with count 1, and the
// domain lookup and XSM_TARGET check it shares with setup_table. docs/semantics.md §8.

import type { DomId, QuerySizeOp } from '../../ops/op.ts';
import type { QuerySizeResult } from '../../ops/result.ts';
import { DOMID_SELF, GNTST_bad_domain, GNTST_permission_denied } from '../../xen/abi.ts';
import { domainAt } from '../lookup.ts';
import type { DomainState, ModelState } from '../state.ts';

/** rcu_lock_domain_by_any_id then XSM_TARGET: the target domain, or the failure status. */
export function targetDomain(state: ModelState, caller: DomId, dom: DomId): DomainState | number {
  const self = domainAt(state, caller);
  // Not a Xen path: a domain that does not exist cannot issue hypercalls (opProblem rejects it).
  if (self === undefined) return GNTST_bad_domain;
  // DOMID_SELF is accepted here, unlike in map and transfer
  const target = dom === DOMID_SELF ? self : domainAt(state, dom);
  if (target === undefined) return GNTST_bad_domain;
  // XSM_TARGET (dummy policy): the domain itself or the control domain
  if (target.id !== self.id && !self.privileged) return GNTST_permission_denied;
  return target;
}

export function querySize(
  state: ModelState,
  op: QuerySizeOp,
): { state: ModelState; result: QuerySizeResult } {
  const target = targetDomain(state, op.caller, op.dom);
  if (typeof target === 'number') return { state, result: { kind: 'query_size', status: target } };
  const { nrFrames, maxFrames } = target.grantTable;
  return {
    state,
    result: { kind: 'query_size', status: 0, nrFrames, maxNrFrames: maxFrames },
  };
}
