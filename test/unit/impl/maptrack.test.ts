import { describe, expect, it } from 'vitest';
import { abstract } from '../../../src/impl/index.ts';
import {
  getMaptrackHandle as getSteps,
  INVALID_MAPTRACK_HANDLE,
  MaptrackTable,
  putMaptrackHandle as putSteps,
} from '../../../src/impl/hypervisor/maptrack.ts';
import { runToEnd } from '../../../src/impl/steps.ts';
import {
  GNTMAP_device_map,
  GNTMAP_readonly,
  GNTST_bad_gntref,
  MAPTRACK_TAIL,
} from '../../../src/xen/abi.ts';
import { grant, handleOf, map1, system } from './helpers.ts';

function walk(t: MaptrackTable): number[] {
  const list: number[] = [];
  for (let h = t.head; h !== MAPTRACK_TAIL; h = t.ref(h)) list.push(h);
  return list;
}

const getMaptrackHandle = (t: MaptrackTable, vcpu = 0): number => runToEnd(getSteps(t, vcpu));
const putMaptrackHandle = (t: MaptrackTable, handle: number): void => runToEnd(putSteps(t, handle));

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, i) => from + i);

describe('maptrack handles (get/put_maptrack_handle)', () => {
  it('hands out 0..254, then 256 from a new frame; the queue is 257..511, 255', () => {
    const t = new MaptrackTable(2);
    const got = Array.from({ length: 256 }, () => getMaptrackHandle(t));
    expect(got).toEqual([...range(0, 255), 256]);
    expect(t.limit).toBe(512);
    expect(walk(t)).toEqual([...range(257, 512), 255]);
    expect(t.tail).toBe(255);
  });

  it('never hands out the last entry, and says so when out of frames', () => {
    const t = new MaptrackTable(1);
    for (let i = 0; i < 255; i++) expect(getMaptrackHandle(t)).toBe(i);
    expect(getMaptrackHandle(t)).toBe(INVALID_MAPTRACK_HANDLE);
    expect(walk(t)).toEqual([255]);
  });

  it('appends freed handles at the tail (FIFO)', () => {
    const t = new MaptrackTable(1);
    const a = getMaptrackHandle(t);
    const b = getMaptrackHandle(t);
    putMaptrackHandle(t, b);
    putMaptrackHandle(t, a);
    expect(walk(t)).toEqual([...range(2, 256), 1, 0]);
    expect(t.tail).toBe(0);
  });

  it('through map_grant_ref: 256 device maps get 0..254 and 256', () => {
    const s = system({ maxMaptrackFrames: 2 });
    const handles: number[] = [];
    for (let i = 0; i < 256; i++) {
      grant(s, 1, 8 + i, 2, 0, true);
      const flags = GNTMAP_device_map | GNTMAP_readonly;
      handles.push(handleOf(map1(s, 2, { dom: 1, ref: 8 + i, flags, hostAddr: 0 })));
    }
    expect(handles).toEqual([...range(0, 255), 256]);
    const mt = abstract(s).domains[2]?.maptrack;
    expect(mt?.freeList.toArray()).toEqual([...range(257, 512), 255]);
    expect(mt?.limit).toBe(512);
    expect(mt?.mappings.size).toBe(256);
  });

  it('a failed map takes a handle (growing the table) and re-appends it', () => {
    const s = system();
    const r = map1(s, 2, { dom: 1, ref: 600, flags: GNTMAP_device_map, hostAddr: 0 });
    expect(r.status).toBe(GNTST_bad_gntref);
    const mt = abstract(s).domains[2]?.maptrack;
    expect(mt?.limit).toBe(256);
    expect(mt?.freeList.toArray()).toEqual([...range(1, 256), 0]);
    grant(s, 1, 8, 2, 0, true);
    const flags = GNTMAP_device_map | GNTMAP_readonly;
    expect(handleOf(map1(s, 2, { dom: 1, ref: 8, flags, hostAddr: 0 }))).toBe(1);
  });
});

describe("a maptrack frame's room, kept across a restore to fewer frames", () => {
  it('a frame published again after the restore is cleared (clear_page), and a saved copy is the table alone', () => {
    const t = new MaptrackTable(2);
    const empty = t.save();
    expect(getMaptrackHandle(t)).toBe(0);
    t.setFlags(0, GNTMAP_device_map);
    t.setDomid(0, 1);
    const one = t.save();
    expect(one.entries.byteLength).toBe(256 * 16);
    t.load(empty);
    expect(t.limit).toBe(0);
    expect(t.flags(0)).toBe(0);
    expect(t.save().entries.byteLength).toBe(0);
    // the frame again, in the room the first one left: as fresh as the first
    expect(getMaptrackHandle(t)).toBe(0);
    expect(range(0, 256).map((h) => t.flags(h) | t.domid(h))).toEqual(range(0, 256).map(() => 0));
    expect(walk(t)).toEqual(range(1, 256));
    // and back to the copy with the map in it
    t.load(one);
    expect([t.flags(0), t.domid(0)]).toEqual([GNTMAP_device_map, 1]);
  });
});
