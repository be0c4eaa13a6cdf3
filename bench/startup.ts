// Start-up of the installed command: the built bin (bin/grantcheck.js over the bundle in dist/cli/)
// spawned N times per command line: wall time from spawn to exit (median and spread) and, on
// Linux, the child's CPU time (user + system, mean). `node -e 0` is the floor: node's own
// start-up on this machine. `npx tsx bench/startup.ts` prints the table.
// Issue 9 (both under 0.5 s on an idle 2-core machine), measured on a shared, loaded 2-core
// machine: whole-process medians of 30 runs, each paired with a run of the build before the
// bundle (tsc's dist/ alone, ~220 ES modules for `run`), A = after, B = before:
//   command                   CPU s (user+sys)        wall s                  A/B CPU
//   node -e 0 (the floor)     0.116                   0.115
//   grantcheck --version      0.196 (B 0.235)         0.193 (B 0.229)         0.83
//   grantcheck run --runs 1   0.358 (B 0.635)         0.314 (B 0.526)         0.57
// What changed: the CLI is bundled (bin/build-cli.ts), `run` loads no zod, trace format or wire
// protocol unless a violation or --subject needs them, and `--version` answers before commander
// loads. What is left of `run` is mostly the run itself: one run of each suite, cold JIT. That was
// two suites then; it is sixteen now (four suites, each under the four guest profiles), and the
// command's median has grown with them: 509 ms in session 29's bench (node's floor 120 ms). A
// profile of it (`node --cpu-prof`, 200 us samples): the runs 44% (fast-check's generation a
// quarter of that, the initial states' checks a tenth), loading the chunks and the builtins they
// name 21%, GC 5%. Session 30's lower inlining budget (src/cli/v8Tuning.ts) took it to 0.94x
// the wall time (twenty pairs, 0.74 to 1.44): 485 ms in that session's bench.
// Tried and not kept: minifying (~3%, within noise), builtins through require (no change), a V8
// code cache for a CommonJS bundle through vm.Script (no gain for run, 1.3x for --version), and
// (session 29) worker_threads, child_process and cli-progress loaded only when a worker or a
// progress bar starts: 0.97x the CPU time, 0.99x the wall time (twenty runs each, in turn);
// commander and node's ESM loader load most of the same builtins anyway.

import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { BIN, ROOT } from './paths.ts';
import { childrenCpuMs } from './spin/run.ts';

const COMMANDS: readonly (readonly [string, readonly string[]])[] = [
  ['node -e 0 (the floor)', ['-e', '0']],
  ['grantcheck --version', [BIN, '--version']],
  ['grantcheck run --runs 1', [BIN, 'run', '--runs', '1', '--seed', '1']],
];

function wallMs(args: readonly string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

export function benchStartup(runs = 11): Record<string, number | string>[] {
  // The bench measures what `npm ci` builds (tsc's dist/ and the CLI bundle); the build is
  // incremental, so a current dist/ costs little.
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
  return COMMANDS.map(([name, args]) => {
    wallMs(args); // warm-up: the file system cache
    const cpuBefore = childrenCpuMs();
    const times = Array.from({ length: runs }, () => wallMs(args)).sort((a, b) => a - b);
    const cpuAfter = childrenCpuMs();
    return {
      command: name,
      runs,
      'median ms': Math.round(median(times)),
      'min ms': Math.round(times[0] ?? NaN),
      'max ms': Math.round(times[times.length - 1] ?? NaN),
      'cpu ms (mean)':
        cpuBefore === null || cpuAfter === null ? 'n/a' : Math.round((cpuAfter - cpuBefore) / runs),
    };
  });
}

/** Issue 9's figures (the header's table), printed under the bench's own for comparison. */
export const STARTUP_BEFORE_AFTER =
  'issue 9, whole-process CPU s, medians of 30 paired runs on a loaded 2-core machine: ' +
  '--version 0.235 -> 0.196 (0.83x), run --runs 1 0.635 -> 0.358 (0.57x), node -e 0 0.116';

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(benchStartup());
  console.log(STARTUP_BEFORE_AFTER);
}
