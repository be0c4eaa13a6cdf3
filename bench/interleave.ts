// Throughput of the interleaving engine's exhaustive mode (src/interleave/exhaustive.ts) on one
// fixed scenario: after the setup's grant, d1's vCPU ends the grant, grants again and ends it,
// while d2's vCPU maps, unmaps and maps again, every op on d1's entry 8. Schedules explored with
// Godefroid's sleep sets and without any reduction, steps taken (replays included), wall time,
// schedules per second. The same scenario cut to each actor's first two ops is small enough to
// run to its end both ways, so its row pair gives the reduction's exact ratio. Every schedule is
// checked as grantcheck interleave checks it (invariants where quiescent, linearizability at the
// end). `npx tsx bench/interleave.ts` prints the table; `--full` lifts the cap.
// Issue 12 (the exhaustive run of two actors with three ops each under 10 s on one core), measured
// on a shared, loaded 2-core machine (the process had close to one core):
//   scenario           reduction    schedules   steps        seconds   schedules/s
//   2 actors x 2 ops   sleep sets   157         2919         0.02      8185
//   2 actors x 2 ops   none         4221        66520        0.53      7913
//   2 actors x 3 ops   sleep sets   4627        112664       0.88      5278
//   2 actors x 3 ops   none         1052456     25147437     405       2597 (--full, once; 224 s CPU)
// The reduction: 26.9x fewer schedules with two ops per actor, 227x with three. The target is
// met with it (under 1 s); without it the full run takes about four minutes of CPU.

import { pathToFileURL } from 'node:url';
import { makeConfig } from '../src/config.ts';
import { exploreSchedules } from '../src/interleave/exhaustive.ts';
import { startOf } from '../src/interleave/run.ts';
import type { Scenario } from '../src/interleave/scenario.ts';
import type { Op } from '../src/ops/op.ts';
import { parseOp } from '../src/ops/text.ts';
import { INVARIANTS } from '../properties/invariants/index.ts';

export interface InterleaveBenchRow {
  readonly scenario: string;
  readonly reduction: 'sleep sets' | 'none';
  /** 'complete', 'cap' (maxSchedules reached: the counts are a lower bound), or the violation. */
  readonly result: string;
  readonly schedules: number;
  readonly steps: number;
  readonly seconds: number;
  readonly schedulesPerSec: number;
}

/** Schedules the unreduced run of the full scenario stops at: it has 1052456 (minutes). */
export const NO_REDUCTION_CAP = 50_000;

const SETUP = ['grant_access(d1 ref=8 -> d2 gfn=0 rw)'];
const D1 = [
  'end_access(d1 ref=8)',
  'grant_access(d1 ref=8 -> d2 gfn=1 rw)',
  'end_access(d1 ref=8)',
];
const D2 = [
  'map(d2: d1 ref=8 host @0x1000)',
  'unmap(d2: h=0 host=0x1000 dev=0x0)',
  'map(d2: d1 ref=8 host @0x1000)',
];

function op(text: string): Op {
  const parsed = parseOp(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.op;
}

/** The bench scenario with each actor's program cut to its first `opsPerActor` ops. */
export function benchScenario(opsPerActor: number): Scenario {
  return {
    setup: SETUP.map(op),
    actors: [
      { dom: 1, ops: D1.slice(0, opsPerActor).map(op) },
      { dom: 2, ops: D2.slice(0, opsPerActor).map(op) },
    ],
  };
}

function run(opsPerActor: number, reduction: boolean, maxSchedules?: number): InterleaveBenchRow {
  const start = startOf(makeConfig(), {}, benchScenario(opsPerActor));
  const begin = performance.now();
  const o = exploreSchedules(start, {
    reduction,
    invariants: INVARIANTS,
    ...(maxSchedules !== undefined ? { maxSchedules } : {}),
  });
  const seconds = (performance.now() - begin) / 1000;
  let result = o.limitReached ? `cap (${maxSchedules ?? ''})` : 'complete';
  if (o.failure !== undefined) result = `violation: ${o.failure.violation.check}`;
  return {
    scenario: `2 actors x ${opsPerActor} ops`,
    reduction: reduction ? 'sleep sets' : 'none',
    result,
    schedules: o.schedules,
    steps: o.steps,
    seconds: Number(seconds.toFixed(2)),
    schedulesPerSec: Math.round(o.schedules / seconds),
  };
}

/** Rows in pairs (sleep sets, none): two ops per actor, then three. Without the reduction the
 * three-op run stops at `noReductionCap` schedules (undefined: no cap). */
export function benchInterleave(
  noReductionCap: number | undefined = NO_REDUCTION_CAP,
): InterleaveBenchRow[] {
  // Why a warm-up? Cold, the first run is up to 3x slower per schedule than the same run again.
  for (let i = 0; i < 3; i++) for (const reduction of [true, false]) run(2, reduction);
  return [run(2, true), run(2, false), run(3, true), run(3, false, noReductionCap)];
}

/** One line per row pair: the reduction's ratio where both runs completed. */
export function reductionRatios(rows: readonly InterleaveBenchRow[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i + 1 < rows.length; i += 2) {
    const [reduced, full] = [rows[i], rows[i + 1]];
    if (reduced === undefined || full === undefined) continue;
    if (reduced.result === 'complete' && full.result.startsWith('cap')) {
      lines.push(
        `${reduced.scenario}: ${reduced.schedules} schedules with the reduction; without it the ` +
          `run stopped at its cap of ${full.schedules}: at least ` +
          `${(full.schedules / reduced.schedules).toFixed(2)}x fewer`,
      );
    } else if (reduced.result !== 'complete' || full.result !== 'complete') {
      lines.push(
        `${reduced.scenario}: no ratio (sleep sets: ${reduced.result}, ` +
          `${reduced.schedules} schedules; none: ${full.result}, ${full.schedules} schedules)`,
      );
    } else {
      lines.push(
        `${reduced.scenario}: ${full.schedules} schedules without the reduction, ` +
          `${reduced.schedules} with it: ${(full.schedules / reduced.schedules).toFixed(2)}x fewer`,
      );
    }
  }
  return lines;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = benchInterleave(process.argv.includes('--full') ? undefined : NO_REDUCTION_CAP);
  console.table(rows);
  for (const line of reductionRatios(rows)) console.log(line);
}
