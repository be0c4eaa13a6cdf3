// Domain-id symmetry (src/xenExplore/domainSymmetry.ts) is sound and exact: (1) over states
// reached by random walks (pinned seeds plus one printed fresh seed), renaming domains 1..D-1
// with their frames commutes with every step (the successors of a renamed state are the renamed
// successors) and keeps every invariant's verdict, and the model's orbit keys are equal iff the
// states are renamings of each other; (2) a search with it finds, depth for depth, exactly the
// orbits of the states a search without it finds, and the same first violation; (3) conformance
// refuses such a model, and fingerprints are the orbit's in any packer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/index.ts';
import type { ExplorableModel, Invariant } from '../../../src/explore/model.ts';
import { stateKey } from '../../../src/model/index.ts';
import { makeConfig } from '../../../src/config.ts';
import type {
  XenBounds,
  XenExploreModel,
  XenExtension,
  XenState,
} from '../../../src/xenExplore/index.ts';
import { grantConfigFor, XenConformance, xenModel } from '../../../src/xenExplore/index.ts';
import type { DomainPermutation } from '../../../src/xenExplore/domainSymmetry.ts';
import {
  domainPermutations,
  renameCollected,
  renameModelState,
} from '../../../src/xenExplore/domainSymmetry.ts';
import { canonicalState } from '../../../src/xenExplore/handles.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';
import { testSeeds } from '../../support/seeds.ts';
import { Bijection } from './bijection.ts';
import { randomWalk } from './walk.ts';

