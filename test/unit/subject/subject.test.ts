// The subject interface: the checks compare exactly what a subject declares, op kinds it does not
// implement are not generated, and the explorer's conformance mode works without snapshots by
// re-applying the ops that lead to a state.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/config.ts';
import { explore } from '../../../src/explore/index.ts';
import { faultSubject, findFault } from '../../../src/faults/index.ts';
import { runSuite } from '../../../src/harness/random.ts';
import { diffStates, initialState, step } from '../../../src/model/index.ts';
import type { OpKind } from '../../../src/ops/op.ts';
import { IMPL_SUBJECT } from '../../../src/subject/impl.ts';
import { observedState } from '../../../src/subject/observe.ts';
import type { StatePart, Subject, SubjectFactory } from '../../../src/subject/subject.ts';
import { describeComparison } from '../../../src/subject/subject.ts';
import { loadTrace } from '../../../src/trace/io.ts';
import { replayTrace } from '../../../src/trace/replay.ts';
import { XenConformance, xenModel } from '../../../src/xenExplore/index.ts';
import { INVARIANTS } from '../../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../../properties/invariants/stepProperties.ts';
import { buildSuite } from '../../../properties/suites.ts';

const checks = { invariants: INVARIANTS, properties: STEP_PROPERTIES };

/** `base` seen through a narrower interface: fewer parts, fewer kinds, no internals or
 * snapshots — as an external subject would be. */
function narrowed(
  base: SubjectFactory,
  limits: {
    observes?: readonly StatePart[];
    opKinds?: readonly OpKind[];
    internals?: false;
    snapshots?: false;
  },
): SubjectFactory {
  return {
    name: `${base.name} (narrowed)`,
    opKinds: limits.opKinds ?? base.opKinds,
    observes: limits.observes ?? base.observes,
    hasInternals: limits.internals ?? base.hasInternals,
    create(config) {
      const inner = base.create(config);
      const subject: Subject = {
        apply: (op) => inner.apply(op),
        state: () => inner.state(),
        ...(limits.internals === false || !inner.internals ? {} : { internals: inner.internals }),
      };
      const { snapshot, restore } = inner;
      if (limits.snapshots === false || !snapshot || !restore) return subject;
      return {
        ...subject,
        snapshot: () => snapshot.call(inner),
        restore: (s) => restore.call(inner, s),
      };
    },
  };
}

function fault(id: string): SubjectFactory {
  const f = findFault(id);
  if (!f) throw new Error(`no fault ${id}`);
  return faultSubject(f);
}

describe('observedState: the model state with the declared parts taken from the subject', () => {
  const before = initialState(DEFAULT_CONFIG);
  const after = step(before, {
    kind: 'grant_access',
    dom: 1,
    ref: 8,
    grantee: 2,
    gfn: 0,
    readonly: false,
  }).state;
  it('a difference outside the declared parts is not seen', () => {
    expect(diffStates(after, observedState(after, before, ['active', 'maptrack']))).toEqual([]);
    expect(diffStates(after, observedState(after, before, []))).toEqual([]);
  });
  it('a difference inside them is, in the model vocabulary', () => {
    const diff = diffStates(after, observedState(after, before, ['entries']));
    expect(diff.length).toBeGreaterThan(0);
    expect(diff.join('\n')).toContain('ref 8');
  });
});

describe('the Checker compares what the subject declares, and says so', () => {
  const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'traces');
  const loaded = loadTrace(join(dir, 'fault-xsa-230-status-host-only.json'));
  if (!loaded.ok) throw new Error(loaded.error);
  const trace = loaded.trace;
  const faulty = fault('xsa-230-status-host-only');

  it('the whole state: the recorded state mismatch', () => {
    const r = replayTrace(trace, { ...checks, subject: faulty });
    expect(r.verdict).toMatchObject({ kind: 'violation', check: 'state-mismatch' });
    expect(describeComparison(faulty)).toBe(
      'impl+xsa-230-status-host-only: results, the whole state, every invariant on its internals',
    );
  });
  it('only the shared entries, no internals: the same mismatch, seen in the entries', () => {
    const entriesOnly = narrowed(faulty, { observes: ['entries'], internals: false });
    const r = replayTrace(trace, { ...checks, subject: entriesOnly });
    expect(r.verdict).toEqual(replayTrace(trace, { ...checks, subject: faulty }).verdict);
    expect(describeComparison(entriesOnly)).toBe(
      "impl+xsa-230-status-host-only (narrowed): results, the state's entries",
    );
  });
  it('results and maptrack only: the status bits are not compared, so this trace passes', () => {
    const blind = narrowed(faulty, { observes: ['maptrack'], internals: false });
    expect(replayTrace(trace, { ...checks, subject: blind }).verdict).toEqual({ kind: 'pass' });
    const none = narrowed(faulty, { observes: [], internals: false });
    expect(describeComparison(none)).toBe(
      'impl+xsa-230-status-host-only (narrowed): results, no state',
    );
  });
});

describe('op kinds a subject does not implement', () => {
  it('are never generated, and their outcomes are not expected', () => {
    const suite = buildSuite('protocol');
    if (!suite) throw new Error('no suite');
    const guestOnly: OpKind[] = ['grant_access', 'end_access', 'grant_transfer', 'end_transfer'];
    const subject = narrowed(IMPL_SUBJECT, { opKinds: guestOnly });
    const outcome = runSuite(suite, { seed: 3, runs: suite.defaultRuns, maxOps: 20, subject });
    const kinds = [...outcome.stats.coverage.keys()].map((o) => o.slice(0, o.indexOf(':')));
    expect(new Set(kinds)).toEqual(new Set(guestOnly));
    expect(outcome.kind).toBe('pass'); // no coverage gap for the hypercalls it lacks
  });
});

describe('conformance exploration without snapshots', () => {
  const bounds = { domains: 2, refs: 1, pages: 1, maxPin: 1, alphabet: 'full' } as const;
  it('re-applies the ops to a fresh instance: same states, no mismatch on the correct impl', () => {
    const model = xenModel({ ...bounds, domains: 1 }, { invariants: INVARIANTS });
    const subject = narrowed(IMPL_SUBJECT, { snapshots: false });
    const c = new XenConformance(model, { ...checks, subject });
    const o = explore(model, { symmetry: true, onTransition: c.check });
    expect(o.kind).toBe('ok');
    expect(o.stats.states).toBe(1152);
    expect(c.stats().mismatches).toBe(0);
  });
  it('finds the same shortest counterexample of a fault as with snapshots', () => {
    const model = xenModel(bounds, { invariants: INVARIANTS });
    const faulty = fault('xsa-230-status-host-only');
    const run = (subject: SubjectFactory) => {
      const c = new XenConformance(model, { ...checks, subject });
      return explore(model, { symmetry: true, onTransition: c.check });
    };
    const withSnapshots = run(faulty);
    const without = run(narrowed(faulty, { snapshots: false }));
    expect(without.kind).toBe('violation');
    if (without.kind !== 'violation' || withSnapshots.kind !== 'violation') return;
    expect(without.path).toEqual(withSnapshots.path);
    expect(without.path).toHaveLength(3);
  });
});
