// The op generators are built once per config and the focus values each reads
// (properties/generators/ops.ts, OpSpace.cached): a cached generator must draw exactly what one
// built afresh for the run's own focus draws. A cache key that left out a focus field it reads
// would hand a run a generator built for another focus, and show here.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OpSpace, focusArbitrary, opArbitrary } from '../../properties/generators/ops.ts';
import { DEFAULT_CONFIG } from '../../src/configDefaults.ts';
import { OP_KINDS } from '../../src/ops/op.ts';
import { testSeeds } from '../support/seeds.ts';

describe('cached op generators', () => {
  for (const seed of testSeeds('op generator cache')) {
    it(`draw the same ops as fresh ones, for every kind and focus (seed ${seed})`, () => {
      const config = { ...DEFAULT_CONFIG }; // a cache of its own, shared by every focus below
      const focuses = fc.sample(focusArbitrary(config), { seed, numRuns: 120 });
      for (const [i, focus] of focuses.entries()) {
        for (const pte of [false, true]) {
          for (const kind of OP_KINDS) {
            const draw = { seed: seed + i, numRuns: 4 };
            const cached = fc.sample(opArbitrary(new OpSpace(config, focus, pte), kind), draw);
            // a new config object: a new, empty cache, so everything is built for this focus
            const fresh = { ...config };
            const built = fc.sample(opArbitrary(new OpSpace(fresh, focus, pte), kind), draw);
            expect(cached, `${kind} pte=${pte} ${JSON.stringify(focus)}`).toEqual(built);
          }
        }
      }
    });
  }
});
