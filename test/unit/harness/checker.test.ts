// The checker's memoisation (re-running an invariant only when a part it reads changed) must not
// change any verdict: with and without it, the same op streams give the same first violation,
// on the correct impl and on every fault.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Checker, violationName } from '../../../src/harness/checker.ts';
import type { CheckerOptions, Violation } from '../../../src/harness/checker.ts';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FAULTS, findFault, subjectOf } from '../../../src/faults/index.ts';
import { loadTrace } from '../../../src/trace/io.ts';
import type { Op } from '../../../src/ops/op.ts';
import type { GrantConfig } from '../../../src/config.ts';
import { buildSuite } from '../../../properties/suites.ts';
import { testSeeds } from '../../support/seeds.ts';

const suite = buildSuite('conformance');
if (!suite) throw new Error('no conformance suite');
const runArbitrary = suite.plan.chain((plan) =>
  fc.array(fc.oneof(...plan.kinds.map((k) => plan.arbitrary(k))), { maxLength: 80, size: 'max' }),
);

/** The first violation, whole (its message and what also failed with it), and its step. */
function firstViolation(
  ops: readonly Op[],
  options: CheckerOptions,
  config: GrantConfig = suite!.config,
): { step: number; name: string; violation: Violation } | 'none' {
  const checker = new Checker(config, options);
  for (const [i, op] of ops.entries()) {
    const v = checker.apply(op).violation;
    if (v) return { step: i, name: violationName(v), violation: v };
  }
  return 'none';
}

describe('Checker memoisation', () => {
  const variants = [undefined, ...FAULTS];
  for (const seed of testSeeds('checker memoisation')) {
    it(`gives the same verdicts as re-checking everything (seed ${seed})`, () => {
      fc.assert(
        fc.property(runArbitrary, (ops) => {
          for (const fault of variants) {
            const base = {
              invariants: suite.invariants,
              properties: suite.properties,
              subject: subjectOf(fault),
            };
            const memo = firstViolation(ops, base);
            expect(memo).toEqual(firstViolation(ops, { ...base, noMemo: true }));
          }
        }),
        { seed, numRuns: 60 },
      );
      // 10-40 s alone (every fault, twice, per case); past 60 s beside other files under load
    }, 180_000);
  }

  // Violations are certain here: each fault trace of the corpus fails against its fault.
  const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'traces');
  const faultTraces = readdirSync(dir)
    .filter((f) => f.startsWith('fault-') && f.endsWith('.json'))
    .sort();
  it.each(faultTraces)('finds the same violation in %s with and without it', (file) => {
    const loaded = loadTrace(join(dir, file));
    if (!loaded.ok) throw new Error(loaded.error);
    const fault = loaded.trace.fault === null ? undefined : findFault(loaded.trace.fault);
    const base = {
      invariants: suite.invariants,
      properties: suite.properties,
      subject: subjectOf(fault),
    };
    const ops = loaded.trace.steps.map((s) => s.op);
    // the trace's own config: a guest-library fault's names its profiles
    const config = loaded.trace.config;
    const memo = firstViolation(ops, base, config);
    expect(memo).not.toBe('none');
    expect(memo).toEqual(firstViolation(ops, { ...base, noMemo: true }, config));
  });
});

