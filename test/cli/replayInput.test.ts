// `grantcheck replay` on hostile files (issue 8): each case is one of the defects found by
// feeding it malformed traces. Bad input is exit 2 with one bounded, escaped line; a trace whose
// recorded results or states contradict the run is reported as different.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { Io } from '../../src/cli/outcome.ts';
import { brokenCoreTrace } from '../support/coreTrace.ts';

const fixture = join(
  import.meta.dirname,
  '..',
  'fixtures',
  'traces',
  'pass-grant-map-unmap-end.json',
);
const PASS_TEXT = readFileSync(fixture, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'grantcheck-input-'));

async function replay(
  contents: string | Buffer,
  ...flags: string[]
): Promise<{ code: number; out: string; err: string }> {
  const file = join(dir, 'trace.json');
  writeFileSync(file, contents);
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), interactive: false };
  const code = await main(['replay', file, ...flags], io);
  return { code, out, err };
}

/** Exit 2, nothing on stdout, exactly one line on stderr, short, without control characters. */
function expectOneLine(r: { code: number; out: string; err: string }): string {
  expect(r.code).toBe(2);
  expect(r.out).toBe('');
  expect(r.err.endsWith('\n')).toBe(true);
  const line = r.err.slice(0, -1);
  expect(line).not.toContain('\n');
  expect(line.length).toBeLessThanOrEqual(300);
  // eslint-disable-next-line no-control-regex -- looking for control characters is the point
  expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  return line;
}

/** The passing trace with `edit` applied to its parsed value. */
function edited(edit: (t: Record<string, unknown>) => void): string {
  const t = JSON.parse(PASS_TEXT) as Record<string, unknown>;
  edit(t);
  return JSON.stringify(t);
}

const nest = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

