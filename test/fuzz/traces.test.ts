// Fuzz: `grantcheck replay` on mutated corpus traces (and a core trace) never crashes, never
// hangs, and reports bad input as one bounded, escaped line with exit 2. Pinned seeds plus one
// printed fresh seed; `npm run fuzz` runs the same property with a larger budget.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testSeeds } from '../support/seeds.ts';
import { baseTraces, FAULT_IDS, fuzzCaseArb } from './mutate.ts';
import { outcomeProblem, runCase } from './property.ts';

/** Cases per seed: 4 seeds × this stays within ~10 s of `npm test` on a shared 2-core machine. */
const CASES_PER_SEED = 50;

const bases = baseTraces();
const dir = mkdtempSync(join(tmpdir(), 'grantcheck-fuzz-'));

describe('fuzz: replay of malformed traces', () => {
  it.each(testSeeds('fuzz/traces'))(
    'seed %i',
    async (seed) => {
      const codes = new Set<number>();
      await fc.assert(
        fc.asyncProperty(fuzzCaseArb(bases.length, FAULT_IDS), async (c) => {
          const o = await runCase(dir, bases, c);
          codes.add(o.code);
          expect(outcomeProblem(o)).toBeNull();
        }),
        { seed, numRuns: CASES_PER_SEED },
      );
      // The mutations reach the validation layer: some case was refused.
      expect(codes.has(2)).toBe(true);
    },
    60_000,
  );
});
