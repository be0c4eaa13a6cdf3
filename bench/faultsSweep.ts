// `npm run faults:sweep [-- --seeds 1-500 --runs N --only FAULT]`: every catalogued fault against
// every seed of a range on the default budgets (src/faults/sweep.ts). Prints, per fault, seeds
// caught / tried, the median and worst time to the first counterexample, and the worst seed's
// runs-to-catch. Exits 1 if any seed escapes, 2 on a bad flag.

import { parseArgs } from 'node:util';
import { FAULTS } from '../src/faults/index.ts';
import type { FaultSweep } from '../src/faults/sweep.ts';
import { median } from '../src/faults/stats.ts';
import { sweepFault } from '../src/faults/sweep.ts';
import { buildSuite } from '../properties/suites.ts';

function fail(message: string): never {
  console.error(`faults:sweep: ${message}`);
  process.exit(2);
}

function readFlags(): { from: number; to: number; runs?: number; only?: string } {
  let values: { seeds?: string; runs?: string; only?: string };
  try {
    ({ values } = parseArgs({
      options: { seeds: { type: 'string' }, runs: { type: 'string' }, only: { type: 'string' } },
    }));
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
  const m = /^([0-9]{1,9})-([0-9]{1,9})$/.exec(values.seeds ?? '1-500');
  const from = Number(m?.[1]);
  const to = Number(m?.[2]);
  if (!m || from > to) fail(`--seeds: expected FROM-TO with FROM <= TO, got '${values.seeds}'`);
  let runs: number | undefined;
  if (values.runs !== undefined) {
    if (!/^[1-9][0-9]{0,6}$/.test(values.runs))
      fail(`--runs: expected 1..9999999, got '${values.runs}'`);
    runs = Number(values.runs);
  }
  if (values.only !== undefined && !FAULTS.some((f) => f.id === values.only)) {
    fail(`--only: no fault '${values.only}' (see: grantcheck list)`);
  }
  return {
    from,
    to,
    ...(runs === undefined ? {} : { runs }),
    ...(values.only === undefined ? {} : { only: values.only }),
  };
}

const flags = readFlags();
const seeds = Array.from({ length: flags.to - flags.from + 1 }, (_, i) => flags.from + i);
// Protocol first, as the kill report does; sweepFault then leads with whichever caught last.
const suites = ['protocol', 'conformance'].map((name) => {
  const suite = buildSuite(name);
  if (!suite) throw new Error(`no suite ${name}`);
  return suite;
});

console.log(
  `fault sweep: seeds ${flags.from}-${flags.to}, ${flags.runs ?? 'default'} runs per suite, counterexamples unshrunk`,
);
const started = performance.now();
const sweeps: FaultSweep[] = [];
for (const fault of FAULTS) {
  if (flags.only !== undefined && fault.id !== flags.only) continue;
  // A race is invisible to the sequential suites by design (grantcheck interleave catches it).
  if (fault.race !== undefined) continue;
  const sweep = sweepFault(fault, suites, {
    seeds,
    ...(flags.runs === undefined ? {} : { runs: flags.runs }),
  });
  sweeps.push(sweep);
  const caughtMs = sweep.results.filter((r) => r.caught).map((r) => r.ms);
  const w = sweep.worst;
  const worst = w
    ? w.caught
      ? `worst seed ${w.seed}: ${w.ms.toFixed(0)} ms, ${w.runs} runs (${w.suite})`
      : `ESCAPED seed ${w.seed}${w.crash ? ` (crash: ${w.crash})` : ''}`
    : '';
  console.log(
    `${fault.id.padEnd(34)} ${String(sweep.caught).padStart(4)}/${seeds.length}  median ${median(caughtMs).toFixed(0).padStart(5)} ms  ${worst}`,
  );
}
const escaped = sweeps.filter((s) => s.caught < s.results.length);
console.log(
  `\n${escaped.length === 0 ? 'every fault caught on every seed' : `${escaped.length} fault(s) escaped: ${escaped.map((s) => s.fault.id).join(', ')}`} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
);
process.exitCode = escaped.length === 0 ? 0 : 1;
