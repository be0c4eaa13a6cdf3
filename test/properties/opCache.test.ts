// The op generators are built once per config and the focus values each reads
// (properties/generators/ops.ts, OpSpace.cached): a cached generator must draw exactly what one
// built afresh for the run's own focus draws. A cache key that left out a focus field it reads
// would hand a run a generator built for another focus, and show here.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  OpSpace,
  deathFocusArbitrary,
  focusArbitrary,
  opArbitrary,
} from '../../properties/generators/ops.ts';
import { DEFAULT_CONFIG } from '../../src/configDefaults.ts';
import { ALL_OP_KINDS, OP_KINDS } from '../../src/ops/op.ts';
import { testSeeds } from '../support/seeds.ts';

describe('cached op generators', () => {
  for (const seed of testSeeds('op generator cache')) {
    it(`draw the same ops as fresh ones, for every kind and focus (seed ${seed})`, () => {
      const config = { ...DEFAULT_CONFIG }; // a cache of its own, shared by every focus below
      // the death suite's casts too: a teardown cast (death: true) reads its refs otherwise
      const focuses = [
        ...fc.sample(focusArbitrary(config), { seed, numRuns: 120 }),
        ...fc.sample(deathFocusArbitrary(config), { seed, numRuns: 60 }),
      ];
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

/** Every object in `value` has Object.prototype (arrays aside). */
function allOrdinary(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) return value.every(allOrdinary);
  return (
    Object.getPrototypeOf(value) === Object.prototype && Object.values(value).every(allOrdinary)
  );
}

// fc.record gives half its objects a null prototype, which V8 keeps as dictionaries (slow field
// reads everywhere an op is read): the op generators draw their records with generators/record.ts,
// whose objects are ordinary.
describe('ops drawn are ordinary objects', () => {
  for (const seed of testSeeds('plain ops')) {
    it(`for every kind, with and without a focus (seed ${seed})`, () => {
      const config = { ...DEFAULT_CONFIG };
      const focus = fc.sample(focusArbitrary(config), { seed, numRuns: 1 })[0];
      for (const f of [undefined, focus]) {
        for (const kind of ALL_OP_KINDS) {
          const ops = fc.sample(opArbitrary(new OpSpace(config, f, true), kind), {
            seed,
            numRuns: 40,
          });
          for (const op of ops) expect(allOrdinary(op), `${kind} ${JSON.stringify(op)}`).toBe(true);
        }
      }
    });
  }
});