describe('replay: limits before parsing and printing', () => {
  it('a format nested 4,100 levels deep is exit 2, not a stack overflow', async () => {
    const text = PASS_TEXT.replace('"grantcheck-trace"', nest(4100));
    expect(expectOneLine(await replay(text))).toMatch(/nested deeper than 32 levels at line 2/);
  });
  it('a version nested 4,100 levels deep likewise', async () => {
    const text = PASS_TEXT.replace('"version": 1', `"version": ${nest(4100)}`);
    expect(expectOneLine(await replay(text))).toMatch(/nested deeper than 32 levels/);
  });
  it('a 1 MB field is elided with its length', async () => {
    const text = edited((t) => void (t['format'] = 'a'.repeat(1 << 20)));
    const line = expectOneLine(await replay(text));
    expect(line).toMatch(/format: expected "grantcheck-trace", got "a+…" \(1048576 chars\)$/);
  });
  it('a long file name and a long path still give one short line', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`.padEnd(40, '\u001b'));
    const deep = `${keys.map((k) => `{${JSON.stringify(k)}:`).join('')}{"__proto__":1}${'}'.repeat(30)}`;
    const text = PASS_TEXT.replace('"tool":', `"x": ${deep}, "tool":`);
    const sub = join(dir, 'd'.repeat(200));
    mkdirSync(sub, { recursive: true });
    const file = join(sub, 'trace.json');
    writeFileSync(file, text);
    let err = '';
    const io: Io = { out: () => {}, err: (t) => void (err += t), interactive: false };
    const code = await main(['replay', file], io);
    expect(expectOneLine({ code, out: '', err })).toMatch(/reserved key, not allowed/);
  });
  it('a named pipe is refused, not read (it would block)', async () => {
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    let err = '';
    const io: Io = { out: () => {}, err: (t) => void (err += t), interactive: false };
    expect(await main(['replay', fifo], io)).toBe(2);
    expect(err).toMatch(/fifo\.json: not a regular file\n$/);
  });
});

describe('replay: what a message shows is escaped', () => {
  it('escape sequences (C0 and C1 CSI), newlines and bidi overrides in a bad value', async () => {
    const text = edited((t) => void (t['format'] = '\u001b[31mred\nline\u009b2J\u202e'));
    const line = expectOneLine(await replay(text));
    expect(line).toContain('got "\\u001b[31mred\\nline\\u009b2J\\u202e"');
  });
  it('raw file bytes in a JSON syntax error', async () => {
    const line = expectOneLine(await replay('{"format": \u001b[2J\u001b]0;pwned\u0007 }'));
    expect(line).toMatch(/not JSON: .*\\u001b/);
    expect(line).not.toContain('pwned');
  });
  it('an unknown key, by its path, escaped', async () => {
    const text = edited((t) => {
      const steps = t['steps'] as Record<string, unknown>[];
      const step = steps[0] ?? {};
      step['note\u001b[2J'] = 1;
    });
    expect(expectOneLine(await replay(text))).toMatch(
      /trace\.json: steps\.0\["note\\u001b\[2J"\]: unknown key$/,
    );
  });
  it('an unknown key at the top level names the key', async () => {
    const text = edited((t) => void (t['comment'] = 'x'));
    expect(expectOneLine(await replay(text))).toMatch(/trace\.json: comment: unknown key$/);
  });
  it('a __proto__ key is refused with its path, not dropped', async () => {
    const text = edited((t) => {
      t['origin'] = { engine: 'explore', model: 'xen', bounds: { depth: 3 } };
    }).replace('"bounds":{', '"bounds":{"__proto__":{"depth":9},');
    expect(expectOneLine(await replay(text))).toMatch(
      /origin\.bounds\.__proto__: reserved key, not allowed$/,
    );
  });
  it('a constructor key likewise', async () => {
    const text = PASS_TEXT.replace('"tool":', '"constructor": {}, "tool":');
    expect(expectOneLine(await replay(text))).toMatch(/constructor: reserved key, not allowed$/);
  });
  it('a bad --fault value is quoted and escaped', async () => {
    const line = expectOneLine(await replay(PASS_TEXT, '--fault', '\u001b[31mx'));
    expect(line).toContain(`--fault: no fault "\\u001b[31mx"`);
  });
});

describe('replay: encodings', () => {
  it('a UTF-8 BOM is stripped and the trace replays', async () => {
    const r = await replay(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(PASS_TEXT)]),
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('result: PASSES (recorded: pass, same)');
  });
  it('UTF-16 with a BOM is refused by name', async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(PASS_TEXT, 'utf16le')]);
    expect(expectOneLine(await replay(le))).toMatch(
      /UTF-16 is not supported: save the file as UTF-8$/,
    );
  });
  it('UTF-16 without a BOM (NUL bytes between ASCII) likewise', async () => {
    const be = Buffer.from(PASS_TEXT, 'utf16le').swap16();
    expect(expectOneLine(await replay(be))).toMatch(/UTF-16 is not supported/);
  });
  it('invalid UTF-8 is refused by name', async () => {
    const bad = Buffer.from(PASS_TEXT.replace('"manual"', '"man\u00ffual"'), 'latin1');
    expect(expectOneLine(await replay(bad))).toMatch(/not UTF-8 text/);
  });
});

function coreTrace(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(brokenCoreTrace())) as Record<string, unknown>;
}

describe('replay of a core-model trace', () => {
  it('replays to its recorded verdict, same', async () => {
    const r = await replay(JSON.stringify(coreTrace()));
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAILED: invariant free-entry-unmapped');
    expect(r.out).toContain('(same as recorded)');
  });
  it('refuses --fault, even a bogus one, in one line saying why', async () => {
    const line = expectOneLine(await replay(JSON.stringify(coreTrace()), '--fault', 'bogus'));
    expect(line).toContain('--fault "bogus": not applicable to a core-model trace');
  });
  it('does not print its fields raw: escape sequences are refused, escaped', async () => {
    const t = coreTrace();
    t['origin'] = { engine: 'explore', model: '\u001b[31mcore', bounds: {} };
    const line = expectOneLine(await replay(JSON.stringify(t)));
    expect(line).toContain('origin.model: control characters are not allowed');
    const u = coreTrace();
    u['initialState'] = 'all free\u001b]0;title\u0007';
    expect(expectOneLine(await replay(JSON.stringify(u)))).toContain('initialState:');
  });
  it('reports a recorded state the run contradicts', async () => {
    const t = coreTrace();
    const steps = t['steps'] as { action: string; state: string }[];
    const first = steps[0];
    if (first) first.state = 'not what the model reaches';
    const r = await replay(JSON.stringify(t));
    expect(r.code).toBe(1);
    expect(r.out).toContain('(differs from the recorded run)');
    expect(r.out).toMatch(/state: recorded not what the model reaches, now .* at step 1\n/);
  });
});

describe('replay checks the recorded results and states', () => {
  it('a mapped result without its dev_bus_addr is refused, not a crash (found by npm run fuzz)', async () => {
    const text = edited((t) => {
      const steps = t['steps'] as { model: { results: Record<string, unknown>[] } }[];
      const first = steps[1]?.model.results[0];
      if (first) delete first['devBusAddr'];
    });
    expect(expectOneLine(await replay(text))).toMatch(
      /steps\.1\.model\.results\.0: a mapped element has both handle and devBusAddr, a failed one neither$/,
    );
  });
  it('a recorded maptrack handle beyond the model range is refused, not a crash', async () => {
    const text = edited((t) => {
      const steps = t['steps'] as { state: { domains: { maptrack: { freeList: number[] } }[] } }[];
      const d2 = steps[1]?.state.domains[2];
      if (d2) d2.maptrack.freeList = [2 ** 31];
    });
    expect(expectOneLine(await replay(text))).toMatch(
      /steps\.1\.state\.domains\.2\.maptrack\.freeList\.0: Too big/,
    );
  });
  it('a recorded model result the run contradicts is a difference, not "same"', async () => {
    const text = edited((t) => {
      const steps = t['steps'] as Record<string, unknown>[];
      const step = steps[0] ?? {};
      step['model'] = { kind: 'grant_access', outcome: 'einval' };
    });
    const r = await replay(text);
    expect(r.code).toBe(0);
    expect(r.out).toContain('result: PASSES (recorded: pass, different)');
    expect(r.out).toContain('  model result: recorded einval, now ok at step 1\n');
    const j = await replay(text, '--json');
    const parsed = JSON.parse(j.out) as { matchesRecorded: boolean; differences: unknown[] };
    expect(parsed.matchesRecorded).toBe(false);
    expect(parsed.differences).toEqual([
      { step: 1, what: 'model result', recorded: 'einval', now: 'ok' },
    ]);
  });
  it('a recorded state the run contradicts is a difference', async () => {
    const text = edited((t) => {
      const steps = t['steps'] as { state: { domains: { totPages: number }[] } }[];
      const d0 = steps[2]?.state.domains[0];
      if (d0) d0.totPages += 1;
    });
    const r = await replay(text);
    expect(r.out).toContain('result: PASSES (recorded: pass, different)');
    expect(r.out).toMatch(/ {2}state d0 tot_pages: recorded 5, now 4 at step 3\n/);
  });
});
