import { describe, expect, it } from 'vitest';
import { MFN_BASE } from '../../../src/config.ts';
import { abstract } from '../../../src/impl/index.ts';
import type { ImplParts } from '../../../src/impl/index.ts';
import {
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTPIN_devw_inc,
  GNTPIN_hstr_inc,
  GNTST_bad_dev_addr,
  GNTST_bad_handle,
  GNTST_general_error,
  GNTST_okay,
  GTF_permit_access,
  GTF_reading,
  GTF_writing,
  PAGE_SIZE,
} from '../../../src/xen/abi.ts';
import { grant, handleOf, map1, system, unmap } from './helpers.ts';

const HOST = GNTMAP_host_map;
const DEV = GNTMAP_device_map;
const RO = GNTMAP_readonly;
const MFN = MFN_BASE + 4 + 1; // d1's gfn 1
const BUS = MFN * PAGE_SIZE;
const VA = 3 * PAGE_SIZE;

function setup(flags: number) {
  const s = system();
  grant(s, 1, 8, 2, 1);
  const h = handleOf(map1(s, 2, { dom: 1, ref: 8, flags, hostAddr: VA }));
  return { s, h, pin: () => s.xen.domain(1).grantTable.active.pinOf(8) };
}
const flags = (s: ReturnType<typeof system>) => s.xen.domain(1).grantTable.shared.inspect(8).flags;

