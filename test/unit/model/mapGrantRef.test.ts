import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/config.ts';
import {
  DOMID_SELF,
  GNTST_bad_domain,
  GNTST_bad_gntref,
  GNTST_bad_page,
  GNTST_general_error,
  GTF_accept_transfer,
  GTF_permit_access,
  GTF_reading,
  GTF_readonly,
  GTF_sub_page,
  GTF_writing,
} from '../../../src/xen/abi.ts';
import { DEV, HOST, RO, Sim, grant, handleOf, map, mapArgs, range } from './helpers.ts';

// d1 gfn g is MFN 0x104 + g with the default config (4 pages per domain).
const MFN_D1_GFN3 = 0x107;

describe('map_grant_ref: success', () => {
  it('first map pins the entry, sets GTF_reading, records the mapping and the PTE', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3, true));
    const r = sim.map1(2, mapArgs(1, 8, HOST | RO, 0x5000));
    expect(r).toEqual({ status: 0, handle: 0, devBusAddr: MFN_D1_GFN3 << 12 });
    expect(sim.entry(1, 8)).toEqual({
      flags: GTF_permit_access | GTF_readonly | GTF_reading,
      domid: 2,
      frame: 3,
    });
    expect(sim.active(1, 8)).toEqual({
      grantee: 2,
      mfn: MFN_D1_GFN3,
      hostWritable: 0,
      hostReadonly: 1,
      deviceWritable: 0,
      deviceReadonly: 0,
    });
    expect(sim.maptrack(2).mappings.get(0)).toEqual({ granter: 1, ref: 8, flags: HOST | RO });
    expect(sim.domain(2).hostMappings.get(5)).toEqual({ mfn: MFN_D1_GFN3, writable: false });
  });

  it('a writable map sets GTF_writing; host and device together add both pins', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3));
    handleOf(sim.map1(2, mapArgs(1, 8, HOST | DEV, 0x3000)));
    expect(sim.entry(1, 8)?.flags).toBe(GTF_permit_access | GTF_reading | GTF_writing);
    expect(sim.active(1, 8)).toMatchObject({ hostWritable: 1, deviceWritable: 1 });
    expect(sim.domain(2).hostMappings.get(3)).toEqual({ mfn: MFN_D1_GFN3, writable: true });
  });

  it('dev_bus_addr is returned for a host-only map; maptrack keeps only the low 16 flag bits', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 0));
    expect(sim.map1(2, mapArgs(1, 8, 0x30000 | HOST, 0))).toEqual({
      status: 0,
      handle: 0,
      devBusAddr: 0x104000,
    });
    expect(sim.maptrack(2).mappings.get(0)?.flags).toBe(HOST);
  });

  it('self-grant and self-map with the numeric id is allowed', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 1, 0));
    expect(handleOf(sim.map1(1, mapArgs(1, 8, DEV)))).toBe(0);
  });

  it('batch elements see earlier effects: the second map reuses the pin', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3, true));
    const results = sim.map(map(2, mapArgs(1, 8, DEV | RO), mapArgs(1, 8, HOST | RO, 0x1000)));
    expect(results.map(handleOf)).toEqual([0, 1]);
    expect(sim.active(1, 8)).toMatchObject({ deviceReadonly: 1, hostReadonly: 1 });
  });

  it('no revocation: while pinned the shared entry is not re-read (frame, type, domid)', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3, true));
    handleOf(sim.map1(2, mapArgs(1, 8, DEV | RO)));
    // the granter points the entry elsewhere and even invalidates its type
    sim.run({ kind: 'raw_write', dom: 1, ref: 8, flags: GTF_reading, domid: 0, frame: 0 });
    const r = sim.map1(2, mapArgs(1, 8, DEV | RO));
    expect(r).toEqual({ status: 0, handle: 1, devBusAddr: MFN_D1_GFN3 << 12 });
  });
});

