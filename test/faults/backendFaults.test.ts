// The backend driver's fault (issue 14 §3, §5; Fault.suite): with a pinned seed the backends
// suite catches it against a frontend of every profile and shrinks the counterexample to two
// ops; the correct driver passes the same runs; the counterexample replays to a failure against
// the fault and a pass against the correct impl; and the impl-side invariant alone (no model
// to compare with) sees the leaked mapping.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, GUEST_PROFILES } from '../../src/configDefaults.ts';
import { FAULTS, faultSubject, findFault, withProfile } from '../../src/faults/index.ts';
import { attemptSuite, faultTrace } from '../../src/faults/kill.ts';
import { violationName } from '../../src/harness/checker.ts';
import { ImplView } from '../../src/harness/implView.ts';
import { runSuite } from '../../src/harness/random.ts';
import { GrantSystem } from '../../src/impl/index.ts';
import { parseOp } from '../../src/ops/text.ts';
import { replayTrace } from '../../src/trace/replay.ts';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { buildSuite } from '../../properties/suites.ts';
import { suitesFor } from '../../src/cli/workers/faultJob.ts';
import { testSeeds } from '../support/seeds.ts';

const SEED = 1;
const fault = findFault('xsa-361-backend-batch-half-mapped');

describe('fault xsa-361-backend-batch-half-mapped', () => {
  if (!fault) throw new Error('fault not catalogued');

  it('is the one backend fault, run by the backends suite alone', () => {
    expect(FAULTS.filter((f) => f.suite !== undefined)).toEqual([fault]);
    expect(suitesFor(fault, []).map((s) => s.name)).toEqual(['backends']);
  });

  describe.each(GUEST_PROFILES.map((p) => [p] as const))('with %s domains 1..', (profile) => {
    const suite = buildSuite('backends', withProfile(DEFAULT_CONFIG, profile));
    if (!suite) throw new Error('no backends suite');

    it(`is caught with seed ${SEED}, shrunk to a grant and a half-failing batch, and is no false alarm`, () => {
      const attempt = attemptSuite(suite, fault, { seed: SEED });
      expect(attempt.kind === 'crashed' ? attempt.message : attempt.kind).toBe('caught');
      if (attempt.kind !== 'caught') return;
      expect(violationName(attempt.violation)).toBe('state mismatch');
      expect(attempt.shrunk.map((o) => o.kind)).toEqual(['grant_access', 'backend_map']);
      expect(runSuite(suite, { seed: SEED, runs: attempt.runs + 1 }).kind).toBe('pass');
      const trace = faultTrace(fault, attempt);
      const checks = { invariants: suite.invariants, properties: suite.properties };
      const faulted = replayTrace(trace, { ...checks, subject: faultSubject(fault) });
      expect(faulted.verdict.kind).toBe('violation');
      expect(replayTrace(trace, checks).verdict).toEqual({ kind: 'pass' });
    });
  });

  it('is caught on a fresh seed too', () => {
    const suite = buildSuite('backends', DEFAULT_CONFIG);
    if (!suite) throw new Error('no backends suite');
    const seeds = testSeeds('backend fault');
    const fresh = seeds[seeds.length - 1] ?? SEED;
    const attempt = attemptSuite(suite, fault, { seed: fresh });
    expect(attempt.kind).toBe('caught');
  });

  it('leaves a mapping no request owns, which backend-mappings-owned reports on the impl', () => {
    const system = new GrantSystem(DEFAULT_CONFIG, fault.parts);
    for (const text of [
      'grant_access(d1 ref=9 -> d2 gfn=0 rw)',
      'backend_map(d2 req=0 <- d1 refs=8,9)',
    ]) {
      const parsed = parseOp(text);
      if (!parsed.ok) throw new Error(parsed.error);
      system.apply(parsed.op);
    }
    const owned = INVARIANTS.find((i) => i.name === 'backend-mappings-owned');
    expect(owned?.onImpl(new ImplView(system))).toMatch(
      /d2 handle 1 \(d1 ref 9\) is mapped but belongs to no live request \(leaked\)/,
    );
    // the correct driver unmapped it
    const correct = new GrantSystem(DEFAULT_CONFIG);
    for (const text of [
      'grant_access(d1 ref=9 -> d2 gfn=0 rw)',
      'backend_map(d2 req=0 <- d1 refs=8,9)',
    ]) {
      const parsed = parseOp(text);
      if (parsed.ok) correct.apply(parsed.op);
    }
    expect(owned?.onImpl(new ImplView(correct))).toBeNull();
  });
});
