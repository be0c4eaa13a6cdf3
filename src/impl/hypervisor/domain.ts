// Xen's per-domain state that grants touch: the grant table, the maptrack table, page
// accounting (tot_pages/max_pages), the gfn -> mfn table and the PV page-table slots that can
// hold grant PTEs (docs/semantics.md §2; struct grant_table, L53-106; the slots stand for the
// L1 PTEs that x86 create_grant_pv_mapping writes).

import type { DomId, Gfn, Mfn } from '../../ops/op.ts';
import { GrantTable } from './grantTable.ts';
import type { DomainLocks } from './locks.ts';
import { domainLocks } from './locks.ts';
import { MaptrackTable } from './maptrack.ts';

/** A present PTE in an L1 slot mapping a granted frame (PV `create_grant_pv_mapping`). */
export interface GrantPte {
  readonly mfn: Mfn;
  readonly writable: boolean;
}

/** enum { DOMDYING_alive, DOMDYING_dying, DOMDYING_dead } (xen/include/xen/sched.h). */
export const DOMDYING_alive = 0;
export const DOMDYING_dying = 1;
export const DOMDYING_dead = 2;
export type DomDying = typeof DOMDYING_alive | typeof DOMDYING_dying | typeof DOMDYING_dead;

export class XenDomain {
  readonly grantTable: GrantTable;
  readonly maptrack: MaptrackTable;
  /** The pauses of its locks (./locks.ts; shared by every system's domain of this id). */
  readonly locks: DomainLocks;
  totPages: number;
  /** gfn -> mfn. Replaced, never mutated, so snapshots and abstractions may share it. */
  p2m: ReadonlyMap<Gfn, Mfn>;
  /** Linear page (host_addr >> 12) -> grant PTE. Replaced, never mutated (as p2m). */
  pageTable: ReadonlyMap<number, GrantPte> = new Map();
  /** d->is_dying (./domainDeath.ts): DOMDYING_alive, _dying or _dead. */
  isDying: DomDying = DOMDYING_alive;
  /** domain_destroy ran: the domain is out of the domain hash (rcu_lock_domain_by_id fails). */
  destroyed = false;

  constructor(
    readonly id: DomId,
    /** is_control_domain(): XSM_TARGET checks pass for it on any target. */
    readonly privileged: boolean,
    /** A PV guest for its frames (config.pv): it names pages by their MFNs. */
    readonly pv: boolean,
    readonly maxPages: number,
    /** Linear pages 0..hostVaPages-1 have an L1 page table. */
    readonly hostVaPages: number,
    maxGrantFrames: number,
    maxMaptrackFrames: number,
    p2m: ReadonlyMap<Gfn, Mfn>,
    vcpus = 1,
  ) {
    this.grantTable = new GrantTable(id, maxGrantFrames);
    this.maptrack = new MaptrackTable(maxMaptrackFrames, vcpus, id);
    this.locks = domainLocks(id);
    this.totPages = p2m.size;
    this.p2m = p2m;
  }
}

/** A copy of `map` with key `k` set to `v`. */
export function mapWith<V>(map: ReadonlyMap<number, V>, k: number, v: V): ReadonlyMap<number, V> {
  const next = new Map(map);
  next.set(k, v);
  return next;
}

/** A copy of `map` without key `k`. */
export function mapWithout<V>(map: ReadonlyMap<number, V>, k: number): ReadonlyMap<number, V> {
  const next = new Map(map);
  next.delete(k);
  return next;
}
