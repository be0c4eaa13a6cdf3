// The property suites, run as tests: every suite with pinned seeds plus one fresh, printed seed.
// The first pinned seed runs the full default budget, so the outcome-coverage requirement is
// enforced; the others run a shorter budget.
import { describe, expect, it } from 'vitest';
import { runSuite } from '../../src/harness/random.ts';
import type { SuiteOutcome } from '../../src/harness/suite.ts';
import { violationName } from '../../src/harness/checker.ts';
import { formatOp } from '../../src/ops/text.ts';
import { buildSuite, SUITE_NAMES } from '../../properties/suites.ts';
import { testSeeds } from '../support/seeds.ts';

function explain(outcome: SuiteOutcome): string {
  switch (outcome.kind) {
    case 'pass':
      return 'pass';
    case 'coverage-gap':
      return `never produced: ${outcome.missing.join(', ')}`;
    case 'violation':
      return `${violationName(outcome.violation)} after ${outcome.ops.map(formatOp).join(' ; ')}`;
  }
}

describe.each(SUITE_NAMES)('suite %s', (name) => {
  const suite = buildSuite(name);
  if (!suite) throw new Error(`no suite ${name}`);
  const [fullBudgetSeed, ...otherSeeds] = testSeeds(`suite ${name}`);
  it(`passes with full coverage on its default budget (seed ${fullBudgetSeed})`, () => {
    const outcome = runSuite(suite, { seed: fullBudgetSeed ?? 1 });
    expect(explain(outcome)).toBe('pass');
    expect(outcome.stats.runs).toBe(suite.defaultRuns);
  });
  for (const seed of otherSeeds) {
    it(`passes (seed ${seed}, 100 runs)`, () => {
      expect(explain(runSuite(suite, { seed, runs: 100 }))).toBe('pass');
    });
  }
});
