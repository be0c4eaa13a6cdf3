// The packer's structural shortcuts (src/model/packedKey.ts `PartShortcut`) number a part as its
// key text would: on every successor of the searches below, the shortcut packer's id vector is
// the text-only packer's, element for element (they number in the same order, so equal ids
// mean equal parts); the same on states of random walks with their handles renamed (pinned seeds
// plus one printed fresh seed); and a search through the shortcuts, one checking each hit
// against the text, and one by text alone decide the same. Two planted wrong shortcuts are
// caught.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/bfs.ts';
import type { ExploreOptions } from '../../../src/explore/options.ts';
import type { PackedKeyOptions, PartShortcut } from '../../../src/model/packedKey.ts';
import {
  exactMaptrackShortcut,
  sameActive,
  sameEntries,
  sameHost,
  sameMapping,
  SHORTCUT_FIELDS,
  StateKeyPacker,
} from '../../../src/model/packedKey.ts';
import type { GrantMapping, GrantTable, Maptrack } from '../../../src/model/state.ts';
import type { Op } from '../../../src/ops/op.ts';
import { XEN_PRESETS } from '../../../src/xenExplore/bounds.ts';
import { maptrackOrbitKey, maptrackOrbitShortcut } from '../../../src/xenExplore/handles.ts';
import { renameState } from '../../../src/xenExplore/handles.ts';
import type { XenBounds, XenModelOptions, XenState } from '../../../src/xenExplore/index.ts';
import { xenModel } from '../../../src/xenExplore/index.ts';
import {
  entriesStaleKey,
  entriesStaleShortcut,
  maptrackQuotientKey,
  maptrackQuotientShortcut,
} from '../../../src/xenExplore/quotients.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { testSeeds } from '../../support/seeds.ts';
import { randomWalk } from './walk.ts';
import { xb } from './bounds.ts';

/** The packers' three keyings: exact, orbits (handle renaming), orbits with the quotients. */
const KEYINGS: Record<string, PackedKeyOptions> = {
  exact: {},
  orbit: { maptrackKey: maptrackOrbitKey, maptrackShortcut: maptrackOrbitShortcut },
  quotient: {
    maptrackKey: maptrackQuotientKey,
    maptrackShortcut: maptrackQuotientShortcut,
    entriesKey: entriesStaleKey,
    entriesShortcut: entriesStaleShortcut,
  },
};

/** Two packers of one keying, fed the same states: one through its shortcuts, one by text. */
class Pair {
  readonly fast: StateKeyPacker;
  readonly slow: StateKeyPacker;
  private parent: XenState | undefined;
  private fastIds: number[] = [];
  private slowIds: number[] = [];
  compared = 0;

  constructor(domains: number, keying: PackedKeyOptions) {
    this.fast = new StateKeyPacker(domains, keying);
    this.slow = new StateKeyPacker(domains, { ...keying, textOnly: true });
  }

  /** Key `t` against `s` (as the search keys a successor against its parent) in both. */
  successor(s: XenState, t: XenState): void {
    if (s !== this.parent) {
      this.parent = s;
      this.fastIds = this.fast.ids(s.model, s.collected);
      this.slowIds = this.slow.ids(s.model, s.collected);
      expect(this.fastIds).toEqual(this.slowIds);
    }
    const f = this.fast.ids(t.model, t.collected, { model: s.model, ids: this.fastIds });
    const w = this.slow.ids(t.model, t.collected, { model: s.model, ids: this.slowIds });
    if (f.some((x, i) => x !== w[i])) expect(f).toEqual(w);
    this.compared++;
  }

  /** Key `t` alone (no reference: every part looked up) in both. */
  alone(t: XenState): void {
    expect(this.fast.ids(t.model, t.collected)).toEqual(this.slow.ids(t.model, t.collected));
  }
}

describe('shortcut ids are text ids, on every successor of a search', () => {
  it.each([
    ['protocol D2 R1 P1 M1, whole', xb(2, 'protocol'), {}, {}],
    ['full D2 R1 P1 M1 to depth 4', xb(2, 'full'), {}, { maxDepth: 4 }],
    ['full D3 R1 P1 M1 to depth 2', xb(3, 'full'), {}, { maxDepth: 2 }],
    [
      'full D2 R1 P2 M2 --batch 2, copies, hostile writes, deaths, 3 000 states',
      { ...xb(2, 'full'), pages: 2, maxPin: 2, batch: 2 },
      { extensions: ['copies', 'hostile_writes', 'deaths'] },
      { maxStates: 3_000 },
    ],
    [
      'the corners preset, whole',
      XEN_PRESETS.corners.bounds,
      { ...XEN_PRESETS.corners.extras, opKinds: XEN_PRESETS.corners.kinds },
      {},
    ],
  ] as const)('%s', (_name, bounds, options, search) => {
    const m = xenModel(bounds, options);
    const pairs = Object.values(KEYINGS).map((k) => new Pair(m.config.domains, k));
    explore(m, {
      symmetry: true,
      ...search,
      onTransition: (s, _a, t) => {
        for (const p of pairs) p.successor(s, t);
        return null;
      },
    });
    for (const p of pairs) {
      expect(p.compared).toBeGreaterThan(1000);
      // Most changed parts were met before: a shortcut that never hit would test nothing.
      expect(p.fast.counts.shortcutHits).toBeGreaterThan(p.compared / 2);
      expect(p.slow.counts.shortcutHits).toBe(0);
      expect(p.fast.counts.parts).toEqual(p.slow.counts.parts);
    }
  });
});

