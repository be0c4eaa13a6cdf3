// The package as a user gets it: dist/ is built from the current sources, packed with `npm pack`
// and installed from the tarball into a fresh project, offline. There the API is imported under
// plain node (no tsx), a user's TypeScript file is type-checked under nodenext and bundler
// resolution, and the installed `grantcheck` bin runs.
// Why a lockfile for the fresh project? `npm install <tarball>` offline needs the registry's
// metadata for the dependencies' ranges, which `npm ci` never caches; with the repo's own
// locked versions (resolved URL and integrity) npm takes the tarballs from the cache that the
// repo's `npm ci` filled.
import { execFileSync, spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.ts';
import { USER_SCRIPT, USER_TS, userTsconfig } from './userProject.ts';

const root = join(import.meta.dirname, '..', '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly devOptional?: boolean;
}
interface PackedFile {
  readonly path: string;
}

/** The child's environment: without NODE_OPTIONS, so that no loader (tsx, vitest) comes along. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  return env;
}

function run(cmd: string, args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: userEnv(), encoding: 'utf8', timeout: 60_000 });
}

function mustRun(cmd: string, args: readonly string[], cwd: string): string {
  const r = run(cmd, args, cwd);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

let work = '';
let project = '';
let packed: readonly string[] = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'grantcheck-package-'));
  project = join(work, 'project');
  mkdirSync(project);
  // The build is `npm ci`'s (tsc's dist/, then the CLI bundle in dist/cli/); tsc -b is incremental
  // and the bundle is written in place, so after `npm ci` it rewrites no file that other test
  // files, running meanwhile, may be reading.
  mustRun('npm', ['run', '--silent', 'build'], root);
  const packJson = mustRun(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', work],
    root,
  );
  const [info] = JSON.parse(packJson) as { filename: string; files: PackedFile[] }[];
  if (!info) throw new Error(`npm pack printed no package: ${packJson}`);
  packed = info.files.map((f) => f.path);
  const tarball = `file:../${info.filename}`;
  const integrity = `sha512-${createHash('sha512')
    .update(readFileSync(join(work, info.filename)))
    .digest('base64')}`;

  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
    bin: Record<string, string>;
  };
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const runtime = Object.entries(lock.packages).filter(
    ([path, e]) => path !== '' && e.dev !== true && e.devOptional !== true,
  );
  const user = {
    name: 'user',
    private: true,
    type: 'module',
    dependencies: { grantcheck: tarball },
  };
  writeFileSync(join(project, 'package.json'), JSON.stringify(user, null, 2));
  const userLock = {
    name: 'user',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'user', dependencies: user.dependencies },
      'node_modules/grantcheck': {
        version: pkg.version,
        resolved: tarball,
        integrity,
        dependencies: pkg.dependencies,
        bin: pkg.bin,
      },
      ...Object.fromEntries(runtime),
    },
  };
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify(userLock, null, 2));
  mustRun('npm', ['ci', '--offline', '--no-audit', '--no-fund'], project);
}, 180_000);

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds the compiled code, its types, the bundled CLI, the bin, the dom0 agent, README and LICENSE', () => {
    for (const file of [
      'package.json',
      'README.md',
      'LICENSE',
      'bin/grantcheck.js',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/index.js.map',
      'dist/src/cli/main.js',
      'dist/properties/suites.js',
      'dist/cli/main.js',
      'agents/xen-dom0/agent.c', // compiled at run time by --subject xen
    ]) {
      expect(packed).toContain(file);
    }
  });
  it('holds nothing else: no sources but the dom0 agent (built at run time), no tests, bench or build state', () => {
    const stray = packed.filter(
      (f) =>
        !['package.json', 'README.md', 'LICENSE', 'bin/grantcheck.js'].includes(f) &&
        !/^agents\/xen-dom0\/[\w-]+\.[ch]$/.test(f) &&
        !/^dist\/(src|properties)\/.+\.(js|d\.ts|js\.map)$/.test(f) &&
        !/^dist\/cli\/[\w-]+\.js$/.test(f),
    );
    expect(stray).toEqual([]);
  });
});

describe('the installed package', () => {
  it('brings its runtime dependencies only (no tsx, no typescript)', () => {
    const installed = readdirSync(join(project, 'node_modules')).filter((d) => !d.startsWith('.'));
    expect(installed).toContain('grantcheck');
    expect(installed).not.toContain('tsx');
    expect(installed).not.toContain('typescript');
  });

  it('is imported by plain node and runs a suite with a user invariant', () => {
    writeFileSync(join(project, 'user.mjs'), USER_SCRIPT);
    const out = mustRun(process.execPath, ['user.mjs'], project);
    expect(JSON.parse(out)).toEqual({
      version: VERSION,
      op: 'grant_access(d1 ref=8 -> d2 gfn=0 rw)',
      result: 'ok',
      pass: 'pass',
      caught: 'invariant at-most-one-host-mapping (model)',
    });
  });

  it.each(['nodenext', 'bundler'] as const)(
    "type-checks a user's file under moduleResolution %s",
    (resolution) => {
      writeFileSync(join(project, 'user.ts'), USER_TS);
      const config = `tsconfig.${resolution}.json`;
      writeFileSync(join(project, config), userTsconfig(resolution));
      const r = run(process.execPath, [tsc, '-p', config], project);
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    },
  );

  it('runs the grantcheck bin: --version, one run, a bad flag', () => {
    const bin = join(project, 'node_modules', '.bin', 'grantcheck');
    expect(mustRun(bin, ['--version'], project).trim()).toBe(VERSION);
    const one = run(bin, ['run', '--profile', 'strict', '--runs', '1', '--seed', '1'], project);
    expect(one.stderr).toBe('');
    expect(one.status).toBe(0);
    expect(one.stdout).toContain('PASSED: 4 suite(s)');
    const bad = run(bin, ['run', '--runs', 'many'], project);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe("grantcheck: --runs: 'many' is not a whole number\n");
  });
});

describe('the user project', () => {
  it('resolves grantcheck to the installed copy, not the repository', () => {
    const resolved = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "console.log(import.meta.resolve('grantcheck'))"],
      { cwd: project, env: userEnv(), encoding: 'utf8' },
    );
    expect(resolved.trim()).toMatch(/\/project\/node_modules\/grantcheck\/dist\/src\/index\.js$/);
  });
});
