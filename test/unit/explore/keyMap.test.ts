import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StateKeyMap } from '../../../src/explore/keyMap.ts';
import type { StateKey } from '../../../src/explore/model.ts';
import { testSeeds } from '../../support/seeds.ts';

// StateKeyMap against a plain Map doing the same sets: packed keys small and up to 2^53 - 1
// (two halves to hash), a few colliding in the low bits, and strings (the Map fallback).
const key: fc.Arbitrary<StateKey> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 200 }) },
  { weight: 3, arbitrary: fc.maxSafeNat() },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 50 }).map((k) => k * 2 ** 32) },
  { weight: 1, arbitrary: fc.string({ maxLength: 3 }) },
);
const entry = fc.tuple(key, fc.integer());

describe('StateKeyMap', () => {
  for (const seed of testSeeds('StateKeyMap vs Map')) {
    it(`answers get, has and size as a Map does, through growth (seed ${seed})`, () => {
      fc.assert(
        fc.property(
          fc.array(entry, { maxLength: 400, size: 'max' }),
          fc.array(key),
          (sets, probes) => {
            const map = new StateKeyMap<number>();
            const reference = new Map<StateKey, number>();
            for (const [k, v] of sets) {
              map.set(k, v);
              reference.set(k, v);
              expect(map.size).toBe(reference.size);
            }
            for (const k of [...reference.keys(), ...probes]) {
              expect(map.has(k)).toBe(reference.has(k));
              expect(map.get(k)).toBe(reference.get(k));
            }
          },
        ),
        { seed, numRuns: 100 },
      );
    });
  }

  it('tells a packed key from its string and from other numbers', () => {
    const map = new StateKeyMap<string>();
    map.set(7, 'seven');
    map.set('7', 'text');
    map.set(2 ** 53 - 1, 'top');
    expect([map.get(7), map.get('7'), map.get(2 ** 53 - 1), map.get(2 ** 52)]).toEqual([
      'seven',
      'text',
      'top',
      undefined,
    ]);
    expect(map.size).toBe(3);
  });
});
