// assertSuite: a suite as one assertion in a user's own test file. On a violation it throws an
// Error whose message is what `grantcheck run` prints (the failing check, the shrunk ops with
// both results, the failing step side by side, the seed and fast-check path) plus the trace it
// kept, as fast-check's fc.assert throws its counterexample.

import { randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fastCheckLine, violationLines, violationTrace } from './report/violation.ts';
import { failureRoot, keepFailure } from './failures/db.ts';
import type { RandomOptions } from './harness/random.ts';
import { runSuite } from './harness/random.ts';
import type { Suite, SuiteOutcome } from './harness/suite.ts';
import { IMPL_SUBJECT } from './subject/impl.ts';

export interface AssertSuiteOptions extends Omit<RandomOptions, 'seed'> {
  /** Default: a fresh seed, named in the failure message. */
  readonly seed?: number;
  /** Where the failure's trace is kept: the failure database (GRANTCHECK_FAILURES or
   * .grantcheck/failures), or the system's temp directory when that is off. */
  readonly failureDir?: string;
}

/** The error assertSuite throws: its message is the whole report; the outcome is attached. */
export class SuiteAssertionError extends Error {
  constructor(
    message: string,
    readonly outcome: Exclude<SuiteOutcome, { kind: 'pass' }>,
    readonly tracePath?: string,
  ) {
    super(message);
    this.name = 'SuiteAssertionError';
  }
}

/** Run `suite` and throw a SuiteAssertionError unless it passes. */
export function assertSuite(suite: Suite, options: AssertSuiteOptions = {}): SuiteOutcome {
  const seed = options.seed ?? randomInt(2 ** 31 - 1);
  const subject = options.subject ?? IMPL_SUBJECT;
  const outcome = runSuite(suite, { ...options, seed, subject });
  const head = `suite ${suite.name} against ${subject.name} (seed ${seed})`;
  if (outcome.kind === 'pass') return outcome;
  if (outcome.kind === 'coverage-gap') {
    throw new SuiteAssertionError(
      `${head}: never produced ${outcome.missing.join(', ')} in ${outcome.stats.runs} runs`,
      outcome,
    );
  }
  const trace = violationTrace(suite, outcome, {
    fault: null,
    runs: options.runs ?? suite.defaultRuns,
    maxOps: options.maxOps ?? suite.defaultMaxOps,
  });
  const root =
    options.failureDir ?? failureRoot(undefined) ?? join(tmpdir(), 'grantcheck-failures');
  const tracePath = keepFailure(root, subject.name, trace);
  const replay =
    subject === IMPL_SUBJECT
      ? `npx grantcheck replay ${tracePath}`
      : `replayTrace(loadTrace('${tracePath}'), { …, subject })`;
  const lines = [
    `${head}: ${violationLines(outcome).join('\n')}`,
    '',
    `trace written: ${tracePath}`,
    `reproduce:     ${replay}`,
    fastCheckLine(outcome),
  ];
  throw new SuiteAssertionError(lines.join('\n'), outcome, tracePath);
}
