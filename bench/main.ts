// `npm run bench`: start-up of the built command, speed of the checked harness and of the
// explorer, printed as tables.
// Figures vary with the machine; the ratios are the stable part.

import { benchChecked } from './checked.ts';
import { benchExplore } from './explore.ts';
import { benchStartup, STARTUP_BEFORE_AFTER } from './startup.ts';

console.log('start-up (bin/grantcheck.js spawned 11 times per command line; wall and CPU time)');
console.table(benchStartup());
console.log(STARTUP_BEFORE_AFTER);

const checked = benchChecked();
console.log(
  '\nchecked ops (conformance op stream: 1000 runs x 100 ops, seed 1124; median of 3 passes)',
);
console.table(checked);
const [full, , raw] = checked;
if (full && raw) {
  console.log(
    `checked / raw impl: ${(full.opsPerSecond / raw.opsPerSecond).toFixed(3)} ` +
      `(the harness costs ${(raw.opsPerSecond / full.opsPerSecond).toFixed(1)}x the impl alone)`,
  );
}
console.log('\nexhaustive exploration');
console.table(await benchExplore());
