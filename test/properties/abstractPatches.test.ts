// abstract(impl) keeps what it built and patches it where the touch logs say the tables were
// written (src/impl/abstract.ts: shared and active entries, mappings, the free lists followed
// from the list before). The patched state must be the uncached mapping's on every state: the
// states conformance streams reach on the correct impl and on every fault, maptracks with links
// and heads overwritten at random between ops, and more than one vCPU. A patch that misses a
// write is caught.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/config.ts';
import { FAULTS, subjectOf } from '../../src/faults/index.ts';
import { Checker } from '../../src/harness/checker.ts';
import {
  abstract,
  abstractUncached,
  maptrackState,
  patchedFreeList,
  touchedKeys,
} from '../../src/impl/abstract.ts';
import { GrantSystem } from '../../src/impl/index.ts';
import type { MaptrackTable } from '../../src/impl/hypervisor/maptrack.ts';
import { FreeList } from '../../src/model/freeList.ts';
import type { Op } from '../../src/ops/op.ts';
import { GNTMAP_host_map, MAPTRACK_PER_PAGE, MAPTRACK_TAIL } from '../../src/xen/abi.ts';
import { testSeeds } from '../support/seeds.ts';
import { applyPastViolations, conformanceSuite, suiteRuns, systemOf } from '../support/suites.ts';

const suite = conformanceSuite();
const runArbitrary = suiteRuns(suite);

/** One write to a maptrack, as a hostile or buggy hypervisor might make it. */
const maptrackWrite = fc.record({
  dom: fc.integer({ min: 0, max: 2 }),
  what: fc.constantFrom('ref', 'ref', 'flags', 'head', 'tail'),
  handle: fc.integer({ min: 0, max: MAPTRACK_PER_PAGE - 1 }),
  value: fc.oneof(
    fc.integer({ min: 0, max: MAPTRACK_PER_PAGE + 1 }),
    fc.constantFrom(0, 1, MAPTRACK_TAIL),
  ),
});
type MaptrackWrite = typeof maptrackWrite extends fc.Arbitrary<infer W> ? W : never;

function overwrite(system: GrantSystem, w: MaptrackWrite): void {
  const t = system.xen.domains[w.dom]?.maptrack;
  if (!t || t.limit === 0) return;
  if (w.what === 'ref') t.setRef(w.handle, w.value);
  else if (w.what === 'flags') t.setFlags(w.handle, w.value & 0xffff);
  else if (w.what === 'head') t.setHead(0, w.value);
  else t.setTail(0, w.value);
}

describe('abstract(): the patched state is the uncached mapping', () => {
  for (const seed of testSeeds('abstract patches')) {
    it(`on the states op streams reach, impl and every fault (seed ${seed})`, () => {
      fc.assert(
        fc.property(runArbitrary, (ops) => {
          for (const fault of [undefined, ...FAULTS]) {
            const checker = new Checker(suite.config, {
              invariants: [],
              properties: [],
              subject: subjectOf(fault),
            });
            const system = systemOf(checker);
            for (const [i, op] of ops.entries()) {
              if (!applyPastViolations(checker, op, fault !== undefined)) break;
              expect(abstract(system), `${fault?.id ?? 'impl'} step ${i}`).toEqual(
                abstractUncached(system),
              );
            }
          }
        }),
        { seed, numRuns: 10 },
      );
    });

    it(`with maptrack links and heads overwritten between ops (seed ${seed})`, () => {
      const steps = fc.array(
        fc.oneof(
          runArbitrary.map((ops) => ops.slice(0, 4)),
          fc.array(maptrackWrite, { minLength: 1, maxLength: 2 }),
        ),
        { maxLength: 30 },
      );
      fc.assert(
        fc.property(steps, (plan) => {
          const checker = new Checker(suite.config, { invariants: [], properties: [] });
          const system = systemOf(checker);
          for (const [i, part] of plan.entries()) {
            for (const item of part as (Op | MaptrackWrite)[]) {
              if ('kind' in item) {
                try {
                  checker.apply(item);
                } catch {
                  return; // a corrupted maptrack can trip the impl's own assertions
                }
              } else {
                overwrite(system, item);
              }
            }
            expect(abstract(system), `part ${i}`).toEqual(abstractUncached(system));
          }
        }),
        { seed, numRuns: 150 },
      );
    });

    it(`with two and three vCPUs (seed ${seed})`, () => {
      for (const vcpus of [2, 3]) {
        const config = makeConfig({ ...suite.config, vcpus });
        fc.assert(
          fc.property(runArbitrary, (ops) => {
            const system = new GrantSystem(config);
            for (const [i, op] of ops.entries()) {
              system.apply(op);
              expect(abstract(system), `vcpus ${vcpus} step ${i}`).toEqual(
                abstractUncached(system),
              );
            }
          }),
          { seed, numRuns: 10 },
        );
      }
    });
  }
});

