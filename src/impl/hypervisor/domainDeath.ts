// Domain death (docs/semantics.md §17): XEN_DOMCTL_destroydomain (common/domctl.c) →
// domain_kill (common/domain.c): gnttab_release_mappings (grant_table.c, via domain_teardown),
// the PV page tables' grant PTEs dropped, domain_relinquish_resources (each page's allocation
// reference); then a page goes when its last reference does (put_page → free_domheap_pages),
// and the domain when its last page does (domain_destroy → complete_domain_destroy →
// grant_table_destroy). Atomic here: Xen's -ERESTART continuations are not modelled.

import type { DestroyDomainOp, Mfn } from '../../ops/op.ts';
import type { DestroyDomainResult } from '../../ops/result.ts';
import {
  EINVAL,
  EPERM,
  ESRCH,
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTPIN_devr_inc,
  GNTPIN_devw_inc,
  GNTPIN_hstr_inc,
  GNTPIN_hstw_inc,
} from '../../xen/abi.ts';
import { runToEnd } from '../steps.ts';
import type { XenDomain } from './domain.ts';
import { DOMDYING_alive, DOMDYING_dead, DOMDYING_dying, mapWithout } from './domain.ts';
import type { Hypervisor } from './hypervisor.ts';
import { NO_OWNER, freeDomheapPage, putPage, putPageType } from './mm.ts';

/** do_domctl(XEN_DOMCTL_destroydomain): the domain lookup, XSM, then domain_kill. */
export function destroyDomain(xen: Hypervisor, op: DestroyDomainOp): DestroyDomainResult {
  const result = (status: number): DestroyDomainResult => ({ kind: 'destroy_domain', status });
  // do_domctl: rcu_lock_domain_by_id fails → -ESRCH
  const d = xen.rcuLockDomainById(op.dom);
  if (d === undefined) return result(ESRCH);
  // xsm_domctl → xsm_default_action(XSM_PRIV, current->domain, d)
  if (!xen.domain(op.caller).privileged) return result(EPERM);
  return result(domainKill(xen, d, op.caller));
}

/** domain_kill: 0 or -EINVAL. */
export function domainKill(xen: Hypervisor, d: XenDomain, current: number): number {
  if (d.id === current) return EINVAL; // domain_kill: d == current->domain
  if (d.isDying !== DOMDYING_alive) return 0; // DOMDYING_dead: nothing left to do
  d.isDying = DOMDYING_dying; // domain_pause; is_dying = DOMDYING_dying
  xen.parts.gnttabReleaseMappings(xen, d); // domain_teardown: PROG_gnttab_mappings
  xen.parts.domainRelinquishResources(xen, d);
  d.isDying = DOMDYING_dead;
  // put_domain(d): the reference held since creation; the domain goes now unless its pages
  // (tot_pages != 0 holds a reference: assign_pages / free_domheap_pages) keep it.
  if (d.totPages === 0) domainDestroy(xen, d);
  completeDomainDestroys(xen);
  return 0;
}

/** gnttab_release_mappings(d): every maptrack entry of d, top down, gives back its pins (and a
 * device mapping its page and type references; a PV host mapping's go with its PTE), the
 * granter's status bits are reduced, the entry is cleared; then maptrack_limit = 0. */
export function gnttabReleaseMappings(xen: Hypervisor, d: XenDomain): void {
  const mt = d.maptrack;
  for (let handle = mt.limit - 1; handle >= 0; handle--) {
    const flags = mt.flags(handle);
    if ((flags & (GNTMAP_device_map | GNTMAP_host_map)) === 0) continue;
    const ref = mt.ref(handle);
    const rd = xen.rcuLockDomainById(mt.domid(handle));
    // "Nothing to clear up...": the granter is gone
    if (rd === undefined) {
      mt.setFlags(handle, 0);
      continue;
    }
    const act = rd.grantTable.active;
    const readonly = (flags & GNTMAP_readonly) !== 0;
    const mfn = act.mfnOf(ref);
    const page = xen.frames.valid(mfn);
    let pin = act.pinOf(ref);
    if (flags & GNTMAP_device_map) {
      const inc = readonly ? GNTPIN_devr_inc : GNTPIN_devw_inc;
      // BUG_ON(!(act->pin & GNTPIN_dev?_mask))
      if (pin < inc) throw new Error(`gnttab_release_mappings: d${rd.id} ref ${ref} no dev pin`);
      pin -= inc;
      if (page) {
        if (!readonly) putPageType(xen, mfn); // put_page_and_type
        putPage(xen, mfn);
      }
    }
    if (flags & GNTMAP_host_map) {
      // gnttab_release_host_mappings(d) is false for PV: the PTE holds the reference
      pin -= readonly ? GNTPIN_hstr_inc : GNTPIN_hstw_inc;
    }
    pin >>>= 0;
    act.setPin(ref, pin);
    runToEnd(xen.parts.reduceStatusForPin(rd.grantTable.shared, ref, pin, readonly));
    mt.setFlags(handle, 0);
  }
  mt.release();
}