describe('shortcut ids are text ids, on random states with renamed handles', () => {
  for (const bounds of [xb(2, 'full'), { ...xb(2, 'full'), refs: 2, maxPin: 2 }, xb(3, 'full')]) {
    const m = xenModel(bounds);
    it.each(testSeeds(`key shortcuts ${m.name}`))(`${m.name} (seed %i)`, (seed) => {
      const pairs = Object.values(KEYINGS).map((k) => new Pair(m.config.domains, k));
      fc.assert(
        fc.property(
          fc.array(fc.noBias(fc.nat()), { minLength: 20, maxLength: 60 }),
          fc.nat(),
          (choices, shuffle) => {
            let prev = m.initial();
            randomWalk(m, choices, (s, i) => {
              for (const p of pairs) p.successor(prev, s);
              // Another member of the orbit, keyed with no reference: its maptracks are new
              // objects, numbered differently, found by the orbit shortcuts all the same.
              const renamed = {
                model: renameState(s.model, renaming(s, shuffle + (choices[i] ?? 0))),
                collected: s.collected,
              };
              for (const p of pairs) p.alone(renamed);
              prev = s;
            });
          },
        ),
        { seed, numRuns: 40 },
      );
      for (const p of pairs) expect(p.fast.counts.shortcutHits).toBeGreaterThan(0);
    });
  }
});

/** A random permutation of each domain's handles 0..limit-1 (Fisher-Yates, an LCG). */
function renaming(s: XenState, seed: number): (Int32Array | null)[] {
  let x = seed >>> 0;
  return s.model.domains.map((d) => {
    const perm = Int32Array.from({ length: d.maptrack.limit }, (_, i) => i);
    for (let i = perm.length - 1; i > 0; i--) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      const j = x % (i + 1);
      const t = perm[i] ?? 0;
      perm[i] = perm[j] ?? 0;
      perm[j] = t;
    }
    return perm;
  });
}

describe('a search decides the same through the shortcuts, checked, and by text', () => {
  const verdict = (options: XenModelOptions, bounds: XenBounds, search: object): unknown => {
    const o = explore(xenModel(bounds, { invariants: INVARIANTS, ...options }), {
      symmetry: true,
      ...(search as ExploreOptions<XenState, Op>),
    });
    const { states, transitions, maxDepth } = o.stats;
    return { kind: o.kind, states, transitions, maxDepth };
  };
  it.each([
    ['protocol D2 R1 P1 M1, whole', xb(2, 'protocol'), {}, {}],
    [
      'full D2 R1 P1 M1 with the quotients to depth 4',
      xb(2, 'full'),
      { quotients: true },
      {
        maxDepth: 4,
      },
    ],
    ['full D2, no symmetry, to depth 3', xb(2, 'full'), {}, { maxDepth: 3, symmetry: false }],
  ] as const)('%s', (_name, bounds, options, search) => {
    const fast = verdict({ ...options }, bounds, search);
    expect(verdict({ ...options, keyShortcuts: 'check' }, bounds, search)).toEqual(fast);
    expect(verdict({ ...options, keyShortcuts: false }, bounds, search)).toEqual(fast);
  });

  it('pins protocol D2 R1 P1 M1 through the shortcuts (6 129 states, 164 224 transitions)', () => {
    expect(verdict({}, xb(2, 'protocol'), {})).toMatchObject({
      kind: 'ok',
      states: 6129,
      transitions: 164_224,
    });
  });
});

