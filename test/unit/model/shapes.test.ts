// Every state and every domain record has one shape: the same own keys in the same order (so one
// V8 hidden class), whichever suite, guest library, death, backend or flow made it. A record that
// leaves out `death`, `guest` or `backend`, or a state `flow`, when they do not apply gives the
// model's and the impl's reads of it more than one shape (docs/properties.md, thirteenth pass);
// nothing else would notice.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSuite, SUITE_NAMES } from '../../../properties/suites.ts';
import { GUEST_PROFILES } from '../../../src/config.ts';
import { DEFAULT_CONFIG } from '../../../src/configDefaults.ts';
import { withProfile } from '../../../src/faults/index.ts';
import { Checker } from '../../../src/harness/checker.ts';
import type { Suite } from '../../../src/harness/suite.ts';
import { initialState } from '../../../src/model/index.ts';
import type { DomainState, ModelState } from '../../../src/model/state.ts';
import type { Op } from '../../../src/ops/op.ts';
import { stateFromJson, stateToJson } from '../../../src/trace/stateJson.ts';
import { testSeeds } from '../../support/seeds.ts';

const STATE_KEYS = Object.keys(initialState(DEFAULT_CONFIG));
const DOMAIN_KEYS = Object.keys(initialState(DEFAULT_CONFIG).domains[0] ?? {});

function suites(): Suite[] {
  return GUEST_PROFILES.flatMap((profile) =>
    SUITE_NAMES.map((name) => {
      const suite = buildSuite(name, withProfile(DEFAULT_CONFIG, profile));
      if (!suite) throw new Error(`no suite ${name}`);
      return suite;
    }),
  );
}

/** Runs of `suite`'s ops, drawn as its plan draws them. */
function sampleRuns(suite: Suite, seed: number, runs: number): Op[][] {
  const run = suite.plan.chain((plan) =>
    fc.array(fc.oneof(...plan.kinds.map((k) => plan.arbitrary(k))), {
      minLength: 60,
      maxLength: 60,
    }),
  );
  return fc.sample(run, { seed, numRuns: runs });
}

interface Seen {
  records: number;
  dead: number;
  library: number;
  backend: number;
  flow: number;
}

function expectShaped(state: ModelState, where: string, seen: Seen): void {
  expect(Object.keys(state), where).toEqual(STATE_KEYS);
  if (state.flow !== undefined) seen.flow++;
  for (const d of state.domains) {
    expect(Object.keys(d), where).toEqual(DOMAIN_KEYS);
    seen.records++;
    if (d.death !== undefined) seen.dead++;
    if (d.guest !== undefined) seen.library++;
    if (d.backend !== undefined) seen.backend++;
  }
}

describe('one shape', () => {
  it('sets flow in a state, and death, guest and backend in a domain record, even when undefined', () => {
    expect(Object.keys(initialState(DEFAULT_CONFIG)).at(-1)).toBe('flow');
    const keys = (d: DomainState) => Object.keys(d).slice(-3);
    expect(keys(initialState(DEFAULT_CONFIG).domains[0] as DomainState)).toEqual([
      'death',
      'guest',
      'backend',
    ]);
  });

  it.each(testSeeds('domain shapes'))(
    'gives every domain record, the model’s, the impl’s and a trace’s, one shape (seed %i)',
    (seed) => {
      const seen: Seen = { records: 0, dead: 0, library: 0, backend: 0, flow: 0 };
      for (const suite of suites()) {
        const checker = new Checker(suite.config, suite);
        for (const ops of sampleRuns(suite, seed, 4)) {
          expect(checker.restart()).toBe(true);
          expect(checker.checkInitial()).toBeNull();
          for (const op of ops) {
            const v = checker.apply(op);
            expect(v.violation).toBeFalsy();
            expectShaped(v.modelState, `${suite.name} model`, seen);
            expectShaped(v.implState, `${suite.name} impl`, seen);
            expectShaped(stateFromJson(stateToJson(v.modelState)), `${suite.name} trace`, seen);
          }
        }
        checker.close();
      }
      // the records checked include each optional part set, or the test proves nothing of them
      expect(seen.dead).toBeGreaterThan(0);
      expect(seen.library).toBeGreaterThan(0);
      expect(seen.backend).toBeGreaterThan(0);
      expect(seen.flow).toBeGreaterThan(0);
    },
  );
});
