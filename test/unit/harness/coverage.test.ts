// runSuite's coverage is counted in slots of interned ids (src/harness/random.ts): it must equal
// the coverage counted name by name in a string-keyed map, as it was, over the same runs: the
// same names, counts and first-count order (the order reports list ties in).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSuite } from '../../../properties/suites.ts';
import { commandsArbitrary, outcomesOf, runSuite } from '../../../src/harness/random.ts';
import { runOps } from '../../../src/harness/run.ts';
import type { Op } from '../../../src/ops/op.ts';
import { IMPL_SUBJECT } from '../../../src/subject/impl.ts';
import { testSeeds } from '../../support/seeds.ts';

/** The coverage of `runs` runs of `name` from `seed`, counted name by name after replaying them. */
function slowCoverage(name: string, seed: number, runs: number): Map<string, number> {
  const suite = buildSuite(name);
  if (!suite) throw new Error(name);
  const programs: Op[][] = [];
  const commands = commandsArbitrary(suite, IMPL_SUBJECT, suite.defaultMaxOps, undefined);
  fc.check(
    fc.property(commands, (cmds) => {
      // fast-check hands the body its commands wrapped (CommandWrapper.cmd)
      programs.push([...cmds].map((c) => (c as unknown as { cmd: { op: Op } }).cmd.op));
    }),
    { seed, numRuns: runs },
  );
  const coverage = new Map<string, number>();
  const count = (o: string) => coverage.set(o, (coverage.get(o) ?? 0) + 1);
  for (const ops of programs) {
    const report = runOps(suite.config, ops, suite);
    expect(report.failure).toBeNull();
    for (const s of report.steps) {
      outcomesOf(s.modelResult).forEach(count);
      suite.opCoverage?.(s.op, s.modelResult).forEach(count);
    }
  }
  return coverage;
}

describe('run coverage', () => {
  for (const seed of testSeeds('run coverage')) {
    for (const name of ['conformance', 'backends']) {
      it(`counts what a name-by-name count over the same runs counts (${name}, seed ${seed})`, () => {
        const suite = buildSuite(name);
        if (!suite) throw new Error(name);
        const outcome = runSuite(suite, { seed, runs: 30 });
        expect(outcome.kind).not.toBe('violation');
        expect([...outcome.stats.coverage]).toEqual([...slowCoverage(name, seed, 30)]);
      });
    }
  }
});
