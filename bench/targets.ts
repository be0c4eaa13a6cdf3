// Issue 13's targets beside the figures this bench run measured: one line per target and row,
// its goal, the figure, the ratio (at least 1: met) and whether it is met. `npm run bench`
// prints it last (bench/main.ts), so that a run says by itself which targets hold on this
// machine today and how far the others are.

import type { RateRow } from './timing.ts';

/** What an explorer row is judged as (its `kind` column, set in bench/explore.ts). */
export type ExploreKind =
  | 'core'
  | 'core command'
  | 'xen'
  | 'xen conformance'
  | 'xen refinement'
  | 'xen basic'
  | 'xen basic command'
  | 'xen basic conformance';

export type BenchRow = Readonly<Record<string, number | string>>;

export interface Figures {
  readonly checked?: RateRow;
  readonly run?: RateRow;
  /** `grantcheck run` built, its whole process (bench/ceiling.ts benchRunCommand). */
  readonly runCommand?: RateRow;
  readonly explore: readonly BenchRow[];
  readonly startup: readonly BenchRow[];
  /** The core explorer against SPIN (bench/spin.ts), or why that section did not run. */
  readonly spin: readonly BenchRow[] | { readonly skipped: string };
}

export interface TargetLine {
  readonly target: string;
  readonly row: string;
  readonly goal: string;
  readonly figure: string;
  /** Figure over goal for an "at least", goal over figure for an "at most": 1 or more is met. */
  readonly ratio: string;
  readonly met: 'yes' | 'no' | 'not measured';
}

/** The goals, as numbers. */
export const GOALS = {
  xenStatesPerSec: 100_000,
  conformanceStatesPerSec: 30_000,
  bytesPerState: 100,
  basicSeconds: 5,
  basicConformanceSeconds: 30,
  checkedOpsPerSec: 300_000,
  runOpsPerSec: 200_000,
  /** "A few tenths of a second": issue 9 asked for both start-ups under half a second. */
  startupMs: 500,
  /** The core explorer must be ahead of SPIN from this many states up. */
  spinFromStates: 43_730,
} as const;

const num = (x: number): string => Math.round(x).toLocaleString('en-US');

function line(
  target: string,
  row: string,
  goal: string,
  figure: number,
  shown: string,
  ratio: number,
): TargetLine {
  if (!Number.isFinite(figure) || !Number.isFinite(ratio)) {
    return { target, row, goal, figure: shown, ratio: '-', met: 'not measured' };
  }
  return {
    target,
    row,
    goal,
    figure: shown,
    ratio: ratio.toFixed(2),
    met: ratio >= 1 ? 'yes' : 'no',
  };
}

const atLeast = (target: string, row: string, goal: number, figure: number, unit: string) =>
  line(target, row, `>= ${num(goal)} ${unit}`, figure, `${num(figure)} ${unit}`, figure / goal);

const atMost = (target: string, row: string, goal: number, figure: number, unit: string) =>
  line(target, row, `<= ${goal} ${unit}`, figure, `${figure} ${unit}`, goal / figure);

const numberIn = (row: BenchRow, column: string): number => {
  const v = row[column];
  return typeof v === 'number' ? v : NaN;
};

/** A search stopped by its time budget: its seconds are a lower bound on the whole search. */
function cutByTime(row: BenchRow): boolean {
  return String(row['result']).startsWith('limit (time');
}

