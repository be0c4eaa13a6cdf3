import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntMap, IntMapBuilder } from '../../../src/model/intMap.ts';
import { testSeeds } from '../../support/seeds.ts';

// IntMap against a plain Map doing the same updates; keys mostly small (handles), some large
// enough to grow the trie by several levels.
type MapOp = { op: 'with'; key: number; value: number } | { op: 'without'; key: number };
const key = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 300 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 30 - 1 }) },
);
const mapOp: fc.Arbitrary<MapOp> = fc.oneof(
  fc.record({ op: fc.constant('with' as const), key, value: fc.integer() }),
  fc.record({ op: fc.constant('without' as const), key }),
);

function sortedEntries(m: ReadonlyMap<number, number>): [number, number][] {
  return [...m].sort((a, b) => a[0] - b[0]);
}

describe('IntMap', () => {
  for (const seed of testSeeds('IntMap vs Map')) {
    it(`behaves as a Map iterated in key order, and old versions never change (seed ${seed})`, () => {
      fc.assert(
        fc.property(fc.array(mapOp, { maxLength: 120 }), (ops) => {
          let map = IntMap.empty<number>();
          const reference = new Map<number, number>();
          const history: [IntMap<number>, [number, number][]][] = [];
          for (const o of ops) {
            if (o.op === 'with') {
              map = map.with(o.key, o.value);
              reference.set(o.key, o.value);
            } else {
              const before = map;
              map = map.without(o.key);
              if (!reference.has(o.key)) expect(map).toBe(before);
              reference.delete(o.key);
            }
            expect(map.size).toBe(reference.size);
            expect(map.get(o.key)).toBe(reference.get(o.key));
            expect(map.has(o.key)).toBe(reference.has(o.key));
            history.push([map, sortedEntries(reference)]);
          }
          for (const [old, entries] of history) {
            expect([...old]).toEqual(entries);
            expect([...old.keys()]).toEqual(entries.map(([k]) => k));
            expect([...old.values()]).toEqual(entries.map(([, v]) => v));
            const seen: [number, number][] = [];
            old.forEach((v, k) => seen.push([k, v]));
            expect(seen).toEqual(entries);
            expect(IntMap.from(entries.slice().reverse())).toEqual(old);
          }
        }),
        { seed, numRuns: 200 },
      );
    });
  }

  for (const seed of testSeeds('IntMap everyChange')) {
    it(`everyChange visits exactly the keys whose values differ, shared or rebuilt (seed ${seed})`, () => {
      fc.assert(
        fc.property(
          fc.array(mapOp, { maxLength: 60 }),
          fc.array(mapOp, { maxLength: 20 }),
          fc.boolean(),
          (common, more, rebuild) => {
            // `a`, then `b` = `a` with more updates (sharing its trie), or the same entries
            // rebuilt from scratch (sharing nothing, maybe another height).
            let a = IntMap.empty<number>();
            for (const o of common) a = o.op === 'with' ? a.with(o.key, o.value) : a.without(o.key);
            let b = a;
            for (const o of more) b = o.op === 'with' ? b.with(o.key, o.value) : b.without(o.key);
            if (rebuild) b = IntMap.from([...b]);
            const want = [...new Set([...a.keys(), ...b.keys()])]
              .filter((k) => a.get(k) !== b.get(k))
              .sort((x, y) => x - y);
            const seen: number[] = [];
            expect(a.everyChange(b, (k) => seen.push(k) > 0)).toBe(true);
            expect([...new Set(seen)].sort((x, y) => x - y)).toEqual(want);
            expect(seen).toHaveLength(want.length); // each key once
            // stops at the first false
            if (want.length > 0) {
              let calls = 0;
              expect(a.everyChange(b, () => ++calls < 0)).toBe(false);
              expect(calls).toBe(1);
            }
          },
        ),
        { seed, numRuns: 300 },
      );
    });
  }

  it('answers undefined for keys it cannot hold, and refuses to store them', () => {
    const map = IntMap.empty<string>().with(5, 'five');
    for (const k of [-1, 5.5, 2 ** 31, Number.NaN]) expect(map.get(k)).toBeUndefined();
    expect(() => map.with(-1, 'x')).toThrow(RangeError);
    expect(() => map.with(1.5, 'x')).toThrow(RangeError);
    expect(() => map.with(2 ** 30, 'x')).toThrow(RangeError);
    expect(() => new IntMapBuilder<string>().set(-3, 'x')).toThrow(RangeError);
  });

  it('is a ReadonlyMap to its readers', () => {
    const map = IntMap.from([
      [3, 'c'],
      [1, 'a'],
    ]);
    expect(Object.prototype.toString.call(map)).toBe('[object IntMap]');
    expect(new Map(map)).toEqual(
      new Map([
        [1, 'a'],
        [3, 'c'],
      ]),
    );
    expect(IntMap.from([]).size).toBe(0);
    expect(IntMap.from([])).toBe(IntMap.empty());
  });
});
