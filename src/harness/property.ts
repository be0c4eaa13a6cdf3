// A suite as a fast-check property of the user's own, for @fast-check/vitest's `test.prop` (or
// fc.assert): suiteRuns is the arbitrary of op programs, checkSuiteRun the body. fast-check then
// owns the seed, the path and shrinking, and reports them as it does for any property; the
// error a violation throws carries the step table, as `grantcheck run` prints it.
//
//   test.prop([suiteRuns(suite)])('grant tables conform', (run) => checkSuiteRun(suite, run));

import fc from 'fast-check';
import { violationLines } from '../report/violation.ts';
import type { SubjectFactory } from '../subject/subject.ts';
import { IMPL_SUBJECT } from '../subject/impl.ts';
import { Checker } from './checker.ts';
import type { RunContext } from './random.ts';
import { commandsArbitrary, opsThatRan, ViolationError } from './random.ts';
import { runOps } from './run.ts';
import type { Suite } from './suite.ts';

export interface SuitePropertyOptions {
  /** The system under test; the built-in impl when absent. */
  readonly subject?: SubjectFactory;
  /** Longest op program (default: the suite's). */
  readonly maxOps?: number;
}

/** One generated run of a suite: fast-check commands, printed as ops in their text form. */
export type SuiteRun = Iterable<fc.Command<RunContext, object>>;

/** The suite's op programs (its swarm plan, the subject's op kinds) as an arbitrary. */
export function suiteRuns(
  suite: Suite,
  options: SuitePropertyOptions = {},
): fc.Arbitrary<SuiteRun> {
  const subject = options.subject ?? IMPL_SUBJECT;
  return commandsArbitrary(suite, subject, options.maxOps ?? suite.defaultMaxOps, undefined);
}

/** Per suite and subject, the checker of the last program that passed, restarted for the next
 * (Checker.restart), as runSuite restarts one: a property's programs come one after another.
 * Only a restartable checker is kept (an in-process subject, which holds no process open). */
const spares = new WeakMap<Suite, WeakMap<SubjectFactory, Checker>>();

/** Run one program through every check; on a violation throw an Error with the failing check,
 * the ops with both results and the failing step side by side. */
export function checkSuiteRun(
  suite: Suite,
  run: SuiteRun,
  options: Pick<SuitePropertyOptions, 'subject'> = {},
): void {
  const subject = options.subject ?? IMPL_SUBJECT;
  const checkerOptions = { invariants: suite.invariants, properties: suite.properties, subject };
  let kept = spares.get(suite);
  if (kept === undefined) {
    kept = new WeakMap();
    spares.set(suite, kept);
  }
  const spare = kept.get(subject);
  kept.delete(subject);
  const checker = spare?.restart() ? spare : new Checker(suite.config, checkerOptions);
  let passed = false;
  try {
    const initial = checker.checkInitial();
    if (initial) throw new ViolationError(initial);
    fc.modelRun(() => ({ model: { checker, onStep: () => {} }, real: {} }), run);
    passed = true;
  } catch (e) {
    if (!(e instanceof ViolationError)) throw e;
    const ops = opsThatRan(run);
    const report = runOps(suite.config, ops, checkerOptions);
    const violation = report.failure?.violation ?? e.violation;
    throw new Error(violationLines({ report, ops, violation }).join('\n'));
  } finally {
    if (passed && checker.restartable) kept.set(subject, checker);
    else checker.close();
  }
}
