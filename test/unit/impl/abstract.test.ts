import { describe, expect, it } from 'vitest';
import { abstract } from '../../../src/impl/index.ts';
import { abstractUncached, maptrackState } from '../../../src/impl/abstract.ts';
import { MaptrackTable } from '../../../src/impl/hypervisor/maptrack.ts';
import { GNTMAP_host_map, GNTST_okay, MAPTRACK_TAIL } from '../../../src/xen/abi.ts';
import type { ImplSnapshot } from '../../../src/impl/index.ts';
import { randomOp, rng } from './randomOps.ts';
import type { Op } from '../../../src/ops/op.ts';
import type { OpResult } from '../../../src/ops/result.ts';
import { formatOp } from '../../../src/ops/text.ts';
import { expectKind, grant, handleOf, map1, system, unmap } from './helpers.ts';

describe('abstract()', () => {
  it('with its caches equals the uncached mapping, across ops, snapshots and restores', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = rng(seed);
      const s = system();
      const saved: { snap: ImplSnapshot; state: ReturnType<typeof abstract> }[] = [];
      for (let step = 0; step < 400; step++) {
        const choice = r(20);
        if (choice === 0) {
          saved.push({ snap: s.snapshot(), state: abstractUncached(s) });
        } else if (choice === 1 && saved.length > 0) {
          const back = saved[r(saved.length)];
          if (back === undefined) continue;
          s.restore(back.snap);
          expect(abstractUncached(s)).toEqual(back.state);
        } else {
          s.apply(randomOp(r, abstractUncached(s)));
        }
        expect(abstract(s), `seed ${seed} step ${step}`).toEqual(abstractUncached(s));
      }
    }
  });

  it('returns the same object while nothing changes', () => {
    const s = system();
    const a = abstract(s);
    s.apply({ kind: 'query_size', caller: 1, dom: 1 });
    expect(abstract(s)).toBe(a);
    s.apply({ kind: 'grant_access', dom: 1, ref: 8, grantee: 2, gfn: 0, readonly: false });
    const b = abstract(s);
    expect(b).not.toBe(a);
    expect(b.domains[0]).toBe(a.domains[0]);
    expect(b.domains[2]).toBe(a.domains[2]);
  });

  it('reads an active entry again when only its frame changed since the last build', () => {
    // Between two abstractions (as after an explorer's restore to another branch, which the
    // touch log names entry by entry), d1's ref 8 is unmapped, granted again on another page and
    // mapped again: the same grantee and pin counts as before, another frame.
    const s = system();
    grant(s, 1, 8, 2, 0);
    const host = { dom: 1, ref: 8, flags: GNTMAP_host_map, hostAddr: 0x1000 };
    const h = handleOf(map1(s, 2, host));
    const before = abstract(s).domains[1]?.grantTable.active.get(8);
    expect(unmap(s, 2, { handle: h, hostAddr: 0x1000, devBusAddr: 0 })).toEqual([GNTST_okay]);
    s.apply({ kind: 'end_access', dom: 1, ref: 8 });
    grant(s, 1, 8, 2, 1);
    handleOf(map1(s, 2, host));
    const after = abstract(s);
    expect(after.domains[1]?.grantTable.active.get(8)?.mfn).not.toBe(before?.mfn);
    expect(after).toEqual(abstractUncached(s));
  });

  it("reads a guest library's state again when a step changed only that", () => {
    // alloc_refs and free_ref move refs between the library's free list and its driver and
    // write nothing Xen keeps versions of (no shared entry, pin, handle or frame): the domain's
    // cached build holds by its versions, and only the library's state says it is stale. Each
    // profile keeps its list its own way (Linux LIFO from 8 up, Mini-OS from the top, Mirage a
    // queue); a restore to before an allocation brings back the library's state alone too.
    const s = system({ profiles: ['linux', 'mini-os', 'mirage'] });
    const library = (d: number) => abstract(s).domains[d]?.guest;
    const run = (op: Op): OpResult => {
      const result = s.apply(op);
      expect(abstract(s), formatOp(op)).toEqual(abstractUncached(s));
      return result;
    };
    /** One ref from d's library (Mini-OS hands out one per call). */
    const alloc = (dom: number): number => {
      const r = expectKind(run({ kind: 'alloc_refs', dom, count: 1 }), 'alloc_refs');
      const [ref] = 'refs' in r ? r.refs : [];
      if (ref === undefined) throw new Error(`d${dom}: alloc_refs ${r.outcome}`);
      return ref;
    };
    for (const dom of [0, 1, 2]) {
      const start = s.snapshot();
      const free = library(dom)?.free;
      const a = alloc(dom);
      expect(library(dom)?.free, `d${dom}'s free list`).not.toEqual(free);
      const b = alloc(dom);
      run({ kind: 'free_ref', dom, ref: a });
      run({ kind: 'grant_access', dom, ref: b, grantee: (dom + 1) % 3, gfn: 0, readonly: false });
      run({ kind: 'end_access', dom, ref: b });
      alloc(dom);
      s.restore(start);
      expect(abstract(s), `d${dom} restored`).toEqual(abstractUncached(s));
      expect(library(dom)?.free).toEqual(free);
      alloc(dom);
    }
  });
});

describe("maptrackState's free list", () => {
  /** The list link by link, as Xen follows it (bounded by the limit: a cyclic list repeats). */
  function linkByLink(t: MaptrackTable): number[] {
    const out: number[] = [];
    for (let h = t.head; h !== MAPTRACK_TAIL && out.length <= t.limit; h = t.ref(h)) {
      out.push(h);
      if (h >= t.limit) break;
    }
    return out;
  }

  it('is the list link by link, on corrupted tables too (cycles, links out of the table)', () => {
    let seed = 99;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let trial = 0; trial < 2000; trial++) {
      const t = new MaptrackTable(2);
      t.addFrame();
      t.linkNewFrame(0, 0);
      t.limit = 256;
      t.head = next(3) === 0 ? next(300) : 0;
      t.tail = 255;
      t.setRef(255, MAPTRACK_TAIL);
      for (let k = next(6); k > 0; k--) {
        const to = next(4) === 0 ? next(300) : next(4) === 0 ? MAPTRACK_TAIL : next(256);
        t.setRef(next(256), to);
      }
      expect([...maptrackState(t).freeList]).toEqual(linkByLink(t));
    }
  });
});
