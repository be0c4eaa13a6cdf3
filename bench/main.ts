// `npm run bench`: start-up of the built command, speed of the checked harness and of
// `grantcheck run` (against fast-check's own ceiling), of the explorer and of the interleaving
// engine, and real Xen's boot and checked ops (when installed), printed as tables.
// Figures vary with the machine; the ratios are the stable part (taken on CPU time, which other
// processes on a shared machine stretch far less than wall time).
// Run compiled (tsc, tsconfig.bench.json, into dist/bench/), not through tsx: the in-process rows
// then time the code without tsx's wrappers, as the built command runs it. tsx keeps function
// names by wrapping each named function (declarations, functions bound to a const or a property)
// in a `__name` call, which costs a property definition each time such a closure is made: the
// same code ran 0 to 3% (the model search) to 22% (conformance) faster compiled (docs/explore.md;
// the checked stream and `run`, docs/properties.md).

import { benchCeiling, benchRun, benchRunCommand } from './ceiling.ts';
import { benchChecked } from './checked.ts';
import { benchExplore } from './explore.ts';
import { benchInterleave, NO_REDUCTION_CAP, reductionRatios } from './interleave.ts';
import { benchStartup, STARTUP_BEFORE_AFTER } from './startup.ts';
import { targetLines, targetSummary } from './targets.ts';
import { cpuRatio } from './timing.ts';
import { benchXen } from './xen.ts';
import { tuneV8 } from '../src/cli/v8Tuning.ts';

// As the CLI runs (src/cli/v8Tuning.ts): the in-process rows time the code as `grantcheck` does.
tuneV8();

console.log('start-up (bin/grantcheck.js spawned 11 times per command line; wall and CPU time)');
const startup = benchStartup();
console.table(startup);
console.log(STARTUP_BEFORE_AFTER);

const checked = benchChecked();
console.log(
  '\nchecked ops (conformance op stream: 1000 runs x 100 ops, seed 1124; median of 3 passes, wall and CPU time)',
);
console.table(checked);
const [full, , raw] = checked;
if (full && raw) {
  console.log(
    `checked / raw impl (CPU): ${cpuRatio(full, raw).toFixed(3)} ` +
      `(the harness costs ${cpuRatio(raw, full).toFixed(1)}x the impl alone)`,
  );
}
console.log(
  '\ngrantcheck run on its defaults (seed 1124: in process, then the built command 3 times) ' +
    'against fast-check alone (2-command model)',
);
const run = benchRun();
const ceiling = benchCeiling(); // second: fast-check's own code is then as warm as it gets
const command = benchRunCommand();
const runCommand = 'skipped' in command ? undefined : command;
console.table(runCommand ? [run, runCommand, ceiling] : [run, ceiling]);
if ('skipped' in command) console.log(`grantcheck run, built: skipped: ${command.skipped}`);
console.log(
  `grantcheck run / fast-check ceiling (CPU): ${cpuRatio(run, ceiling).toFixed(3)} ` +
    `(checked stream / ceiling: ${full ? cpuRatio(full, ceiling).toFixed(3) : '-'})`,
);
console.log('\nexhaustive exploration');
const explored = await benchExplore();
console.table(explored);

console.log(
  '\ninterleaved schedules (grantcheck interleave exhaustive: d1 end/grant/end against d2 ' +
    `map/unmap/map on one entry; without the reduction, 3 ops stop at ${NO_REDUCTION_CAP})`,
);
const interleaved = benchInterleave();
console.table(interleaved);
for (const line of reductionRatios(interleaved)) console.log(line);
const spin = (await import('./spin.ts')).printSpinBench();

console.log('\nreal Xen under QEMU (--subject xen, seed 1124; one boot)');
const xen = benchXen();
if ('skipped' in xen) {
  console.log(`skipped: ${xen.skipped}`);
} else {
  console.log(`boot (QEMU started to the agent's hello): ${xen.bootSeconds.toFixed(1)} s`);
  console.table(xen.rows);
}

// Last, so that it is the first thing a reader of the output sees at its end.
console.log(
  '\nissue 13 targets against this run (ratio 1 or more: met; CPU rows beside wall rows)',
);
const lines = targetLines({ checked: full, run, runCommand, explore: explored, startup, spin });
console.table(lines);
console.log(targetSummary(lines));
