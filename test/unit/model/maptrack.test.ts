import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/config.ts';
import {
  allocateHandle,
  emptyMaptrack,
  headMapped,
  headReturned,
  headTaken,
  ownHead,
  putHandle,
  withMapping,
} from '../../../src/model/maptrack.ts';
import type { Maptrack } from '../../../src/model/state.ts';
import { GNTST_bad_gntref, GNTST_general_error, GNTST_no_space } from '../../../src/xen/abi.ts';
import { DEV, RO, Sim, grant, handleOf, map, mapArgs, range, unmap, unmapArgs } from './helpers.ts';

function take(mt: Maptrack, n: number): { handles: number[]; mt: Maptrack } {
  const handles: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = allocateHandle(mt, 0);
    if (a.handle === undefined) break;
    handles.push(a.handle);
    mt = a.maptrack;
  }
  return { handles, mt };
}

describe('maptrack free list (get/put_maptrack_handle, one vCPU)', () => {
  it('hands out 0..254, then 256; the queue becomes 257..511, 255', () => {
    const { handles, mt } = take(emptyMaptrack(2), 256);
    expect(handles).toEqual([...range(0, 255), 256]);
    expect(mt.limit).toBe(512);
    expect(mt.freeList.toArray()).toEqual([...range(257, 512), 255]);
  });

  it('never hands out the last element: 256*frames-1 handles, then none', () => {
    expect(take(emptyMaptrack(1), 1000).handles).toHaveLength(255);
    expect(take(emptyMaptrack(3), 1000).handles).toHaveLength(3 * 256 - 1);
  });

  it('appends freed handles at the tail (FIFO)', () => {
    let { mt } = take(emptyMaptrack(1), 3);
    mt = putHandle(mt, 1, 0);
    mt = putHandle(mt, 0, 0);
    expect(mt.freeList.toArray()).toEqual([...range(3, 256), 1, 0]);
    const next = take(mt, 1000);
    expect(next.handles.slice(-2)).toEqual([255, 1]);
    expect(next.mt.freeList.toArray()).toEqual([0]); // the last one stays as the list's sentinel
  });
});

describe("vCPU 0's head fast path (map_grant_ref's one-maptrack element)", () => {
  it('equals allocateHandle then putHandle / withMapping, on tables reached by takes and puts', () => {
    // Tables of one to three frames, after taking some handles and putting some back out of order.
    for (const frames of [1, 2, 3]) {
      for (const taken of [0, 1, 2, 100, 254, 255, 300]) {
        const reached = take(emptyMaptrack(frames), taken);
        const handles = reached.handles;
        let mt = reached.mt;
        for (const h of handles.filter((_, i) => i % 3 === 1)) mt = putHandle(mt, h, 0);
        const head = ownHead(mt, 0);
        const slow = allocateHandle(mt, 0);
        expect(ownHead(mt, 1)).toBeUndefined(); // only vCPU 0's list has the fast path
        if (head === undefined) {
          // the slow path decides: a new frame, a steal, or no_space
          expect(mt.freeList.length).toBeLessThan(2);
          continue;
        }
        expect(slow.handle).toBe(head);
        expect(headTaken(mt)).toEqual(slow.maptrack);
        expect(headReturned(mt, head)).toEqual(putHandle(slow.maptrack, head, 0));
        const mapping = { granter: 1, ref: 8, flags: 1 };
        expect(headMapped(mt, head, mapping)).toEqual(withMapping(slow.maptrack, head, mapping));
      }
    }
  });
});

describe('maptrack handles through map and unmap', () => {
  // Three rw grants from d1 to d2; read-only device maps need no va page and add devr pins.
  function granted(maxMaptrackFrames: number): Sim {
    const sim = new Sim(makeConfig({ maxMaptrackFrames }));
    for (const ref of [8, 9, 10]) sim.run(grant(1, ref, 2, ref - 8));
    return sim;
  }
  const roDevice = (i: number) => mapArgs(1, 8 + (i % 3), DEV | RO);

  it('maps 0..254 then 256 with two frames', () => {
    const sim = granted(2);
    const results = sim.map(map(2, ...range(0, 256).map(roDevice)));
    expect(results.map(handleOf)).toEqual([...range(0, 255), 256]);
    expect(sim.maptrack(2).limit).toBe(512);
  });

  it('no_space once 255 mappings are live with one frame, and again after a free', () => {
    const sim = granted(1);
    const results = sim.map(map(2, ...range(0, 256).map(roDevice)));
    expect(results.slice(0, 255).map(handleOf)).toEqual(range(0, 255));
    expect(results[255]).toEqual({ status: GNTST_no_space });
    expect(sim.unmap(unmap(2, unmapArgs(7, 0, 0x105 << 12)))).toEqual([0]);
    expect(sim.maptrack(2).freeList.toArray()).toEqual([255, 7]);
    expect(handleOf(sim.map1(2, roDevice(0)))).toBe(255);
    expect(sim.map1(2, roDevice(0))).toEqual({ status: GNTST_no_space });
  });

  it('a failed map still takes a handle (growing the table) and returns it to the tail', () => {
    const sim = granted(1);
    expect(sim.map1(2, mapArgs(1, 512, DEV))).toEqual({ status: GNTST_bad_gntref });
    expect(sim.maptrack(2).limit).toBe(256);
    expect(sim.maptrack(2).freeList.toArray()).toEqual([...range(1, 256), 0]);
    expect(handleOf(sim.map1(2, roDevice(0)))).toBe(1);
    // later failures move the numbering as well
    expect(sim.map1(2, mapArgs(1, 20, DEV))).toEqual({ status: GNTST_general_error });
    expect(sim.maptrack(2).freeList.toArray().slice(-2)).toEqual([0, 2]);
  });

  it('a map with neither host_map nor device_map fails before taking a handle', () => {
    const sim = granted(1);
    expect(sim.map1(2, mapArgs(1, 8, RO))).toEqual({ status: GNTST_bad_gntref });
    expect(sim.maptrack(2).limit).toBe(0);
  });
});
