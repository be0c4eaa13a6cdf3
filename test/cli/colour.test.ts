// Colour end to end: the grantcheck process decides from its environment and stdout (NO_COLOR,
// FORCE_COLOR, a terminal); JSON is never coloured. The terminal is a pseudo-terminal from
// util-linux's `script`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { stripAnsi } from '../../src/cli/colour.ts';

const root = join(import.meta.dirname, '..', '..');
const entry = join(root, 'bin', 'grantcheck.ts');
const ESC = '\u001b[';
const OPS = ['grant_access(d1 ref=8 -> d2 gfn=0 rw)', 'end_access(d1 ref=8)'];

/** The environment without the colour variables of whoever runs the tests (vitest sets some). */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const drop = new Set(['NO_COLOR', 'FORCE_COLOR', 'TERM', 'CI']);
  const e = Object.fromEntries(Object.entries(process.env).filter(([k]) => !drop.has(k)));
  return { ...e, TERM: 'xterm', ...extra };
}

/** `grantcheck exec OPS` with stdout into a pipe. */
function piped(extra: Record<string, string>, args = ['exec', ...OPS]) {
  return spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: env(extra),
  });
}

/** The same with stdout on a pseudo-terminal (`script` copies what it shows to our stdout). */
function onTerminal(extra: Record<string, string>) {
  const command = [process.execPath, '--import', 'tsx', entry, 'exec', ...OPS]
    .map((a) => `'${a}'`)
    .join(' ');
  return spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: root,
    encoding: 'utf8',
    env: env(extra),
  });
}

describe('colour is decided by the environment and stdout', () => {
  it('none into a pipe', () => {
    const r = piped({});
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('result: PASSES');
    expect(r.stdout).not.toContain(ESC);
  });
  it('FORCE_COLOR colours a pipe', () => {
    const r = piped({ FORCE_COLOR: '1' });
    expect(r.stdout).toContain(ESC);
    expect(stripAnsi(r.stdout)).toBe(piped({}).stdout);
  });
  it('NO_COLOR wins over FORCE_COLOR', () => {
    expect(piped({ FORCE_COLOR: '1', NO_COLOR: '1' }).stdout).not.toContain(ESC);
  });
  it('--json is never coloured', () => {
    const r = piped({ FORCE_COLOR: '1' }, ['exec', '--json', ...OPS]);
    expect(r.stdout).not.toContain(ESC);
    expect(() => JSON.parse(r.stdout) as unknown).not.toThrow();
  });
  it('a terminal is coloured, unless NO_COLOR is set', () => {
    const tty = onTerminal({});
    expect(tty.status).toBe(0);
    expect(tty.stdout).toContain(`${ESC}1m${ESC}32mPASSES`);
    const plain = onTerminal({ NO_COLOR: '1' });
    expect(plain.stdout).toContain('result: PASSES');
    expect(plain.stdout).not.toContain(ESC);
  });
});

it('in-process, an Io that asks for colour gets the verdict and the failing step coloured', async () => {
  let out = '';
  const dir = mkdtempSync(join(tmpdir(), 'grantcheck-colour-'));
  const argv = ['run', '--suite', 'conformance', '--fault', 'end-access-ignores-writing'];
  const code = await main([...argv, '--seed', '5', '--out', dir, '--no-failures'], {
    out: (t) => void (out += t),
    err: () => {},
    interactive: false,
    colour: true,
  });
  expect(code).toBe(1);
  const lines = out.split('\n');
  const failing = lines.find((l) => /^>\d/.test(stripAnsi(l)));
  expect(failing?.startsWith(ESC)).toBe(true);
  expect(lines.find((l) => stripAnsi(l).includes('^ FAILED'))).toContain(ESC);
  expect(lines.find((l) => stripAnsi(l).startsWith('FAILED (conformance)'))).toContain(ESC);
  expect(lines.find((l) => stripAnsi(l).startsWith('grantcheck run:'))).not.toContain(ESC);
}, 60_000);

it('in-process, interleave colours its PASS and VIOLATION verdicts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grantcheck-colour-'));
  const run = async (extra: string[]) => {
    let out = '';
    const argv = ['interleave', '--mode', 'exhaustive', '--out', dir, ...extra];
    const code = await main(argv, {
      out: (t) => void (out += t),
      err: () => {},
      interactive: false,
      colour: true,
    });
    return { code, line: out.split('\n').find((l) => stripAnsi(l).startsWith('exhaustive:')) };
  };
  const pass = await run([]);
  expect(pass.code).toBe(0);
  expect(pass.line).toContain(`${ESC}`);
  expect(stripAnsi(pass.line ?? '')).toMatch(/: PASS$/);
  const fail = await run(['--fault', 'end-access-non-atomic']);
  expect(fail.code).toBe(1);
  expect(stripAnsi(fail.line ?? '')).toMatch(/: VIOLATION$/);
  expect(fail.line).toContain(ESC);
}, 60_000);
