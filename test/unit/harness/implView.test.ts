// The invariants' scans kept from step to step (ScanIndex, updated from the impl tables' touch
// logs) equal full scans after every step of random streams, across snapshots and restores.

import { describe, expect, it } from 'vitest';
import { FreeListOrder, ImplView, ScanIndex } from '../../../src/harness/implView.ts';
import {
  getMaptrackHandle,
  MaptrackTable,
  putMaptrackHandle,
} from '../../../src/impl/hypervisor/maptrack.ts';
import { runToEnd } from '../../../src/impl/steps.ts';
import { abstractUncached } from '../../../src/impl/abstract.ts';
import { TouchLog } from '../../../src/impl/touch.ts';
import type { ImplSnapshot } from '../../../src/impl/index.ts';
import {
  GNTMAP_host_map,
  GTF_reading,
  GTF_transfer_completed,
  GTF_writing,
} from '../../../src/xen/abi.ts';
import { randomOp, rng } from '../impl/randomOps.ts';
import { system } from '../impl/helpers.ts';

describe('TouchLog', () => {
  it('tells a reader what was written since its mark, and to rescan after a reset or overflow', () => {
    const log = new TouchLog(4);
    expect(log.since(undefined)).toBeUndefined();
    const start = log.mark();
    log.touch(3);
    log.touch(7);
    const mid = log.mark();
    log.touch(3);
    expect(log.since(start)).toEqual([3, 7, 3]);
    expect(log.since(mid)).toEqual([3]);
    log.touch(1);
    log.touch(2); // the fifth write: past the capacity, the log starts over
    expect(log.since(start)).toBeUndefined();
    expect(log.since(mid)).toBeUndefined();
    const after = log.mark();
    log.reset();
    expect(log.since(after)).toBeUndefined();
    expect(log.since(log.mark())).toEqual([]);
  });
});

describe('ScanIndex', () => {
  // Seed n compares every n-th step: the Checker asks only when a step changed what the scans
  // read, so the index must also catch up on several steps' writes at once.
  it('gives the same scans as a full rescan, across ops, snapshots and restores', () => {
    let steps = 0;
    let nonEmpty = 0; // steps where some domain has pins and live handles
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = rng(seed);
      const s = system({ maxGrantFrames: 2 });
      const index = new ScanIndex();
      const saved: ImplSnapshot[] = [];
      for (let step = 0; step < 400; step++) {
        const choice = r(20);
        if (choice === 0) {
          saved.push(s.snapshot());
        } else if (choice === 1 && saved.length > 0) {
          const back = saved[r(saved.length)];
          if (back !== undefined) s.restore(back);
        } else {
          s.apply(randomOp(r, abstractUncached(s)));
        }
        steps++;
        if (step % seed !== 0) continue;
        const kept = new ImplView(s, index);
        const full = new ImplView(s);
        for (const d of s.xen.domains) {
          const where = `seed ${seed} step ${step} d${d.id}`;
          expect(kept.pinned(d.id), where).toEqual(full.pinned(d.id));
          expect(kept.live(d.id), where).toEqual(full.live(d.id));
          for (const mask of [GTF_reading | GTF_writing, GTF_transfer_completed]) {
            expect(kept.withStatusBits(d.id, mask), where).toEqual(full.withStatusBits(d.id, mask));
          }
        }
        if (s.xen.domains.some((d) => full.pinned(d.id).length > 0 && full.live(d.id).length > 0))
          nonEmpty++;
      }
    }
    expect(steps).toBe(2000);
    expect(nonEmpty).toBeGreaterThan(200);
  });

  it('scans a table again only where its touch log says it was written', () => {
    const s = system();
    const index = new ScanIndex();
    const d1 = s.xen.domains[1];
    if (d1 === undefined) throw new Error('no d1');
    expect(new ImplView(s, index).pinned(1)).toEqual([]);
    const before = new ImplView(s, index).pinned(1);
    // A write that bypasses the setters is not seen by the kept scan (the contract), only by a
    // full one: this is what shows the kept scan is not a rescan.
    d1.grantTable.active.pin[9] = 1;
    expect(new ImplView(s, index).pinned(1)).toBe(before);
    expect(new ImplView(s).pinned(1)).toEqual([9]);
    d1.grantTable.active.setPin(9, 1);
    expect(new ImplView(s, index).pinned(1)).toEqual([9]);
  });
});

