// The access hook lets a test run "guest" writes between Xen's accesses to a shared entry:
// the bounded cmpxchg loops (_set_status_v1, gnttab_prepare_for_transfer) are reachable only
// this way.

import { describe, expect, it } from 'vitest';
import type { SharedAccess } from '../../../src/impl/index.ts';
import type { SharedGrantMemory } from '../../../src/impl/index.ts';
import {
  GNTMAP_device_map,
  GNTST_general_error,
  GNTST_okay,
  GTF_accept_transfer,
  GTF_permit_access,
  GTF_PWT,
  GTF_reading,
  GTF_transfer_committed,
} from '../../../src/xen/abi.ts';
import { grant, map1, system, transfer } from './helpers.ts';

/** Before each of the first `times` cmpxchgs on `ref`, the guest toggles GTF_PWT. */
function meddle(mem: SharedGrantMemory, ref: number, times: number): () => number {
  let cmpxchgs = 0;
  let meddled = 0;
  mem.hook = (a: SharedAccess) => {
    if (a.kind !== 'cmpxchg' || a.ref !== ref) return;
    cmpxchgs++;
    if (meddled >= times) return;
    meddled++;
    const hook = mem.hook;
    mem.hook = undefined;
    mem.storeFlags(ref, mem.loadFlags(ref) ^ GTF_PWT);
    mem.hook = hook;
  };
  return () => cmpxchgs;
}

describe('bounded cmpxchg loops under a meddling guest', () => {
  it('_set_status_v1 retries with the value seen and succeeds within 5 attempts', () => {
    const s = system();
    grant(s, 1, 8, 2, 1);
    const mem = s.guest(1).memory;
    const count = meddle(mem, 8, 4);
    expect(map1(s, 2, { dom: 1, ref: 8, flags: GNTMAP_device_map, hostAddr: 0 }).status).toBe(
      GNTST_okay,
    );
    expect(count()).toBe(5);
  });

  it('_set_status_v1 gives up after 5 failed attempts: general_error, nothing pinned', () => {
    const s = system();
    grant(s, 1, 8, 2, 1);
    const mem = s.guest(1).memory;
    const count = meddle(mem, 8, 5);
    expect(map1(s, 2, { dom: 1, ref: 8, flags: GNTMAP_device_map, hostAddr: 0 }).status).toBe(
      GNTST_general_error,
    );
    expect(count()).toBe(5);
    mem.hook = undefined;
    expect(s.xen.domain(1).grantTable.active.pinOf(8)).toBe(0);
    expect(mem.loadFlags(8) & ~GTF_PWT).toBe(GTF_permit_access);
  });

  it('gnttab_prepare_for_transfer sees the meddled flags and refuses (flags must be exact)', () => {
    const s = system();
    s.apply({ kind: 'grant_transfer', dom: 2, ref: 8, grantee: 1, gfn: 10 });
    const mem = s.guest(2).memory;
    const count = meddle(mem, 8, 1);
    expect(transfer(s, 1, { gfn: 0, domid: 2, ref: 8 })).toEqual([GNTST_general_error]);
    expect(count()).toBe(1);
    mem.hook = undefined;
    expect(mem.loadFlags(8)).toBe(GTF_accept_transfer | GTF_PWT);
  });

  // The guest library's own cmpxchg loops (gnttab_end_foreign_access_ref_v1,
  // gnttab_end_foreign_transfer_ref_v1): Xen acts between the guest's read of the flags and its
  // cmpxchg.
  function xenActsBeforeGuestCmpxchg(mem: SharedGrantMemory, ref: number, bits: number) {
    mem.hook = (a: SharedAccess) => {
      if (a.kind !== 'cmpxchg' || a.field !== 'flags' || a.ref !== ref) return;
      mem.hook = undefined;
      mem.storeFlags(ref, mem.loadFlags(ref) | bits);
    };
  }

  it('end_access looks again when Xen pins the entry before its cmpxchg: in_use, entry kept', () => {
    const s = system();
    grant(s, 1, 8, 2, 1);
    const mem = s.guest(1).memory;
    xenActsBeforeGuestCmpxchg(mem, 8, GTF_reading);
    expect(s.apply({ kind: 'end_access', dom: 1, ref: 8 })).toMatchObject({ outcome: 'in_use' });
    expect(mem.loadFlags(8)).toBe(GTF_permit_access | GTF_reading);
  });

  it('end_transfer looks again when Xen commits before its cancelling cmpxchg: pending', () => {
    const s = system();
    s.apply({ kind: 'grant_transfer', dom: 2, ref: 8, grantee: 1, gfn: 10 });
    const mem = s.guest(2).memory;
    xenActsBeforeGuestCmpxchg(mem, 8, GTF_transfer_committed);
    expect(s.apply({ kind: 'end_transfer', dom: 2, ref: 8 })).toMatchObject({
      outcome: 'pending',
    });
    expect(mem.loadFlags(8)).toBe(GTF_accept_transfer | GTF_transfer_committed);
  });
});
