import { describe, expect, it } from 'vitest';
import { abstract, NO_OWNER } from '../../../src/impl/index.ts';
import { MFN_BASE } from '../../../src/config.ts';
import {
  DOMID_SELF,
  GNTMAP_application_map,
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTPIN_devr_inc,
  GNTPIN_devw_inc,
  GNTPIN_hstr_inc,
  GNTPIN_hstw_inc,
  GNTST_bad_domain,
  GNTST_bad_gntref,
  GNTST_bad_page,
  GNTST_general_error,
  GNTST_no_space,
  GNTST_okay,
  GTF_permit_access,
  GTF_readonly,
  GTF_reading,
  GTF_sub_page,
  GTF_writing,
  PAGE_SIZE,
} from '../../../src/xen/abi.ts';
import { pinIncrementFor, pinIncrementRefused } from '../../../src/impl/hypervisor/mapGrantRef.ts';
import { grant, handleOf, map, map1, system, transfer } from './helpers.ts';

const HOST = GNTMAP_host_map;
const DEV = GNTMAP_device_map;
const RO = GNTMAP_readonly;
/** d1's gfn 1 (4 pages per domain). */
const MFN_D1_G1 = MFN_BASE + 4 + 1;

function pinOf(s: ReturnType<typeof system>, dom: number, ref: number): number {
  return s.xen.domain(dom).grantTable.active.pinOf(ref);
}
function flagsOf(s: ReturnType<typeof system>, dom: number, ref: number): number {
  return s.xen.domain(dom).grantTable.shared.inspect(ref).flags;
}

describe('map_grant_ref: success', () => {
  it('pins, sets GTF_reading|GTF_writing, maps the PTE and returns dev_bus_addr', () => {
    const s = system();
    grant(s, 1, 8, 2, 1);
    const r = map1(s, 2, { dom: 1, ref: 8, flags: HOST, hostAddr: 3 * PAGE_SIZE });
    // dev_bus_addr is returned even for a host-only map (map_grant_ref sets it unconditionally).
    expect(r).toEqual({ status: GNTST_okay, handle: 0, devBusAddr: MFN_D1_G1 * PAGE_SIZE });
    expect(pinOf(s, 1, 8)).toBe(GNTPIN_hstw_inc);
    expect(flagsOf(s, 1, 8)).toBe(GTF_permit_access | GTF_reading | GTF_writing);
    expect(s.xen.domain(2).pageTable.get(3)).toEqual({ mfn: MFN_D1_G1, writable: true });
    expect(s.xen.frames.refs(MFN_D1_G1)).toBe(3);
    expect(s.xen.frames.writableTypeCount[MFN_D1_G1 - MFN_BASE]).toBe(1);
  });

  it('packs the four GNTPIN counters into one u32', () => {
    const s = system();
    grant(s, 1, 8, 2, 1);
    map(
      s,
      2,
      { dom: 1, ref: 8, flags: HOST, hostAddr: PAGE_SIZE },
      { dom: 1, ref: 8, flags: HOST | RO, hostAddr: 2 * PAGE_SIZE },
      { dom: 1, ref: 8, flags: HOST | RO, hostAddr: 3 * PAGE_SIZE },
      { dom: 1, ref: 8, flags: DEV, hostAddr: 0 },
      { dom: 1, ref: 8, flags: DEV | RO, hostAddr: 0 },
      { dom: 1, ref: 8, flags: DEV | RO | HOST, hostAddr: 4 * PAGE_SIZE },
    );
    expect(pinOf(s, 1, 8)).toBe(
      GNTPIN_hstw_inc + 3 * GNTPIN_hstr_inc + GNTPIN_devw_inc + 2 * GNTPIN_devr_inc,
    );
    expect(abstract(s).domains[1]?.grantTable.active.get(8)).toEqual({
      grantee: 2,
      mfn: MFN_D1_G1,
      hostWritable: 1,
      hostReadonly: 3,
      deviceWritable: 1,
      deviceReadonly: 2,
    });
    // 2 base + 3 device mappings + 4 host PTEs.
    expect(s.xen.frames.refs(MFN_D1_G1)).toBe(9);
  });

  it('stores only the low 16 bits of the map flags in maptrack', () => {
    const s = system();
    grant(s, 1, 8, 2, 1);
    const flags = DEV | GNTMAP_application_map | 0x30000;
    const h = handleOf(map1(s, 2, { dom: 1, ref: 8, flags, hostAddr: 0 }));
    expect(s.xen.domain(2).maptrack.flags(h)).toBe(DEV | GNTMAP_application_map);
  });
});

