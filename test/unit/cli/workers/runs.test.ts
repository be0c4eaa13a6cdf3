// A suite's runs on worker threads give exactly one thread's outcome: the same stats, coverage
// (in the same order) and counterexample; a failing block stops the higher ones; a crashed
// worker rejects at once. These run the workers from the sources (through tsx); the built
// command's workers, and more seeds, are test/cli/workers.test.ts's.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../../src/configDefaults.ts';
import { findFault, subjectOf } from '../../../../src/faults/index.ts';
import { runSuite } from '../../../../src/harness/random.ts';
import type { SuiteOutcome } from '../../../../src/harness/suite.ts';
import { dispatch } from '../../../../src/cli/workers/pool.ts';
import { runSuiteSplit } from '../../../../src/cli/workers/runs.ts';
import { buildSuite } from '../../../../properties/suites.ts';

const suite = buildSuite('conformance', DEFAULT_CONFIG);
if (!suite) throw new Error('no conformance suite');

/** Everything but the clock, coverage as its entries in order. */
function comparable(o: SuiteOutcome) {
  const { runs, ops, coverage } = o.stats;
  return { ...o, stats: { runs, ops, coverage: [...coverage] } };
}

function split(fault: string | null, seed: number, runs: number, workers: number, extra = {}) {
  return runSuiteSplit(suite!, {
    seed,
    runs,
    maxOps: 20,
    config: DEFAULT_CONFIG,
    fault,
    subject: subjectOf(fault === null ? undefined : findFault(fault)),
    external: false,
    workers,
    ...extra,
  });
}

describe('runs on worker threads', () => {
  it('find the counterexample one thread finds, in a block after the first', async () => {
    const subject = subjectOf(findFault('xsa-218-unmap-double-free'));
    const one = runSuite(suite, { seed: 1, runs: 200, maxOps: 20, subject });
    expect(one.kind).toBe('violation');
    // 200 runs on 2 workers: blocks of 25, so a failing run past 25 is not in the first block.
    expect(one.stats.runs).toBeGreaterThan(25);
    const two = await split('xsa-218-unmap-double-free', 1, 200, 2);
    expect(comparable(two)).toEqual(comparable(one));
  });

  it('stop the other workers at a failure', async () => {
    let executed = 0;
    let stopped = 0;
    const found = await split('xsa-218-unmap-double-free', 1, 50_000, 2, {
      onBlock: (_: unknown, runs: number, wasStopped: boolean) => {
        executed += runs;
        if (wasStopped) stopped++;
      },
    });
    expect(found.kind).toBe('violation');
    // 1,000 blocks of 50: the failing run is in one of the first; the rest never run.
    expect(executed).toBeLessThan(found.stats.runs + 200);
    expect(stopped).toBeLessThanOrEqual(1);
  });

  it('a crashed worker rejects the dispatch and ends every worker', async () => {
    let handed = 0;
    const jobs = () =>
      handed++ < 2
        ? { kind: 'fault' as const, fault: 'no-such-fault', seed: 1, exploreMs: 0 }
        : undefined;
    await expect(dispatch(2, { stop: new SharedArrayBuffer(4) }, jobs, () => {})).rejects.toThrow(
      /^worker [12] of 2 crashed: worker: no fault 'no-such-fault'$/,
    );
  });
});
