// The guest-library faults (issue 14 §5; Fault.profile): with a pinned seed each is caught by
// a random suite run with its profile, as `grantcheck run --fault ID` runs it; the correct impl
// passes the same runs; the counterexample replays to a failure against the fault and a pass
// against the correct impl. The Xen-level explorer does not search guest profiles.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/configDefaults.ts';
import { FAULTS, faultConfig, faultSubject } from '../../src/faults/index.ts';
import type { Fault } from '../../src/faults/index.ts';
import { attemptSuite, faultTrace } from '../../src/faults/kill.ts';
import { violationName } from '../../src/harness/checker.ts';
import { runSuite } from '../../src/harness/random.ts';
import { replayTrace } from '../../src/trace/replay.ts';
import { buildSuite } from '../../properties/suites.ts';

const SEED = 1;
const GUEST: readonly Fault[] = FAULTS.filter((f) => f.profile !== undefined);

/** What catches each, with seed 1 (the conformance suite, its default budget): the check and the
 * step the shrunk counterexample fails at (1-based ops; 0: the initial state). */
const CAUGHT: Readonly<Record<string, { check: string; ops: number }>> = {
  'xsa-396-end-access-in-use': { check: 'result mismatch', ops: 4 },
  'xsa-396-deferred-no-page': { check: 'state mismatch', ops: 4 },
  'xsa-396-deferred-drops-page': { check: 'state mismatch', ops: 4 },
  'linux-reserved-ref-freed': { check: 'state mismatch', ops: 1 },
  'mini-os-semaphore-overcount': { check: 'state mismatch', ops: 0 },
};

describe('guest-library faults', () => {
  it('are the five of issue 14 §5, each with a profile', () => {
    expect(GUEST.map((f) => f.id).sort()).toEqual(Object.keys(CAUGHT).sort());
  });

  describe.each(GUEST.map((f) => [f.id, f] as const))('fault %s', (id, fault) => {
    const suite = buildSuite('conformance', faultConfig(fault, DEFAULT_CONFIG));
    if (!suite) throw new Error('no conformance suite');

    it(`is caught with seed ${SEED}, and is no false alarm`, () => {
      const attempt = attemptSuite(suite, fault, { seed: SEED });
      expect(attempt.kind === 'crashed' ? attempt.message : attempt.kind).toBe('caught');
      if (attempt.kind !== 'caught') return;
      expect({ check: violationName(attempt.violation), ops: attempt.shrunk.length }).toEqual(
        CAUGHT[id],
      );
      expect(runSuite(suite, { seed: SEED, runs: attempt.runs + 1 }).kind).toBe('pass');
      const trace = faultTrace(fault, attempt);
      expect(trace.config.profiles?.[1]).toBe(fault.profile);
      const checks = { invariants: suite.invariants, properties: suite.properties };
      const faulted = replayTrace(trace, { ...checks, subject: faultSubject(fault) });
      expect(faulted.verdict.kind).toBe('violation');
      expect(replayTrace(trace, checks).verdict).toEqual({ kind: 'pass' });
    });
  });
});