describe('map_grant_ref: every refusal, in Xen order', () => {
  it('neither host_map nor device_map → bad_gntref, even for an unknown domain', () => {
    const sim = new Sim();
    expect(sim.map1(2, mapArgs(99, 8, RO))).toEqual({ status: GNTST_bad_gntref });
  });

  it('DOMID_SELF is refused by map → bad_domain (a self-map needs the numeric id)', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 1, 0));
    expect(sim.map1(1, mapArgs(DOMID_SELF, 8, DEV))).toEqual({ status: GNTST_bad_domain });
    expect(sim.map1(1, mapArgs(3, 8, DEV))).toEqual({ status: GNTST_bad_domain });
    expect(sim.maptrack(1).limit).toBe(0); // refused before a handle is taken
  });

  it('ref beyond the granter table → bad_gntref; valid again after setup_table grows it', () => {
    const sim = new Sim();
    expect(sim.map1(2, mapArgs(1, 512, DEV))).toEqual({ status: GNTST_bad_gntref });
    sim.run({ kind: 'setup_table', caller: 1, dom: 1, nrFrames: 2 });
    sim.run(grant(1, 512, 2, 0));
    expect(handleOf(sim.map1(2, mapArgs(1, 512, DEV)))).toBe(1);
  });

  it('unpinned: wrong type, wrong domid or GTF_sub_page → general_error, nothing written', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 0, 3)); // granted to d0, not d2
    sim.run({ kind: 'grant_transfer', dom: 1, ref: 9, grantee: 2, gfn: 3 });
    sim.run({
      kind: 'raw_write',
      dom: 1,
      ref: 10,
      flags: GTF_permit_access | GTF_sub_page,
      domid: 2,
      frame: 3,
    });
    const before = sim.state;
    for (const ref of [8, 9, 10, 11]) {
      expect(sim.map1(2, mapArgs(1, ref, DEV | RO))).toEqual({ status: GNTST_general_error });
    }
    expect(sim.domain(1)).toBe(before.domains[1]); // the granter is untouched
    expect(sim.entry(1, 9)?.flags).toBe(GTF_accept_transfer);
  });

  it('a writable map of a read-only grant → general_error, pinned or not', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3, true));
    expect(sim.map1(2, mapArgs(1, 8, DEV))).toEqual({ status: GNTST_general_error });
    expect(sim.entry(1, 8)?.flags).toBe(GTF_permit_access | GTF_readonly);
    handleOf(sim.map1(2, mapArgs(1, 8, DEV | RO)));
    expect(sim.map1(2, mapArgs(1, 8, HOST, 0x1000))).toEqual({ status: GNTST_general_error });
    expect(sim.entry(1, 8)?.flags).toBe(GTF_permit_access | GTF_readonly | GTF_reading);
  });

  it('pinned: a writable upgrade checks only GTF_readonly, not type or domid', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3, true));
    handleOf(sim.map1(2, mapArgs(1, 8, DEV | RO)));
    sim.run({
      kind: 'raw_write',
      dom: 1,
      ref: 8,
      flags: GTF_accept_transfer | GTF_reading,
      domid: 0,
      frame: 1,
    });
    handleOf(sim.map1(2, mapArgs(1, 8, DEV)));
    expect(sim.entry(1, 8)?.flags).toBe(GTF_accept_transfer | GTF_reading | GTF_writing);
    expect(sim.active(1, 8)).toMatchObject({
      mfn: MFN_D1_GFN3,
      deviceWritable: 1,
      deviceReadonly: 1,
    });
  });

  it('a second grantee is refused while pinned, even after the granter rewrote domid', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3));
    const h = handleOf(sim.map1(2, mapArgs(1, 8, DEV)));
    sim.run({
      kind: 'raw_write',
      dom: 1,
      ref: 8,
      flags: GTF_permit_access | GTF_reading | GTF_writing,
      domid: 0,
      frame: 3,
    });
    expect(sim.map1(0, mapArgs(1, 8, DEV))).toEqual({ status: GNTST_general_error });
    // once d2's pins are gone, the rewritten entry lets d0 in
    expect(
      sim.unmap({
        kind: 'unmap_grant_ref',
        caller: 2,
        batch: [{ handle: h, hostAddr: 0, devBusAddr: MFN_D1_GFN3 << 12 }],
      }),
    ).toEqual([0]);
    expect(sim.active(1, 8)).toBeUndefined();
    // d0's refused map took handle 0 and put it back behind 1..255
    expect(handleOf(sim.map1(0, mapArgs(1, 8, DEV)))).toBe(1);
    expect(sim.active(1, 8)?.grantee).toBe(0);
  });

  it('pins stop at 128: the 129th ro host map fails, a writable device map still succeeds', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3));
    const results = sim.map(map(2, ...range(0, 129).map(() => mapArgs(1, 8, HOST | RO, 0x1000))));
    expect(results.slice(0, 128).every((r) => r.status === 0)).toBe(true);
    expect(results[128]).toEqual({ status: GNTST_general_error });
    expect(sim.active(1, 8)?.hostReadonly).toBe(128);
    // only the counters being incremented are tested (8cec5d065c)
    expect(handleOf(sim.map1(2, mapArgs(1, 8, DEV)))).toBe(129);
    expect(sim.active(1, 8)).toMatchObject({ hostReadonly: 128, deviceWritable: 1 });
    expect(sim.entry(1, 8)?.flags).toBe(GTF_permit_access | GTF_reading | GTF_writing);
  });

  it('gfn not populated → bad_page, and the status bits just set are rolled back', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 9)); // d1 has gfns 0..3
    const before = sim.domain(1);
    expect(sim.map1(2, mapArgs(1, 8, HOST | DEV, 0x1000))).toEqual({ status: GNTST_bad_page });
    expect(sim.entry(1, 8)).toEqual(before.grantTable.entries.get(8));
    expect(sim.active(1, 8)).toBeUndefined();
    expect(sim.domain(2).hostMappings.size).toBe(0);
    expect(sim.maptrack(2).freeList.toArray()).toEqual([...range(1, 256), 0]);
  });

  it('the bad_page rollback is an atomic AND: it clears status bits a guest had set itself', () => {
    const sim = new Sim();
    const flags = GTF_permit_access | GTF_reading | GTF_writing;
    sim.run({ kind: 'raw_write', dom: 1, ref: 8, flags, domid: 2, frame: 9 });
    expect(sim.map1(2, mapArgs(1, 8, DEV | RO))).toEqual({ status: GNTST_bad_page });
    expect(sim.entry(1, 8)?.flags).toBe(GTF_permit_access | GTF_writing); // read-only: writing stays
    expect(sim.map1(2, mapArgs(1, 8, DEV))).toEqual({ status: GNTST_bad_page });
    expect(sim.entry(1, 8)?.flags).toBe(GTF_permit_access);
  });

  it('host map beyond hostVaPages → general_error with full undo (first pin)', () => {
    const sim = new Sim(makeConfig({ hostVaPages: 4 }));
    sim.run(grant(1, 8, 2, 3));
    const before = sim.state;
    expect(sim.map1(2, mapArgs(1, 8, HOST | DEV, 4 << 12))).toEqual({
      status: GNTST_general_error,
    });
    expect(sim.domain(1)).toEqual(before.domains[1]);
    expect(sim.active(1, 8)).toBeUndefined();
    expect(sim.maptrack(2).mappings.size).toBe(0);
    expect(sim.maptrack(2).freeList.toArray()).toEqual([...range(1, 256), 0]);
    // a device-only map ignores host_addr
    expect(handleOf(sim.map1(2, mapArgs(1, 8, DEV, 4 << 12)))).toBe(1);
  });

  it('host map beyond hostVaPages on a read-pinned entry: the writable upgrade is undone', () => {
    const sim = new Sim(makeConfig({ hostVaPages: 4 }));
    sim.run(grant(1, 8, 2, 3));
    handleOf(sim.map1(2, mapArgs(1, 8, HOST | RO, 0x1000)));
    const pinned = sim.state;
    expect(sim.map1(2, mapArgs(1, 8, HOST, 0x7fff_f000))).toEqual({ status: GNTST_general_error });
    expect(sim.entry(1, 8)?.flags).toBe(GTF_permit_access | GTF_reading);
    expect(sim.active(1, 8)).toEqual(pinned.domains[1]?.grantTable.active.get(8));
    expect(sim.domain(2).hostMappings).toEqual(pinned.domains[2]?.hostMappings);
  });

  it('a host map over an existing grant PTE replaces it; the old mapping stays live', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 0));
    sim.run(grant(1, 9, 2, 1));
    handleOf(sim.map1(2, mapArgs(1, 8, HOST, 0x1000)));
    handleOf(sim.map1(2, mapArgs(1, 9, HOST | RO, 0x1000)));
    expect(sim.domain(2).hostMappings.get(1)).toEqual({ mfn: 0x105, writable: false });
    expect(sim.maptrack(2).mappings.size).toBe(2);
    expect(sim.active(1, 8)?.hostWritable).toBe(1);
  });
});
