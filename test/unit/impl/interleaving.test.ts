// Ops run step by step let a test act as the "guest" between Xen's accesses to a shared entry:
// the bounded cmpxchg loops (_set_status_v1, gnttab_prepare_for_transfer) are reachable only
// this way. (The interleaving engine, src/interleave, schedules whole actors the same way.)

import { describe, expect, it } from 'vitest';
import type { GrantSystem, Pause, SharedGrantMemory } from '../../../src/impl/index.ts';
import type { Op } from '../../../src/ops/op.ts';
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
import { expectKind, grant, stepped, system } from './helpers.ts';

/** Run `op`; before each of the first `times` cmpxchgs on `mem`'s `ref`, the guest toggles
 * GTF_PWT. The op's result and the number of cmpxchgs seen. */
function meddled(s: GrantSystem, op: Op, mem: SharedGrantMemory, ref: number, times: number) {
  let cmpxchgs = 0;
  const { result } = stepped(s, op, (p: Pause) => {
    if (p.kind !== 'shared' || p.access !== 'cmpxchg' || p.dom !== mem.dom || p.ref !== ref) {
      return;
    }
    cmpxchgs++;
    if (cmpxchgs <= times) mem.storeFlags(ref, mem.inspect(ref).flags ^ GTF_PWT);
  });
  return { result, cmpxchgs };
}

const mapDevice = (caller: number, dom: number, ref: number): Op => ({
  kind: 'map_grant_ref',
  caller,
  batch: [{ dom, ref, flags: GNTMAP_device_map, hostAddr: 0 }],
});

describe('bounded cmpxchg loops under a meddling guest', () => {
  it('_set_status_v1 retries with the value seen and succeeds within 5 attempts', () => {
    const s = system();
    grant(s, 1, 8, 2, 1);
    const { result, cmpxchgs } = meddled(s, mapDevice(2, 1, 8), s.guest(1).memory, 8, 4);
    expect(expectKind(result, 'map_grant_ref').results[0]?.status).toBe(GNTST_okay);
    expect(cmpxchgs).toBe(5);
  });

  it('_set_status_v1 gives up after 5 failed attempts: general_error, nothing pinned', () => {
    const s = system();
    grant(s, 1, 8, 2, 1);
    const mem = s.guest(1).memory;
    const { result, cmpxchgs } = meddled(s, mapDevice(2, 1, 8), mem, 8, 5);
    expect(expectKind(result, 'map_grant_ref').results[0]?.status).toBe(GNTST_general_error);
    expect(cmpxchgs).toBe(5);
    expect(s.xen.domain(1).grantTable.active.pinOf(8)).toBe(0);
    expect(mem.inspect(8).flags & ~GTF_PWT).toBe(GTF_permit_access);
  });

  it('gnttab_prepare_for_transfer sees the meddled flags and refuses (flags must be exact)', () => {
    const s = system();
    s.apply({ kind: 'grant_transfer', dom: 2, ref: 8, grantee: 1, gfn: 10 });
    const mem = s.guest(2).memory;
    const op: Op = { kind: 'transfer', caller: 1, batch: [{ gfn: 0, domid: 2, ref: 8 }] };
    const { result, cmpxchgs } = meddled(s, op, mem, 8, 1);
    expect(expectKind(result, 'transfer').statuses).toEqual([GNTST_general_error]);
    expect(cmpxchgs).toBe(1);
    expect(mem.inspect(8).flags).toBe(GTF_accept_transfer | GTF_PWT);
  });

  // The guest library's own cmpxchg loops (gnttab_end_foreign_access_ref_v1,
  // gnttab_end_foreign_transfer_ref_v1): Xen acts between the guest's read of the flags and its
  // cmpxchg.
  function xenActsBeforeGuestCmpxchg(s: GrantSystem, op: Op, mem: SharedGrantMemory, bits: number) {
    let acted = false;
    return stepped(s, op, (p) => {
      if (acted || p.kind !== 'shared' || p.access !== 'cmpxchg' || p.field !== 'flags') return;
      acted = true;
      mem.storeFlags(p.ref, mem.inspect(p.ref).flags | bits);
    }).result;
  }

  it('end_access looks again when Xen pins the entry before its cmpxchg: in_use, entry kept', () => {
    const s = system();
    grant(s, 1, 8, 2, 1);
    const mem = s.guest(1).memory;
    const op: Op = { kind: 'end_access', dom: 1, ref: 8 };
    expect(xenActsBeforeGuestCmpxchg(s, op, mem, GTF_reading)).toMatchObject({
      outcome: 'in_use',
    });
    expect(mem.inspect(8).flags).toBe(GTF_permit_access | GTF_reading);
  });

  it('end_transfer looks again when Xen commits before its cancelling cmpxchg: pending', () => {
    const s = system();
    s.apply({ kind: 'grant_transfer', dom: 2, ref: 8, grantee: 1, gfn: 10 });
    const mem = s.guest(2).memory;
    const op: Op = { kind: 'end_transfer', dom: 2, ref: 8 };
    expect(xenActsBeforeGuestCmpxchg(s, op, mem, GTF_transfer_committed)).toMatchObject({
      outcome: 'pending',
    });
    expect(mem.inspect(8).flags).toBe(GTF_accept_transfer | GTF_transfer_committed);
  });
});