describe('unmap_grant_ref', () => {
  it('a full unmap frees the handle at the tail, drops pins, refs and status bits', () => {
    const { s, h, pin } = setup(HOST | DEV);
    expect(unmap(s, 2, { handle: h, hostAddr: VA, devBusAddr: BUS })).toEqual([GNTST_okay]);
    expect(pin()).toBe(0);
    expect(flags(s)).toBe(GTF_permit_access);
    expect(s.xen.frames.refs(MFN)).toBe(2);
    expect(s.xen.frames.writableTypeCount[MFN - MFN_BASE]).toBe(0);
    expect(s.xen.domain(2).pageTable.size).toBe(0);
    const mt = abstract(s).domains[2]?.maptrack;
    expect(mt?.mappings.size).toBe(0);
    expect(mt?.freeList.toArray().at(-1)).toBe(h);
  });

  it('a partial unmap keeps the handle and the other pin', () => {
    const { s, h, pin } = setup(HOST | DEV);
    expect(unmap(s, 2, { handle: h, hostAddr: VA, devBusAddr: 0 })).toEqual([GNTST_okay]);
    expect(pin()).toBe(GNTPIN_devw_inc);
    expect(flags(s)).toBe(GTF_permit_access | GTF_reading | GTF_writing);
    expect(s.xen.domain(2).maptrack.flags(h)).toBe(DEV);
  });

  it('no addresses, or addresses for kinds not held: okay and nothing changes', () => {
    const { s, h, pin } = setup(DEV);
    const before = abstract(s);
    expect(unmap(s, 2, { handle: h, hostAddr: 0, devBusAddr: 0 })).toEqual([GNTST_okay]);
    expect(unmap(s, 2, { handle: h, hostAddr: VA, devBusAddr: 0 })).toEqual([GNTST_okay]);
    expect(abstract(s)).toEqual(before);
    expect(pin()).toBe(GNTPIN_devw_inc);
  });

  it('a wrong dev_bus_addr aborts the whole element, host part included', () => {
    const { s, h } = setup(HOST | DEV);
    const before = abstract(s);
    expect(unmap(s, 2, { handle: h, hostAddr: VA, devBusAddr: BUS + 1 })).toEqual([
      GNTST_bad_dev_addr,
    ]);
    expect(abstract(s)).toEqual(before);
  });

  it('a PTE that no longer matches: general_error, nothing changed', () => {
    const { s, h } = setup(HOST);
    const before = abstract(s);
    expect(unmap(s, 2, { handle: h, hostAddr: VA + PAGE_SIZE, devBusAddr: 0 })).toEqual([
      GNTST_general_error,
    ]);
    expect(abstract(s)).toEqual(before);
  });

  it('bad handles: beyond maptrack_limit, never used, already freed', () => {
    const { s, h } = setup(DEV);
    expect(unmap(s, 2, { handle: 256, hostAddr: 0, devBusAddr: BUS })).toEqual([GNTST_bad_handle]);
    expect(unmap(s, 2, { handle: 7, hostAddr: 0, devBusAddr: BUS })).toEqual([GNTST_bad_handle]);
    expect(
      unmap(
        s,
        2,
        { handle: h, hostAddr: 0, devBusAddr: BUS },
        { handle: h, hostAddr: 0, devBusAddr: BUS },
      ),
    ).toEqual([GNTST_okay, GNTST_bad_handle]);
  });

  it('a read-only unmap never clears GTF_writing', () => {
    const s = system();
    grant(s, 1, 8, 2, 1);
    const w = handleOf(map1(s, 2, { dom: 1, ref: 8, flags: DEV, hostAddr: 0 }));
    const r = handleOf(map1(s, 2, { dom: 1, ref: 8, flags: HOST | RO, hostAddr: VA }));
    expect(unmap(s, 2, { handle: r, hostAddr: VA, devBusAddr: 0 })).toEqual([GNTST_okay]);
    expect(flags(s)).toBe(GTF_permit_access | GTF_reading | GTF_writing);
    expect(unmap(s, 2, { handle: w, hostAddr: 0, devBusAddr: BUS })).toEqual([GNTST_okay]);
    expect(flags(s)).toBe(GTF_permit_access);
  });

  it('runs phase 1 for the whole chunk before phase 2 (handles freed in phase 1)', () => {
    const s0 = system();
    grant(s0, 1, 8, 2, 1);
    const h = handleOf(map1(s0, 2, { dom: 1, ref: 8, flags: HOST | DEV | RO, hostAddr: VA }));
    const events: string[] = [];
    const s = system({}, {
      *unmapCommon(xen, ld, op) {
        events.push(`phase1 ${op.handle}`);
        yield* s0.parts.unmapCommon(xen, ld, op);
      },
      *unmapCommonComplete(xen, ld, op) {
        events.push(`phase2 ${op.handle} pin=${xen.domain(1).grantTable.active.pinOf(8)}`);
        yield* s0.parts.unmapCommonComplete(xen, ld, op);
      },
    } satisfies Partial<ImplParts>);
    grant(s, 1, 8, 2, 1);
    map1(s, 2, { dom: 1, ref: 8, flags: HOST | DEV | RO, hostAddr: VA });
    const statuses = unmap(
      s,
      2,
      { handle: h, hostAddr: VA, devBusAddr: 0 },
      { handle: h, hostAddr: 0, devBusAddr: BUS },
    );
    expect(statuses).toEqual([GNTST_okay, GNTST_okay]);
    // Both pins are still up when phase 2 starts: phase 1 ran for both elements first.
    const both = 0x01000000 + GNTPIN_hstr_inc;
    expect(events).toEqual([
      `phase1 ${h}`,
      `phase1 ${h}`,
      `phase2 ${h} pin=${both}`,
      `phase2 ${h} pin=${both - GNTPIN_hstr_inc}`,
    ]);
    expect(s.xen.domain(1).grantTable.active.pinOf(8)).toBe(0);
    expect(abstract(s).domains[2]?.maptrack.freeList.toArray().at(-1)).toBe(h);
  });

  it('processes more than 32 elements in chunks', () => {
    const s = system();
    grant(s, 1, 8, 2, 1);
    const handles = Array.from({ length: 40 }, () =>
      handleOf(map1(s, 2, { dom: 1, ref: 8, flags: DEV | RO, hostAddr: 0 })),
    );
    const statuses = unmap(
      s,
      2,
      ...handles.map((handle) => ({ handle, hostAddr: 0, devBusAddr: BUS })),
    );
    expect(statuses).toEqual(handles.map(() => GNTST_okay));
    expect(s.xen.domain(1).grantTable.active.pinOf(8)).toBe(0);
    expect(s.xen.frames.refs(MFN)).toBe(2);
  });
});
