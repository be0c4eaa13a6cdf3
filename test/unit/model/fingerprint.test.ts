// Content fingerprints of packed keys (src/model/packedKey.ts `StateKeyPacker.fingerprint`): the
// same for the same keyed content in every packer, whatever ids each gave it (ids follow the
// order states were met in), and different for different keys over whole searches: the states of
// a search met in one order in one model, met again shuffled or reversed in a fresh one; keys in
// the overflow layout; and domain ids the step memo numbered from part ids (`domainIdWith`).
import { describe, expect, it } from 'vitest';
import { initialState } from '../../../src/model/index.ts';
import { DOMAIN_PARTS, StateKeyPacker } from '../../../src/model/packedKey.ts';
import type { ModelState } from '../../../src/model/state.ts';
import type { XenExploreModel, XenModelOptions, XenState } from '../../../src/xenExplore/index.ts';
import { grantConfigFor, xenModel, xenPresetModel } from '../../../src/xenExplore/index.ts';
import { XEN_PRESETS } from '../../../src/xenExplore/bounds.ts';

/** A state met by `search`: its key in the searching model and that key's fingerprint. */
interface Met {
  readonly state: XenState;
  readonly key: number;
  readonly fingerprint: bigint;
}

const keyOf = (m: XenExploreModel, s: XenState, canonical: boolean): number =>
  canonical ? m.canonicalKey(s) : m.key(s);

/**
 * The first `limit` states of `m`'s breadth-first search, expanded as the explorer expands them
 * (decoded from their keys: the step memo answers only for such states). Each fingerprint is
 * taken when its key is made, before `aux`, so a domain id the memo numbered has no object yet.
 */
function search(m: XenExploreModel, canonical: boolean, limit: number): Met[] {
  const s0 = m.initial();
  const k0 = keyOf(m, s0, canonical);
  const met: Met[] = [{ state: s0, key: k0, fingerprint: m.fingerprint(k0, canonical) }];
  const aux = [m.aux(s0)];
  const seen = new Set([k0]);
  for (let i = 0; i < met.length && met.length < limit; i++) {
    const s = m.fromKey(met[i]!.key, aux[i]!, canonical);
    for (const a of m.actions(s)) {
      const t = m.step(s, a);
      if (t === null || t === s) continue;
      const k = keyOf(m, t, canonical);
      if (seen.has(k)) continue;
      seen.add(k);
      met.push({ state: t, key: k, fingerprint: m.fingerprint(k, canonical) });
      aux.push(m.aux(t));
      if (met.length >= limit) break;
    }
  }
  return met;
}

/** `xs` in an order fixed by `seed` (Fisher-Yates over a 32-bit LCG). */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let r = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    r = (Math.imul(r, 1664525) + 1013904223) >>> 0;
    const j = r % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Key `met`'s states in a fresh model in the order `order` gives and check, state by state, that
 * the fingerprint is the one `met` recorded, though some keys differ (other ids). Every
 * fingerprint is distinct (the keys are) and a 64-bit number other than 0.
 */
function sameFingerprints(
  fresh: XenExploreModel,
  met: readonly Met[],
  canonical: boolean,
  order: (xs: readonly Met[]) => Met[],
): void {
  let otherKeys = 0;
  for (const x of order(met)) {
    const k = keyOf(fresh, x.state, canonical);
    if (k !== x.key) otherKeys++;
    expect(fresh.fingerprint(k, canonical)).toBe(x.fingerprint);
  }
  expect(otherKeys).toBeGreaterThan(met.length / 2);
  const fingerprints = new Set(met.map((x) => x.fingerprint));
  expect(fingerprints.size).toBe(met.length);
  for (const f of fingerprints) expect(f > 0n && f < 2n ** 64n).toBe(true);
}

const basic = XEN_PRESETS.basic;
/** The basic preset at D domains (the step memo's two-domain entries need three). */
const basicAt = (domains: number, options: XenModelOptions = {}): XenExploreModel =>
  xenModel(
    { ...basic.bounds, domains },
    { ...basic.extras, opKinds: basic.kinds, pteMaps: false, ...options },
  );

