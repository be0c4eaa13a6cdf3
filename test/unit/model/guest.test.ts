import { describe, expect, it } from 'vitest';
import { statesEqual } from '../../../src/model/index.ts';
import {
  GNTMAP_host_map,
  GTF_accept_transfer,
  GTF_permit_access,
  GTF_reading,
  GTF_readonly,
  GTF_transfer_committed,
  GTF_writing,
} from '../../../src/xen/abi.ts';
import { DEV, RO, Sim, grant, handleOf, mapArgs, transfer, unmap, unmapArgs } from './helpers.ts';

describe('guest library: grant_access', () => {
  it('writes domid, frame and flags', () => {
    const sim = new Sim();
    expect(sim.run(grant(1, 8, 2, 3, true))).toEqual({ kind: 'grant_access', outcome: 'ok' });
    expect(sim.entry(1, 8)).toEqual({
      flags: GTF_permit_access | GTF_readonly,
      domid: 2,
      frame: 3,
    });
  });

  it('refuses reserved refs, refs beyond the table, and entries not reusable', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3));
    const before = sim.state;
    for (const ref of [0, 7, 8, 512, -1, 8.5]) {
      expect(sim.run(grant(1, ref, 2, 0))).toEqual({ kind: 'grant_access', outcome: 'einval' });
    }
    expect(sim.run(grant(3, 8, 2, 0))).toEqual({ kind: 'grant_access', outcome: 'einval' });
    // an invalid entry with GTF_reading still set may be pinned: not reusable
    sim.run({ kind: 'raw_write', dom: 1, ref: 9, flags: GTF_reading, domid: 0, frame: 0 });
    expect(sim.run(grant(1, 9, 2, 0))).toEqual({ kind: 'grant_access', outcome: 'einval' });
    expect(statesEqual(before, sim.state)).toBe(false);
  });
});

describe('guest library: end_access', () => {
  it('ended: clears flags only, keeps domid and frame; the ref can be granted again', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3));
    expect(sim.run({ kind: 'end_access', dom: 1, ref: 8 })).toEqual({
      kind: 'end_access',
      outcome: 'ended',
    });
    expect(sim.entry(1, 8)).toEqual({ flags: 0, domid: 2, frame: 3 });
    expect(sim.run(grant(1, 8, 0, 1))).toEqual({ kind: 'grant_access', outcome: 'ok' });
  });

  it('in_use while mapped (nothing written); ended after the unmap', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3));
    const h = handleOf(sim.map1(2, mapArgs(1, 8, DEV | RO)));
    const before = sim.state;
    expect(sim.run({ kind: 'end_access', dom: 1, ref: 8 })).toEqual({
      kind: 'end_access',
      outcome: 'in_use',
    });
    expect(sim.state).toBe(before);
    sim.unmap(unmap(2, unmapArgs(h, 0, 0x107 << 12)));
    expect(sim.run({ kind: 'end_access', dom: 1, ref: 8 })).toEqual({
      kind: 'end_access',
      outcome: 'ended',
    });
  });

  it('einval for reserved refs, refs beyond the table, and other entry types', () => {
    const sim = new Sim();
    sim.run({ kind: 'grant_transfer', dom: 1, ref: 9, grantee: 2, gfn: 3 });
    sim.run({ kind: 'raw_write', dom: 1, ref: 0, flags: GTF_permit_access, domid: 2, frame: 0 });
    for (const ref of [0, 9, 10, 512]) {
      expect(sim.run({ kind: 'end_access', dom: 1, ref })).toEqual({
        kind: 'end_access',
        outcome: 'einval',
      });
    }
  });

  it('GTF_writing alone (raw-written) also counts as in use', () => {
    const sim = new Sim();
    sim.run({
      kind: 'raw_write',
      dom: 1,
      ref: 8,
      flags: GTF_permit_access | GTF_writing,
      domid: 2,
      frame: 0,
    });
    expect(sim.run({ kind: 'end_access', dom: 1, ref: 8 })).toEqual({
      kind: 'end_access',
      outcome: 'in_use',
    });
  });
});