function exploreLines(rows: readonly BenchRow[]): TargetLine[] {
  const lines: TargetLine[] = [];
  const name = (r: BenchRow) => `${String(r['model'])} [${String(r['symmetry'])}]`;
  for (const r of rows) {
    const kind = r['kind'] as ExploreKind | undefined;
    const seconds = numberIn(r, 'seconds');
    if (kind === 'xen' || kind === 'xen basic') {
      lines.push(
        atLeast(
          'Xen explorer states/s',
          name(r),
          GOALS.xenStatesPerSec,
          numberIn(r, 'statesPerSec'),
          'states/s',
        ),
      );
    }
    if (kind === 'xen conformance') {
      lines.push(
        atLeast(
          'Xen explorer states/s with conformance',
          name(r),
          GOALS.conformanceStatesPerSec,
          numberIn(r, 'statesPerSec'),
          'states/s',
        ),
      );
    }
    if (
      kind !== undefined &&
      kind !== 'core' &&
      kind !== 'core command' &&
      kind !== 'xen basic command'
    ) {
      lines.push(
        atMost(
          'bytes per stored state',
          name(r),
          GOALS.bytesPerState,
          numberIn(r, 'bytesPerState'),
          'B',
        ),
      );
    }
    if (kind === 'xen basic' || kind === 'xen basic command') {
      lines.push(atMost('basic preset whole', name(r), GOALS.basicSeconds, seconds, 's'));
    }
    if (kind === 'xen basic conformance') {
      const target = 'basic preset whole with conformance';
      // A search its time budget stopped would have taken longer: its seconds are a lower bound.
      lines.push(
        cutByTime(r)
          ? {
              target,
              row: name(r),
              goal: `<= ${GOALS.basicConformanceSeconds} s`,
              figure: `> ${seconds} s (stopped at ${num(numberIn(r, 'states'))} states)`,
              ratio: `< ${(GOALS.basicConformanceSeconds / seconds).toFixed(2)}`,
              met: seconds >= GOALS.basicConformanceSeconds ? 'no' : 'not measured',
            }
          : atMost(target, name(r), GOALS.basicConformanceSeconds, seconds, 's'),
      );
    }
  }
  return lines;
}

function spinLines(spin: Figures['spin']): TargetLine[] {
  const target = `core explorer ahead of SPIN from ${num(GOALS.spinFromStates)} states`;
  if (!Array.isArray(spin)) {
    const why = (spin as { skipped: string }).skipped;
    return [
      {
        target,
        row: '-',
        goal: 'grantcheck / SPIN wall < 1',
        figure: why,
        ratio: '-',
        met: 'not measured',
      },
    ];
  }
  return spin
    .filter((r) => numberIn(r, 'states') >= GOALS.spinFromStates)
    .map((r) => {
      const gcOverSpin = numberIn(r, 'gc / SPIN total');
      return line(
        target,
        String(r['config']),
        'grantcheck / SPIN wall < 1',
        gcOverSpin,
        `${gcOverSpin} (${num(numberIn(r, 'states'))} states)`,
        1 / gcOverSpin,
      );
    });
}

/** Every target line for the figures of one bench run; a figure the run lacks is 'not measured',
 * never met. */
export function targetLines(f: Figures): TargetLine[] {
  const lines: TargetLine[] = [];
  const rate = (target: string, r: RateRow | undefined, goal: number) => {
    if (r === undefined) {
      lines.push({
        target,
        row: '-',
        goal: `>= ${num(goal)} ops/s`,
        figure: '-',
        ratio: '-',
        met: 'not measured',
      });
      return;
    }
    lines.push(atLeast(target, `${r.measure}, wall`, goal, r.opsPerSecond, 'ops/s'));
    lines.push(atLeast(target, `${r.measure}, CPU`, goal, r.opsPerCpuSecond, 'ops/s'));
  };
  rate('fully checked ops/s', f.checked, GOALS.checkedOpsPerSec);
  rate('grantcheck run ops/s', f.run, GOALS.runOpsPerSec);
  rate('grantcheck run ops/s', f.runCommand, GOALS.runOpsPerSec);
  lines.push(...exploreLines(f.explore));
  for (const r of f.startup) {
    const command = String(r['command']);
    if (!command.startsWith('grantcheck')) continue; // node -e 0 is the floor, not a target
    lines.push(atMost('start-up', command, GOALS.startupMs, numberIn(r, 'median ms'), 'ms'));
  }
  lines.push(...spinLines(f.spin));
  return lines;
}

/** "N of M targets met", counting lines, and those not measured apart. */
export function targetSummary(lines: readonly TargetLine[]): string {
  const met = lines.filter((l) => l.met === 'yes').length;
  const unmeasured = lines.filter((l) => l.met === 'not measured').length;
  const judged = lines.length - unmeasured;
  return (
    `issue 13 targets: ${met} of ${judged} lines met` +
    (unmeasured > 0 ? `, ${unmeasured} not measured on this machine` : '')
  );
}
