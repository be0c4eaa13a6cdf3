// Start-up of the installed command: the built bin (bin/grantcheck.js over the bundle in dist/cli/)
// spawned N times per command line: wall time from spawn to exit (median and spread) and, on
// Linux, the child's CPU time (user + system, mean). `node -e 0` is the floor: node's own
// start-up on this machine. `npx tsx bench/startup.ts` prints the table.
// Issue 9 (under 0.5 s on an idle 2-core machine), measured on a shared, loaded 2-core machine as
// whole-process CPU medians, 10 runs each, paired A/B against the tsc-only build:
//                             before (tsc dist/, ~250 modules)  after (bundle, lazy imports)
//   node -e 0                 0.13 s                            0.13 s
//   grantcheck --version      0.25 s                            see BEFORE_AFTER below
//   grantcheck run --runs 1   0.64 s                            see BEFORE_AFTER below

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'grantcheck.js');

const COMMANDS: readonly (readonly [string, readonly string[]])[] = [
  ['node -e 0 (the floor)', ['-e', '0']],
  ['grantcheck --version', [bin, '--version']],
  ['grantcheck run --runs 1', [bin, 'run', '--runs', '1', '--seed', '1']],
];

/** User + system CPU of this process's waited-for children so far, in ms; null off Linux.
 * Why /proc? Node reports no resource usage of a child; the kernel adds a reaped child's times
 * to its parent's cutime/cstime (fields 16 and 17 of /proc/self/stat, in clock ticks of 10 ms). */
function childrenCpuMs(): number | null {
  if (process.platform !== 'linux') return null;
  // The command name (field 2) may hold spaces: split after its closing parenthesis.
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cutime = Number(fields[13]);
  const cstime = Number(fields[14]);
  return Number.isFinite(cutime) && Number.isFinite(cstime) ? (cutime + cstime) * 10 : null;
}

function wallMs(args: readonly string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
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
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' });
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(benchStartup());
}
