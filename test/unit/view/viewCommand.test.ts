// `grantcheck view`: writes the page beside the trace (or at --out) and prints its path; bad
// input is one line on stderr, exit 2, and no file.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../../support/cli.ts';

const fixture = join(
  import.meta.dirname,
  '..',
  '..',
  'fixtures',
  'traces',
  'fault-end-access-ignores-writing.json',
);
const tmp = mkdtempSync(join(tmpdir(), 'grantcheck-view-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('grantcheck view', () => {
  it('writes the page beside the trace and prints its path', async () => {
    const trace = join(tmp, 'a.json');
    copyFileSync(fixture, trace);
    const r = await cli('view', trace);
    expect(r).toEqual({ code: 0, out: `view written: ${join(tmp, 'a.html')}\n`, err: '' });
    expect(existsSync(join(tmp, 'a.html'))).toBe(true);
  });

  it('--out names the file', async () => {
    const out = join(tmp, 'sub', 'page.html');
    const r = await cli('view', fixture, '--out', out);
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('--out naming the trace itself is refused, and the trace is kept', async () => {
    const trace = join(tmp, 'self.json');
    copyFileSync(fixture, trace);
    const before = readFileSync(trace, 'utf8');
    const r = await cli('view', trace, '--out', trace);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/self\.json is the trace itself\n$/);
    expect(readFileSync(trace, 'utf8')).toBe(before);
  });

  describe('bad input: one line, exit 2, nothing written', () => {
    /** A directory of its own holding `text` as trace.json (or nothing). */
    const traceIn = (name: string, text?: string): string => {
      const dir = join(tmp, name);
      mkdirSync(dir);
      const path = join(dir, 'trace.json');
      if (text !== undefined) writeFileSync(path, text);
      return path;
    };
    it.each([
      ['a missing file', undefined, /trace\.json: no such file\n$/],
      ['bad JSON', '{"format": "grantcheck-trace",', /trace\.json: not JSON/],
      ['the wrong schema', '{"format": "grantcheck-trace", "version": 3}', /trace\.json: tool: /],
      ['another format', '{"format": "itf"}', /trace\.json: format: expected "grantcheck-trace"/],
    ])('%s', async (what, text, message) => {
      const path = traceIn(what.replace(/ /g, '-'), text);
      for (const args of [[], ['--out', join(tmp, 'never.html')]]) {
        const r = await cli('view', path, ...args);
        expect(r.code).toBe(2);
        expect(r.out).toBe('');
        expect(r.err.split('\n')).toHaveLength(2); // one line and its newline
        expect(r.err).toMatch(message);
      }
      expect(readdirSync(dirname(path)).filter((n) => n !== 'trace.json')).toEqual([]);
      expect(existsSync(join(tmp, 'never.html'))).toBe(false);
    });
  });

  it('grantcheck run writes the page beside the trace it writes, and prints its path', async () => {
    const dir = join(tmp, 'run');
    const r = await cli(
      'run',
      '--fault',
      'end-access-ignores-writing',
      '--seed',
      '5',
      '--out',
      dir,
      '--no-failures',
    );
    expect(r.code).toBe(1);
    const page = join(dir, 'conformance-seed5-end-access-ignores-writing.html');
    expect(r.out).toContain(`\nview:          ${page}\n`);
    expect(readdirSync(dir).sort()).toEqual([
      'conformance-seed5-end-access-ignores-writing.html',
      'conformance-seed5-end-access-ignores-writing.json',
    ]);
  });

  it('a bad --out is refused before any work', async () => {
    const r = await cli('view', fixture, '--out', tmp);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out: .* is a directory/);
  });
});