const CASES: readonly [XenBounds, readonly XenExtension[]][] = [
  [{ domains: 3, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' }, []],
  [{ domains: 3, refs: 2, pages: 1, maxPin: 1, alphabet: 'protocol' }, ['deaths']],
  [
    { domains: 3, refs: 1, pages: 2, maxPin: 1, alphabet: 'full', batch: 2 },
    ['copies', 'split_unmaps', 'deaths'],
  ],
  [{ domains: 4, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' }, ['copies']],
];

const renamed = (s: XenState, b: XenBounds, p: DomainPermutation): XenState => ({
  model: renameModelState(s.model, p),
  collected: renameCollected(s.collected, b, p),
});

/** A state's text up to handle renaming: what its key identifies (not the flow ghost). */
const stateText = (s: XenState): string => `${s.collected}#${stateKey(canonicalState(s.model))}`;

/** With the flow ghost too. */
const text = (s: XenState): string =>
  `${stateText(s)}#${JSON.stringify([...(s.model.flow?.labels ?? [])])}#${JSON.stringify([
    ...(s.model.flow?.permits ?? []),
  ])}`;

/** Its orbit's text: the least `stateText` over its domain renamings. */
const orbitText = (s: XenState, b: XenBounds, renamings: readonly DomainPermutation[]): string =>
  renamings.map((p) => stateText(renamed(s, b, p))).reduce((x, y) => (y < x ? y : x), stateText(s));

describe('the renamings', () => {
  it('are the permutations of domains 1..D-1 but the identity, where the domains are alike', () => {
    const config = (domains: number, extra = {}) => makeConfig({ domains, ...extra });
    expect(domainPermutations(config(2))).toHaveLength(0);
    expect(domainPermutations(config(3)).map((p) => p.dom)).toEqual([[0, 2, 1]]);
    expect(domainPermutations(config(4))).toHaveLength(5);
    expect(domainPermutations(config(3, { pv: true }))).toHaveLength(0);
    expect(domainPermutations(config(3, { profiles: ['strict', 'linux', 'linux'] }))).toHaveLength(
      0,
    );
    expect(domainPermutations(config(3), ['hostile_writes'])).toHaveLength(0);
  });

  it("move each domain's initial frames with it, and nothing else", () => {
    const b: XenBounds = { domains: 4, refs: 1, pages: 2, maxPin: 1, alphabet: 'full' };
    const config = grantConfigFor(b);
    for (const p of domainPermutations(config)) {
      const seen = new Set<number>();
      for (let m = 0; m < 0x200; m++) {
        const to = p.mfn(m);
        seen.add(to);
        expect(p.inverse().mfn(to)).toBe(m);
      }
      expect(seen.size).toBe(0x200);
      expect(p.mfn(0x100 + config.pagesPerDomain + 1)).toBe(
        0x100 + p.domain(1) * config.pagesPerDomain + 1,
      );
      expect(p.domain(0)).toBe(0);
      expect(p.domain(0x7ff0)).toBe(0x7ff0);
    }
  });
});

describe('renaming domains commutes with the model', () => {
  for (const [bounds, extensions] of CASES) {
    const m = xenModel(bounds, { extensions, domainSymmetry: true });
    const plain = xenModel(bounds, { extensions });
    const renamings = domainPermutations(m.config, extensions);
    const orbits = new Bijection();
    it.each(testSeeds(`domain symmetry ${m.name}`))(`${m.name} (seed %i)`, (seed) => {
      expect(m.domainSymmetry).toBe(true);
      let renamedSteps = 0;
      fc.assert(
        fc.property(fc.array(fc.noBias(fc.nat()), { minLength: 5, maxLength: 20 }), (choices) => {
          randomWalk(plain, choices, (s, i) => {
            // One renaming a state (of the five at four domains), by the walk's choice.
            const choice = choices[i] ?? 0;
            for (const p of [renamings[choice % renamings.length] as DomainPermutation]) {
              const r = renamed(s, bounds, p);
              // Back again.
              expect(text(renamed(r, bounds, p.inverse()))).toBe(text(s));
              // The same verdict from every invariant.
              for (const inv of INVARIANTS) {
                expect(inv.onModel(r.model) === null, inv.name).toBe(inv.onModel(s.model) === null);
              }
              // The renamed state's successors are the successors renamed.
              const after = [...plain.actions(s)].map((a) =>
                text(renamed(plain.step(s, a) ?? s, bounds, p)),
              );
              const before = [...plain.actions(r)].map((a) => text(plain.step(r, a) ?? r));
              expect(before.sort()).toEqual(after.sort());
              renamedSteps += after.length;
              expect(m.canonicalKey(r)).toBe(m.canonicalKey(s));
            }
            // Orbit keys are equal iff orbit texts are; the decoded member is in the orbit, its
            // ghosts renamed with it.
            const k = m.canonicalKey(s);
            orbits.see(orbitText(s, bounds, renamings), k);
            const member = m.fromKey(k, m.aux(s), true);
            expect(m.canonicalKey({ ...member })).toBe(k);
            expect(orbitText(member, bounds, renamings)).toBe(orbitText(s, bounds, renamings));
            // From its exact key, the state as found, its ghosts included.
            expect(text(m.fromKey(m.key(s), m.aux(s), false))).toBe(text(s));
            const images = [s, ...renamings.map((p) => renamed(s, bounds, p))];
            expect(images.map(text)).toContain(text(member));
            // The model's representative (`symmetry`) is the same state from every member.
            const representative = m.key(m.symmetry?.(s) ?? s);
            for (const image of images)
              expect(m.key(m.symmetry?.(image) ?? image)).toBe(representative);
          });
        }),
        { seed, numRuns: bounds.domains > 3 ? 4 : 8 },
      );
      expect(renamedSteps).toBeGreaterThan(0);
    });
  }
});

/** Every state within `depth` steps of `m`'s initial one (handle orbits), by a plain search. */
function statesTo(m: ExplorableModel<XenState, unknown>, depth: number): XenState[] {
  const seen = new Map<string, XenState>();
  let level = [m.initial()];
  seen.set(stateText(level[0] as XenState), level[0] as XenState);
  for (let d = 0; d < depth; d++) {
    const next: XenState[] = [];
    for (const s of level) {
      for (const a of m.actions(s)) {
        const t = m.step(s, a);
        if (t === null) continue;
        const key = stateText(t);
        if (seen.has(key)) continue;
        seen.set(key, t);
        next.push(t);
      }
    }
    level = next;
  }
  return [...seen.values()];
}

describe('a search with domain symmetry', () => {
  const small: readonly [XenBounds, readonly XenExtension[], number][] = [
    [{ domains: 3, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' }, [], 2],
    [{ domains: 3, refs: 1, pages: 1, maxPin: 1, alphabet: 'protocol' }, ['deaths'], 4],
    [{ domains: 4, refs: 1, pages: 1, maxPin: 1, alphabet: 'protocol' }, [], 3],
  ];
  for (const [bounds, extensions, depth] of small) {
    it(`finds each orbit once: ${bounds.domains} domains, ${bounds.alphabet}, depth ${depth}`, () => {
      const options = { extensions, invariants: INVARIANTS };
      const m = xenModel(bounds, { ...options, domainSymmetry: true });
      const renamings = domainPermutations(m.config, extensions);
      const states = statesTo(xenModel(bounds, options), depth);
      const orbits = new Set(states.map((s) => orbitText(s, bounds, renamings)));
      const handleOrbits = explore(xenModel(bounds, options), { symmetry: true, maxDepth: depth });
      const result = explore(m, { symmetry: true, maxDepth: depth });
      expect(handleOrbits.stats.states).toBe(states.length);
      expect(result.stats.states).toBe(orbits.size);
      // The quotient is not empty: there were states to merge.
      expect(orbits.size).toBeLessThan(states.length);
      expect(result.kind).toBe(handleOrbits.kind);
    });
  }

  it('finds the first violation at the depth a search without it does, with a trace that replays', () => {
    // A symmetric property that fails: no unprivileged domain maps another one's grant.
    const noMapsBetweenGuests: Invariant<XenState> = {
      name: 'no-guest-maps',
      statement: 'no domain but 0 maps a grant of a domain but 0',
      holds: (s) =>
        s.model.domains.every(
          (d) => d.id === 0 || [...d.maptrack.mappings.values()].every((mp) => mp.granter === 0),
        ),
    };
    const bounds: XenBounds = { domains: 3, refs: 1, pages: 1, maxPin: 1, alphabet: 'protocol' };
    const withInvariant = (m: XenExploreModel): XenExploreModel => ({
      ...m,
      invariants: [noMapsBetweenGuests],
    });
    const plain = explore(withInvariant(xenModel(bounds)), { symmetry: true });
    const sym = explore(withInvariant(xenModel(bounds, { domainSymmetry: true })), {
      symmetry: true,
    });
    expect(plain.kind).toBe('violation');
    expect(sym.kind).toBe('violation');
    if (plain.kind !== 'violation' || sym.kind !== 'violation') return;
    expect(sym.path.length).toBe(plain.path.length);
    // The path starts at the real initial state and replays literally.
    const m = xenModel(bounds);
    let s = m.initial();
    for (const a of sym.path) s = m.step(s, a) ?? s;
    expect(noMapsBetweenGuests.holds(s)).toBe(false);
  });
});

describe('domain symmetry and the rest of the explorer', () => {
  const bounds: XenBounds = { domains: 3, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' };

  it('leaves an exact search (no symmetry) of a model with it as it was', () => {
    // Each stored state decodes with its own flow ghost, not its orbit member's: with the
    // member's, flows-permitted failed at depth 3 here.
    const withCopies: XenBounds = { ...bounds };
    const options = { extensions: ['copies'] as const, invariants: INVARIANTS, quotients: true };
    const plain = explore(xenModel(withCopies, options), { maxDepth: 3 });
    const sym = explore(xenModel(withCopies, { ...options, domainSymmetry: true }), {
      maxDepth: 3,
    });
    expect(sym.kind).toBe(plain.kind);
    expect(sym.stats.states).toBe(plain.stats.states);
  });

  it('is off unless asked for, and below three domains', () => {
    expect(xenModel(bounds).domainSymmetry).toBe(false);
    expect(xenModel({ ...bounds, domains: 2 }, { domainSymmetry: true }).domainSymmetry).toBe(
      false,
    );
  });

  it('conformance refuses a model with it (the impl is not renamed)', () => {
    const m = xenModel(bounds, { domainSymmetry: true });
    expect(
      () => new XenConformance(m, { invariants: INVARIANTS, properties: STEP_PROPERTIES }),
    ).toThrow(/domainSymmetry/);
  });

  it("gives an orbit's members one fingerprint, whichever order two packers numbered them in", () => {
    const one = xenModel(bounds, { domainSymmetry: true });
    const other = xenModel(bounds, { domainSymmetry: true });
    const [p] = domainPermutations(one.config);
    const states: XenState[] = [];
    randomWalk(
      xenModel(bounds),
      Array.from({ length: 30 }, (_, i) => i * 13 + 5),
      (s) => states.push(s),
    );
    const fingerprints = (m: typeof one, ss: readonly XenState[]) =>
      ss.map((s) => m.fingerprint(m.canonicalKey(s), true));
    const forward = fingerprints(one, states);
    const backward = fingerprints(
      other,
      [...states].reverse().map((s) => renamed(s, bounds, p as DomainPermutation)),
    ).reverse();
    expect(backward).toEqual(forward);
  });
});
