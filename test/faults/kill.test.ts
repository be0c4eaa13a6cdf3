// The kill report's choice of catch (src/faults/kill.ts bestOf) is a function of the seed and the
// budget alone: where two suites' catches tie on what they name and on their length, the clock
// (catchMs, which load and a process's warm-up move) does not pick between them.
import { describe, expect, it } from 'vitest';
import { DEFAULT_FAULTS_SEED } from '../../src/cli/commands/faults.ts';
import { findFault } from '../../src/faults/index.ts';
import { attemptSuite, bestOf } from '../../src/faults/kill.ts';
import type { Attempt, CaughtAttempt } from '../../src/faults/kill.ts';
import { buildSuite } from '../../properties/suites.ts';

function caught(suite: string, faultId: string): CaughtAttempt {
  const s = buildSuite(suite);
  const fault = findFault(faultId);
  if (!s || !fault) throw new Error(`no suite ${suite} or fault ${faultId}`);
  const a = attemptSuite(s, fault, { seed: DEFAULT_FAULTS_SEED, runs: 200 });
  if (a.kind !== 'caught') throw new Error(`${suite} did not catch ${faultId}`);
  return a;
}

describe('bestOf', () => {
  it('picks between equally short catches by ops, not by the clock', () => {
    // xsa-385 at budget 200: conformance in run 68 and protocol in run 38, each 4 ops shrunk
    // beside invariant page-budget; `grantcheck faults --workers 2` once reported the other.
    const fault = 'xsa-385-transfer-past-max-pages';
    const conformance = caught('conformance', fault);
    const protocol = caught('protocol', fault);
    expect([conformance.runs + 1, protocol.runs + 1]).toEqual([68, 38]);
    expect(conformance.shrunk.length).toBe(protocol.shrunk.length);
    const timed = (a: CaughtAttempt, catchMs: number): Attempt => ({ ...a, catchMs });
    for (const [fast, slow] of [
      [conformance, protocol],
      [protocol, conformance],
    ] as const) {
      const best = bestOf([timed(fast, 1), timed(slow, 1000)]);
      expect(best?.suite.name).toBe('protocol');
      expect(best?.runs).toBe(37);
    }
  });
});
