import { describe, expect, it } from 'vitest';
import { statesEqual } from '../../../src/model/index.ts';
import {
  GNTST_bad_dev_addr,
  GNTST_bad_handle,
  GNTST_general_error,
  GTF_permit_access,
  GTF_reading,
  GTF_writing,
} from '../../../src/xen/abi.ts';
import {
  DEV,
  HOST,
  RO,
  Sim,
  grant,
  handleOf,
  mapArgs,
  range,
  unmap,
  unmapArgs,
} from './helpers.ts';

const MFN = 0x107; // d1 gfn 3
const BUS = MFN << 12;

/** d1 grants gfn 3 at ref 8 to d2 (writable), and d2 maps it host+device at va page 5. */
function hostAndDevice(): { sim: Sim; h: number } {
  const sim = new Sim();
  sim.run(grant(1, 8, 2, 3));
  const h = handleOf(sim.map1(2, mapArgs(1, 8, HOST | DEV, 0x5000)));
  return { sim, h };
}

describe('unmap_grant_ref', () => {
  it('a full unmap removes the PTE, the pins, the status bits and frees the handle to the tail', () => {
    const { sim, h } = hostAndDevice();
    expect(sim.unmap(unmap(2, unmapArgs(h, 0x5000, BUS)))).toEqual([0]);
    expect(sim.active(1, 8)).toBeUndefined();
    expect(sim.entry(1, 8)?.flags).toBe(GTF_permit_access);
    expect(sim.domain(2).hostMappings.size).toBe(0);
    expect(sim.maptrack(2).mappings.size).toBe(0);
    expect(sim.maptrack(2).freeList.toArray()).toEqual([...range(1, 256), 0]);
  });

  it('handle beyond maptrack_limit or free → bad_handle', () => {
    const { sim, h } = hostAndDevice();
    expect(sim.unmap(unmap(2, unmapArgs(256, 0x5000, BUS), unmapArgs(h + 1, 0x5000, BUS)))).toEqual(
      [GNTST_bad_handle, GNTST_bad_handle],
    );
    expect(sim.unmap(unmap(0, unmapArgs(0, 0x5000, BUS)))).toEqual([GNTST_bad_handle]);
  });

  it('a wrong dev_bus_addr (full compare) aborts the whole unmap, host part included', () => {
    const { sim, h } = hostAndDevice();
    const before = sim.state;
    expect(sim.unmap(unmap(2, unmapArgs(h, 0x5000, BUS + 1)))).toEqual([GNTST_bad_dev_addr]);
    expect(statesEqual(sim.state, before)).toBe(true);
  });

  it('both addresses 0 is okay and changes nothing; so are addresses for kinds not held', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3));
    const h = handleOf(sim.map1(2, mapArgs(1, 8, DEV)));
    const before = sim.state;
    expect(sim.unmap(unmap(2, unmapArgs(h), unmapArgs(h, 0x5000, 0)))).toEqual([0, 0]);
    expect(statesEqual(sim.state, before)).toBe(true);
  });

  it('a host address whose PTE does not match → general_error, nothing changed', () => {
    const { sim, h } = hostAndDevice();
    const before = sim.state;
    expect(sim.unmap(unmap(2, unmapArgs(h, 0x6000, BUS)))).toEqual([GNTST_general_error]);
    expect(statesEqual(sim.state, before)).toBe(true);
  });

  it('after the PTE is overwritten by another map, unmapping it fails for good', () => {
    const { sim, h } = hostAndDevice();
    sim.run(grant(1, 9, 2, 0));
    handleOf(sim.map1(2, mapArgs(1, 9, HOST, 0x5000)));
    expect(sim.unmap(unmap(2, unmapArgs(h, 0x5000, 0)))).toEqual([GNTST_general_error]);
    // the device part still goes; the host pin leaks
    expect(sim.unmap(unmap(2, unmapArgs(h, 0, BUS)))).toEqual([0]);
    expect(sim.active(1, 8)).toMatchObject({ hostWritable: 1, deviceWritable: 0 });
    expect(sim.maptrack(2).mappings.get(h)?.flags).toBe(HOST);
  });

  it('partial unmaps: host only, then device only; the handle lives until both are gone', () => {
    const { sim, h } = hostAndDevice();
    expect(sim.unmap(unmap(2, unmapArgs(h, 0x5fff, 0)))).toEqual([0]); // any address in the page
    expect(sim.maptrack(2).mappings.get(h)?.flags).toBe(DEV);
    expect(sim.active(1, 8)).toMatchObject({ hostWritable: 0, deviceWritable: 1 });
    expect(sim.domain(2).hostMappings.size).toBe(0);
    expect(sim.entry(1, 8)?.flags).toBe(GTF_permit_access | GTF_reading | GTF_writing);
    // a host address now names a kind the mapping no longer holds: ignored
    expect(sim.unmap(unmap(2, unmapArgs(h, 0x5000, BUS)))).toEqual([0]);
    expect(sim.maptrack(2).mappings.has(h)).toBe(false);
    expect(sim.maptrack(2).freeList.toArray().at(-1)).toBe(h);
  });

  it('GTF_writing goes with the last writable mapping, GTF_reading with the last pin', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3));
    const hw = handleOf(sim.map1(2, mapArgs(1, 8, HOST, 0x1000)));
    const hr = handleOf(sim.map1(2, mapArgs(1, 8, DEV | RO)));
    const dw = handleOf(sim.map1(2, mapArgs(1, 8, DEV)));
    const flags = () => sim.entry(1, 8)?.flags;
    expect(sim.unmap(unmap(2, unmapArgs(hw, 0x1000, 0)))).toEqual([0]);
    expect(flags()).toBe(GTF_permit_access | GTF_reading | GTF_writing); // devw remains
    expect(sim.unmap(unmap(2, unmapArgs(hr, 0, BUS)))).toEqual([0]);
    expect(flags()).toBe(GTF_permit_access | GTF_reading | GTF_writing); // ro unmap: no clear
    expect(sim.unmap(unmap(2, unmapArgs(dw, 0, BUS)))).toEqual([0]);
    expect(flags()).toBe(GTF_permit_access);
  });

  it('a read-only unmap never clears GTF_writing, even one a guest wrote itself', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3));
    const h = handleOf(sim.map1(2, mapArgs(1, 8, DEV | RO)));
    const f = GTF_permit_access | GTF_reading | GTF_writing;
    sim.run({ kind: 'raw_write', dom: 1, ref: 8, flags: f, domid: 2, frame: 3 });
    expect(sim.unmap(unmap(2, unmapArgs(h, 0, BUS)))).toEqual([0]);
    expect(sim.entry(1, 8)?.flags).toBe(GTF_permit_access | GTF_writing);
  });

  it('batch elements see earlier effects: a second unmap of the same handle is bad_handle', () => {
    const { sim, h } = hostAndDevice();
    expect(sim.unmap(unmap(2, unmapArgs(h, 0x5000, BUS), unmapArgs(h, 0x5000, BUS)))).toEqual([
      0,
      GNTST_bad_handle,
    ]);
  });

  it('a read-only host mapping needs a read-only PTE', () => {
    const sim = new Sim();
    sim.run(grant(1, 8, 2, 3));
    const h = handleOf(sim.map1(2, mapArgs(1, 8, HOST | RO, 0x1000)));
    expect(sim.domain(2).hostMappings.get(1)).toEqual({ mfn: MFN, writable: false });
    expect(sim.unmap(unmap(2, unmapArgs(h, 0x1000, 0)))).toEqual([0]);
  });
});