describe('Checker on the shared initial state', () => {
  const failsOnModel = {
    name: 'fails-on-model',
    statement: 's',
    source: 's',
    reads: ['entries' as const],
    onModel: () => 'always',
    onImpl: () => null,
  };

  it('skips the impl side of the initial checks a subject of the same factory and config passed', () => {
    let implChecks = 0;
    const counted = {
      ...failsOnModel,
      name: 'counted-impl',
      onModel: () => null,
      onImpl: () => {
        implChecks++;
        return null;
      },
    };
    const passing = { invariants: [...suite.invariants, counted], properties: [] };
    expect(new Checker(suite.config, passing).checkInitial()).toBeNull();
    expect(implChecks).toBe(1);
    const second = new Checker(suite.config, passing);
    expect(second.checkInitial()).toBeNull();
    expect(implChecks).toBe(1); // not again
    // Its first step then re-checks only what the step changed: an op that changes no entry
    // leaves the counted invariant (it reads the entries) unrun.
    expect(second.apply({ kind: 'query_size', caller: 0, dom: 0 }).violation).toBeNull();
    expect(implChecks).toBe(1);
    // ...and one that writes an entry runs it, on the impl too.
    expect(
      second.apply({ kind: 'grant_access', dom: 1, ref: 8, grantee: 2, gfn: 0, readonly: false })
        .violation,
    ).toBeNull();
    expect(implChecks).toBe(2);
    // Another factory (a fault's subject, even one that changes nothing at the start), another
    // catalogue, or no memo: checked.
    const fault = FAULTS[0];
    if (!fault) throw new Error('no fault');
    expect(
      new Checker(suite.config, { ...passing, subject: subjectOf(fault) }).checkInitial(),
    ).toBeNull();
    expect(implChecks).toBe(3);
    expect(new Checker(suite.config, { ...passing, noMemo: true }).checkInitial()).toBeNull();
    expect(implChecks).toBe(4);
    const failsOnImpl = { ...counted, name: 'fails-on-impl', onImpl: () => 'always' };
    for (let i = 0; i < 2; i++) {
      const options = { invariants: [...suite.invariants, failsOnImpl], properties: [] };
      expect(new Checker(suite.config, options).checkInitial()).toMatchObject({
        check: 'invariant',
        name: 'fails-on-impl',
        side: 'impl',
      });
    }
  });

  it('skips only model checks that the same catalogue passed on it, in an earlier checker', () => {
    let modelChecks = 0;
    const counted = {
      ...failsOnModel,
      name: 'counted',
      onModel: () => {
        modelChecks++;
        return null;
      },
    };
    const passing = { invariants: [...suite.invariants, counted], properties: [] };
    expect(new Checker(suite.config, passing).checkInitial()).toBeNull();
    const second = new Checker(suite.config, passing);
    expect(second.model).toBe(new Checker(suite.config, passing).model); // one shared state
    expect(second.checkInitial()).toBeNull();
    expect(modelChecks).toBe(1); // the second checker did not check the model side again
    // Another catalogue on the same state is checked, every time.
    const failing = { invariants: [...suite.invariants, failsOnModel], properties: [] };
    for (let i = 0; i < 2; i++) {
      expect(new Checker(suite.config, failing).checkInitial()).toMatchObject({
        check: 'invariant',
        name: 'fails-on-model',
        side: 'model',
      });
    }
  });
});

describe("Checker's incremental model checks (onModelSince)", () => {
  const GRANT: Op = { kind: 'grant_access', dom: 1, ref: 8, grantee: 2, gfn: 0, readonly: false };
  /** An invariant on the entries that fails once d1 has one, with `since` as its incremental
   * check; counts what ran. */
  function probe(since: (held: unknown, state: unknown) => boolean) {
    const calls = { since: 0, full: 0, held: [] as unknown[] };
    const invariant = {
      name: 'no-entries-in-d1',
      statement: 's',
      source: 's',
      reads: ['entries' as const],
      onModel: (s: {
        domains: readonly { grantTable: { entries: ReadonlyMap<number, unknown> } }[];
      }) => {
        calls.full++;
        return (s.domains[1]?.grantTable.entries.size ?? 0) > 0 ? 'd1 has an entry' : null;
      },
      onImpl: () => null,
      onModelSince: (held: unknown, state: unknown) => {
        calls.since++;
        calls.held.push(held);
        return since(held, state);
      },
    };
    return { calls, invariant };
  }

  it('asks it from the last state that held, and lets the full check decide when it declines', () => {
    const { calls, invariant } = probe(() => false);
    const checker = new Checker(suite.config, { invariants: [invariant], properties: [] });
    expect(checker.checkInitial()).toBeNull();
    expect(calls).toMatchObject({ since: 0, full: 1 }); // the initial state: the full check
    const initial = checker.model;
    expect(checker.apply(GRANT).violation).toMatchObject({
      check: 'invariant',
      name: 'no-entries-in-d1',
      side: 'model',
      message: 'd1 has an entry',
    });
    expect(calls).toMatchObject({ since: 1, full: 2 });
    expect(calls.held[0]).toBe(initial);
  });

  it('trusts it when it vouches (so a wrong one would hide a violation), never with noMemo', () => {
    const vouching = probe(() => true);
    const memo = new Checker(suite.config, { invariants: [vouching.invariant], properties: [] });
    expect(memo.checkInitial()).toBeNull();
    expect(memo.apply(GRANT).violation).toBeNull();
    expect(vouching.calls).toMatchObject({ since: 1, full: 1 });
    const again = probe(() => true);
    const full = new Checker(suite.config, {
      invariants: [again.invariant],
      properties: [],
      noMemo: true,
    });
    expect(full.checkInitial()).toBeNull();
    expect(full.apply(GRANT).violation).toMatchObject({ name: 'no-entries-in-d1' });
    expect(again.calls.since).toBe(0);
  });
});
