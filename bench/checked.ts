// Bench: fully checked ops per second (the initial state's checks, then model step + impl step +
// result and state comparison + every invariant and step property) against raw impl ops per
// second, on the same op stream.
// The stream is sampled once from the conformance suite's generators with a fixed seed, as runs
// of up to 100 ops that each start from a fresh system.

import fc from 'fast-check';
import { Checker } from '../src/harness/checker.ts';
import { GrantSystem } from '../src/impl/index.ts';
import { step } from '../src/model/index.ts';
import { initialState } from '../src/model/index.ts';
import type { Op } from '../src/ops/op.ts';
import { buildSuite } from '../properties/suites.ts';
import { medianPasses, rateRow, type RateRow } from './timing.ts';

function sampleRuns(runs: number, opsPerRun: number): Op[][] {
  const suite = buildSuite('conformance');
  if (!suite) throw new Error('no conformance suite');
  const run = suite.plan.chain((plan) =>
    fc.array(fc.oneof(...plan.kinds.map((k) => plan.arbitrary(k))), {
      minLength: opsPerRun,
      maxLength: opsPerRun,
    }),
  );
  return fc.sample(run, {
    seed: 1124,
    numRuns: runs,
  });
}

/** Passes over the whole stream before the timed ones. Why three? The checked stream reaches
 * its steady rate only after V8 has optimised its many hot functions: on this machine its
 * successive passes ran at about 41k, 85k, 157k, 171k, 164k ops per CPU-second (session 17), so a
 * warm-up of 200 runs left the median of three passes on the second pass's rate. */
const WARM_PASSES = 3;

/** Rate of `body` over all runs: the median of `timed` passes after `warmups` untimed ones. By
 * default warm (the JIT's optimisation done); `timeIt(label, runs, body, 1, 0)` first in a
 * process is the cold rate, what a short run pays while V8 is still optimising. */
function timeIt(
  label: string,
  runs: readonly Op[][],
  body: (ops: readonly Op[]) => void,
  timed = 3,
  warmups = WARM_PASSES,
): RateRow {
  const ops = runs.reduce((n, r) => n + r.length, 0);
  const pass = () => {
    for (const r of runs) body(r);
  };
  return rateRow(label, ops, medianPasses(timed, pass, warmups));
}

export function benchChecked(): RateRow[] {
  const suite = buildSuite('conformance');
  if (!suite) throw new Error('no conformance suite');
  const runs = sampleRuns(1000, 100);
  // Each run on the last run's checker restarted, as runSuite runs them (Checker.restart).
  let last: Checker | undefined;
  const check = (ops: readonly Op[]) => {
    const checker = last?.restart() ? last : new Checker(suite.config, suite);
    last = checker;
    // The initial state is checked too, as `grantcheck run` checks it: its model side once per
    // catalogue (the shared initial state), so the first op's checks start from what it changed.
    if (checker.checkInitial()) throw new Error('bench: the initial state fails a check');
    for (const op of ops) {
      if (checker.apply(op).violation) throw new Error('bench stream found a violation');
    }
  };
  const cold = timeIt('checked, first pass (JIT still optimising)', runs, check, 1, 0);
  const checked = timeIt('checked (model + impl + compare + invariants)', runs, check);
  const model = timeIt('model step only', runs, (ops) => {
    let s = initialState(suite.config);
    for (const op of ops) s = step(s, op).state;
  });
  const raw = timeIt('raw impl apply only', runs, (ops) => {
    const system = new GrantSystem(suite.config);
    for (const op of ops) system.apply(op);
  });
  return [checked, model, raw, cold];
}