describe('map_grant_ref: GNTPIN overflow at 128', () => {
  it('tests only the counters being incremented, at their top bit', () => {
    expect(pinIncrementFor(HOST)).toBe(GNTPIN_hstw_inc);
    expect(pinIncrementFor(DEV | HOST | RO)).toBe(GNTPIN_devr_inc + GNTPIN_hstr_inc);
    expect(pinIncrementFor(RO)).toBe(0);
    expect(pinIncrementRefused(127 * GNTPIN_hstr_inc, GNTPIN_hstr_inc)).toBe(false);
    expect(pinIncrementRefused(128 * GNTPIN_hstr_inc, GNTPIN_hstr_inc)).toBe(true);
    expect(pinIncrementRefused(128 * GNTPIN_hstr_inc, GNTPIN_devw_inc)).toBe(false);
    const devr128 = (128 * GNTPIN_devr_inc) >>> 0;
    expect(pinIncrementRefused(devr128, GNTPIN_devr_inc + GNTPIN_hstr_inc)).toBe(true);
    expect(pinIncrementRefused(devr128 - GNTPIN_devr_inc, GNTPIN_devr_inc)).toBe(false);
  });

  it('refuses the 129th read-only host map, then a writable device map succeeds', () => {
    const s = system({ hostVaPages: 256 });
    grant(s, 1, 8, 2, 1);
    for (let i = 0; i < 128; i++) {
      const r = map1(s, 2, { dom: 1, ref: 8, flags: HOST | RO, hostAddr: (i + 1) * PAGE_SIZE });
      expect(r.status).toBe(GNTST_okay);
    }
    expect(pinOf(s, 1, 8)).toBe(128 * GNTPIN_hstr_inc);
    const refused = map1(s, 2, { dom: 1, ref: 8, flags: HOST | RO, hostAddr: 200 * PAGE_SIZE });
    expect(refused.status).toBe(GNTST_general_error);
    expect(pinOf(s, 1, 8)).toBe(128 * GNTPIN_hstr_inc);
    // Another counter is still free, and the first writable pin sets GTF_writing.
    expect(map1(s, 2, { dom: 1, ref: 8, flags: DEV, hostAddr: 0 }).status).toBe(GNTST_okay);
    expect(pinOf(s, 1, 8)).toBe(128 * GNTPIN_hstr_inc + GNTPIN_devw_inc);
    expect(flagsOf(s, 1, 8)).toBe(GTF_permit_access | GTF_reading | GTF_writing);
  });
});

