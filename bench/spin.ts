// The core explorer against SPIN 6.5.2 on the same model (issue 13): for each configuration,
// SPIN end to end (`spin -a`, gcc, `./pan`; bench/spin/run.ts) and `grantcheck explore --model
// core` as a user runs it (bin/grantcheck.js over the built dist/cli/), each a fresh process, the
// two alternated, median of RUNS runs. Both sides must report the same states and transitions:
// a mismatch is printed as an error and fails the bench. Without spin or gcc: one line.
// `npx tsx bench/spin.ts` builds dist/ and prints the table.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CoreConfig } from '../src/core/config.ts';
import { BIN, ROOT } from './paths.ts';
import { corePromela } from './spin/promela.ts';
import type { SpinRun, Timed } from './spin/run.ts';
import {
  hashBits,
  PAN_CFLAGS,
  runSpin,
  SPIN_APT_COMMAND,
  spinInstalled,
  timed,
} from './spin/run.ts';

/** From issue 13's smallest configuration to a few million states. */
export const SPIN_CONFIGS: readonly CoreConfig[] = [
  { domains: 2, refs: 2, frames: 2, maxPin: 1 }, // 43,730 states
  { domains: 2, refs: 2, frames: 3, maxPin: 1 }, // 321,384
  { domains: 2, refs: 2, frames: 3, maxPin: 2 }, // 1,876,584
];
const RUNS = 3;

interface GrantcheckRun extends Timed {
  readonly states: number;
  readonly transitions: number;
  /** The search itself (`elapsedMs` of --json). */
  readonly searchMs: number;
}

function runGrantcheck(c: CoreConfig): GrantcheckRun {
  const args = [
    BIN,
    'explore',
    '--model',
    'core',
    '--domains',
    String(c.domains),
    '--refs',
    String(c.refs),
    '--frames',
    String(c.frames),
    '--max-pin',
    String(c.maxPin),
    '--json',
  ];
  const t = timed(process.execPath, args, ROOT);
  const j = JSON.parse(t.stdout) as { states: number; transitions: number; elapsedMs: number };
  return {
    wallMs: t.wallMs,
    cpuMs: t.cpuMs,
    states: j.states,
    transitions: j.transitions,
    searchMs: j.elapsedMs,
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}

/** Median of `f` over the runs, in seconds (2 decimals); '-' when any value is unknown. */
function sec<T>(runs: readonly T[], f: (r: T) => number | null): number | string {
  const xs = runs.map(f);
  if (xs.some((x) => x === null)) return '-';
  return Number((median(xs as number[]) / 1000).toFixed(2));
}

export interface SpinBenchRow {
  readonly [column: string]: number | string;
}

/** The rows, the mismatches found (each a sentence), or why the bench did not run. */
export function benchSpin(
  configs: readonly CoreConfig[] = SPIN_CONFIGS,
  runs = RUNS,
): { rows: SpinBenchRow[]; mismatches: string[] } | { skipped: string } {
  const found = spinInstalled();
  if (!found.ok) return { skipped: `SPIN not installed (${SPIN_APT_COMMAND})` };
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    return { skipped: 'no dist/cli/ (npm run build)' };
  }
  const rows: SpinBenchRow[] = [];
  const mismatches: string[] = [];
  for (const c of configs) {
    const name = `D${c.domains} R${c.refs} F${c.frames} M${c.maxPin}`;
    const promela = corePromela(c);
    const gc: GrantcheckRun[] = [];
    const sp: SpinRun[] = [];
    for (let i = 0; i < runs; i++) {
      // Why alternate? The machine's load drifts; each pair of runs sees about the same.
      gc.push(runGrantcheck(c));
      sp.push(runSpin(promela, { hashBits: hashBits(gc[0]?.states ?? 0) }));
    }
    for (const [g, s] of gc.map((g, i) => [g, sp[i]] as const)) {
      const r = s?.report;
      if (!r || r.states !== g.states || r.transitions - 1 !== g.transitions || r.errors !== 0) {
        mismatches.push(
          `${name}: grantcheck ${g.states} states, ${g.transitions} transitions; SPIN ` +
            `${r?.states} states, ${r ? r.transitions - 1 : '?'} transitions, ${r?.errors} errors`,
        );
      }
    }
    const spinTotal = (s: SpinRun): number => s.spin.wallMs + s.gcc.wallMs + s.pan.wallMs;
    const gcWall = median(gc.map((g) => g.wallMs));
    rows.push({
      config: name,
      states: gc[0]?.states ?? NaN,
      'spin+gcc s': sec(sp, (s) => s.spin.wallMs + s.gcc.wallMs),
      'pan s': sec(sp, (s) => s.pan.wallMs),
      'pan search s': sec(sp, (s) => s.report.searchMs),
      'pan cpu s': sec(sp, (s) => s.pan.cpuMs),
      'SPIN total s': sec(sp, spinTotal),
      'grantcheck s': sec(gc, (g) => g.wallMs),
      'gc search s': sec(gc, (g) => g.searchMs),
      'gc cpu s': sec(gc, (g) => g.cpuMs),
      'gc / SPIN total': Number((gcWall / median(sp.map(spinTotal))).toFixed(2)),
      'gc / pan': Number((gcWall / median(sp.map((s) => s.pan.wallMs))).toFixed(2)),
    });
  }
  return { rows, mismatches };
}

/** The bench's section of `npm run bench`: a heading, the table or the skipped line. */
/** Prints the section; returns its rows for the targets (bench/targets.ts), or why it did
 * not run. */
export function printSpinBench(): readonly SpinBenchRow[] | { skipped: string } {
  console.log(
    `\ncore explorer against SPIN (same model, bench/spin/promela.ts; median of ${RUNS} ` +
      `fresh processes; SPIN: spin -a, gcc ${PAN_CFLAGS.join(' ')}, ./pan -w<sized>; ` +
      'gc = node bin/grantcheck.js explore --model core --json; ratios of wall times, < 1: gc ahead)',
  );
  const result = benchSpin();
  if ('skipped' in result) {
    console.log(`skipped: ${result.skipped}`);
    return result;
  }
  console.table(result.rows);
  for (const m of result.mismatches) console.error(`ERROR: state counts differ: ${m}`);
  if (result.mismatches.length > 0) process.exitCode = 1;
  return result.rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
  printSpinBench();
}
