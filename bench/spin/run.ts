// Running SPIN on a Promela model the way its users do, timed: `spin -a` writes the verifier's C
// source (pan.c), gcc compiles it, `./pan` searches. Here: a breadth-first search for safety
// (assertions and invalid end states), with no partial-order reduction (one process: nothing to
// reduce), and pan's own counts and search time read from its report.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What fixes a machine without SPIN (Debian's package is SPIN 6.5.2). */
export const SPIN_APT_COMMAND = 'apt-get install spin';

/** The compile flags: breadth-first (-DBFS), safety properties only (-DSAFETY: assertions and
 * invalid end states, no cycle detection), no partial-order reduction (-DNOREDUCE), at most
 * 8 GiB for states and hash table together (-DMEMLIM, in MB). */
export const PAN_CFLAGS: readonly string[] = [
  '-O2',
  '-DBFS',
  '-DSAFETY',
  '-DNOREDUCE',
  '-DMEMLIM=8192',
];

/** Are spin and gcc on PATH? */
export function spinInstalled(): { ok: true } | { ok: false; missing: string } {
  for (const [tool, args] of [
    ['spin', ['-V']],
    ['gcc', ['--version']],
  ] as const) {
    const r = spawnSync(tool, args, { encoding: 'utf8' });
    if (r.error || r.status !== 0) return { ok: false, missing: `no ${tool}` };
  }
  return { ok: true };
}

/** The figures of pan's report that the bench and the tests compare. */
export interface PanReport {
  readonly states: number;
  /** pan's "transitions (= stored+matched)": the initial state counts as one, so this is one
   * more than the number of edges (grantcheck's `transitions`). */
  readonly transitions: number;
  readonly errors: number;
  readonly depth: number;
  /** pan's "elapsed time": the search alone, in ms. */
  readonly searchMs: number;
}

function num(text: string, re: RegExp, what: string): number {
  const m = re.exec(text);
  if (!m?.[1]) throw new Error(`pan's report has no ${what}:\n${text}`);
  return Number(m[1]);
}

/** Read pan's end-of-search report. Throws when a figure is missing. */
export function parsePanReport(text: string): PanReport {
  return {
    states: num(text, /^\s*([0-9]+) states, stored/m, 'stored states'),
    transitions: num(text, /^\s*([0-9]+) transitions \(= stored\+matched\)/m, 'transitions'),
    errors: num(text, /errors: ([0-9]+)/, 'error count'),
    depth: num(text, /depth reached ([0-9]+)/, 'depth'),
    searchMs: num(text, /^pan: elapsed time ([0-9.e+-]+) seconds/m, 'elapsed time') * 1000,
  };
}

/** One timed process: wall time, and CPU time (user + system) where the OS tells. */
export interface Timed {
  readonly wallMs: number;
  /** null off Linux. */
  readonly cpuMs: number | null;
}

/** User + system CPU of this process's waited-for children so far, in ms; null off Linux.
 * Why /proc? Node reports no resource usage of a child; the kernel adds a reaped child's times
 * to its parent's cutime/cstime (fields 16 and 17 of /proc/self/stat, clock ticks of 10 ms). */
export function childrenCpuMs(): number | null {
  if (process.platform !== 'linux') return null;
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cutime = Number(fields[13]);
  const cstime = Number(fields[14]);
  return Number.isFinite(cutime) && Number.isFinite(cstime) ? (cutime + cstime) * 10 : null;
}

/** Run `command args` in `cwd` to completion; throws with its output when it fails. */
export function timed(
  command: string,
  args: readonly string[],
  cwd: string,
): Timed & { readonly stdout: string } {
  const cpu0 = childrenCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu1 = childrenCpuMs();
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  }
  return { wallMs, cpuMs: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0, stdout: r.stdout };
}

/** `node args` in `cwd`, `runs` times after one `node -e 0` (the file cache warm): the median
 * wall time, the mean CPU time (NaN off Linux) and each run's output. For the bench's rows that
 * time the built command as a user starts it. */
export function timedNodeRuns(
  args: readonly string[],
  cwd: string,
  runs: number,
): { readonly medianWallMs: number; readonly meanCpuMs: number; readonly stdouts: string[] } {
  timed(process.execPath, ['-e', '0'], cwd);
  const wall: number[] = [];
  const stdouts: string[] = [];
  let cpuMs = 0;
  for (let r = 0; r < runs; r++) {
    const t = timed(process.execPath, args, cwd);
    wall.push(t.wallMs);
    stdouts.push(t.stdout);
    cpuMs += t.cpuMs ?? NaN;
  }
  wall.sort((a, b) => a - b);
  return { medianWallMs: wall[wall.length >> 1] ?? NaN, meanCpuMs: cpuMs / runs, stdouts };
}

/** One end-to-end SPIN run: each stage timed, and pan's report. */
export interface SpinRun {
  readonly spin: Timed;
  readonly gcc: Timed;
  readonly pan: Timed;
  readonly report: PanReport;
}

/** pan's -w: hash table of 2^w slots. Why sized to the state count? pan's default (-w24) costs
 * a 128 MiB table on the smallest model, and a table far smaller than the state count makes
 * the search several times slower (-w16 on 1.9 M states: 7x); a SPIN user sizes it. */
export function hashBits(expectedStates: number): number {
  return Math.max(10, Math.ceil(Math.log2(Math.max(expectedStates, 1))) + 1);
}

/** Verify `promela` with SPIN in a fresh temporary directory (removed afterwards).
 * `optimise: false` compiles pan without -O2: a third of gcc's CPU time, for small models. */
export function runSpin(
  promela: string,
  options: { hashBits?: number; optimise?: boolean } = {},
): SpinRun {
  const dir = mkdtempSync(join(tmpdir(), 'grantcheck-spin-'));
  try {
    writeFileSync(join(dir, 'model.pml'), promela);
    const spin = timed('spin', ['-a', 'model.pml'], dir);
    const cflags = options.optimise === false ? PAN_CFLAGS.filter((f) => f !== '-O2') : PAN_CFLAGS;
    const gcc = timed('gcc', [...cflags, '-o', 'pan', 'pan.c'], dir);
    const panArgs = options.hashBits === undefined ? [] : [`-w${options.hashBits}`];
    const pan = timed('./pan', panArgs, dir);
    return { spin, gcc, pan, report: parsePanReport(pan.stdout) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