/** A domain's maptrack with its first frame, and some handles taken and given back. */
function busyMaptrack(): MaptrackTable {
  const system = new GrantSystem(suite.config);
  // d2 maps d1's ref 8 and unmaps it, a few times: handles move from the head to the tail.
  const grant: Op = { kind: 'grant_access', dom: 1, ref: 8, grantee: 2, gfn: 0, readonly: false };
  system.apply(grant);
  for (let i = 0; i < 3; i++) {
    system.apply({
      kind: 'map_grant_ref',
      caller: 2,
      batch: [{ dom: 1, ref: 8, flags: GNTMAP_host_map, hostAddr: 4096 * (i + 1) }],
    });
  }
  system.apply({
    kind: 'unmap_grant_ref',
    caller: 2,
    batch: [{ hostAddr: 4096 * 2, devBusAddr: 0, handle: 1 }],
  });
  const t = system.xen.domains[2]?.maptrack;
  if (!t || t.limit === 0) throw new Error('no d2 maptrack');
  return t;
}

interface ListWrite {
  readonly what: string;
  readonly handle: number;
  readonly value: number;
}

describe('patchedFreeList: the walk it saves', () => {
  const seeds = testSeeds('patched free list');
  const writes = fc.array(
    fc.record({
      what: fc.constantFrom('ref', 'ref', 'ref', 'head', 'pop', 'push'),
      handle: fc.integer({ min: 0, max: MAPTRACK_PER_PAGE - 1 }),
      value: fc.oneof(
        fc.integer({ min: 0, max: MAPTRACK_PER_PAGE + 1 }),
        fc.constantFrom(MAPTRACK_TAIL),
      ),
    }),
    { minLength: 1, maxLength: 4 },
  );

  /** Apply `ws` to `t`, returning the handles written (the touch log's view). */
  function apply(t: MaptrackTable, ws: readonly ListWrite[]): number[] {
    const touched: number[] = [];
    for (const w of ws) {
      if (w.what === 'ref') {
        t.setRef(w.handle, w.value);
        touched.push(w.handle);
      } else if (w.what === 'head') {
        t.setHead(0, w.value);
      } else if (w.what === 'pop') {
        // _get_maptrack_handle: the head's link becomes the head, its entry is written
        const head = t.head;
        if (head === MAPTRACK_TAIL || head >= t.limit) continue;
        t.head = t.ref(head);
        t.setRef(head, 8);
        touched.push(head);
      } else {
        // put_maptrack_handle: linked after the tail
        const tail = t.tail;
        t.setRef(w.handle, MAPTRACK_TAIL);
        touched.push(w.handle);
        if (tail !== MAPTRACK_TAIL && tail < t.limit) {
          t.setRef(tail, w.handle);
          touched.push(tail);
        }
        t.tail = w.handle;
      }
    }
    return touched;
  }

  /** Does `variant` ever disagree with a full walk, over `runs` random write sequences? */
  function disagreements(
    seed: number,
    runs: number,
    variant: (t: MaptrackTable, prev: FreeList, keys: readonly number[]) => FreeList | undefined,
  ): { patched: number; differ: number } {
    let patched = 0;
    let differ = 0;
    fc.assert(
      fc.property(fc.array(writes, { minLength: 1, maxLength: 3 }), (rounds) => {
        const t = busyMaptrack();
        let prev = maptrackState(t).freeList;
        for (const ws of rounds) {
          const keys = touchedKeys(apply(t, ws));
          const full = maptrackState(t).freeList;
          const fast = variant(t, prev, keys);
          if (fast !== undefined) {
            patched++;
            if (!fast.equals(full) || fast.length !== full.length) differ++;
          }
          prev = full;
        }
      }),
      { seed, numRuns: runs },
    );
    return { patched, differ };
  }

  for (const seed of seeds) {
    it(`equals the full walk after random writes and Xen's own moves (seed ${seed})`, () => {
      const { patched, differ } = disagreements(seed, 400, (t, prev, keys) =>
        patchedFreeList(t, 0, prev, keys),
      );
      expect(differ).toBe(0);
      expect(patched).toBeGreaterThan(50); // the fast path is taken, not only the walk
    });
  }

  it('a variant that misses a written link is caught', () => {
    // Forget the last handle's write: the list would end where it ended before.
    const { differ } = disagreements(1, 400, (t, prev, keys) =>
      patchedFreeList(t, 0, prev, keys.slice(0, -1)),
    );
    expect(differ).toBeGreaterThan(0);
  });

  it('walks in full a list cut by the length bound', () => {
    const t = busyMaptrack();
    const prev = maptrackState(t).freeList;
    // a cycle: the tail links back to the head
    t.setRef(t.tail, t.head);
    const full = maptrackState(t).freeList;
    expect(full.length).toBe(t.limit + 1);
    expect(patchedFreeList(t, 0, prev, [t.tail])).toBeUndefined();
    expect(patchedFreeList(t, 0, full, [])).toBeUndefined();
    expect(FreeList.EMPTY.length).toBe(0);
  });
});

describe('touchedKeys', () => {
  for (const seed of testSeeds('touched keys')) {
    it(`is the touched keys each once, ascending (seed ${seed})`, () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 80 }), (touched) => {
          expect(touchedKeys(touched)).toEqual([...new Set(touched)].sort((x, y) => x - y));
        }),
        { seed, numRuns: 500 },
      );
    });
  }
});