/** domain_relinquish_resources for a PV domain: its page tables go, each grant PTE with its
 * page (and type) reference (put_page_from_l1e); then relinquish_memory drops each page's
 * allocation reference and the owner's own (the model's second base reference). A page
 * nothing else holds is freed at once; one another domain maps stays the dying domain's. */
export function domainRelinquishResources(xen: Hypervisor, d: XenDomain): void {
  relinquishWith(DEBUG_PUTS)(xen, d);
}

/** How domain_relinquish_resources drops references: put_page_type, put_page, and for each
 * page the dying domain owns, its allocation and owner references. The faults of docs/faults.md
 * replace one of them (a release build's puts, a page freed outright). */
export interface RelinquishPuts {
  readonly putPageType: (xen: Hypervisor, mfn: Mfn) => void;
  readonly putPage: (xen: Hypervisor, mfn: Mfn) => void;
  readonly releaseOwned: (xen: Hypervisor, d: XenDomain, mfn: Mfn) => void;
}

const DEBUG_PUTS: RelinquishPuts = {
  putPageType,
  putPage,
  releaseOwned(xen, d, mfn) {
    putPage(xen, mfn); // PGC_allocated
    if (xen.frames.ownerOf(mfn) === d.id) putPage(xen, mfn); // the owner's own
  },
};

/** domain_relinquish_resources with the given puts: the page tables' references go first, then
 * every page the domain owns is released. */
export function relinquishWith(puts: RelinquishPuts): (xen: Hypervisor, d: XenDomain) => void {
  return (xen, d) => {
    const ptes = d.pageTable;
    d.pageTable = new Map();
    for (const pte of ptes.values()) {
      if (pte.writable) puts.putPageType(xen, pte.mfn);
      puts.putPage(xen, pte.mfn);
    }
    const frames = xen.frames;
    for (let i = 0; i < frames.nrFrames; i++) {
      const mfn = frames.firstMfn + i;
      if (frames.ownerOf(mfn) === d.id) puts.releaseOwned(xen, d, mfn);
    }
  };
}

/** put_page of a page's last reference: free_domheap_pages (scrubbed), the owner's tot_pages
 * lowered and its p2m entry gone; a dying owner whose last page this was is destroyed. */
export function freeLastReference(xen: Hypervisor, mfn: Mfn): void {
  const owner = xen.frames.ownerOf(mfn);
  freeDomheapPage(xen, mfn);
  if (owner === NO_OWNER) return;
  const d = xen.domains[owner];
  if (d === undefined) return;
  d.totPages -= 1; // domain_adjust_tot_pages(d, -1)
  for (const [gfn, m] of d.p2m) {
    if (m === mfn) d.p2m = mapWithout(d.p2m, gfn);
  }
  // free_domheap_pages: tot_pages 0 drops the domain's self-reference; put_domain
  if (d.totPages === 0 && d.isDying === DOMDYING_dead) domainDestroy(xen, d);
}

/** domain_destroy: out of the domain hash at once; complete_domain_destroy (after RCU, here
 * at the end of the hypercall: completeDomainDestroys) frees its grant table. */
export function domainDestroy(xen: Hypervisor, d: XenDomain): void {
  d.destroyed = true;
  xen.rcuPending.push(d);
}

/** complete_domain_destroy → grant_table_destroy for every domain destroyed during the
 * hypercall just finished (the RCU grace period ends with it). */
export function completeDomainDestroys(xen: Hypervisor): void {
  const pending = xen.rcuPending;
  while (pending.length > 0) {
    const d = pending.pop();
    if (d === undefined) break;
    d.grantTable.destroy();
    d.maptrack.release();
  }
}
