// The machinery the checker uses to re-check invariants after a step: which parts changed, in
// which domain (ChangedReads), which invariants and domains are re-run (checkInvariants), the
// per-step scans of ImplView, and the incremental state comparison.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSuite, SUITE_NAMES } from '../../../properties/suites.ts';
import { testSeeds } from '../../support/seeds.ts';
import { checkInvariants } from '../../../src/harness/checker.ts';
import type { InvariantSubject } from '../../../src/harness/checker.ts';
import { ImplView } from '../../../src/harness/implView.ts';
import type { DomainChecks, StateInvariant } from '../../../src/harness/invariant.ts';
import { domainInvariant } from '../../../src/harness/invariant.ts';
import { ChangedReads, implReads, modelReads, READ_NAMES } from '../../../src/harness/reads.ts';
import { makeConfig } from '../../../src/config.ts';
import { initialState, statesEqual, step } from '../../../src/model/index.ts';
import type { Op } from '../../../src/ops/op.ts';
import {
  GNTMAP_host_map,
  GNTMAP_readonly,
  GTF_reading,
  GTF_writing,
} from '../../../src/xen/abi.ts';
import { grant, map1, system } from '../impl/helpers.ts';

const config = makeConfig({});
const grantOp = (dom: number, ref: number): Op => ({
  kind: 'grant_access',
  dom,
  ref,
  grantee: dom === 1 ? 2 : 1,
  gfn: 0,
  readonly: false,
});

/** A subject that answers from fixed messages and records what was asked. */
function recordingSubject(failing: ReadonlySet<number> = new Set()) {
  const asked: string[] = [];
  const subject: InvariantSubject = {
    side: 'model',
    check(invariant) {
      asked.push(`whole ${invariant.name}`);
      return null;
    },
    checkDomain(checks: DomainChecks, id) {
      asked.push(`d${id}`);
      return failing.has(id) ? `d${id} broken` : null;
    },
  };
  return { subject, asked };
}

const never = (): null => null;
const perDomain = domainInvariant({
  name: 'per-domain',
  statement: 's',
  source: 's',
  reads: ['entries'],
  perDomain: { onModel: never, onImpl: never },
});
const wholeOnMaptrack: StateInvariant = {
  name: 'whole-maptrack',
  statement: 's',
  source: 's',
  reads: ['maptrack'],
  onModel: never,
  onImpl: never,
};

describe('ChangedReads', () => {
  it('names the parts and domains a step changed', () => {
    const s0 = initialState(config);
    const s1 = step(s0, grantOp(1, 8)).state;
    const changed = ChangedReads.between(modelReads(s0), modelReads(s1));
    expect(changed.all).toBe(false);
    expect(changed.domains(['entries'])).toBe(0b010);
    expect(changed.domains(['maptrack', 'p2m', 'frames'])).toBe(0);
    expect(ChangedReads.between(undefined, modelReads(s1)).all).toBe(true);
  });

  // Every suite: the guest-profile and backend parts change only in some (the backends suite).
  for (const seed of testSeeds('ChangedReads.betweenStates')) {
    for (const name of SUITE_NAMES) {
      it(`reads the same changes from two model states as from their reads lists (${name}, seed ${seed})`, () => {
        const suite = buildSuite(name);
        if (!suite) throw new Error(`no ${name} suite`);
        const runs = suite.plan.chain((plan) =>
          fc.array(fc.oneof(...plan.kinds.map((k) => plan.arbitrary(k))), { maxLength: 40 }),
        );
        const names = READ_NAMES.map((name) => [name]);
        fc.assert(
          fc.property(runs, fc.nat({ max: 3 }), (ops, lag) => {
            let s = initialState(suite.config);
            const states = [s];
            for (const o of ops) states.push((s = step(s, o).state));
            for (const [i, now] of states.entries()) {
              const before = states[i - lag]; // none at first; lag 0: the same state
              const want = ChangedReads.between(before && modelReads(before), modelReads(now));
              const got = ChangedReads.betweenStates(before, now);
              expect([got.all, got.none]).toEqual([want.all, want.none]);
              for (const part of names) expect(got.domains(part)).toBe(want.domains(part));
            }
          }),
          { seed, numRuns: 40 },
        );
      });
    }
  }

  it('sees impl parts change through their content versions', () => {
    const s = system();
    const before = implReads(s);
    grant(s, 2, 9, 1, 0);
    const changed = ChangedReads.between(before, implReads(s));
    expect(changed.domains(['entries'])).toBe(0b100);
    expect(changed.domains(['active', 'maptrack', 'frames'])).toBe(0);
  });
});

describe('checkInvariants with what changed', () => {
  const s0 = initialState(config);
  const s1 = step(step(s0, grantOp(0, 8)).state, grantOp(2, 8)).state;
  const changed = ChangedReads.between(modelReads(s0), modelReads(s1));

  it('re-checks a per-domain invariant on the changed domains only, in order', () => {
    const { subject, asked } = recordingSubject();
    expect(checkInvariants(subject, [perDomain, wholeOnMaptrack], changed)).toBeNull();
    expect(asked).toEqual(['d0', 'd2']);
  });

  it('reports the first changed domain that fails', () => {
    const { subject } = recordingSubject(new Set([2]));
    expect(checkInvariants(subject, [perDomain], changed)).toEqual({
      check: 'invariant',
      name: 'per-domain',
      side: 'model',
      message: 'd2 broken',
    });
  });

  it('checks everything, whole, without a previous step', () => {
    const { subject, asked } = recordingSubject();
    checkInvariants(subject, [perDomain, wholeOnMaptrack]);
    expect(asked).toEqual(['whole per-domain', 'whole whole-maptrack']);
  });

  it("refuses a per-domain invariant that reads the system-wide 'frames'", () => {
    expect(() =>
      domainInvariant({
        name: 'bad',
        statement: 's',
        source: 's',
        reads: ['frames'],
        perDomain: { onModel: never, onImpl: never },
      }),
    ).toThrow(/system-wide/);
  });
});

describe('ImplView', () => {
  it('keeps one scan per flag mask', () => {
    const s = system();
    grant(s, 1, 8, 2, 0);
    map1(s, 2, { dom: 1, ref: 8, flags: GNTMAP_host_map | GNTMAP_readonly, hostAddr: 0x1000 });
    const view = new ImplView(s);
    expect(view.withStatusBits(1, GTF_reading)).toEqual([8]);
    expect(view.withStatusBits(1, GTF_writing)).toEqual([]);
    expect(view.pinned(1)).toEqual([8]);
    expect(view.live(2)).toEqual([0]);
  });
});

describe('statesEqual from a known-equal pair', () => {
  const s0 = initialState(config);
  const a = step(s0, grantOp(1, 8)).state;

  it('compares what changed on either side since the pair', () => {
    const same = step(s0, grantOp(1, 8)).state; // equal to `a`, built separately
    const other = step(s0, grantOp(1, 9)).state;
    expect(same).not.toBe(a);
    expect(statesEqual(a, same, { a: s0, b: s0 })).toBe(true);
    expect(statesEqual(a, other, { a: s0, b: s0 })).toBe(false);
    expect(statesEqual(a, s0, { a: s0, b: s0 })).toBe(false);
    expect(statesEqual(s0, a, { a: s0, b: s0 })).toBe(false);
  });

  it('takes the parts both sides still share with the pair as equal', () => {
    // The pair's promise is what makes the shortcut sound: given a (false) pair whose states
    // differ, parts shared with it are not compared again.
    const b = step(s0, grantOp(1, 9)).state;
    expect(statesEqual(a, b, { a, b })).toBe(true);
  });
});
