// --format itf (run, faults, explore) and replaying an ITF file (docs/trace-format.md, "ITF"):
// the file written is ITF, replay reads it and reports the recorded verdict, a tampered state is
// a difference, and a bad ITF file is one line and exit 2, as any bad trace is.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'grantcheck-itf-'));
const TRACE = join(dir, 'conformance-seed5-end-access-ignores-writing.itf.json');

/** Exit 2, nothing on stdout, one line on stderr; the line. */
function oneLine(r: { code: number; out: string; err: string }): string {
  expect(r.code).toBe(2);
  expect(r.out).toBe('');
  expect(r.err.endsWith('\n')).toBe(true);
  expect(r.err.slice(0, -1)).not.toContain('\n');
  return r.err;
}

describe('run --format itf', () => {
  it('writes an ITF trace that replay accepts with the same verdict', async () => {
    const run = await cli(
      'run',
      '--fault',
      'end-access-ignores-writing',
      '--seed',
      '5',
      '--format',
      'itf',
      '--no-failures',
      '--out',
      dir,
    );
    expect(run.code).toBe(1);
    expect(run.out).toContain(`trace written: ${TRACE}\n`);
    expect(run.out).toContain(`reproduce:     npx grantcheck replay ${TRACE}\n`);
    // Only the ITF file (and its page): --format chooses the format, it does not add one.
    expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toEqual([
      'conformance-seed5-end-access-ignores-writing.itf.json',
    ]);
    const itf = JSON.parse(readFileSync(TRACE, 'utf8')) as {
      '#meta': { format: string; grantcheck: { verdict: { kind: string; step: number } } };
      vars: string[];
      states: unknown[];
    };
    expect(itf['#meta'].format).toBe('ITF');
    expect(itf.vars).toContain('grantEntries');
    const verdict = itf['#meta'].grantcheck.verdict;
    expect(verdict.kind).toBe('violation');

    const replay = await cli('replay', TRACE);
    expect(replay.code).toBe(1);
    expect(replay.out).toContain(
      `result: FAILS (recorded: violation at step ${verdict.step + 1}, same)\n`,
    );
    expect(itf.states).toHaveLength(Number(/(\d+) steps/.exec(replay.out)?.[1] ?? Number.NaN) + 1);
  });

  it('replay reports a tampered ITF state as a difference', async () => {
    const itf = JSON.parse(readFileSync(TRACE, 'utf8')) as {
      states: Record<string, { '#map': [unknown, unknown][] }>[];
    };
    const last = itf.states[itf.states.length - 1];
    if (last === undefined) throw new Error('no states');
    last['frameOwner'] = { '#map': [] };
    const file = join(dir, 'tampered.itf.json');
    writeFileSync(file, JSON.stringify(itf));
    const replay = await cli('replay', file);
    expect(replay.code).toBe(1);
    expect(replay.out).toContain(', different)\n');
    expect(replay.out).toMatch(
      new RegExp(`owner: recorded .* at step ${itf.states.length - 1}\\n`),
    );
  });

  it('--format takes json or itf, and lists them when given another', async () => {
    const r = await cli('run', '--format', 'tla');
    const line = oneLine(r);
    expect(line).toContain("--format: 'tla' is not one of json, itf");
    const help = await cli('run', '--help');
    expect(help.out).toMatch(/--format <format>[\s\S]*choices: "json", "itf"/);
  });

  it('explore --model core refuses --format itf (a core trace has its own format)', async () => {
    expect(oneLine(await cli('explore', '--format', 'itf'))).toContain(
      '--format itf applies to --model xen only',
    );
  });
});

describe('replay of a bad ITF file', () => {
  const bad = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('an ITF trace of another tool: one line, exit 2', async () => {
    const file = bad(
      'other.itf.json',
      JSON.stringify({ '#meta': { source: 'x.qnt' }, vars: ['x'], states: [{ x: 1 }] }),
    );
    expect(oneLine(await cli('replay', file))).toBe(
      `grantcheck: ${file}: ITF: ["#meta"].grantcheck: missing: not an ITF trace written by grantcheck (it holds the config, fault, origin and verdict)\n`,
    );
  });

  it('a broken encoding deep inside a state: one line naming its path, exit 2', async () => {
    const itf = JSON.parse(readFileSync(TRACE, 'utf8')) as { states: Record<string, unknown>[] };
    const first = itf.states[1];
    if (first === undefined) throw new Error('no step');
    first['p2m'] = { '#map': [[{ '#bigint': '0' }, { '#map': [[{ '#bigint': 'x' }, 1]] }]] };
    const line = oneLine(await cli('replay', bad('broken.itf.json', JSON.stringify(itf))));
    expect(line).toContain(
      'ITF: states.1.p2m["#map"].0.1["#map"].0.0: #bigint: expected a string of decimal digits, got "x"',
    );
  });

  it('truncated JSON is refused before any ITF is read', async () => {
    const text = readFileSync(TRACE, 'utf8');
    expect(oneLine(await cli('replay', bad('cut.itf.json', text.slice(0, 200))))).toMatch(
      /: not JSON: /,
    );
  });
});