describe('map_grant_ref: surprising statuses', () => {
  it('neither host_map nor device_map: bad_gntref, no handle taken', () => {
    const s = system();
    grant(s, 1, 8, 2, 1);
    expect(map1(s, 2, { dom: 1, ref: 8, flags: RO, hostAddr: 0 }).status).toBe(GNTST_bad_gntref);
    expect(s.xen.domain(2).maptrack.limit).toBe(0);
  });

  it('DOMID_SELF and unknown domains: bad_domain', () => {
    const s = system();
    grant(s, 2, 8, 2, 1);
    expect(map1(s, 2, { dom: DOMID_SELF, ref: 8, flags: DEV, hostAddr: 0 }).status).toBe(
      GNTST_bad_domain,
    );
    expect(map1(s, 2, { dom: 3, ref: 8, flags: DEV, hostAddr: 0 }).status).toBe(GNTST_bad_domain);
    // A self-map by numeric id is fine.
    expect(map1(s, 2, { dom: 2, ref: 8, flags: DEV, hostAddr: 0 }).status).toBe(GNTST_okay);
  });

  it('ref beyond the table: bad_gntref', () => {
    const s = system();
    expect(map1(s, 2, { dom: 1, ref: 512, flags: DEV, hostAddr: 0 }).status).toBe(GNTST_bad_gntref);
  });

  it('wrong type, wrong grantee, sub_page, read-only: general_error with nothing written', () => {
    const s = system();
    grant(s, 1, 8, 0, 1); // granted to d0, not d2
    grant(s, 1, 9, 2, 1, true);
    s.apply({ kind: 'grant_transfer', dom: 1, ref: 10, grantee: 2, gfn: 1 });
    s.apply({
      kind: 'raw_write',
      dom: 1,
      ref: 11,
      flags: GTF_permit_access | GTF_sub_page,
      domid: 2,
      frame: 1,
    });
    const before = abstract(s).domains[1]?.grantTable.entries;
    for (const ref of [8, 10, 11, 12]) {
      expect(map1(s, 2, { dom: 1, ref, flags: DEV, hostAddr: 0 }).status).toBe(GNTST_general_error);
    }
    expect(map1(s, 2, { dom: 1, ref: 9, flags: DEV, hostAddr: 0 }).status).toBe(
      GNTST_general_error,
    );
    expect(abstract(s).domains[1]?.grantTable.entries).toEqual(before);
  });

  it('frame not in the granter p2m: bad_page, and the status bits are rolled back', () => {
    const s = system();
    grant(s, 1, 8, 2, 99);
    expect(map1(s, 2, { dom: 1, ref: 8, flags: DEV, hostAddr: 0 }).status).toBe(GNTST_bad_page);
    expect(flagsOf(s, 1, 8)).toBe(GTF_permit_access);
    expect(pinOf(s, 1, 8)).toBe(0);
  });

  it('maptrack exhausted: no_space after 256*frames-1 mappings', () => {
    const s = system();
    grant(s, 1, 8, 2, 1);
    const flags = [DEV, DEV | RO, HOST, HOST | RO];
    let okay = 0;
    for (let i = 0; i < 255; i++) {
      const f = flags[i % 4] ?? DEV;
      const r = map1(s, 2, { dom: 1, ref: 8, flags: f, hostAddr: (i % 16) * PAGE_SIZE });
      if (r.status === GNTST_okay) okay++;
    }
    expect(okay).toBe(255);
    expect(map1(s, 2, { dom: 1, ref: 8, flags: DEV, hostAddr: 0 }).status).toBe(GNTST_no_space);
  });

  it('no revocation: a pinned entry is not re-read, and only its grantee may add pins', () => {
    const s = system();
    grant(s, 1, 8, 2, 1, true);
    expect(map1(s, 2, { dom: 1, ref: 8, flags: DEV | RO, hostAddr: 0 }).status).toBe(GNTST_okay);
    // The granter rewrites the entry for d0 and another frame (a protocol violation).
    s.apply({
      kind: 'raw_write',
      dom: 1,
      ref: 8,
      flags: GTF_permit_access | GTF_reading,
      domid: 0,
      frame: 2,
    });
    expect(map1(s, 0, { dom: 1, ref: 8, flags: DEV | RO, hostAddr: 0 }).status).toBe(
      GNTST_general_error,
    );
    const again = map1(s, 2, { dom: 1, ref: 8, flags: DEV | RO, hostAddr: 0 });
    expect(again).toMatchObject({ status: GNTST_okay, devBusAddr: MFN_D1_G1 * PAGE_SIZE });
  });

  it('a writable upgrade of a read-only pin checks only GTF_readonly', () => {
    const s = system();
    grant(s, 1, 8, 2, 1, true);
    expect(map1(s, 2, { dom: 1, ref: 8, flags: DEV | RO, hostAddr: 0 }).status).toBe(GNTST_okay);
    expect(map1(s, 2, { dom: 1, ref: 8, flags: DEV, hostAddr: 0 }).status).toBe(
      GNTST_general_error,
    );
    expect(flagsOf(s, 1, 8)).toBe(GTF_permit_access | GTF_readonly | GTF_reading);
  });

  it('host map outside the L1 tables: general_error through the undo path', () => {
    const s = system({ hostVaPages: 4 });
    grant(s, 1, 8, 2, 1);
    const r = map1(s, 2, { dom: 1, ref: 8, flags: HOST | DEV, hostAddr: 4 * PAGE_SIZE });
    expect(r.status).toBe(GNTST_general_error);
    expect(pinOf(s, 1, 8)).toBe(0);
    expect(flagsOf(s, 1, 8)).toBe(GTF_permit_access);
    expect(s.xen.frames.refs(MFN_D1_G1)).toBe(2);
    expect(s.xen.frames.writableTypeCount[MFN_D1_G1 - MFN_BASE]).toBe(0);
    expect(abstract(s).domains[2]?.maptrack.freeList.toArray().at(-1)).toBe(0);
  });

  it('undo keeps the other pins and their status bits', () => {
    const s = system({ hostVaPages: 4 });
    grant(s, 1, 8, 2, 1);
    expect(map1(s, 2, { dom: 1, ref: 8, flags: DEV, hostAddr: 0 }).status).toBe(GNTST_okay);
    const r = map1(s, 2, { dom: 1, ref: 8, flags: HOST, hostAddr: 9 * PAGE_SIZE });
    expect(r.status).toBe(GNTST_general_error);
    expect(pinOf(s, 1, 8)).toBe(GNTPIN_devw_inc);
    expect(flagsOf(s, 1, 8)).toBe(GTF_permit_access | GTF_reading | GTF_writing);
  });

  // A pin whose only PTE was overwritten holds no page reference, so the granter can transfer
  // the page away while the ref stays pinned (put_page_from_l1e); a further map of it must then
  // fail at the page reference phase (could_not_pin) and leave everything as it was.
  function pinnedPageTransferred(receiverOffers: boolean) {
    const s = system();
    grant(s, 1, 8, 2, 1);
    grant(s, 1, 9, 2, 2);
    map1(s, 2, { dom: 1, ref: 8, flags: HOST, hostAddr: 5 * PAGE_SIZE });
    map1(s, 2, { dom: 1, ref: 9, flags: HOST, hostAddr: 5 * PAGE_SIZE });
    if (receiverOffers) s.apply({ kind: 'grant_transfer', dom: 0, ref: 8, grantee: 1, gfn: 10 });
    const status = transfer(s, 1, { gfn: 1, domid: 0, ref: 8 })[0];
    expect(status).toBe(receiverOffers ? GNTST_okay : GNTST_general_error);
    expect(s.xen.frames.ownerOf(MFN_D1_G1)).toBe(receiverOffers ? 0 : NO_OWNER);
    return s;
  }

  for (const receiverOffers of [true, false]) {
    const where = receiverOffers ? 'to another domain' : 'and freed (failed transfer)';
    it(`a map of a pinned ref whose page moved ${where} fails and changes nothing`, () => {
      const s = pinnedPageTransferred(receiverOffers);
      const before = abstract(s);
      const refs = s.xen.frames.refs(MFN_D1_G1);
      for (const flags of [HOST, DEV, HOST | DEV]) {
        const r = map1(s, 2, { dom: 1, ref: 8, flags, hostAddr: 6 * PAGE_SIZE });
        expect(r.status).toBe(GNTST_general_error);
        expect(pinOf(s, 1, 8)).toBe(GNTPIN_hstw_inc);
        expect(s.xen.frames.refs(MFN_D1_G1)).toBe(refs);
        expect(s.xen.frames.writableTypes(MFN_D1_G1)).toBe(0);
        // Only the free list moved: the failed map took a handle and gave it back.
        const after = abstract(s);
        expect(after.frameOwner).toEqual(before.frameOwner);
        after.domains.forEach((d, i) => {
          const was = before.domains[i];
          expect(d.grantTable).toEqual(was?.grantTable);
          expect(d.hostMappings).toEqual(was?.hostMappings);
          expect([...d.maptrack.mappings]).toEqual([...(was?.maptrack.mappings ?? [])]);
        });
      }
    });
  }

  it('overwriting a grant PTE drops its page reference but keeps its pin', () => {
    const s = system();
    grant(s, 1, 8, 2, 1);
    grant(s, 1, 9, 2, 2);
    map1(s, 2, { dom: 1, ref: 8, flags: HOST, hostAddr: 5 * PAGE_SIZE });
    map1(s, 2, { dom: 1, ref: 9, flags: HOST, hostAddr: 5 * PAGE_SIZE });
    expect(s.xen.frames.refs(MFN_D1_G1)).toBe(2);
    expect(s.xen.frames.refs(MFN_D1_G1 + 1)).toBe(3);
    expect(pinOf(s, 1, 8)).toBe(GNTPIN_hstw_inc);
    expect(s.xen.domain(2).pageTable.get(5)).toEqual({ mfn: MFN_D1_G1 + 1, writable: true });
  });
});