describe('fingerprints of a search met in another order', () => {
  const cases: [string, () => XenExploreModel, boolean][] = [
    ['basic, exact keys', () => xenPresetModel('basic'), false],
    ['basic, symmetry and quotients', () => xenPresetModel('basic', { quotients: true }), true],
    ['basic, symmetry', () => xenPresetModel('basic'), true],
    ['basic at D3, symmetry and quotients', () => basicAt(3, { quotients: true }), true],
  ];
  for (const [name, model, canonical] of cases) {
    it(`${name}, 3 000 states: the same per state, shuffled or reversed, none shared`, () => {
      const met = search(model(), canonical, 3000);
      expect(met).toHaveLength(3000);
      sameFingerprints(model(), met, canonical, (xs) => shuffled(xs, 20261124));
      sameFingerprints(model(), met, canonical, (xs) => [...xs].reverse());
    });
  }
});

describe('fingerprints of domain ids the step memo numbered', () => {
  it('basic at D3 with the quotients, 3 000 states: with the memo as without it', () => {
    const withMemo = basicAt(3, { quotients: true });
    const met = search(withMemo, true, 3000);
    expect(withMemo.memoHits()).toBeGreaterThan(0);
    const without = search(basicAt(3, { quotients: true, stepMemo: false }), true, 3000);
    expect(without.map((x) => x.fingerprint)).toEqual(met.map((x) => x.fingerprint));
    // and as those of a model without the memo that met the states in reverse
    sameFingerprints(basicAt(3, { quotients: true, stepMemo: false }), met, true, (xs) =>
      [...xs].reverse(),
    );
  });

  it('domainIdWith: a domain numbered from part ids fingerprints as one numbered by its text', () => {
    const s = initialState(grantConfigFor(basic.bounds));
    const [d0, d1] = s.domains;
    if (!d0 || !d1) throw new Error('two domains');
    // domain 0 with domain 1's p2m: a part this packer numbered, in a domain tuple it has not
    const moved: ModelState = { ...s, domains: [{ ...d0, p2m: d1.p2m }, d1] };
    expect(d0.p2m).not.toEqual(d1.p2m);
    const packer = new StateKeyPacker(2);
    const ids = packer.ids(s, 0);
    const p2m = DOMAIN_PARTS.p2m;
    const domainId = packer.domainIdWith(ids, 0, [p2m], [packer.domainPart(ids, 1, p2m)]);
    const key = packer.keyReplacing(ids, 0, domainId, 0);
    const fresh = new StateKeyPacker(2);
    const freshKey = fresh.key(moved);
    expect(freshKey).not.toBe(key);
    expect(packer.fingerprint(key)).toBe(fresh.fingerprint(freshKey));
    expect(packer.fingerprint(key)).not.toBe(packer.fingerprint(StateKeyPacker.key(ids)));
    expect(packer.key(moved)).toBe(key);
  });
});

describe('fingerprints of overflowed keys', () => {
  it('a key from 2^52 fingerprints as the packed key of the same state in another packer', () => {
    // Four domains: 10 bits a domain; more than 1024 distinct domain-0 tuples overflow. Met in
    // reverse, the states that overflowed first are packed and the others overflow.
    const s = initialState(
      grantConfigFor({ domains: 4, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' }),
    );
    const d0 = s.domains[0];
    if (!d0) throw new Error('no domain 0');
    const states = Array.from({ length: 1100 }, (_, i) => ({
      ...s,
      domains: [{ ...d0, totPages: i }, ...s.domains.slice(1)],
    }));
    const forward = new StateKeyPacker(4);
    const backward = new StateKeyPacker(4);
    const forwardKeys = states.map((m) => forward.key(m));
    const backwardKeys = [...states]
      .reverse()
      .map((m) => backward.key(m))
      .reverse();
    let crossed = 0;
    const fingerprints = new Set<bigint>();
    for (let i = 0; i < states.length; i++) {
      const [f, b] = [forwardKeys[i]!, backwardKeys[i]!];
      if (f >= 2 ** 52 !== b >= 2 ** 52) crossed++;
      expect(forward.fingerprint(f)).toBe(backward.fingerprint(b));
      fingerprints.add(forward.fingerprint(f));
    }
    expect(crossed).toBe(2 * (1100 - 1024));
    expect(fingerprints.size).toBe(1100);
  });
});
