// Start-up of the installed command: the built bin (bin/grantcheck.js over dist/) spawned N times
// per command line, wall time from spawn to exit, median and spread. `node -e 0` is the floor:
// node's own start-up on this machine. `npx tsx bench/startup.ts` prints the table.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'grantcheck.js');

const COMMANDS: readonly (readonly [string, readonly string[]])[] = [
  ['node -e 0 (the floor)', ['-e', '0']],
  ['grantcheck --version', [bin, '--version']],
  ['grantcheck run --runs 1', [bin, 'run', '--runs', '1', '--seed', '1']],
];

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
  // The bench measures what `npm ci` builds; an incremental build makes dist/ current first.
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
  return COMMANDS.map(([name, args]) => {
    wallMs(args); // warm-up: the file system cache
    const times = Array.from({ length: runs }, () => wallMs(args)).sort((a, b) => a - b);
    return {
      command: name,
      runs,
      'median ms': Math.round(median(times)),
      'min ms': Math.round(times[0] ?? NaN),
      'max ms': Math.round(times[times.length - 1] ?? NaN),
    };
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.table(benchStartup());
}
