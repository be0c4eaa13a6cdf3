import { describe, expect, it } from 'vitest';
import { abstract } from '../../../src/impl/index.ts';
import {
  GNTMAP_device_map,
  GNTMAP_host_map,
  GTF_accept_transfer,
  GTF_permit_access,
  GTF_readonly,
  GTF_reading,
  GTF_transfer_committed,
  GTF_transfer_completed,
} from '../../../src/xen/abi.ts';
import {
  grant,
  handleOf,
  map1,
  sharedAccesses,
  stepped,
  system,
  transfer,
  unmap,
} from './helpers.ts';

const entry = (s: ReturnType<typeof system>, dom: number, ref: number) =>
  abstract(s).domains[dom]?.grantTable.entries.get(ref);

describe('guest library: grant_access', () => {
  it('writes domid, then frame, then flags', () => {
    const s = system();
    const op = {
      kind: 'grant_access',
      dom: 1,
      ref: 8,
      grantee: 2,
      gfn: 3,
      readonly: true,
    } as const;
    const { result, pauses } = stepped(s, op);
    expect(result).toEqual({ kind: 'grant_access', outcome: 'ok' });
    expect(sharedAccesses(pauses)).toEqual([
      'load flags 1:8',
      'store domid 1:8',
      'store frame 1:8',
      'store flags 1:8',
    ]);
    expect(entry(s, 1, 8)).toEqual({ flags: GTF_permit_access | GTF_readonly, domid: 2, frame: 3 });
  });

  it('refuses reserved refs, refs beyond the table, and entries Xen may hold', () => {
    const s = system();
    expect(grant(s, 1, 7, 2, 3)).toMatchObject({ outcome: 'einval' });
    expect(grant(s, 1, 512, 2, 3)).toMatchObject({ outcome: 'einval' });
    grant(s, 1, 8, 2, 3);
    expect(grant(s, 1, 8, 2, 3)).toMatchObject({ outcome: 'einval' }); // live permit_access
    s.apply({ kind: 'raw_write', dom: 1, ref: 9, flags: GTF_reading, domid: 0, frame: 0 });
    expect(grant(s, 1, 9, 2, 3)).toMatchObject({ outcome: 'einval' }); // invalid but pinned-looking
    // After setup_table grows the table, the library sees the new refs.
    s.apply({ kind: 'setup_table', caller: 1, dom: 1, nrFrames: 2 });
    expect(grant(s, 1, 512, 2, 3)).toMatchObject({ outcome: 'ok' });
  });

  it('may regrant a finished transfer entry', () => {
    const s = system();
    s.apply({ kind: 'grant_transfer', dom: 2, ref: 8, grantee: 1, gfn: 10 });
    transfer(s, 1, { gfn: 0, domid: 2, ref: 8 });
    expect(grant(s, 2, 8, 1, 0)).toMatchObject({ outcome: 'ok' });
  });
});

describe('guest library: end_access', () => {
  it('ends an unused grant with a cmpxchg, leaving domid and frame', () => {
    const s = system();
    grant(s, 1, 8, 2, 3);
    expect(s.apply({ kind: 'end_access', dom: 1, ref: 8 })).toEqual({
      kind: 'end_access',
      outcome: 'ended',
    });
    expect(entry(s, 1, 8)).toEqual({ flags: 0, domid: 2, frame: 3 });
  });

  it('reports in_use while mapped, and writes nothing', () => {
    const s = system();
    grant(s, 1, 8, 2, 1);
    const h = handleOf(map1(s, 2, { dom: 1, ref: 8, flags: GNTMAP_device_map, hostAddr: 0 }));
    const before = abstract(s);
    expect(s.apply({ kind: 'end_access', dom: 1, ref: 8 })).toMatchObject({ outcome: 'in_use' });
    expect(abstract(s)).toEqual(before);
    unmap(s, 2, { handle: h, hostAddr: 0, devBusAddr: (0x100 + 5) * 4096 });
    expect(s.apply({ kind: 'end_access', dom: 1, ref: 8 })).toMatchObject({ outcome: 'ended' });
  });

  it('refuses a reserved ref even when a raw write put an access entry there', () => {
    const s = system();
    s.apply({ kind: 'raw_write', dom: 1, ref: 3, flags: GTF_permit_access, domid: 2, frame: 1 });
    expect(s.apply({ kind: 'end_access', dom: 1, ref: 3 })).toMatchObject({ outcome: 'einval' });
    expect(entry(s, 1, 3)).toEqual({ flags: GTF_permit_access, domid: 2, frame: 1 });
  });

  it('refuses non-access entries and reserved refs', () => {
    const s = system();
    expect(s.apply({ kind: 'end_access', dom: 1, ref: 8 })).toMatchObject({ outcome: 'einval' });
    s.apply({ kind: 'grant_transfer', dom: 1, ref: 9, grantee: 2, gfn: 1 });
    expect(s.apply({ kind: 'end_access', dom: 1, ref: 9 })).toMatchObject({ outcome: 'einval' });
    expect(s.apply({ kind: 'end_access', dom: 1, ref: 3 })).toMatchObject({ outcome: 'einval' });
  });
});

