// CLI end to end: stdout, stderr and exit codes. Most cases call main() in-process with captured
// output; a few spawn the sources' entry (bin/grantcheck.ts through tsx, as `npm run grantcheck`
// does) to check --version and exit codes. The compiled bin/grantcheck.js is tested on the
// installed package in test/package/.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TRACE_DIR } from '../../src/cli/commands/run.ts';
import { VERSION } from '../../src/version.ts';
import { cli } from '../support/cli.ts';

const root = join(import.meta.dirname, '..', '..');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'grantcheck-test-'));
}

describe('grantcheck from the sources (npm run grantcheck)', () => {
  const entry = join(root, 'bin', 'grantcheck.ts');
  it('prints its version and exits 0', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', entry, '--version'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(out.trim()).toBe(VERSION);
  });
  it('reports a bad flag in one line with exit 2', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', entry, 'run', '--runs', 'many'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("grantcheck: --runs: 'many' is not a whole number\n");
    expect(r.stdout).toBe('');
  });
});

describe('npm run grantcheck (issue 15: once did nothing and exited 0)', () => {
  // --ignore-scripts skips the pre-script (gen-sequential), not the script itself: vitest's
  // globalSetup has made the twins already.
  const npm = (...args: string[]) =>
    spawnSync('npm', ['run', '--silent', '--ignore-scripts', 'grantcheck', ...args], {
      cwd: root,
      encoding: 'utf8',
    });
  it('hands its arguments to the command', () => {
    const r = npm('--', 'run', '--runs', 'many');
    expect(r.stderr).toBe("grantcheck: --runs: 'many' is not a whole number\n");
    expect(r.status).toBe(2);
  });
  it('bare, prints the help and exits 0 (once "grantcheck: (outputHelp)", exit 2)', () => {
    const r = npm();
    expect(r.stdout).toMatch(/^Usage: grantcheck \[options\] \[command\]/);
    expect(r.stdout).toContain('Exit codes:');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('grantcheck help', () => {
  it.each(['run', 'faults', 'explore'])(
    "shows %s's --out default, the directory the command writes to",
    async (command) => {
      const r = await cli(command, '--help');
      expect(r.code).toBe(0);
      const help = r.out.replace(/\s+/g, ' '); // help wraps its lines at the terminal's width
      expect(help).toMatch(new RegExp(`--out <dir> [^-]*\\(default: "${DEFAULT_TRACE_DIR}"\\)`));
    },
  );
});

describe('grantcheck run', () => {
  it('passes a small run and prints the summary', async () => {
    const r = await cli(
      'run',
      ...['--suite', 'conformance', '--profile', 'strict', '--seed', '7', '--runs', '20'],
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('grantcheck run: seed 7');
    expect(r.out).toMatch(/ops\s+\d+ checked in [\d.]+ s \(\d+ ops\/s\)/);
    expect(r.out).toContain('map_grant_ref');
    expect(r.out).toContain('PASSED: 1 suite(s)');
  });
  it('gives the same summary for the same seed (timings aside)', async () => {
    const strip = (s: string) => s.replace(/in [\d.]+ s \(\d+ ops\/s\)/g, '');
    const a = await cli('run', '--suite', 'protocol', '--seed', '11', '--runs', '15');
    const b = await cli('run', '--suite', 'protocol', '--seed', '11', '--runs', '15');
    expect(strip(a.out)).toBe(strip(b.out));
  });
  it('runs every profile by default: strict on the runs asked, each library on a twentieth', async () => {
    const argv = ['run', '--suite', 'conformance', '--seed', '7', '--runs', '40', '--json'];
    const r = await cli(...argv);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { suites: { name: string; runs: number }[] };
    expect(json.suites.map((s) => [s.name, s.runs])).toEqual([
      ['conformance', 40],
      ['conformance+linux', 2],
      ['conformance+mini-os', 2],
      ['conformance+mirage', 2],
    ]);
    // the strict pass draws exactly what --profile strict draws
    const strict = JSON.parse((await cli(...argv, '--profile', 'strict')).out) as typeof json;
    const drawn = (s: Record<string, unknown> | undefined) => ({ ...s, opsPerSecond: 0 });
    expect(strict.suites.map(drawn)).toEqual(json.suites.slice(0, 1).map(drawn));
  });
  it('a library pass that fails writes a trace that replays under its profile', async () => {
    const out = mkdtempSync(join(tmpdir(), 'grantcheck-profiles-'));
    try {
      // A Linux library bug with --profile all: the strict pass cannot see it (no domain runs
      // Linux's library); the linux pass catches it on its twentieth of the runs.
      const argv = ['--suite', 'conformance', '--fault', 'linux-reserved-ref-freed'];
      const r = await cli(
        'run',
        ...argv,
        '--profile',
        'all',
        '--seed',
        '1',
        '--out',
        out,
        '--no-failures',
      );
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/suite conformance: [^\n]*\n {2}runs {5}2000 ×[\s\S]*PASS/);
      const trace = join(out, 'conformance+linux-seed1-linux-reserved-ref-freed.json');
      expect(r.out).toContain(`reproduce:     npx grantcheck replay ${trace}`);
      const recorded = JSON.parse(readFileSync(trace, 'utf8')) as {
        config: { profiles?: string[] };
      };
      expect(recorded.config.profiles).toEqual(['strict', 'linux', 'linux']);
      const replay = await cli('replay', trace, '--json');
      expect(replay.code).toBe(1);
      expect((JSON.parse(replay.out) as { verdict: { kind: string } }).verdict.kind).toBe(
        'violation',
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
  it('an `all` leaves out the passes that need more domains; at their minimum they run', async () => {
    const run = async (...argv: string[]) => {
      const fixed = ['--seed', '1', '--runs', '3', '--no-failures', '--json'];
      const r = await cli('run', ...argv, ...fixed);
      expect(r.code).toBe(0);
      return (JSON.parse(r.out) as { suites: { name: string }[] }).suites.map((s) => s.name);
    };
    // --suite all and --profile all (the defaults): no death, backends nor library pass
    expect(await run('--domains', '1')).toEqual(['conformance', 'protocol']);
    const death = ['--suite', 'death', '--domains', '2', '--profile', 'strict'];
    expect(await run(...death)).toEqual(['death']);
    const linux = ['--suite', 'protocol', '--domains', '2', '--profile', 'linux'];
    expect(await run(...linux)).toEqual(['protocol+linux']);
  });
  it('emits a JSON summary with --json', async () => {
    const r = await cli(
      'run',
      ...['--suite', 'protocol', '--profile', 'strict', '--seed', '3', '--runs', '10', '--json'],
    );
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { result: string; seed: number; suites: { name: string }[] };
    expect(json.result).toBe('pass');
    expect(json.seed).toBe(3);
    expect(json.suites.map((s) => s.name)).toEqual(['protocol']);
  });
  it.each([
    [
      ['run', '--suite', 'nope'],
      "--suite: 'nope' is not one of conformance, protocol, death, backends, all",
    ],
    [['run', '--seed', '-1'], "--seed: '-1' is not a whole number"],
    [['run', '--domains', '0'], '--domains: 0 is outside 1..16'],
    // below a suite's minimum its ops never reach what it checks: it would pass vacuously
    [
      ['run', '--suite', 'death', '--domains', '1'],
      '--suite death needs --domains 2 or more (the control domain and a domain for it to destroy)',
    ],
    [
      ['run', '--suite', 'backends', '--domains', '1'],
      '--suite backends needs --domains 2 or more (a frontend and a backend domain apart)',
    ],
    // a guest library runs in domains 1..: with dom0 alone none of its ops is made
    [
      ['run', '--profile', 'linux', '--domains', '1'],
      '--profile linux needs --domains 2 or more (the linux library runs in domains 1.., dom0 the strict one)',
    ],
    [
      ['run', '--fault', 'linux-reserved-ref-freed', '--profile', 'all', '--domains', '1'],
      '--fault linux-reserved-ref-freed needs --domains 2 or more (the linux library runs in domains 1.., dom0 the strict one)',
    ],
    [['run', '--fault', 'no-such-fault'], "--fault: no fault 'no-such-fault'"],
    [['faults', '--only', 'no-such-fault'], "--only: no fault 'no-such-fault'"],
    [['exec', '--domains', '17', 'query_size(d1)'], '--domains: 17 is outside 1..16'],
    [['frobnicate'], "unknown command 'frobnicate'"],
  ])('rejects %j with exit 2 and one line', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.err).toContain(message.replace(/^error: /, ''));
  });
});

describe('grantcheck replay', () => {
  it('rejects a malformed trace naming the bad field, exit 2', async () => {
    const dir = tmp();
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ format: 'grantcheck-trace', version: 1, tool: 'x' }));
    const r = await cli('replay', file);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^grantcheck: .*bad\.json: config: /);
    expect(r.out).toBe('');
  });
  it('rejects a file that is not JSON, and a missing file', async () => {
    const dir = tmp();
    const file = join(dir, 'x.json');
    writeFileSync(file, '{ nope');
    expect((await cli('replay', file)).err).toMatch(/not JSON/);
    expect((await cli('replay', join(dir, 'missing.json'))).err).toMatch(/no such file/);
  });
  it('round-trips an exec trace: written, then replayed to the same verdict', async () => {
    const dir = tmp();
    const file = join(dir, 'ok.json');
    const ops = ['grant_access(d1 ref=8 -> d2 gfn=0 rw)', 'map(d2: d1 ref=8 host @0x1000)'];
    const w = await cli('exec', '--out', file, ...ops);
    expect(w.code).toBe(0);
    expect(readdirSync(dir)).toEqual(['ok.json']); // no temporary file left behind
    const r = await cli('replay', file);
    expect(r.code).toBe(0);
    expect(r.out).toContain('result: PASSES (recorded: pass, same)');
    // the cells as data: the table wraps them to the width
    const j = JSON.parse((await cli('replay', file, '--json')).out) as {
      steps: { op: string; model: string }[];
    };
    expect(j.steps[0]?.op).toBe('grant_access(d1 ref=8 -> d2 gfn=0 rw)');
    expect(j.steps[1]?.model).toContain('[okay h=0 dev=');
    const trace = JSON.parse(readFileSync(file, 'utf8')) as { steps: unknown[] };
    expect(trace.steps).toHaveLength(2);
  });
});

describe('grantcheck replay of a core-model trace', () => {
  it("re-runs the explorer's 3-step counterexample and exits 1", async () => {
    const dir = tmp();
    const e = await cli(
      'explore',
      '--variant',
      'end-access-ignores-mappings',
      '--domains',
      '2',
      '--refs',
      '2',
      '--frames',
      '2',
      '--max-pin',
      '1',
      '--out',
      dir,
    );
    expect(e.code).toBe(1);
    const [file] = readdirSync(dir);
    expect(e.out).toContain(`reproduce:     npx grantcheck replay ${join(dir, file ?? '')}`);
    const r = await cli('replay', join(dir, file ?? ''));
    expect(r.code).toBe(1);
    expect(r.out).toContain('3 core steps');
    expect(r.out).toContain('FAILED: invariant free-entry-unmapped');
  });
});

describe('grantcheck exec and list', () => {
  it('rejects an unparsable op with exit 2', async () => {
    const r = await cli('exec', 'map(d2 d1 ref=8)');
    expect(r.code).toBe(2);
    expect(r.err).toContain('op 1: map:');
  });
  it('rejects an op whose acting domain does not exist', async () => {
    const r = await cli('exec', 'end_access(d9 ref=8)');
    expect(r.code).toBe(2);
    expect(r.err).toContain('acting domain d9 does not exist');
  });
  it('--vcpus: a map names its vCPU; the other vCPU then steals from its list', async () => {
    const ops = [
      'grant_access(d1 ref=8 -> d2 gfn=0 ro)',
      'map(d2 v1: d1 ref=8 dev|ro @0x0)',
      'map(d2: d1 ref=8 dev|ro @0x0)',
    ];
    const r = await cli('exec', '--vcpus', '2', '--json', ...ops);
    expect(r.code).toBe(0);
    const steps = (JSON.parse(r.out) as { steps: { op: string; model: string }[] }).steps;
    expect(steps[1]).toMatchObject({ op: 'map(d2 v1: d1 ref=8 dev|ro @0x0)' });
    expect(steps[1]?.model).toMatch(/okay h=0/);
    expect(steps[2]?.model).toMatch(/okay h=2/); // steals 1 as its sentinel, then 2
    const one = await cli('exec', ...ops);
    expect(one.code).toBe(2);
    expect(one.err).toContain('vCPU v1 of d2 does not exist');
  });
  it('lists suites, invariants, op kinds and faults', async () => {
    const r = await cli('list');
    expect(r.code).toBe(0);
    for (const word of ['conformance', 'pin-accounting', 'map_grant_ref', 'faults']) {
      expect(r.out).toContain(word);
    }
    // the guest-library op kinds, apart, with the profile they need
    expect(r.out).toMatch(
      /\nguest-library op kinds \(need a non-strict profile: run --profile linux, mini-os, mirage\)\n {2}alloc_refs, free_ref, end_access_deferred, tick, free_page\n/,
    );
    const json = JSON.parse((await cli('list', '--json')).out) as Record<string, unknown>;
    expect(json.profileOpKinds).toEqual([
      'alloc_refs',
      'free_ref',
      'end_access_deferred',
      'tick',
      'free_page',
    ]);
    expect(json.opKinds).not.toContain('tick');
  });
});
