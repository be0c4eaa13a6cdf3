// Where each op pauses, in order: its Xen locks and shared-entry accesses as 4.17.7's
// grant_table.c takes and makes them (map_grant_ref L1055-1117, acquire/release_grant_for_copy
// L2592-2600 / L2512-2548, unmap_common L1441-1521 and unmap_common_complete L1597-1645,
// gnttab_transfer L2290-2479 with gnttab_prepare_for_transfer L2200-2245, gnttab_setup_table
// L2086-2129 with share_xen_page_with_guest's page_alloc_lock, gnttab_query_size L2169-2175,
// swap_grant_ref L3445-3496). A moved or dropped lock changes these lines.
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/config.ts';
import { GrantSystem, withPauses } from '../../../src/impl/index.ts';
import { describePause } from '../../../src/interleave/columns.ts';
import { op } from '../../support/ops.ts';

function pausesOf(s: GrantSystem, text: string): string[] {
  const steps = s.steps(op(text));
  const out: string[] = [];
  withPauses(() => {
    for (let next = steps.next(); next.done !== true; next = steps.next()) {
      out.push(describePause(next.value));
    }
  });
  return out;
}

/** `inner` under domain `dom`'s grant read lock and the entry's lock, released entry first. */
function underBothLocks(dom: number, ref: number, ...inner: string[]): string[] {
  return [
    `lock grant:d${dom} (r)`,
    `lock active:d${dom}:${ref}`,
    ...inner,
    `unlock active:d${dom}:${ref}`,
    `unlock grant:d${dom} (r)`,
  ];
}

describe('lock and access order, per op', () => {
  const s = new GrantSystem(makeConfig({}));
  s.apply(op('grant_access(d1 ref=8 -> d2 gfn=0 rw)'));

  it('map_grant_ref: grant read lock, entry lock, _set_status, frame, then both released', () => {
    expect(pausesOf(s, 'map(d2: d1 ref=8 host @0x1000)')).toEqual(
      underBothLocks(1, 8, 'load combo d1:8', 'cmpxchg combo d1:8', 'load frame d1:8'),
    );
  });

  it('copy into a writably mapped grant: acquire and release each under both locks', () => {
    expect(pausesOf(s, 'copy(d2: self gmfn=0 off=0 -> d1 ref=8 off=0 len=8)')).toEqual([
      ...underBothLocks(1, 8), // acquire_grant_for_copy: already writably pinned, no _set_status
      ...underBothLocks(1, 8), // release_grant_for_copy: the map's pins keep the bits
    ]);
  });

  it('unmap: phase 1 and phase 2 each under both locks, the status bits cleared in phase 2', () => {
    expect(pausesOf(s, 'unmap(d2: h=0 host=0x1000 dev=0x0)')).toEqual([
      ...underBothLocks(1, 8), // unmap_common
      ...underBothLocks(1, 8, 'and flags d1:8'), // unmap_common_complete
    ]);
  });

  it("transfer: no sender p2m lock (every sender is PV); page_alloc_lock dropped before the grant lock (XSA-73); the translated receiver's p2m under its grant lock", () => {
    s.apply(op('grant_transfer(d2 ref=9 <- d1 gfn=3)'));
    expect(pausesOf(s, 'transfer(d1: gfn=2 -> d2 ref=9)')).toEqual([
      'lock page_alloc:d2',
      'unlock page_alloc:d2',
      'lock grant:d2 (r)',
      'load combo d2:9',
      'cmpxchg combo d2:9',
      'unlock grant:d2 (r)',
      'lock grant:d2 (r)',
      'lock active:d2:9',
      'load frame d2:9',
      'lock p2m:d2',
      'unlock p2m:d2',
      'store frame d2:9',
      'load flags d2:9',
      'store flags d2:9',
      'unlock active:d2:9',
      'unlock grant:d2 (r)',
    ]);
  });

  it('setup_table grows under the write lock, taking page_alloc_lock inside; query_size reads', () => {
    expect(pausesOf(s, 'setup_table(d0: dom=d1 frames=2)')).toEqual([
      'lock grant:d1',
      'lock page_alloc:d1',
      'unlock page_alloc:d1',
      'unlock grant:d1',
    ]);
    expect(pausesOf(s, 'query_size(d0: dom=d1)')).toEqual([
      'lock grant:d1 (r)',
      'unlock grant:d1 (r)',
    ]);
  });

  it('swap_grant_ref: the write lock, then both entry locks, released b then a', () => {
    expect(pausesOf(s, 'swap(d1: ref=8 <-> ref=10)')).toEqual([
      'lock grant:d1',
      'lock active:d1:8',
      'lock active:d1:10',
      'load entry d1:8',
      'load entry d1:10',
      'store entry d1:8',
      'store entry d1:10',
      'unlock active:d1:10',
      'unlock active:d1:8',
      'unlock grant:d1',
    ]);
  });

  it('a PV transfer takes no p2m lock (get_gfn and the m2p update are lock-free)', () => {
    const pv = new GrantSystem(makeConfig({ pv: true }));
    const mfn = (d: number, gfn: number) => 0x100 + d * 4 + gfn;
    pv.apply(op(`grant_transfer(d2 ref=9 <- d1 gfn=${mfn(2, 3)})`));
    const pauses = pausesOf(pv, `transfer(d1: gfn=${mfn(1, 2)} -> d2 ref=9)`);
    expect(pauses).toContain('store flags d2:9'); // it does complete
    expect(pauses.filter((p) => p.includes('p2m'))).toEqual([]);
  });
});

describe('maptrack locks, with two vCPUs (get/put_maptrack_handle L544-718)', () => {
  const s = new GrantSystem(makeConfig({ vcpus: 2, maxMaptrackFrames: 1 }));
  s.apply(op('grant_access(d1 ref=8 -> d2 gfn=0 rw)'));
  const freelist = (v: number, ...inner: string[]) => [
    `lock maptrack_freelist:d2:v${v}`,
    ...inner,
    `unlock maptrack_freelist:d2:v${v}`,
  ];

  it('a first map: own list empty, maptrack_lock over the new frame, then the list updated', () => {
    expect(pausesOf(s, 'map(d2: d1 ref=8 host @0x1000)')).toEqual([
      ...freelist(0), // _get_maptrack_handle: no list yet
      'lock maptrack:d2',
      'unlock maptrack:d2',
      ...freelist(0), // the frame's handles go in front of v0's list
      ...underBothLocks(1, 8, 'load combo d1:8', 'cmpxchg combo d1:8', 'load frame d1:8'),
    ]);
  });

  it("the other vCPU, with no headroom: steals its sentinel and a handle from v0's list", () => {
    expect(pausesOf(s, 'map(d2 v1: d1 ref=8 host @0x2000)')).toEqual([
      ...freelist(1), // its own list: none
      'lock maptrack:d2',
      'unlock maptrack:d2', // no headroom
      ...freelist(0), // steal (starting after v1): v0 gives the sentinel
      ...freelist(1), // the sentinel becomes v1's list
      ...freelist(0), // steal again: v0 gives the handle
      ...underBothLocks(1, 8),
    ]);
  });

  it("unmap: the handle goes back to its entry's vCPU list after the grant locks", () => {
    expect(pausesOf(s, 'unmap(d2: h=2 host=0x2000 dev=0x0)')).toEqual([
      ...underBothLocks(1, 8),
      ...freelist(1), // put_maptrack_handle: handle 2 was stolen by v1
      ...underBothLocks(1, 8),
    ]);
  });
});
