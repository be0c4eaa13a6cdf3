// XEN_DOMCTL_destroydomain (common/domctl.c) → domain_kill (common/domain.c), atomically, as
// the model's one step: gnttab_release_mappings (grant_table.c), the PV page tables' grant PTEs
// dropped, domain_relinquish_resources (the two base references of each page). What others
// still map stays; ../death.ts frees the rest and ends the zombie. docs/semantics.md §17.

import type { DestroyDomainOp } from '../../ops/op.ts';
import type { DestroyDomainResult } from '../../ops/result.ts';
import { EINVAL, EPERM, ESRCH, GNTMAP_readonly } from '../../xen/abi.ts';
import { releasedMaptrack, reapZombies } from '../death.ts';
import { entryAt } from '../entry.ts';
import { domainAt } from '../lookup.ts';
import { pinIncrement, subtractPins, totalPins } from '../pins.ts';
import type { ModelState } from '../state.ts';
import { reduceStatusForPin } from '../status.ts';
import { activeGrant, editDomain, mapWith, mapWithout, withActive, withEntry } from '../update.ts';

export function destroyDomain(
  state: ModelState,
  op: DestroyDomainOp,
): { state: ModelState; result: DestroyDomainResult } {
  const result = (status: number): DestroyDomainResult => ({ kind: 'destroy_domain', status });
  // do_domctl: rcu_lock_domain_by_id fails (no such id, or gone) → -ESRCH
  const target = domainAt(state, op.dom);
  if (target === undefined) return { state, result: result(ESRCH) };
  // xsm_domctl → xsm_default_action(XSM_PRIV): only the control domain
  if (domainAt(state, op.caller)?.privileged !== true) return { state, result: result(EPERM) };
  // domain_kill: a domain cannot kill itself
  if (op.dom === op.caller) return { state, result: result(EINVAL) };
  // domain_kill, DOMDYING_dead: already done, nothing more happens
  if (target.death !== undefined) return { state, result: result(0) };
  return { state: kill(state, op.dom), result: result(0) };
}

/** domain_kill from DOMDYING_alive to DOMDYING_dead. */
function kill(state: ModelState, dom: number): ModelState {
  const d = state.domains[dom];
  if (d === undefined) return state;
  let next = state;
  // gnttab_release_mappings: each of d's mappings gives its pins back, and the granter's status
  // bits are reduced as an unmap would (reduce_status_for_pin); a gone granter has nothing to
  // clear. Handles from the top down, as Xen walks them (the order changes nothing).
  const handles = [...d.maptrack.mappings.keys()].sort((a, b) => b - a);
  for (const handle of handles) {
    const m = d.maptrack.mappings.get(handle);
    const granter = m === undefined ? undefined : domainAt(next, m.granter);
    const act = m === undefined ? undefined : granter?.grantTable.active.get(m.ref);
    if (m === undefined || granter === undefined || act === undefined) continue;
    const readonly = (m.flags & GNTMAP_readonly) !== 0;
    const pins = subtractPins(act, pinIncrement(m.flags));
    next = editDomain(next, granter.id, (g) => {
      const table = g.grantTable;
      const entry = reduceStatusForPin(entryAt(table, m.ref), pins, readonly);
      const active =
        totalPins(pins) === 0
          ? mapWithout(table.active, m.ref)
          : mapWith(table.active, m.ref, activeGrant(act.grantee, act.mfn, pins));
      g.grantTable = withActive(withEntry(table, m.ref, entry), active);
    });
  }
  // maptrack_limit = 0, its frames freed; the PV page tables go (put_page_from_l1e of each grant
  // PTE); DOMDYING_dead. domain_relinquish_resources drops each page's two base references:
  // reapZombies frees those nothing else holds.
  next = editDomain(next, dom, (z) => {
    z.maptrack = releasedMaptrack(z);
    z.hostMappings = new Map();
    z.death = 'zombie';
  });
  return reapZombies(next);
}
