// Output paths and the CLI's papercuts: --out is checked before any work (exit 2, one line), a
// violation is printed before any write that could fail, the bare command prints its help.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'grantcheck-out-'));
}

describe('--out is checked before any work', () => {
  const dir = tmp();
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  it.each([
    [['run', '--out', file], `--out: ${file} exists and is not a directory`],
    [
      ['run', '--out', join(file, 'sub')],
      `--out: ${join(file, 'sub')}: a part of the path is not a directory`,
    ],
    [['run', '--out', ''], '--out: the path is empty'],
    [['faults', '--out', file], `--out: ${file} exists and is not a directory`],
    [['explore', '--out', file], `--out: ${file} exists and is not a directory`],
    [['explore', '--model', 'xen', '--out', file], `--out: ${file} exists and is not a directory`],
    [
      ['exec', '--out', dir, 'query_size(d0: dom=d1)'],
      `--out: ${dir} is a directory; give a file name`,
    ],
    [['exec', '--out', '', 'query_size(d0: dom=d1)'], '--out: the path is empty'],
    // a rename over a device would replace it with a file (session 37's review: /dev/null)
    [
      ['exec', '--out', '/dev/null', 'query_size(d0: dom=d1)'],
      '--out: /dev/null is not a regular file (a device, FIFO or socket)',
    ],
  ])('%j: exit 2, one line, nothing run', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`grantcheck: ${message}\n`);
    expect(r.out).toBe('');
  });
  it('an unwritable directory is refused up front', async () => {
    const r = await cli('run', '--out', '/proc/grantcheck-traces');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^grantcheck: --out: cannot create files in \/proc \([A-Z]+\)\n$/);
  });
});

describe('a violation survives a failed write', () => {
  it('run prints the violation, then one line about the write, and exits 1', async () => {
    const dir = tmp();
    // The trace's own path is taken by a directory: the directory check passes, the rename fails.
    mkdirSync(join(dir, 'conformance-seed5-end-access-ignores-writing.json'));
    const r = await cli(
      'run',
      '--suite',
      'conformance',
      '--fault',
      'end-access-ignores-writing',
      '--seed',
      '5',
      '--out',
      dir,
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain('result   VIOLATION: result mismatch');
    expect(r.out).toContain('model and impl side by side');
    expect(r.out).not.toContain('trace written');
    expect(r.out).toContain(
      'reproduce:     npx grantcheck run --suite conformance --seed 5 --fault end-access-ignores-writing',
    );
    expect(r.err).toMatch(/^grantcheck: cannot write trace .*\.json: E[A-Z]+\n$/);
    expect(readdirSync(dir)).toEqual(['conformance-seed5-end-access-ignores-writing.json']);
  });
  it('explore prints the counterexample path before the write fails', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'explore-core-D2R2F3M2-end-access-ignores-mappings.json'));
    const r = await cli('explore', '--variant', 'end-access-ignores-mappings', '--out', dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain('result       VIOLATION');
    expect(r.out).toContain('reproduce:     run this command again');
    expect(r.err).toMatch(/^grantcheck: cannot write trace .*: E[A-Z]+\n$/);
  });
  it('explore --json still prints its JSON document, without a trace', async () => {
    const dir = tmp();
    mkdirSync(join(dir, 'explore-core-D2R2F3M2-end-access-ignores-mappings.json'));
    const r = await cli(
      'explore',
      '--variant',
      'end-access-ignores-mappings',
      '--out',
      dir,
      '--json',
    );
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out) as { result: string; trace?: string };
    expect(json.result).toBe('violation');
    expect(json.trace).toBeUndefined();
  });
});

describe('papercuts', () => {
  it('a reader that goes away (grantcheck run | head -1) is no stack trace', async () => {
    const bin = join(import.meta.dirname, '..', '..', 'bin', 'grantcheck.js');
    const child = spawn('node', [bin, 'run', '--suite', 'protocol', '--runs', '30', '--seed', '1']);
    let err = '';
    child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(err).toBe('');
    expect(code).toBe(0);
  });
  it('the bare command prints its help and exits 0', async () => {
    const r = await cli();
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: grantcheck');
    expect(r.out).toContain('replay');
    expect(r.out).toBe((await cli('--help')).out); // the exit codes too, as --help has them
    expect(r.err).toBe('');
  });
  it('help for no such command names it, in one line', async () => {
    const r = await cli('help', 'nope');
    expect(r.code).toBe(2);
    expect(r.err).toBe('grantcheck: help nope: no such command (grantcheck --help lists them)\n');
    expect(r.out).toBe('');
  });
  it('exec with only blank ops is a usage error, not a pass', async () => {
    for (const argv of [[''], ['  ', '\n']]) {
      const r = await cli('exec', ...argv);
      expect(r.code).toBe(2);
      expect(r.err).toBe('grantcheck: no ops given (every argument is blank)\n');
      expect(r.out).toBe('');
    }
  });
});
