// V8 tuning for grantcheck's own processes: the CLI (and so its worker threads, which share the
// process's V8 flags) and `npm run bench`, which times the same code in process.

import { setFlagsFromString } from 'node:v8';

/**
 * V8's interrupt budget: how much bytecode a function runs between the profiler's looks at it,
 * which decide when it is optimised (V8's default 67 584). Why lower? grantcheck's work is
 * spread over hundreds of hot functions (the model, the impl, every check, the generators), so
 * with the default a run reaches optimised code only after a few hundred thousand ops: the bench's
 * checked stream ran its first passes at 41k, 85k, 157k ops per CPU-second before its steady
 * 170k. Measured with the built CLI (session 17, paired, each command's whole process):
 * `grantcheck run` on its defaults 0.91x the CPU time (five pairs; 8 000: 0.92x, 32 000: 0.98x),
 * `run --suite conformance --runs 6000` 0.94x (three), `explore --model xen --preset basic` 0.98x
 * (three). The flag only changes when code is optimised, never what it computes.
 */
export const INTERRUPT_BUDGET = 16_000;

/** Set the flags above; call it before the work (a function's budget is set when it first gets
 * feedback, so the code that runs after this call is tiered by it). */
export function tuneV8(): void {
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
}
