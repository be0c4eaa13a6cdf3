// Bench: the checked stream's rows, `grantcheck run` and fast-check's ceiling in ops per
// CPU-second (process.cpuUsage), for comparing two trees on a shared machine, where wall-clock
// rates move by more than the changes measured. Run it on each tree in turn, alternating:
//   npx tsx bench/cpuRates.ts [path/to/tree]     (default: this tree)
// and compare the JSON lines pair by pair. It runs under tsx (each tree's sources as they are),
// where `npm run bench` runs compiled: its rates are up to a sixth lower than the bench's (tsx's
// `__name` wrappers, bench/main.ts), so compare its pairs with each other, not with the bench.

import fc from 'fast-check';
import { resolve } from 'node:path';
import type { Op } from '../src/ops/op.ts';
// fast-check's ceiling does not depend on the tree: this tree's.
import { benchCeiling } from './ceiling.ts';
import { medianPasses } from './timing.ts';
// Types only: the modules themselves are loaded from the tree measured.
import type * as CheckerTypes from '../src/harness/checker.ts';
import type * as ImplTypes from '../src/impl/index.ts';
import type * as ModelTypes from '../src/model/index.ts';
import type * as SuitesTypes from '../properties/suites.ts';
import type * as RandomTypes from '../src/harness/random.ts';

type CheckerModule = typeof CheckerTypes;
type ImplModule = typeof ImplTypes;
type ModelModule = typeof ModelTypes;
type SuitesModule = typeof SuitesTypes;
type RandomModule = typeof RandomTypes;

const root = resolve(process.argv[2] ?? resolve(import.meta.dirname, '..'));
const { Checker } = (await import(`${root}/src/harness/checker.ts`)) as CheckerModule;
const { GrantSystem } = (await import(`${root}/src/impl/index.ts`)) as ImplModule;
const { step, initialState } = (await import(`${root}/src/model/index.ts`)) as ModelModule;
const { buildSuite, SUITE_NAMES } = (await import(`${root}/properties/suites.ts`)) as SuitesModule;
const { runSuite } = (await import(`${root}/src/harness/random.ts`)) as RandomModule;

const suite = buildSuite('conformance');
if (!suite) throw new Error('no conformance suite');
// The stream of bench/checked.ts: 1000 runs of 100 ops, seed 1124.
const runs: Op[][] = fc.sample(
  suite.plan.chain((plan) =>
    fc.array(fc.oneof(...plan.kinds.map((k) => plan.arbitrary(k))), {
      minLength: 100,
      maxLength: 100,
    }),
  ),
  { seed: 1124, numRuns: 1000 },
);

/** Ops per CPU-second of `body` over the stream, warm: three untimed passes (bench/checked.ts's
 * WARM_PASSES: the stream's rate rises for its first few passes), then the median of three. */
function rate(body: (ops: readonly Op[]) => void): number {
  const { cpuSeconds } = medianPasses(
    3,
    () => {
      for (const r of runs) body(r);
    },
    3,
  );
  const ops = runs.reduce((n, r) => n + r.length, 0);
  return Math.round(ops / cpuSeconds);
}

// Each run on the last run's checker restarted, as runSuite runs them (Checker.restart; a tree
// from before it makes a new checker per run, as its runSuite did).
const restarted = (c: CheckerTypes.Checker | undefined): c is CheckerTypes.Checker =>
  (c as { restart?: () => boolean } | undefined)?.restart?.() === true;
let last: CheckerTypes.Checker | undefined;
const checked = rate((ops) => {
  const checker = restarted(last) ? last : new Checker(suite.config, suite);
  last = checker;
  if (checker.checkInitial()) throw new Error('the initial state fails a check');
  for (const op of ops) if (checker.apply(op).violation) throw new Error('a violation');
});
const model = rate((ops) => {
  let s = initialState(suite.config);
  for (const op of ops) s = step(s, op).state;
});
const raw = rate((ops) => {
  const system = new GrantSystem(suite.config);
  for (const op of ops) system.apply(op);
});
let ops = 0;
const { cpuSeconds } = medianPasses(1, () => {
  for (const name of SUITE_NAMES) {
    const s = buildSuite(name);
    if (!s) throw new Error(`no suite ${name}`);
    const outcome = runSuite(s, { seed: 1124 });
    if (outcome.kind !== 'pass') throw new Error(`suite ${name}: ${outcome.kind}`);
    ops += outcome.stats.ops;
  }
});
const run = Math.round(ops / cpuSeconds);
const ceiling = benchCeiling().opsPerCpuSecond;
console.log(JSON.stringify({ checked, model, raw, run, ceiling }));