describe('guest library: transfers', () => {
  it('grant_transfer writes an accept_transfer entry', () => {
    const s = system();
    expect(s.apply({ kind: 'grant_transfer', dom: 2, ref: 8, grantee: 1, gfn: 10 })).toEqual({
      kind: 'grant_transfer',
      outcome: 'ok',
    });
    expect(entry(s, 2, 8)).toEqual({ flags: GTF_accept_transfer, domid: 1, frame: 10 });
  });

  it('end_transfer cancels, is pending while committed, and reads the frame when completed', () => {
    const s = system();
    s.apply({ kind: 'grant_transfer', dom: 2, ref: 8, grantee: 1, gfn: 10 });
    expect(s.apply({ kind: 'end_transfer', dom: 2, ref: 8 })).toEqual({
      kind: 'end_transfer',
      outcome: 'cancelled',
    });
    expect(entry(s, 2, 8)).toEqual({ flags: 0, domid: 1, frame: 10 });

    const committed = GTF_accept_transfer | GTF_transfer_committed;
    s.apply({ kind: 'raw_write', dom: 2, ref: 9, flags: committed, domid: 1, frame: 10 });
    const before = abstract(s);
    expect(s.apply({ kind: 'end_transfer', dom: 2, ref: 9 })).toEqual({
      kind: 'end_transfer',
      outcome: 'pending',
    });
    expect(abstract(s)).toEqual(before);

    s.apply({
      kind: 'raw_write',
      dom: 2,
      ref: 9,
      flags: committed | GTF_transfer_completed,
      domid: 1,
      frame: 0x1234,
    });
    expect(s.apply({ kind: 'end_transfer', dom: 2, ref: 9 })).toEqual({
      kind: 'end_transfer',
      outcome: 'completed',
      frame: 0x1234,
    });
  });

  it('end_transfer refuses a reserved ref even when a raw write put a transfer entry there', () => {
    const s = system();
    s.apply({ kind: 'raw_write', dom: 1, ref: 5, flags: GTF_accept_transfer, domid: 2, frame: 0 });
    expect(s.apply({ kind: 'end_transfer', dom: 1, ref: 5 })).toMatchObject({
      outcome: 'einval',
    });
    expect(entry(s, 1, 5)).toEqual({ flags: GTF_accept_transfer, domid: 2, frame: 0 });
  });

  it('end_transfer refuses non-transfer entries', () => {
    const s = system();
    grant(s, 2, 8, 1, 0);
    expect(s.apply({ kind: 'end_transfer', dom: 2, ref: 8 })).toMatchObject({ outcome: 'einval' });
    expect(s.apply({ kind: 'end_transfer', dom: 2, ref: 512 })).toMatchObject({
      outcome: 'einval',
    });
  });
});

describe('guest library: raw_write', () => {
  it('writes any bits, reserved refs included, and marks the ref until an unpinned library write', () => {
    const s = system();
    expect(
      s.apply({ kind: 'raw_write', dom: 1, ref: 0, flags: 0xffff, domid: 0xffff, frame: 1 }),
    ).toEqual({ kind: 'raw_write', outcome: 'ok' });
    expect(entry(s, 1, 0)).toEqual({ flags: 0xffff, domid: 0xffff, frame: 1 });
    s.apply({ kind: 'raw_write', dom: 1, ref: 9, flags: 0, domid: 0, frame: 0 });
    expect(entry(s, 1, 9)).toBeUndefined(); // all zero: absent from the entries map
    expect([...(abstract(s).domains[1]?.rawWritten ?? [])]).toEqual([0, 9]);
    grant(s, 1, 9, 2, 1); // unpinned: the entry is the library's again
    expect([...(abstract(s).domains[1]?.rawWritten ?? [])]).toEqual([0]);
    const map = { dom: 1, ref: 9, flags: GNTMAP_host_map, hostAddr: 0x1000 };
    s.apply({ kind: 'map_grant_ref', caller: 2, batch: [map] });
    s.apply({ kind: 'raw_write', dom: 1, ref: 9, flags: GTF_permit_access, domid: 2, frame: 1 });
    expect(s.apply({ kind: 'end_access', dom: 1, ref: 9 })).toMatchObject({ outcome: 'ended' });
    expect([...(abstract(s).domains[1]?.rawWritten ?? [])]).toEqual([0, 9]); // pinned: kept
  });

  it('refuses refs beyond the table', () => {
    const s = system();
    expect(
      s.apply({ kind: 'raw_write', dom: 1, ref: 512, flags: 1, domid: 0, frame: 0 }),
    ).toMatchObject({ outcome: 'einval' });
    expect(abstract(s).domains[1]?.rawWritten.size).toBe(0);
  });
});
