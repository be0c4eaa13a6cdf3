// Shared by the property tests that run suites or conformance op streams.
import fc from 'fast-check';
import type { Checker } from '../../src/harness/checker.ts';
import { violationName } from '../../src/harness/checker.ts';
import type { Suite, SuiteOutcome } from '../../src/harness/suite.ts';
import type { GrantSystem } from '../../src/impl/index.ts';
import type { Op } from '../../src/ops/op.ts';
import { formatOp } from '../../src/ops/text.ts';
import { buildSuite } from '../../properties/suites.ts';

/** A suite's outcome as one line: 'pass', or what went wrong (compared with 'pass'). */
export function explain(outcome: SuiteOutcome): string {
  switch (outcome.kind) {
    case 'pass':
      return 'pass';
    case 'coverage-gap':
      return `never produced: ${outcome.missing.join(', ')}`;
    case 'violation':
      return `${violationName(outcome.violation)} after ${outcome.ops.map(formatOp).join(' ; ')}`;
  }
}

/** The conformance suite on the default config. */
export function conformanceSuite(): Suite {
  const suite = buildSuite('conformance');
  if (!suite) throw new Error('no conformance suite');
  return suite;
}

/** Runs of up to 60 ops drawn as `suite` draws them. */
export function suiteRuns(suite: Suite): fc.Arbitrary<Op[]> {
  return suite.plan.chain((plan) =>
    fc.array(fc.oneof(...plan.kinds.map((k) => plan.arbitrary(k))), {
      maxLength: 60,
      size: 'max',
    }),
  );
}

/** The built-in impl's system behind a checker. */
export function systemOf(checker: Checker): GrantSystem {
  const subject = checker.subject;
  if (!('system' in subject)) throw new Error('not the built-in impl');
  return subject.system as GrantSystem;
}

/**
 * Apply `op` to a run that goes on past its violations (checked with no invariants, as the
 * verdict-equivalence tests do). A fault that drops a page reference too many leaves counts that
 * a later correct put_page or put_page_type of the same page finds empty: the impl's own
 * assertion (src/impl/hypervisor/mm.ts) stops there, as a debug build of Xen would. Returns false
 * then, and the run ends; any other throw, and any throw on the correct impl, is the test's
 * failure.
 */
export function applyPastViolations(checker: Checker, op: Op, faulty: boolean): boolean {
  try {
    checker.apply(op);
    return true;
  } catch (e) {
    if (faulty && e instanceof Error && /^put_page(_type)?: mfn \d+ has no/.test(e.message)) {
      return false;
    }
    throw e;
  }
}
