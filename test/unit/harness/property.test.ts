// A suite as the user's own fast-check property under @fast-check/vitest: test.prop owns the
// seed, path and shrinking; checkSuiteRun's error carries the step table of the violation.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  buildSuite,
  checkSuiteRun,
  faultSubject,
  findFault,
  suiteRuns,
} from '../../../src/index.ts';

const found = buildSuite('conformance');
if (!found) throw new Error('no suite');
const suite = found;

describe('suiteRuns / checkSuiteRun', () => {
  test.prop([suiteRuns(suite, { maxOps: 40 })], { numRuns: 60 })(
    'the correct impl conforms, as a test.prop',
    (run) => {
      checkSuiteRun(suite, run);
    },
  );

  it('a fault fails the property with the ops, both results and the check in its error', () => {
    const fault = findFault('end-access-ignores-writing');
    if (!fault) throw new Error('no fault');
    const subject = faultSubject(fault);
    const details = fc.check(
      fc.property(suiteRuns(suite, { subject }), (run) => checkSuiteRun(suite, run, { subject })),
      { seed: 5, numRuns: 2000 },
    );
    expect(details.failed).toBe(true);
    const message = details.errorInstance instanceof Error ? details.errorInstance.message : '';
    expect(message).toMatch(/^VIOLATION: result mismatch at step \d+ of \d+/);
    expect(message).toContain('raw_write(d');
    expect(message).toMatch(/in_use +≠ended/);
    expect(String(details.counterexample?.[0])).toContain('end_access(');
  });
});
