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
 * (three). Half of it, 8 000, gained nothing more (session 34, six pairs each: the basic preset
 * 1.01x the CPU time, `run` 1.02x). The flag only changes when code is optimised, never what it
 * computes.
 */
export const INTERRUPT_BUDGET = 16_000;

/**
 * TurboFan's inlining budget: the most bytecode it inlines into one optimised function, callees
 * of callees included (V8's `--max-inlined-bytecode-size-cumulative`, default 920). Why lower? A
 * cold command spends as much CPU compiling as running: one pass of `run`'s suites made 1 231
 * optimised compiles of 854 functions (hot code is spread wide, and deoptimised functions are
 * compiled again), and a function that inlines its whole call tree (the impl's ops, the pin
 * ledger's update) took 100 ms and more to compile. Measured on the built CLI (session 30, paired, whole processes, medians of
 * the A/B ratios): `grantcheck run --seed 1124 --no-failures --json` 0.80x the CPU time and
 * 0.91x the wall time (five pairs; 200: 0.78x and 0.89x, 400: 0.95x, 100: 0.82x), `explore
 * --model xen --conformance --workers 1` 0.90x the CPU time; the warm checked stream of the
 * bench unchanged (0.98x its rate, eight pairs; 200 cost it 6%). In process, one pass of
 * `run`'s suites: the compiler and collector threads 5.0 s of CPU against 8.2 s, the main
 * thread the same. Like the interrupt budget, it only changes what is compiled, never what the
 * code computes. The model search alone pays for it a little: `explore --model xen --preset
 * basic --json` ran at 0.965 of the wall time and 0.986 of the CPU time without it (session 34,
 * six pairs), and at 0.98 of both with 500, which cost `run` 1.08 times its CPU time (six pairs):
 * one value for every command, and `run` is the one it was chosen for.
 */
export const INLINE_BUDGET = 300;

/** Set the flags above; call it before the work (a function's budget is set when it first gets
 * feedback, and a function is inlined by the flags at its compile, so the code that runs after
 * this call is tiered by them). Worker threads share the process's flags. */
export function tuneV8(): void {
  setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
  setFlagsFromString(`--max-inlined-bytecode-size-cumulative=${INLINE_BUDGET}`);
}