describe('a wrong shortcut is caught', () => {
  /** Key every successor of protocol D2 R1 P1 M1 with `keying`, checking each hit. */
  const search = (keying: PackedKeyOptions): void => {
    const m = xenModel(xb(2, 'protocol'));
    const packer = new StateKeyPacker(2, { ...keying, checkShortcuts: true });
    let parent: XenState | undefined;
    let ids: number[] = [];
    explore(m, {
      symmetry: true,
      onTransition: (s, _a, t) => {
        if (s !== parent) {
          parent = s;
          ids = packer.ids(s.model, s.collected);
        }
        packer.ids(t.model, t.collected, { model: s.model, ids });
        return null;
      },
    });
  };

  it('the orbit maptrack shortcut, planted without the mappings', () => {
    const planted: PartShortcut<Maptrack> = {
      hash: (mt) => mt.limit + mt.freeList.length,
      same: (a, b) => a.limit === b.limit && a.freeList.length === b.freeList.length,
    };
    expect(() => search({ ...KEYINGS['orbit'], maptrackShortcut: planted })).toThrow(
      /shortcut gave part id/,
    );
    expect(() => search(KEYINGS['orbit'] ?? {})).not.toThrow();
  });

  it("the stale-entries shortcut, planted blind to the entries' domid", () => {
    const planted: PartShortcut<GrantTable> = {
      hash: (gt) => gt.entries.size,
      same: (a, b) =>
        a.entries.size === b.entries.size &&
        [...a.entries].every(([r, e]) => {
          const f = b.entries.get(r);
          return f !== undefined && f.flags === e.flags && f.frame === e.frame;
        }),
    };
    expect(() => search({ ...KEYINGS['quotient'], entriesShortcut: planted })).toThrow(
      /shortcut gave part id/,
    );
    expect(() => search(KEYINGS['quotient'] ?? {})).not.toThrow();
  });
});

describe('the exact shortcuts compare every field of their records', () => {
  // SHORTCUT_FIELDS is kept complete by the compiler (SHORTCUT_FIELDS_COVERED); here, a part
  // changed in any one listed field is another part to the shortcut, as it is to the key text.
  const bump = (v: unknown): unknown =>
    typeof v === 'boolean' ? !v : typeof v === 'number' ? v + 1 : v === undefined ? 1 : v;
  const changed = <T extends object>(x: T, field: keyof T): T => ({
    ...x,
    [field]: bump(x[field]),
  });

  it('shared entries, active entries, mappings and PTEs', () => {
    const entry = { flags: 1, domid: 1, frame: 0 };
    const active = {
      grantee: 1,
      mfn: 3,
      hostWritable: 1,
      hostReadonly: 0,
      deviceWritable: 0,
      deviceReadonly: 0,
    };
    const mapping: GrantMapping = { granter: 0, ref: 8, flags: 1 };
    const pte = { mfn: 3, writable: true };
    expect(sameEntries(new Map([[8, entry]]), new Map([[8, { ...entry }]]))).toBe(true);
    for (const f of SHORTCUT_FIELDS.entry) {
      expect(sameEntries(new Map([[8, entry]]), new Map([[8, changed(entry, f)]])), f).toBe(false);
    }
    expect(sameActive(new Map([[8, active]]), new Map([[8, { ...active }]]))).toBe(true);
    for (const f of SHORTCUT_FIELDS.active) {
      expect(sameActive(new Map([[8, active]]), new Map([[8, changed(active, f)]])), f).toBe(false);
    }
    expect(sameMapping(mapping, { ...mapping })).toBe(true);
    for (const f of SHORTCUT_FIELDS.mapping) {
      expect(sameMapping(mapping, changed(mapping, f)), f).toBe(false);
    }
    expect(sameHost(new Map([[1, pte]]), new Map([[1, { ...pte }]]))).toBe(true);
    for (const f of SHORTCUT_FIELDS.pte) {
      expect(sameHost(new Map([[1, pte]]), new Map([[1, changed(pte, f)]])), f).toBe(false);
    }
  });

  it('maptracks: limit, frames, each free list and the mappings', () => {
    // two reached maptracks of domain 1 with different free lists and mappings
    const maptracks: Maptrack[] = [];
    explore(xenModel(xb(2, 'protocol')), {
      symmetry: true,
      maxDepth: 4,
      onTransition: (_p, _a, child) => {
        const mt = child.model.domains[1]?.maptrack;
        if (mt && mt.mappings.size > 0 && maptracks.length < 1) maptracks.push(mt);
        return null;
      },
    });
    const initial = xenModel(xb(2, 'protocol')).initial().model.domains[1]?.maptrack;
    const [a] = maptracks;
    if (!a || !initial) throw new Error('no maptrack with a mapping reached');
    const same = exactMaptrackShortcut.same;
    expect(same(a, { ...a })).toBe(true);
    const variants: Record<(typeof SHORTCUT_FIELDS.maptrack)[number], Maptrack> = {
      limit: { ...a, limit: a.limit + 1 },
      maxFrames: { ...a, maxFrames: a.maxFrames + 1 },
      freeList: { ...a, freeList: initial.freeList },
      otherFreeLists: { ...a, otherFreeLists: [a.freeList] },
      mappings: { ...a, mappings: initial.mappings },
    };
    expect(a.freeList.equals(initial.freeList)).toBe(false);
    for (const f of SHORTCUT_FIELDS.maptrack) expect(same(a, variants[f]), f).toBe(false);
  });
});
