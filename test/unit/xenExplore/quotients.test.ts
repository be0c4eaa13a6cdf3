// The quotients of src/xenExplore/quotients.ts are sound: (1) in states reached by random walks
// (pinned seeds plus one printed fresh seed), changing a stale entry's bytes or swapping an
// unused maptrack frame for none (and back) changes no op's result (up to handle renaming), no
// successor's quotient key and no invariant's verdict, and the ops offered correspond one to one;
// (2) a search with the quotients reaches, depth for depth, exactly the classes that a search
// without them reaches; (3) conformance refuses a model with them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/index.ts';
import { step } from '../../../src/model/index.ts';
import { FreeList } from '../../../src/model/freeList.ts';
import { IntMap } from '../../../src/model/intMap.ts';
import { emptyMaptrack } from '../../../src/model/maptrack.ts';
import type { DomainState, Maptrack, ModelState, SharedEntry } from '../../../src/model/state.ts';
import type { Op } from '../../../src/ops/op.ts';
import type { OpResult } from '../../../src/ops/result.ts';
import type { XenBounds, XenExploreModel, XenExtension } from '../../../src/xenExplore/index.ts';
import { XenConformance, xenModel } from '../../../src/xenExplore/index.ts';
import { canonicalRenaming, renameResult } from '../../../src/xenExplore/handles.ts';
import { FIRST_REF } from '../../../src/xenExplore/bounds.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';
import { MAPTRACK_PER_PAGE } from '../../../src/xen/abi.ts';
import { testSeeds } from '../../support/seeds.ts';
import { randomWalk } from './walk.ts';

