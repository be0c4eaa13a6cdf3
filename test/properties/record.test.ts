// The op generators' one-layer record (properties/generators/record.ts) against fc.record: the
// same values from the same seed, the same shrinks, but ordinary objects. A seed's ops, and the
// counterexample it shrinks to, must not depend on which of the two built them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { record } from '../../properties/generators/record.ts';
import { testSeeds } from '../support/seeds.ts';

/** A record model like the generators': constants, oneofs, nested records and arrays. */
function model(make: typeof fc.record) {
  const inner = make({ handle: fc.integer({ min: 0, max: 9 }), addr: fc.constantFrom(0, 4096) });
  return make({
    kind: fc.constant('map'),
    dom: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 5 })),
    flags: fc.constantFrom(1, 2, 3),
    batch: fc.array(inner, { minLength: 1, maxLength: 4 }),
    ro: fc.boolean(),
  });
}

const ours = model(record as typeof fc.record);
const theirs = model(fc.record);

describe('record (one-layer fc.record)', () => {
  for (const seed of testSeeds('plain record')) {
    it(`draws fc.record's values (seed ${seed})`, () => {
      const draw = { seed, numRuns: 200 };
      // toEqual ignores the prototype: fc.record's null-prototype half compares as values
      expect(fc.sample(ours, draw)).toEqual(fc.sample(theirs, draw));
      // and what follows a record in the stream is drawn from the same place
      const pair = (r: fc.Arbitrary<unknown>) => fc.tuple(r, fc.integer());
      expect(fc.sample(pair(ours), draw)).toEqual(fc.sample(pair(theirs), draw));
    });
  }

  it('builds ordinary objects, nested ones too (fc.record makes half of them null-prototype)', () => {
    const values = fc.sample(ours, { seed: 7, numRuns: 100 }) as {
      batch: readonly object[];
    }[];
    for (const v of values) {
      expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
      for (const e of v.batch) expect(Object.getPrototypeOf(e)).toBe(Object.prototype);
    }
    const nulls = fc
      .sample(theirs, { seed: 7, numRuns: 100 })
      .filter((v) => Object.getPrototypeOf(v) === null);
    expect(nulls.length).toBeGreaterThan(0); // the difference this file exists for
  });

  it('shrinks a failing property to the counterexample fc.record shrinks it to', () => {
    type Drawn = { dom: number; batch: readonly { handle: number }[] };
    const check = (arb: fc.Arbitrary<unknown>) =>
      fc.check(
        fc.property(fc.array(arb, { maxLength: 20 }), (xs) =>
          (xs as Drawn[]).every((x) => x.batch.length < 3 || x.dom < 2 || x.batch[0]?.handle === 0),
        ),
        { seed: 11, numRuns: 500 },
      );
    const a = check(ours);
    const b = check(theirs);
    expect(a.failed).toBe(true);
    expect(a.numShrinks).toBeGreaterThan(0);
    expect(JSON.stringify(a.counterexample)).toBe(JSON.stringify(b.counterexample));
    expect([a.counterexamplePath, a.numShrinks]).toEqual([b.counterexamplePath, b.numShrinks]);
  });
});
