// The packed keys (src/model/packedKey.ts) identify exactly the states the canonical strings
// identify: `key` the states stateKey does, `canonicalKey` the orbits stateKey of the canonical
// representative (src/xenExplore/handles.ts) does, over states reached by random walks (pinned
// seeds plus one printed fresh seed). And the key reads every field a domain has.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialState, stateKey } from '../../../src/model/index.ts';
import {
  KEYED_DOMAIN_FIELDS,
  StateKeyPacker,
  TupleInterner,
} from '../../../src/model/packedKey.ts';
import type { Renaming } from '../../../src/xenExplore/handles.ts';
import { canonicalState, renameState } from '../../../src/xenExplore/handles.ts';
import type { DomainState, GuestLibState, ModelState } from '../../../src/model/state.ts';
import { grantTableOf } from '../../../src/model/update.ts';
import { entriesStaleKey, entriesStaleShortcut } from '../../../src/xenExplore/quotients.ts';
import type { XenBounds, XenState } from '../../../src/xenExplore/index.ts';
import { grantConfigFor, xenModel } from '../../../src/xenExplore/index.ts';
import { testSeeds } from '../../support/seeds.ts';
import { Bijection } from './bijection.ts';
import { randomWalk } from './walk.ts';

const b = (
  domains: number,
  refs: number,
  maxPin: number,
  alphabet: 'full' | 'protocol',
): XenBounds => ({ domains, refs, pages: 1, maxPin, alphabet });

/** A permutation of each domain's handles 0..limit-1, from `seed` (a Fisher-Yates shuffle
 * driven by a linear congruential generator). */
function randomRenaming(s: XenState, seed: number): Renaming {
  let x = seed >>> 0;
  return s.model.domains.map((d) => {
    const n = d.maptrack.limit;
    const perm = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      const j = x % (i + 1);
      const t = perm[i] ?? 0;
      perm[i] = perm[j] ?? 0;
      perm[j] = t;
    }
    return perm;
  });
}

describe('packed keys partition states as the canonical strings do', () => {
  for (const bounds of [b(2, 1, 2, 'full'), b(2, 2, 1, 'protocol'), b(3, 1, 1, 'full')]) {
    const m = xenModel(bounds);
    const exact = new Bijection();
    const orbit = new Bijection();
    const text = (s: XenState, m2: string): string => `${s.collected}#${m2}`;
    it.each(testSeeds(`packed key ${m.name}`))(`${m.name} (seed %i)`, (seed) => {
      fc.assert(
        fc.property(
          fc.array(fc.noBias(fc.nat()), { minLength: 20, maxLength: 60 }),
          fc.nat(),
          (choices, shuffle) => {
            randomWalk(m, choices, (s, i) => {
              const c = choices[i] ?? 0;
              exact.see(text(s, stateKey(s.model)), m.key(s));
              orbit.see(text(s, stateKey(canonicalState(s.model))), m.canonicalKey?.(s) ?? -1);
              // A plain copy (no kept ids, no parent to reuse) keys the same.
              const copy = { model: s.model, collected: s.collected };
              expect(m.key(copy)).toBe(m.key(s));
              expect(m.canonicalKey?.(copy)).toBe(m.canonicalKey?.(s));
              // Decoded from its key, the state itself (ghosts included); from its orbit key,
              // a state of its orbit.
              const aux = m.aux(s);
              const back = m.fromKey(m.key(s), aux, false);
              expect(stateKey(back.model)).toBe(stateKey(s.model));
              expect(back.collected).toBe(s.collected);
              expect(back.model.flow).toEqual(s.model.flow);
              const k = m.canonicalKey(s);
              const member = m.fromKey(k, aux, true);
              expect(m.canonicalKey({ ...member })).toBe(k);
              expect(stateKey(canonicalState(member.model))).toBe(
                stateKey(canonicalState(s.model)),
              );
              expect(member.model.flow).toEqual(s.model.flow);
              // A random renaming of every domain's handles: another member of the orbit.
              const renamed = {
                model: renameState(s.model, randomRenaming(s, shuffle + c)),
                collected: s.collected,
              };
              exact.see(text(renamed, stateKey(renamed.model)), m.key(renamed));
              orbit.see(
                text(renamed, stateKey(canonicalState(renamed.model))),
                m.canonicalKey?.(renamed) ?? -1,
              );
              expect(m.canonicalKey?.(renamed)).toBe(m.canonicalKey?.(s));
            });
          },
        ),
        { seed, numRuns: 60 },
      );
      // Each renamed copy is another state of its orbit (a shuffled free list of 255 handles):
      // strictly fewer orbits than states, or the renamings tested nothing.
      expect(orbit.size).toBeLessThan(exact.size);
    });
  }
});