const CASES: readonly [XenBounds, readonly XenExtension[]][] = [
  [{ domains: 2, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' }, []],
  [{ domains: 2, refs: 2, pages: 1, maxPin: 1, alphabet: 'full' }, []],
  [{ domains: 3, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' }, []],
  [{ domains: 2, refs: 1, pages: 1, maxPin: 1, alphabet: 'protocol' }, []],
  // raw-written entries, contents, split unmaps, batches and dead domains
  [
    { domains: 2, refs: 1, pages: 2, maxPin: 1, alphabet: 'full', batch: 2 },
    ['hostile_writes', 'copies', 'split_unmaps', 'deaths'],
  ],
];

/** Values a stale entry's domid and frame take in the perturbed states. */
const STALE_DOMIDS = [0, 1, 2, 0x7ff0];
const STALE_FRAMES = [0, 1, 2, 0x100, 0x101, 0xfffff];

/** `s` with every stale entry of refs FIRST_REF..FIRST_REF+refs (flags 0, unpinned) given other
 * bytes, or zeroed, and every unused maptrack frame of a live one-vCPU domain swapped for none and
 * back, by `pick`. */
function perturb(s: ModelState, refs: number, pick: (n: number) => number): ModelState {
  const domains = s.domains.map((d): DomainState => {
    const entries = new Map(d.grantTable.entries);
    for (let ref = FIRST_REF; ref <= FIRST_REF + refs; ref++) {
      const e = entries.get(ref);
      if ((e !== undefined && e.flags !== 0) || d.grantTable.active.has(ref)) continue;
      const domid = STALE_DOMIDS[pick(STALE_DOMIDS.length)] ?? 0;
      const frame = STALE_FRAMES[pick(STALE_FRAMES.length)] ?? 0;
      const stale: SharedEntry = { flags: 0, domid, frame };
      if (domid === 0 && frame === 0) entries.delete(ref);
      else entries.set(ref, stale);
    }
    const grantTable = { ...d.grantTable, entries };
    return d.death === undefined
      ? { ...d, grantTable, maptrack: swapUnused(d.maptrack, pick) }
      : { ...d, grantTable };
  });
  return { ...s, domains };
}

/** No frame for an unused one; an unused frame, its free list rotated by `pick`, for none. */
function swapUnused(mt: Maptrack, pick: (n: number) => number): Maptrack {
  if (mt.otherFreeLists !== undefined || mt.mappings.size > 0) return mt;
  if (mt.limit === 0) {
    const r = pick(MAPTRACK_PER_PAGE);
    const order = Array.from({ length: MAPTRACK_PER_PAGE }, (_, i) => (i + r) % MAPTRACK_PER_PAGE);
    return {
      ...mt,
      limit: MAPTRACK_PER_PAGE,
      freeList: FreeList.of(order),
      mappings: IntMap.empty(),
    };
  }
  if (mt.limit === MAPTRACK_PER_PAGE && mt.freeList.length === MAPTRACK_PER_PAGE) {
    return emptyMaptrack(mt.maxFrames);
  }
  return mt;
}

/** The one op of the alphabet that names a maptrack limit (the bad_handle unmap: handle =
 * limit) renamed to the other state's limit. */
function relabel(op: Op, from: ModelState, to: ModelState): Op {
  if (op.kind !== 'unmap_grant_ref') return op;
  const a = from.domains[op.caller]?.maptrack.limit;
  const b = to.domains[op.caller]?.maptrack.limit;
  return {
    ...op,
    batch: op.batch.map((u) => (u.handle === a && a !== b ? { ...u, handle: b ?? u.handle } : u)),
  };
}

/** A result with each handle renamed to its canonical number in the state it led to. */
function canonicalResult(op: Op, r: { state: ModelState; result: OpResult }): OpResult {
  const caller = 'caller' in op ? op.caller : 0;
  return renameResult(r.result, caller, canonicalRenaming(r.state));
}

function invariantVerdicts(s: ModelState): (string | null)[] {
  return INVARIANTS.map((inv) => inv.onModel(s));
}

describe('the quotients relate states that behave alike', () => {
  for (const [bounds, extensions] of CASES) {
    const m = xenModel(bounds, { extensions, quotients: true });
    it.each(testSeeds(`quotients ${m.name}`))(
      `${m.name} ${extensions.join(',')} (seed %i)`,
      (seed) => {
        let changed = 0;
        let checked = 0;
        fc.assert(
          fc.property(
            fc.array(fc.noBias(fc.nat()), { minLength: 10, maxLength: 40 }),
            fc.array(fc.noBias(fc.nat()), { minLength: 64, maxLength: 64 }),
            (walk, picks) => {
              let p = 0;
              const pick = (n: number): number => (picks[p++ % picks.length] ?? 0) % n;
              randomWalk(m, walk, (s) => {
                const a = s.model;
                const b = perturb(a, bounds.refs, pick);
                const ka = m.canonicalKey({ model: a, collected: s.collected });
                const kb = m.canonicalKey({ model: b, collected: s.collected });
                expect(kb).toBe(ka);
                const exact = xenModel(bounds, { extensions });
                if (
                  exact.canonicalKey({ model: a, collected: 0 }) !==
                  exact.canonicalKey({ model: b, collected: 0 })
                )
                  changed++;
                expect(invariantVerdicts(b)).toEqual(invariantVerdicts(a));
                const opsA = [...m.actions({ model: a, collected: s.collected })];
                const opsB = [...m.actions({ model: b, collected: s.collected })];
                expect(opsB).toEqual(opsA.map((op) => relabel(op, a, b)));
                for (const op of opsA) {
                  const ra = step(a, op);
                  const rb = step(b, relabel(op, a, b));
                  expect(canonicalResult(op, rb)).toEqual(canonicalResult(op, ra));
                  expect(m.canonicalKey({ model: rb.state, collected: 0 })).toBe(
                    m.canonicalKey({ model: ra.state, collected: 0 }),
                  );
                  checked++;
                }
              });
            },
          ),
          { seed, numRuns: 4 },
        );
        expect(checked).toBeGreaterThan(500);
        // the perturbations did change states (else this checked nothing)
        expect(changed).toBeGreaterThan(0);
      },
    );
  }
});

/** Per depth, the quotient keys (in `q`'s numbering) of the classes `m` first reaches there. */
function classesByDepth(
  m: XenExploreModel,
  q: XenExploreModel,
  maxDepth: number,
): { classes: Set<number>[]; kind: string } {
  const k0 = q.canonicalKey(m.initial()) as number;
  const classes: Set<number>[] = [new Set([k0])];
  const seen = new Set([k0]);
  let depth = 0;
  const record = {
    name: 'record',
    statement: 'records the class of every new state',
    holds: (s: Parameters<XenExploreModel['invariants'][number]['holds']>[0]) => {
      // Why only the first time? Without the quotients, one class has members at several
      // depths; with them, the class is stored once, at the depth of its nearest member.
      const k = q.canonicalKey({ model: s.model, collected: s.collected }) as number;
      if (seen.has(k)) return true;
      seen.add(k);
      (classes[depth + 1] ??= new Set()).add(k);
      return true;
    },
  };
  const o = explore(
    { ...m, invariants: [...m.invariants, record] },
    {
      symmetry: true,
      maxDepth,
      onTransition: (_p, _a, _c, ctx) => {
        depth = ctx.depth;
        return null;
      },
    },
  );
  return { classes, kind: o.kind };
}

describe('a search with the quotients reaches the same classes, depth for depth', () => {
  const cases: [XenBounds, readonly XenExtension[], number][] = [
    [{ domains: 2, refs: 1, pages: 1, maxPin: 1, alphabet: 'protocol' }, [], 99],
    [{ domains: 2, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' }, [], 4],
    [{ domains: 3, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' }, [], 2],
    [
      { domains: 2, refs: 1, pages: 2, maxPin: 1, alphabet: 'full', batch: 2 },
      ['hostile_writes', 'copies', 'split_unmaps', 'deaths'],
      2,
    ],
  ];
  for (const [bounds, extensions, depth] of cases) {
    it(`${xenModel(bounds).name} ${extensions.join(',')} to depth ${depth}`, () => {
      const q = xenModel(bounds, { extensions, quotients: true, invariants: INVARIANTS });
      const exact = xenModel(bounds, { extensions, invariants: INVARIANTS });
      const withQ = classesByDepth(q, q, depth);
      const without = classesByDepth(exact, q, depth);
      expect(withQ.kind).toBe(without.kind);
      expect(withQ.classes.length).toBe(without.classes.length);
      withQ.classes.forEach((c, d) => {
        expect(
          [...c].sort((x, y) => x - y),
          `depth ${d}`,
        ).toEqual([...(without.classes[d] ?? [])].sort((x, y) => x - y));
      });
    });
  }
});

describe('conformance keys states exactly', () => {
  it('refuses a model with the quotients', () => {
    const m = xenModel(
      { domains: 2, refs: 1, pages: 1, maxPin: 1, alphabet: 'protocol' },
      { quotients: true },
    );
    expect(
      () => new XenConformance(m, { invariants: INVARIANTS, properties: STEP_PROPERTIES }),
    ).toThrow(/quotients: false/);
  });
});