describe('FreeListOrder.holdsAfter', () => {
  it('checks each written handle on its own, whatever order the log names them in', () => {
    // One frame, one vCPU: handle 0 taken, the list 1..255 recorded by a walk.
    const t = new MaptrackTable(1);
    runToEnd(getMaptrackHandle(t, 0));
    const order = new FreeListOrder();
    expect(order.walk(t, 1, true)).toBe(true);
    const mark = t.touched.mark();
    // Written after the walk, later place first: handle 8 rewritten as it was, then handle 4
    // made to name vCPU 1 (free-list-integrity: a free entry names its own list's vCPU).
    t.setVcpu(8, 0);
    t.setVcpu(4, 1);
    const touched = t.touched.since(mark);
    expect(touched).toEqual([8, 4]);
    // A run counted at once must stop at the first written place, not the first logged one.
    expect(order.holdsAfter(t, touched ?? [], 1)).toBe(false);
    expect(new FreeListOrder().walk(t, 1, false)).toBe(false);
  });

  it("does not count a run recorded on another vCPU's list", () => {
    // Two vCPUs, a frame each: v0's list 1..255 then 0, v1's 257..511 then 256 (entries naming
    // v1), recorded by a walk.
    const t = new MaptrackTable(2, 2);
    const a = runToEnd(getMaptrackHandle(t, 0));
    const b = runToEnd(getMaptrackHandle(t, 1));
    runToEnd(putMaptrackHandle(t, a));
    runToEnd(putMaptrackHandle(t, b));
    const order = new FreeListOrder();
    expect(order.walk(t, 0, true)).toBe(true);
    const mark = t.touched.mark();
    // v0's head moved onto v1's list (a head is no entry: the log names nothing). Counted by
    // runs, v0's list and v1's each look whole; but v0's list now holds entries naming v1.
    t.setHead(0, t.headOf(1));
    const touched = t.touched.since(mark) ?? [];
    expect(touched).toEqual([]);
    expect(new FreeListOrder().walk(t, 0, false)).toBe(false);
    expect(order.holdsAfter(t, touched, 0)).toBe(false);
  });

  it('trusts no lists after a walk that recorded none (the verdict after a reset log)', () => {
    // One frame, one vCPU: handle 0 in use, the list 1..255 recorded by a walk.
    const t = new MaptrackTable(1);
    runToEnd(getMaptrackHandle(t, 0));
    t.setFlags(0, GNTMAP_host_map);
    const order = new FreeListOrder();
    expect(order.walk(t, 1, true)).toBe(true);
    // A step whose writes no log keeps (its log starts over, as a full log does): handle 100
    // taken out of the list and mapped, handle 0 freed to the list's head. The lists hold; as
    // free-list-integrity does after a reset log, the lists are forgotten and walked, unrecorded.
    t.setFlags(100, GNTMAP_host_map);
    t.setRef(99, 101);
    t.setFlags(0, 0);
    t.setRef(0, t.head);
    t.head = 0;
    t.touched.reset();
    order.forget();
    expect(order.walk(t, 1, false)).toBe(true);
    // The next step frees handle 100 onto no list: one handle lost. The lists recorded before
    // the reset still link 99 to 100, so a count by their runs would find every handle.
    const mark = t.touched.mark();
    t.setFlags(100, 0);
    const touched = t.touched.since(mark) ?? [];
    expect(new FreeListOrder().walk(t, 0, false)).toBe(false);
    expect(order.holdsAfter(t, touched, 0)).toBe(false);
  });
});