describe('keys kept on states belong to the model that made them', () => {
  it('a state keyed by one model keys in another as a plain copy does', () => {
    const bounds = b(2, 1, 1, 'full');
    const one = xenModel(bounds);
    const other = xenModel(bounds);
    const states: XenState[] = [];
    randomWalk(
      one,
      Array.from({ length: 12 }, (_, i) => i * 7),
      (s) => {
        states.push(s);
        one.key(s);
        one.canonicalKey?.(s);
      },
    );
    // The other model numbers the same states in the opposite order: other ids.
    const copies = states.map((x) => ({ model: x.model, collected: x.collected })).reverse();
    const keys = copies.map((c) => [other.key(c), other.canonicalKey?.(c)]).reverse();
    expect(states.map((x) => [other.key(x), other.canonicalKey?.(x)])).toEqual(keys);
    expect(states.map((x) => one.key(x))).not.toEqual(keys.map(([k]) => k));
  });
});

describe('StateKeyPacker', () => {
  it('reads every field of a domain and of a state', () => {
    const s = initialState(grantConfigFor(b(2, 1, 1, 'full')));
    for (const d of s.domains) {
      expect(KEYED_DOMAIN_FIELDS).toEqual(expect.arrayContaining(Object.keys(d)));
    }
    // flow is a ghost, kept out of every key (src/model/state.ts)
    expect(['domains', 'frameOwner', 'contents', 'flow']).toEqual(
      expect.arrayContaining(Object.keys(s)),
    );
  });

  // `ids` against a reference (the parent) reuses the reference's ids for what is the same
  // object and its scalars' id when every scalar is equal: a change of any one keyed field, the
  // parts kept as the very objects, must number the state as `ids` without a reference does.
  // Why here? The explorer's searches change few of these fields (the grant table's frame
  // counts, the guest library and the backend never), so no search would see a reuse that
  // forgot one.
  it('ids against a reference: a change of any one field numbers the state as without one', () => {
    const s = initialState(grantConfigFor(b(2, 1, 1, 'full')));
    const d = s.domains[0] as DomainState;
    const gt = d.grantTable;
    const guest: GuestLibState = {
      profile: 'linux',
      size: 16,
      budget: 0,
      contract: true,
      free: [8],
      deferred: [],
      warnings: 0,
      exports: new Map(),
      granted: new Map(),
      droppedPages: new Set(),
    };
    const backend = {
      requests: new Map([[0, { frontend: 1, readonly: true, segments: [{ ref: 8, handle: 0 }] }]]),
    };
    const entry = { flags: 0, domid: 1, frame: 3 }; // stale once no pin holds it
    const pin = {
      grantee: 1,
      mfn: 3,
      hostWritable: 0,
      hostReadonly: 1,
      deviceWritable: 0,
      deviceReadonly: 0,
    };
    const entries = new Map([[8, entry]]);
    // a reference whose ref 8 is pinned, and the same entries object with the pin gone
    const pinned = { ...d, grantTable: grantTableOf(1, 1, entries, new Map([[8, pin]])) };
    const unpinned = { ...pinned, grantTable: grantTableOf(1, 1, entries, new Map()) };
    const variants: [string, DomainState, DomainState][] = [
      ['privileged', d, { ...d, privileged: !d.privileged }],
      ['pv', d, { ...d, pv: !d.pv }],
      ['death', d, { ...d, death: 'zombie' }],
      ['totPages', d, { ...d, totPages: d.totPages + 1 }],
      ['maxPages', d, { ...d, maxPages: d.maxPages + 1 }],
      ['hostVaPages', d, { ...d, hostVaPages: d.hostVaPages + 1 }],
      [
        'nrFrames',
        { ...d, grantTable: grantTableOf(1, 4, gt.entries, gt.active) },
        { ...d, grantTable: grantTableOf(2, 4, gt.entries, gt.active) },
      ],
      ['maxFrames', d, { ...d, grantTable: grantTableOf(gt.nrFrames, 4, gt.entries, gt.active) }],
      ['rawWritten', d, { ...d, rawWritten: new Set([...d.rawWritten, 9]) }],
      ['guest', d, { ...d, guest }],
      ['backend', d, { ...d, backend }],
      ['active only (a stale entry under the quotient)', pinned, unpinned],
    ];
    const packers = (): [string, StateKeyPacker][] => [
      ['exact', new StateKeyPacker(2)],
      ['text only', new StateKeyPacker(2, { textOnly: true })],
      [
        'stale entries',
        new StateKeyPacker(2, {
          entriesKey: entriesStaleKey,
          entriesShortcut: entriesStaleShortcut,
        }),
      ],
    ];
    for (const [field, from, to] of variants) {
      for (const [name, packer] of packers()) {
        const ref: ModelState = { ...s, domains: [from, s.domains[1] as DomainState] };
        const m: ModelState = { ...ref, domains: [to, s.domains[1] as DomainState] };
        const near = packer.ids(ref, 0);
        const reused = packer.ids(m, 0, { model: ref, ids: near });
        expect(reused, `${field}, ${name} packer`).toEqual(packer.ids(m, 0));
        expect(StateKeyPacker.key(reused), `${field}, ${name}`).not.toBe(StateKeyPacker.key(near));
      }
    }
  });

  it('numbers states whose ids do not fit the packed layout from 2^52, still exactly', () => {
    // Four domains: 10 bits a domain; more than 1024 distinct domain-0 texts overflow.
    const packer = new StateKeyPacker(4);
    const s = initialState(grantConfigFor(b(4, 1, 1, 'full')));
    const keys = new Set<number>();
    const d0 = s.domains[0];
    if (!d0) throw new Error('no domain 0');
    for (let i = 0; i < 1100; i++) {
      const state = { ...s, domains: [{ ...d0, totPages: i }, ...s.domains.slice(1)] };
      const k = packer.key(state);
      expect(packer.key(state)).toBe(k);
      keys.add(k);
    }
    expect(keys.size).toBe(1100);
    expect([...keys].filter((k) => k >= 2 ** 52)).toHaveLength(1100 - 1024);
    expect(packer.counts.overflow).toBe(1100 - 1024);
  });

  it('keyReplacing: the key of a state with one or two domains replaced, any layout', () => {
    // Four domains, 10 bits a domain: totPages 0..1099 of domains 1 and 3 gives ids past 1024
    // (the overflow layout) as well as packed ones; extra 0 or 1 (a new global tuple).
    const packer = new StateKeyPacker(4);
    const s = initialState(grantConfigFor(b(4, 1, 1, 'full')));
    const withPages = (i: number, j: number, pi: number, pj: number) => ({
      ...s,
      domains: s.domains.map((d, k) =>
        k === i ? { ...d, totPages: pi } : k === j ? { ...d, totPages: pj } : d,
      ),
    });
    const parent = packer.ids(s, 0);
    let overflowed = 0;
    for (let n = 0; n < 1100; n++) {
      for (const extra of [0, 1]) {
        const one = packer.ids(withPages(1, -1, n, 0), extra);
        const two = packer.ids(withPages(1, 3, n, 1099 - n), extra);
        const id1 = StateKeyPacker.domainId(two, 1);
        const id3 = StateKeyPacker.domainId(two, 3);
        expect(packer.keyReplacing(parent, 1, StateKeyPacker.domainId(one, 1), extra)).toBe(
          StateKeyPacker.key(one),
        );
        expect(packer.keyReplacing(parent, 1, id1, extra, 3, id3)).toBe(StateKeyPacker.key(two));
        expect(packer.keyReplacing(parent, 3, id3, extra, 1, id1)).toBe(StateKeyPacker.key(two));
        if (StateKeyPacker.key(two) >= 2 ** 52) overflowed++;
      }
    }
    expect(overflowed).toBeGreaterThan(0);
  });

  it('TupleInterner: dense ids, equal tuples equal ids, across growth', () => {
    const t = new TupleInterner(3);
    for (let i = 0; i < 5000; i++) expect(t.id([i, i % 7, 1])).toBe(i);
    for (let i = 0; i < 5000; i++) expect(t.id([i, i % 7, 1])).toBe(i);
    expect(t.id([0, 0, 2])).toBe(5000);
  });
});
