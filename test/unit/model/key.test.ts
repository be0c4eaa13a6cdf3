// statesEqual with a known-equal pair compares only what changed since it (for maptrack
// mappings, the handles IntMap.everyChange names on either side): its verdict must be the full
// comparison's, on the pairs a checked run reaches and on pairs corrupted at random after it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Checker } from '../../../src/harness/checker.ts';
import { statesEqual } from '../../../src/model/index.ts';
import type { EqualPair } from '../../../src/model/index.ts';
import type { DomainState, GrantMapping, ModelState } from '../../../src/model/state.ts';
import { GNTMAP_readonly } from '../../../src/xen/abi.ts';
import { testSeeds } from '../../support/seeds.ts';
import { conformanceSuite, suiteRuns } from '../../support/suites.ts';

const suite = conformanceSuite();

/** `s` with domain `id`'s mapping at handle `h` replaced (undefined: removed). */
function withMapping(
  s: ModelState,
  id: number,
  h: number,
  m: GrantMapping | undefined,
): ModelState {
  const domains = s.domains.map((d): DomainState => {
    if (d.id !== id) return d;
    const mappings =
      m === undefined ? d.maptrack.mappings.without(h) : d.maptrack.mappings.with(h, m);
    return { ...d, maptrack: { ...d.maptrack, mappings } };
  });
  return { ...s, domains };
}

/** A random change to one mapping of `s`: its flags, its ref, gone, or a new one. */
function corrupt(s: ModelState, pick: number): ModelState {
  const d = s.domains[pick % s.domains.length];
  if (d === undefined) return s;
  const live = [...d.maptrack.mappings];
  const [h, m] = live[pick % Math.max(1, live.length)] ?? [pick % 256, undefined];
  switch (pick % 4) {
    case 0:
      return m ? withMapping(s, d.id, h, { ...m, flags: m.flags ^ GNTMAP_readonly }) : s;
    case 1:
      return m ? withMapping(s, d.id, h, { ...m, ref: m.ref + 1 }) : s;
    case 2:
      return withMapping(s, d.id, h, undefined);
    default:
      return withMapping(s, d.id, (h + 1 + pick) % 256, { granter: 1, ref: 8, flags: 1 });
  }
}

describe('statesEqual with a known-equal pair', () => {
  for (const seed of testSeeds('statesEqual known')) {
    it(`agrees with the full comparison on reached and corrupted pairs (seed ${seed})`, () => {
      let unequal = 0;
      fc.assert(
        fc.property(
          suiteRuns(suite),
          fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
          (ops, picks) => {
            const checker = new Checker(suite.config, { invariants: [], properties: [] });
            let known: EqualPair | undefined;
            for (const [i, op] of ops.entries()) {
              const v = checker.apply(op);
              const a = v.modelState;
              const b = v.implState;
              expect(statesEqual(a, b, known)).toBe(statesEqual(a, b));
              const pick = picks[i % picks.length] ?? 0;
              // Either side changed in one mapping after the known pair
              for (const [x, y] of [
                [corrupt(a, pick), b],
                [a, corrupt(b, pick)],
              ] as const) {
                const full = statesEqual(x, y);
                if (!full) unequal++;
                expect(statesEqual(x, y, known), `step ${i}`).toBe(full);
              }
              if (v.violation !== null) break;
              known = { a, b };
            }
          },
        ),
        { seed, numRuns: 40 },
      );
      expect(unequal).toBeGreaterThan(0); // the corruptions do reach the comparison
    });
  }
});
