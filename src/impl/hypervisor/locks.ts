// Xen's grant-table locks, as the pauses an op yields at each lock operation (../steps.ts). The
// locks themselves live in the interleaving engine, which blocks an actor whose acquire would
// wait and reports a cycle of waiters as a deadlock; run sequentially, an op is alone and every
// acquire succeeds, so the pauses are all there is. The names, as docs/misc/grant-tables.txt
// ("Locking") has them:
//   grant:dN          d's grant_table->lock, a rwlock (grant_read_lock / grant_write_lock)
//   active:dN:R       the active entry R of d's table (active_entry_acquire / _release)
//   page_alloc:dN     d->page_alloc_lock (spin_lock; gnttab_transfer, share_xen_page_with_guest)
//   p2m:dN            d's p2m lock, taken by a transfer's guest_physmap_add_page for a
//                     translated receiver (x86 gfn_lock); a PV sender's get_gfn takes none
//   maptrack:dN       d's grant_table->maptrack_lock (spin_lock; get_maptrack_handle, around
//                     growing the maptrack by a frame)
//   maptrack_freelist:dN:vK
//                     vCPU K of d's maptrack_freelist_lock (spin_lock; _get_maptrack_handle,
//                     put_maptrack_handle, and get_maptrack_handle's updates of K's list)
// Order (grant-tables.txt, and gnttab_transfer's XSA-73 comment): grant lock, then active entry,
// then page_alloc_lock; no path holds two domains' grant locks, and only swap_grant_ref (under
// the write lock) holds two active entries. The maptrack locks are leaves: taken with no other
// lock held (get_maptrack_handle runs before map_grant_ref takes the grant lock, and
// put_maptrack_handle after unmap_common drops it), and never two at once.

import type { DomId, Ref } from '../../ops/op.ts';
import type { LockPause } from '../steps.ts';

function pause(action: LockPause['action'], mode: LockPause['mode'], lock: string): LockPause {
  return { kind: 'lock', action, mode, lock };
}

/** A domain's lock pauses: values that depend on the domain id alone, so every system shares
 * one set per id. Why not one per system? A system would then make eight pause objects per
 * domain that the sequential engines never read, and V8, seeing the Checker keep them alive,
 * starts allocating them (and their neighbours) straight into the old generation, where each
 * run's discarded system then costs a full collection's share. */
export function domainLocks(dom: DomId): DomainLocks {
  let locks = DOMAIN_LOCKS[dom];
  if (locks === undefined) {
    locks = new DomainLocks(dom);
    DOMAIN_LOCKS[dom] = locks;
  }
  return locks;
}

const DOMAIN_LOCKS: (DomainLocks | undefined)[] = [];

/** A domain's grant-lock, page_alloc and p2m pauses, and its active entries' (made on first
 * use); get them through domainLocks. */
export class DomainLocks {
  readonly grantReadLock: LockPause;
  readonly grantReadUnlock: LockPause;
  readonly grantWriteLock: LockPause;
  readonly grantWriteUnlock: LockPause;
  readonly pageAllocLock: LockPause;
  readonly pageAllocUnlock: LockPause;
  readonly p2mLock: LockPause;
  readonly p2mUnlock: LockPause;
  private readonly active = new Map<Ref, readonly [LockPause, LockPause]>();

  constructor(readonly dom: DomId) {
    const grant = `grant:d${dom}`;
    this.grantReadLock = pause('acquire', 'read', grant);
    this.grantReadUnlock = pause('release', 'read', grant);
    this.grantWriteLock = pause('acquire', 'write', grant);
    this.grantWriteUnlock = pause('release', 'write', grant);
    const pageAlloc = `page_alloc:d${dom}`;
    this.pageAllocLock = pause('acquire', 'write', pageAlloc);
    this.pageAllocUnlock = pause('release', 'write', pageAlloc);
    const p2m = `p2m:d${dom}`;
    this.p2mLock = pause('acquire', 'write', p2m);
    this.p2mUnlock = pause('release', 'write', p2m);
  }

  private activePauses(ref: Ref): readonly [LockPause, LockPause] {
    let pauses = this.active.get(ref);
    if (pauses === undefined) {
      const name = `active:d${this.dom}:${ref}`;
      pauses = [pause('acquire', 'write', name), pause('release', 'write', name)];
      this.active.set(ref, pauses);
    }
    return pauses;
  }

  /** active_entry_acquire(gt, ref) */
  activeEntryAcquire(ref: Ref): LockPause {
    return this.activePauses(ref)[0];
  }

  /** active_entry_release(act) */
  activeEntryRelease(ref: Ref): LockPause {
    return this.activePauses(ref)[1];
  }
}

/** A domain's maptrack lock pauses, shared as domainLocks' are (by domain id and vCPU count). */
export function maptrackLocks(dom: DomId, vcpus: number): MaptrackLocks {
  const key = `${dom}:${vcpus}`;
  let locks = MAPTRACK_LOCKS.get(key);
  if (locks === undefined) {
    locks = new MaptrackLocks(dom, vcpus);
    MAPTRACK_LOCKS.set(key, locks);
  }
  return locks;
}

const MAPTRACK_LOCKS = new Map<string, MaptrackLocks>();

/** A domain's maptrack lock pauses: maptrack:dN and one freelist lock per vCPU (get them
 * through maptrackLocks). */
export class MaptrackLocks {
  readonly maptrackLock: LockPause;
  readonly maptrackUnlock: LockPause;
  private readonly freelist: (readonly [LockPause, LockPause])[];

  constructor(dom: DomId, vcpus: number) {
    const maptrack = `maptrack:d${dom}`;
    this.maptrackLock = pause('acquire', 'write', maptrack);
    this.maptrackUnlock = pause('release', 'write', maptrack);
    this.freelist = Array.from({ length: vcpus }, (_, v) => {
      const name = `maptrack_freelist:d${dom}:v${v}`;
      return [pause('acquire', 'write', name), pause('release', 'write', name)] as const;
    });
  }

  /** spin_lock(&v->maptrack_freelist_lock) */
  freelistLock(v: number): LockPause {
    const pauses = this.freelist[v];
    if (pauses === undefined) throw new Error(`no vCPU ${v}`);
    return pauses[0];
  }

  /** spin_unlock(&v->maptrack_freelist_lock) */
  freelistUnlock(v: number): LockPause {
    const pauses = this.freelist[v];
    if (pauses === undefined) throw new Error(`no vCPU ${v}`);
    return pauses[1];
  }
}