describe('guest library: transfers', () => {
  it('grant_transfer writes an accept_transfer entry; end_transfer cancels it before commit', () => {
    const sim = new Sim();
    expect(sim.run({ kind: 'grant_transfer', dom: 2, ref: 9, grantee: 1, gfn: 7 })).toEqual({
      kind: 'grant_transfer',
      outcome: 'ok',
    });
    expect(sim.entry(2, 9)).toEqual({ flags: GTF_accept_transfer, domid: 1, frame: 7 });
    expect(sim.run({ kind: 'end_transfer', dom: 2, ref: 9 })).toEqual({
      kind: 'end_transfer',
      outcome: 'cancelled',
    });
    expect(sim.entry(2, 9)).toEqual({ flags: 0, domid: 1, frame: 7 });
    // Xen can no longer complete it
    expect(sim.transfer(transfer(1, 0, 2, 9))).toEqual([-1]);
  });

  it('completed: returns the MFN Xen wrote; the finished entry is reusable', () => {
    const sim = new Sim();
    sim.run({ kind: 'grant_transfer', dom: 2, ref: 9, grantee: 1, gfn: 7 });
    sim.transfer(transfer(1, 0, 2, 9));
    const before = sim.state;
    expect(sim.run({ kind: 'end_transfer', dom: 2, ref: 9 })).toEqual({
      kind: 'end_transfer',
      outcome: 'completed',
      frame: 0x104,
    });
    expect(sim.state).toBe(before);
    expect(sim.run(grant(2, 9, 1, 7))).toEqual({ kind: 'grant_access', outcome: 'ok' });
  });

  it('pending: committed but not completed (only a raw write can show it sequentially)', () => {
    const sim = new Sim();
    const flags = GTF_accept_transfer | GTF_transfer_committed;
    sim.run({ kind: 'raw_write', dom: 2, ref: 9, flags, domid: 1, frame: 7 });
    expect(sim.run({ kind: 'end_transfer', dom: 2, ref: 9 })).toEqual({
      kind: 'end_transfer',
      outcome: 'pending',
    });
    expect(sim.entry(2, 9)?.flags).toBe(flags);
    expect(sim.run(grant(2, 9, 1, 7))).toEqual({ kind: 'grant_access', outcome: 'einval' });
  });

  it('end_transfer refuses permit_access entries, reserved refs and refs beyond the table', () => {
    const sim = new Sim();
    sim.run(grant(2, 9, 1, 7));
    for (const ref of [9, 3, 512]) {
      expect(sim.run({ kind: 'end_transfer', dom: 2, ref })).toEqual({
        kind: 'end_transfer',
        outcome: 'einval',
      });
    }
  });
});

describe('raw_write', () => {
  it('writes reserved refs and in-use entries, masks to field widths, refuses beyond the table', () => {
    const sim = new Sim();
    expect(
      sim.run({ kind: 'raw_write', dom: 1, ref: 0, flags: 0x1_0001, domid: 0x1_0002, frame: 3 }),
    ).toEqual({
      kind: 'raw_write',
      outcome: 'ok',
    });
    expect(sim.entry(1, 0)).toEqual({ flags: 1, domid: 2, frame: 3 });
    expect(sim.run({ kind: 'raw_write', dom: 1, ref: 512, flags: 0, domid: 0, frame: 0 })).toEqual({
      kind: 'raw_write',
      outcome: 'einval',
    });
  });

  it('marks the ref until the library rewrites it unpinned; an all-zero write removes the entry', () => {
    const sim = new Sim();
    sim.run({ kind: 'raw_write', dom: 1, ref: 8, flags: GTF_permit_access, domid: 2, frame: 0 });
    sim.run({ kind: 'raw_write', dom: 1, ref: 8, flags: 0, domid: 0, frame: 0 });
    expect(sim.domain(1).grantTable.entries.has(8)).toBe(false);
    expect([...sim.domain(1).rawWritten]).toEqual([8]);
    sim.run(grant(1, 8, 2, 3)); // no pin: the entry is the library's again
    expect([...sim.domain(1).rawWritten]).toEqual([]);
  });

  it('keeps the mark when the library writes under a live pin', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 0));
    const map = { dom: 1, ref: 8, flags: GNTMAP_host_map, hostAddr: 0x1000 };
    sim.run({ kind: 'map_grant_ref', caller: 2, batch: [map] });
    // The guest clears GTF_reading under the pin, then ends the grant Xen still holds.
    sim.run({ kind: 'raw_write', dom: 1, ref: 8, flags: GTF_permit_access, domid: 2, frame: 0 });
    expect(sim.run({ kind: 'end_access', dom: 1, ref: 8 })).toEqual({
      kind: 'end_access',
      outcome: 'ended',
    });
    expect([...sim.domain(1).rawWritten]).toEqual([8]);
  });
});
