// runSuite restarts the checker of a passing run for the next one (Checker.restart: the subject
// restored to the state it was created in) instead of making a new one. The same runs must come
// out as with a new checker per run: the same ops, coverage, verdict and counterexample, on every
// suite, guest library and sequential fault of the catalogue, whose faults replace parts of the
// impl and so must keep all their state where a snapshot finds it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSuite } from '../../../properties/suites.ts';
import type { GrantConfig } from '../../../src/config.ts';
import { DEFAULT_CONFIG } from '../../../src/configDefaults.ts';
import { FAULTS, faultConfig, faultSubject, withProfile } from '../../../src/faults/index.ts';
import { Checker } from '../../../src/harness/checker.ts';
import { checkSuiteRun, suiteRuns } from '../../../src/harness/property.ts';
import { runSuite } from '../../../src/harness/random.ts';
import type { Suite, SuiteOutcome } from '../../../src/harness/suite.ts';
import { IMPL_SUBJECT } from '../../../src/subject/impl.ts';
import type { Subject, SubjectFactory } from '../../../src/subject/subject.ts';
import { testSeeds } from '../../support/seeds.ts';

/** `factory` with subjects that cannot be restored: runSuite then makes a new checker per run. */
function unrestorable(factory: SubjectFactory): SubjectFactory {
  return {
    ...factory,
    create(config) {
      const subject = factory.create(config);
      return new Proxy(subject, {
        get(target, key) {
          if (key === 'restore') return undefined;
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }) as Subject;
    },
  };
}

/** `factory`, counting the subjects it creates (one per checker) and those closed. */
function counted(factory: SubjectFactory): {
  factory: SubjectFactory;
  created: () => number;
  closed: () => number;
} {
  let n = 0;
  let closed = 0;
  return {
    factory: {
      ...factory,
      create(config) {
        n++;
        const subject = factory.create(config);
        return new Proxy(subject, {
          get(target, key) {
            if (key === 'close') {
              return () => {
                closed++;
                target.close?.();
              };
            }
            const value: unknown = Reflect.get(target, key, target);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        }) as Subject;
      },
    },
    created: () => n,
    closed: () => closed,
  };
}

/** What a suite's outcome says, without its timings. */
function summary(o: SuiteOutcome): unknown {
  const { runs, ops, coverage } = o.stats;
  const common = { kind: o.kind, runs, ops, coverage: [...coverage] };
  if (o.kind !== 'violation') return common;
  return {
    ...common,
    program: o.ops,
    replay: o.replay,
    violation: o.violation,
    steps: o.report.steps,
  };
}

function suite(name: string, config: GrantConfig = DEFAULT_CONFIG): Suite {
  const s = buildSuite(name, config);
  if (!s) throw new Error(`no suite ${name}`);
  return s;
}

const seeds = testSeeds('restarted checkers');

describe("runSuite's restarted checkers", () => {
  it('a restarted checker is a new one: its in-process subject restored, the model at the start', () => {
    const s = suite('protocol');
    const checker = new Checker(s.config, s);
    expect(checker.checkInitial()).toBeNull();
    const initial = checker.model;
    const before = checker.subject.state();
    checker.apply({ kind: 'grant_access', dom: 1, ref: 8, grantee: 0, gfn: 0, readonly: false });
    expect(checker.subject.state()).not.toEqual(before);
    expect(checker.restart()).toBe(true);
    expect(checker.model).toBe(initial);
    expect(checker.subject.state()).toEqual(before);
    expect(checker.checkInitial()).toBeNull();
    // a subject that cannot be restored: no restart, and nothing changed
    const other = new Checker(s.config, { ...s, subject: unrestorable(IMPL_SUBJECT) });
    other.apply({ kind: 'grant_access', dom: 1, ref: 8, grantee: 0, gfn: 0, readonly: false });
    const held = other.subject.state();
    expect(other.restart()).toBe(false);
    expect(other.subject.state()).toEqual(held);
    // nor one in another process (no internals), which is reset before every run instead
    const external = new Checker(s.config, {
      ...s,
      subject: { ...IMPL_SUBJECT, hasInternals: false },
    });
    expect(external.subject.restore).toBeDefined();
    expect(external.restart()).toBe(false);
  });

  for (const name of ['conformance', 'protocol', 'death', 'backends']) {
    it(`give the runs a new checker per run gives (${name}, every library)`, () => {
      for (const seed of seeds) {
        for (const profile of ['strict', 'linux', 'mini-os', 'mirage'] as const) {
          const library = suite(name, withProfile(DEFAULT_CONFIG, profile));
          const options = { seed, runs: 40 };
          const impl = counted(IMPL_SUBJECT);
          const once = counted(unrestorable(IMPL_SUBJECT));
          const restarted = runSuite(library, { ...options, subject: impl.factory });
          const fresh = runSuite(library, { ...options, subject: once.factory });
          expect(summary(restarted), `seed ${seed}, ${profile}`).toEqual(summary(fresh));
          // the impl passes every run: one checker for the whole suite, against one per run
          expect(restarted.kind).not.toBe('violation');
          expect(impl.created()).toBe(1);
          expect(once.created()).toBe(restarted.stats.runs);
        }
      }
    });
  }

  it('give the same counterexamples against every sequential fault', () => {
    let caught = 0;
    let created = 0;
    let createdFresh = 0;
    for (const fault of FAULTS.filter((f) => f.race === undefined)) {
      const s = suite(fault.suite ?? 'protocol', faultConfig(fault, DEFAULT_CONFIG));
      const options = { seed: 1, runs: 100 };
      const faulted = counted(faultSubject(fault));
      const once = counted(unrestorable(faultSubject(fault)));
      const restarted = runSuite(s, { ...options, subject: faulted.factory });
      const fresh = runSuite(s, { ...options, subject: once.factory });
      expect(summary(restarted), fault.id).toEqual(summary(fresh));
      // a failing run's checker is not kept: where every run fails (the first, then each
      // shrink), as many checkers as without restarts
      expect(faulted.created(), fault.id).toBeLessThanOrEqual(once.created());
      created += faulted.created();
      createdFresh += once.created();
      if (restarted.kind === 'violation') caught++;
    }
    // the comparison includes failing runs and their shrinking, not only passes
    expect(caught).toBeGreaterThan(10);
    expect(created).toBeLessThan(createdFresh / 2);
  });

  it('close every subject they made, restarted or not', () => {
    const s = suite('conformance');
    for (const factory of [IMPL_SUBJECT, { ...IMPL_SUBJECT, hasInternals: false }]) {
      const subject = counted(factory);
      const outcome = runSuite(s, { seed: 3, runs: 30, subject: subject.factory });
      expect(outcome.kind).toBe('pass');
      expect(subject.created()).toBe(factory.hasInternals ? 1 : 30);
      expect(subject.closed()).toBe(subject.created());
    }
  });
});

describe("checkSuiteRun's restarted checkers", () => {
  const s = suite('conformance');
  const programs = (subject: SubjectFactory, seed: number, numRuns = 40, maxOps = 40) =>
    fc.check(
      fc.property(suiteRuns(s, { subject, maxOps }), (run) => {
        checkSuiteRun(s, run, { subject });
      }),
      { seed, numRuns },
    );

  it.each(seeds)(
    'restart one checker per suite and subject across a property (seed %i)',
    (seed) => {
      const impl = counted(IMPL_SUBJECT);
      const external = counted({ ...IMPL_SUBJECT, hasInternals: false });
      expect(programs(impl.factory, seed).failed).toBe(false);
      expect(programs(external.factory, seed).failed).toBe(false);
      expect(impl.created()).toBe(1);
      // a checker that cannot be restarted is closed after its program, not kept
      expect(external.created()).toBe(40);
      expect(external.closed()).toBe(40);
    },
  );

  it('report the counterexample a new checker per program reports', () => {
    const fault = FAULTS.find((f) => f.id === 'end-access-ignores-writing');
    if (!fault) throw new Error('no fault');
    const failure = (subject: SubjectFactory) => {
      const details = programs(subject, 5, 2000, 100);
      expect(details.failed).toBe(true);
      return [String(details.counterexample?.[0]), (details.errorInstance as Error).message];
    };
    expect(failure(faultSubject(fault))).toEqual(failure(unrestorable(faultSubject(fault))));
  });
});
