// Bench: what `grantcheck run` itself achieves on its defaults (every suite, its default runs and
// ops per run, generation, coverage and every check included), against fast-check's own ceiling
// on this machine: fc.commands over a trivial two-command model (a counter), where nearly all
// the time is the framework's generation and modelRun.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { runSuite } from '../src/harness/random.ts';
import { buildSuite, SUITE_NAMES } from '../properties/suites.ts';
import { timedNodeRuns } from './spin/run.ts';
import { BIN, ROOT } from './paths.ts';
import { medianPasses, rateRow, timePass, type RateRow } from './timing.ts';

/** `grantcheck run`'s suites on their defaults with seed 1124, in process (no start-up): one
 * pass (seconds long, so mostly warm). */
export function benchRun(): RateRow {
  let ops = 0;
  const times = timePass(() => {
    for (const name of SUITE_NAMES) {
      const suite = buildSuite(name);
      if (!suite) throw new Error(`no suite ${name}`);
      const outcome = runSuite(suite, { seed: 1124 });
      if (outcome.kind !== 'pass') throw new Error(`bench: suite ${name}: ${outcome.kind}`);
      ops += outcome.stats.ops;
    }
  });
  return rateRow(`grantcheck run (${SUITE_NAMES.length} suites, defaults)`, ops, times);
}

/** `grantcheck run` as a user starts it on its defaults: the built command, `grantcheck run --seed
 * 1124 --no-failures --json`, a whole process (start-up, V8's warm-up, every suite and library
 * pass of `--profile all`, on worker threads where the machine has the cores for them), `runs`
 * times after a warm-up of the file cache: the ops its JSON counts over the median wall time and
 * over the mean CPU time (worker threads included). Why beside benchRun? That one times the
 * suites in this process, warm from the rows before; this is what a user waits for. */
export function benchRunCommand(runs = 3): RateRow | { readonly skipped: string } {
  // `npm run bench` builds first (bench/startup.ts); `npx tsx bench/ceiling.ts` alone may not.
  if (!existsSync(join(ROOT, 'dist', 'cli'))) return { skipped: 'not built: npm run build' };
  const args = [BIN, 'run', '--seed', '1124'];
  args.push('--no-failures', '--json');
  const t = timedNodeRuns(args, ROOT, runs);
  // the same ops every run: one seed
  const out = JSON.parse(t.stdouts[0] ?? '{"suites":[]}') as { suites: { ops: number }[] };
  const ops = out.suites.reduce((n, suite) => n + suite.ops, 0);
  const measure = 'grantcheck run (built, whole process, defaults)';
  const seconds = t.medianWallMs / 1000;
  return rateRow(measure, ops, { seconds, cpuSeconds: t.meanCpuMs / 1000 });
}

interface Counter {
  value: number;
}

class Increment implements fc.Command<Counter, Counter> {
  check(): boolean {
    return true;
  }
  run(model: Counter, real: Counter): void {
    model.value++;
    real.value++;
    if (model.value !== real.value) throw new Error('counter diverged');
  }
  toString(): string {
    return 'inc';
  }
}

class Reset implements fc.Command<Counter, Counter> {
  check(): boolean {
    return true;
  }
  run(model: Counter, real: Counter): void {
    model.value = 0;
    real.value = 0;
  }
  toString(): string {
    return 'reset';
  }
}

/** fast-check's ceiling: runs as long as the conformance suite's (ten times as many, to time),
 * over a two-command counter model. A pass is a third of a second: one untimed pass, then the
 * median of five, so that a single pass slowed by the JIT or by another process does not set
 * the figure. */
export function benchCeiling(): RateRow {
  const conformance = buildSuite('conformance');
  if (!conformance) throw new Error('no conformance suite');
  const commands = fc.commands([fc.constant(new Increment()), fc.constant(new Reset())], {
    maxCommands: conformance.defaultMaxOps,
    size: 'max', // lengths spread up to maxCommands, as the suites' runs are
  });
  let ops = 0;
  const pass = (): void => {
    ops = 0;
    fc.assert(
      fc.property(commands, (cmds) => {
        fc.modelRun(() => ({ model: { value: 0 }, real: { value: 0 } }), cmds);
        ops += [...cmds].length;
      }),
      { seed: 1124, numRuns: 10 * conformance.defaultRuns }, // enough to time
    );
  };
  const times = medianPasses(5, pass, 1);
  // Every pass draws the same commands (the same seed), so the last pass's count is each one's.
  return rateRow('fast-check ceiling (fc.commands, 2-command counter model)', ops, times);
}
