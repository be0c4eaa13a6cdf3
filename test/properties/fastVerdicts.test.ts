// Some invariants answer "holds" by a cheaper route than the check that writes their message
// (properties/invariants: free-list-integrity's one-pass walks, on the model and on the impl).
// The cheap verdict must be the full check's on every state: on the states random op streams
// reach, on the correct impl and on every fault, and on free lists corrupted at random.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as implChecks from '../../properties/invariants/implChecks.ts';
import * as modelChecks from '../../properties/invariants/modelChecks.ts';
import { FAULTS, subjectOf } from '../../src/faults/index.ts';
import { Checker } from '../../src/harness/checker.ts';
import { ImplView } from '../../src/harness/implView.ts';
import { FreeList } from '../../src/model/freeList.ts';
import { IntMap } from '../../src/model/intMap.ts';
import type { DomainState, GrantMapping } from '../../src/model/state.ts';
import { initialState } from '../../src/model/index.ts';
import { GNTMAP_host_map, MAPTRACK_PER_PAGE, MAPTRACK_TAIL } from '../../src/xen/abi.ts';
import { testSeeds } from '../support/seeds.ts';
import { applyPastViolations, conformanceSuite, suiteRuns, systemOf } from '../support/suites.ts';

const suite = conformanceSuite();
const runArbitrary = suiteRuns(suite);

/** Both sides' free-list verdicts, cheap and full, on every domain: equal. */
function expectSameVerdicts(checker: Checker, where: string): number {
  let failing = 0;
  for (const d of checker.model.domains) {
    const full = modelChecks.freeListProblem(d);
    expect(modelChecks.freeListIntegrity(d), `${where} model d${d.id}`).toBe(full);
    if (full !== null) failing++;
  }
  const view = new ImplView(systemOf(checker));
  for (const d of view.domains) {
    const full = implChecks.freeListProblem(view, d);
    expect(implChecks.freeListIntegrity(view, d), `${where} impl d${d.id}`).toBe(full);
    if (full !== null) failing++;
  }
  return failing;
}

describe('free-list-integrity: the one-pass verdict is the full check', () => {
  for (const seed of testSeeds('fast verdicts')) {
    it(`on the states op streams reach, impl and every fault (seed ${seed})`, () => {
      fc.assert(
        fc.property(runArbitrary, (ops) => {
          for (const fault of [undefined, ...FAULTS]) {
            const checker = new Checker(suite.config, {
              invariants: [],
              properties: [],
              subject: subjectOf(fault),
            });
            expectSameVerdicts(checker, `${fault?.id ?? 'impl'} initial`);
            for (const [i, op] of ops.entries()) {
              if (!applyPastViolations(checker, op, fault !== undefined)) break;
              expectSameVerdicts(checker, `${fault?.id ?? 'impl'} step ${i}`);
            }
          }
        }),
        { seed, numRuns: 15 },
      );
    });

    it(`on impl maptracks with entries and links overwritten at random (seed ${seed})`, () => {
      const write = fc.record({
        what: fc.constantFrom('ref', 'flags', 'vcpu', 'head', 'tail'),
        handle: fc.integer({ min: 0, max: MAPTRACK_PER_PAGE - 1 }),
        value: fc.oneof(
          fc.integer({ min: 0, max: MAPTRACK_PER_PAGE + 1 }),
          fc.constantFrom(0, 1, MAPTRACK_TAIL),
        ),
      });
      let failing = 0;
      fc.assert(
        fc.property(fc.array(write, { minLength: 1, maxLength: 4 }), (writes) => {
          const checker = new Checker(suite.config, { invariants: [], properties: [] });
          checker.apply({
            kind: 'map_grant_ref',
            caller: 2,
            batch: [{ dom: 1, ref: 8, flags: GNTMAP_host_map, hostAddr: 4096 }],
          }); // d2's maptrack gets its first frame, the map itself fails (nothing granted)
          const t = systemOf(checker).xen.domains[2]?.maptrack;
          if (!t) throw new Error('no d2');
          for (const w of writes) {
            if (w.what === 'ref') t.setRef(w.handle, w.value);
            else if (w.what === 'flags') t.setFlags(w.handle, w.value & 0xffff);
            else if (w.what === 'vcpu') t.setVcpu(w.handle, w.value);
            else if (w.what === 'head') t.setHead(0, w.value);
            else t.setTail(0, w.value);
          }
          failing += expectSameVerdicts(checker, JSON.stringify(writes));
        }),
        { seed, numRuns: 300 },
      );
      expect(failing).toBeGreaterThan(0); // the corruptions do break the lists
    });

    it(`on model maptracks with free lists and live handles at random (seed ${seed})`, () => {
      const handle = fc.integer({ min: -1, max: 2 * MAPTRACK_PER_PAGE });
      const lists = fc.array(fc.array(handle, { maxLength: 6 }), { minLength: 1, maxLength: 2 });
      const maptrack = fc.record({
        limit: fc.constantFrom(0, MAPTRACK_PER_PAGE, 2 * MAPTRACK_PER_PAGE),
        // a whole frame's list, sometimes, so that some maptracks hold
        whole: fc.boolean(),
        lists,
        live: fc.uniqueArray(fc.integer({ min: 0, max: 2 * MAPTRACK_PER_PAGE }), { maxLength: 4 }),
      });
      const base = initialState(suite.config).domains[0];
      if (!base) throw new Error('no d0');
      const mapping: GrantMapping = { granter: 1, ref: 8, flags: GNTMAP_host_map };
      let failing = 0;
      let holding = 0;
      fc.assert(
        fc.property(maptrack, ({ limit, whole, lists, live }) => {
          const live2 = whole ? live.filter((h) => h >= 0 && h < limit) : live;
          const freeLists = lists.map((hs) =>
            whole && limit > 0
              ? FreeList.of(
                  Array.from({ length: limit }, (_, h) => h).filter((h) => !live2.includes(h)),
                )
              : FreeList.of(hs),
          );
          const [first, ...others] = freeLists;
          const d: DomainState = {
            ...base,
            maptrack: {
              ...base.maptrack,
              limit,
              freeList: first ?? FreeList.EMPTY,
              ...(others.length > 0 ? { otherFreeLists: others } : {}),
              mappings: IntMap.from(live2.map((h) => [h, mapping] as const)),
            },
          };
          const full = modelChecks.freeListProblem(d);
          expect(modelChecks.freeListIntegrity(d)).toBe(full);
          if (full === null) holding++;
          else failing++;
        }),
        { seed, numRuns: 500 },
      );
      expect(failing).toBeGreaterThan(0);
      expect(holding).toBeGreaterThan(0);
      // Every handle live and no list: the count adds up, but the sentinel is gone.
      const full: DomainState = {
        ...base,
        maptrack: {
          ...base.maptrack,
          limit: MAPTRACK_PER_PAGE,
          freeList: FreeList.EMPTY,
          mappings: IntMap.from(
            Array.from({ length: MAPTRACK_PER_PAGE }, (_, h) => [h, mapping] as const),
          ),
        },
      };
      expect(modelChecks.freeListIntegrity(full)).toMatch(/sentinel/);
    });
  }
});
