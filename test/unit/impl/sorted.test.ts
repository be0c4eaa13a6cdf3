import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { insertAscending } from '../../../src/impl/sorted.ts';
import { testSeeds } from '../../support/seeds.ts';

describe('insertAscending', () => {
  for (const seed of testSeeds('insertAscending vs sort')) {
    it(`keeps what a sort of the same numbers gives, at every insertion (seed ${seed})`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.maxSafeInteger()), {
            maxLength: 60,
          }),
          (xs) => {
            const sorted: number[] = [];
            xs.forEach((x, i) => {
              insertAscending(sorted, x);
              expect(sorted).toEqual(xs.slice(0, i + 1).sort((a, b) => a - b));
            });
          },
        ),
        { seed, numRuns: 200 },
      );
    });
  }
});
