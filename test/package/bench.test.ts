// `npm run bench` runs the bench compiled (tsconfig.bench.json, into dist/bench/), not through
// tsx (bench/main.ts says why). Compiled by that config into a fresh directory under dist/ (so
// that nothing an earlier build left counts), every module main.ts loads is there and loads
// under plain node, the bench finds the repository and its bin/grantcheck.js (bench/paths.ts),
// and a section of the explorer's bench runs in a worker thread of its own (bench/isolated.ts).
// (The bench's figures are never a test: `npm run bench` prints them.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** The modules bench/main.ts imports (main.ts itself runs the bench when loaded). */
const MODULES = [
  'paths',
  'ceiling',
  'checked',
  'explore',
  'interleave',
  'isolated',
  'spin',
  'startup',
  'targets',
  'timing',
  'xen',
];

/** Node without a loader (tsx, vitest): the compiled bench as `npm run bench` starts it. */
function plainNode(script: string): ReturnType<typeof spawnSync> {
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('the compiled bench', () => {
  it('compiles as npm run bench compiles it, and its modules load under plain node', () => {
    const script = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.bench;
    expect(script).toBe('tsc -p tsconfig.bench.json && node dist/bench/bench/main.js');
    mkdirSync(join(root, 'dist'), { recursive: true });
    const out = mkdtempSync(join(root, 'dist', 'bench-test-'));
    try {
      const built = spawnSync(
        process.execPath,
        [tsc, '-p', 'tsconfig.bench.json', '--outDir', out, '--tsBuildInfoFile', join(out, 'info')],
        { cwd: root, encoding: 'utf8', timeout: 120_000 },
      );
      expect(built.stdout + built.stderr, 'tsc -p tsconfig.bench.json').toBe('');
      expect(built.status).toBe(0);
      expect(existsSync(join(out, 'bench', 'main.js'))).toBe(true);
      const url = (path: string): string => pathToFileURL(join(out, path)).href;
      const loaded = plainNode(
        [
          ...MODULES.map((m) => `await import(${JSON.stringify(url(`bench/${m}.js`))});`),
          `const { BIN, ROOT } = await import(${JSON.stringify(url('bench/paths.js'))});`,
          'console.log(ROOT);',
          'console.log(BIN);',
          // A section in a fresh isolate: the compiled worker starts and sends its rows back.
          `const { isolated } = await import(${JSON.stringify(url('bench/isolated.js'))});`,
          "const [row] = await isolated('xenFull', 300);",
          'console.log(row.isolate, row.states, row.kind);',
        ].join('\n'),
      );
      expect(loaded.stderr).toBe('');
      expect(loaded.status).toBe(0);
      expect(String(loaded.stdout).trim().split('\n')).toEqual([
        root,
        join(root, 'bin', 'grantcheck.js'),
        'fresh 300 xen',
      ]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
