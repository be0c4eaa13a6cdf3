// The ITF codec (src/trace/itf/): each encoding pinned by its exact JSON, every corpus trace
// round-trips byte for byte, a bad ITF file is one line naming its path, and a tampered ITF
// state is reported by replay as a difference from the recorded run.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { findFault, INVARIANTS, STEP_PROPERTIES } from '../../../src/index.ts';
import { subjectOf } from '../../../src/faults/index.ts';
import { traceFileName } from '../../../src/cli/write.ts';
import type { Trace } from '../../../src/trace/format.ts';
import { loadTrace, parseTrace, serialiseTrace } from '../../../src/trace/io.ts';
import type { ItfTrace } from '../../../src/trace/itf/index.ts';
import {
  isItf,
  ITF_EXTENSION,
  ITF_VARS,
  itfPathOf,
  serialiseItf,
  traceToItf,
} from '../../../src/trace/itf/index.ts';
import {
  itfInt,
  itfIntMap,
  ItfIntSchema,
  ItfJsonSchema,
  itfMap,
  itfMapSchema,
  itfSet,
  itfSetSchema,
  itfTup,
  itfVariant,
  jsonToItf,
} from '../../../src/trace/itf/values.ts';
import { replayTrace, describeDifference } from '../../../src/trace/replay.ts';

const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'traces');
const corpus = readdirSync(dir).filter((f) => f.endsWith('.json'));

function load(file: string): Trace {
  const loaded = loadTrace(join(dir, file));
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.trace;
}

/** The ITF of a corpus trace as a mutable JSON value (what a file holds). */
function itfJson(file: string): Record<string, unknown> & { states: Record<string, unknown>[] } {
  return JSON.parse(serialiseItf(traceToItf(load(file)))) as Record<string, unknown> & {
    states: Record<string, unknown>[];
  };
}

/** parseTrace's error for an ITF value, which must be one. */
function errorOf(value: unknown): string {
  const parsed = parseTrace(value);
  if (parsed.ok) throw new Error('expected a refusal');
  return parsed.error;
}

describe('ITF encodings', () => {
  it('integers are #bigint strings, any size a double holds exactly', () => {
    expect(itfInt(0)).toEqual({ '#bigint': '0' });
    expect(itfInt(-3)).toEqual({ '#bigint': '-3' });
    expect(itfInt(2 ** 53 - 1)).toEqual({ '#bigint': '9007199254740991' });
    expect(() => itfInt(1.5)).toThrow(/not a safe integer/);
    expect(() => itfInt(2 ** 53)).toThrow(/not a safe integer/);
  });

  it('reads an integer written either way, and refuses one beyond 2^53', () => {
    expect(ItfIntSchema.parse({ '#bigint': '4294967295' })).toBe(4294967295);
    expect(ItfIntSchema.parse({ '#bigint': '-7' })).toBe(-7);
    expect(ItfIntSchema.parse(12)).toBe(12);
    const bad = (v: unknown) => ItfIntSchema.safeParse(v).error?.issues[0]?.message;
    expect(bad({ '#bigint': '9007199254740992' })).toMatch(/beyond ±\(2\^53-1\)/);
    expect(bad({ '#bigint': '1e3' })).toMatch(/decimal digits/);
    expect(bad({ '#bigint': 3 })).toMatch(/decimal digits/);
    expect(bad({ '#bigint': '3', x: 1 })).toMatch(/no other key/);
    expect(bad(1.5)).toMatch(/not an integer/);
    expect(bad('3')).toMatch(/expected an integer/);
  });

  it('maps are #map pairs in order, sets #set, tuples #tup, variants {tag, value}', () => {
    expect(itfIntMap([[8, 'a'] as const, [2, 'b'] as const], (v) => v)).toEqual({
      '#map': [
        [{ '#bigint': '8' }, 'a'],
        [{ '#bigint': '2' }, 'b'],
      ],
    });
    expect(itfMap([])).toEqual({ '#map': [] });
    expect(itfSet([itfInt(1)])).toEqual({ '#set': [{ '#bigint': '1' }] });
    expect(itfTup([itfInt(0), itfInt(16), itfInt(171)])).toEqual({
      '#tup': [{ '#bigint': '0' }, { '#bigint': '16' }, { '#bigint': '171' }],
    });
    expect(itfVariant('None')).toEqual({ tag: 'None', value: {} });
    expect(
      itfMapSchema(ItfIntSchema, z.string()).parse({ '#map': [[{ '#bigint': '5' }, 'x']] }),
    ).toEqual([[5, 'x']]);
    expect(itfSetSchema(ItfIntSchema).parse({ '#set': [1, { '#bigint': '2' }] })).toEqual([1, 2]);
    expect(itfSetSchema(ItfIntSchema).safeParse([1]).success).toBe(false);
  });

  it('plain JSON (ops, results) goes both ways through records and lists', () => {
    const op = { dom: 1, batch: [{ ref: 8, flags: 3 }], note: 'x', ok: true, gone: undefined };
    const itf = jsonToItf(op);
    expect(itf).toEqual({
      dom: { '#bigint': '1' },
      batch: [{ ref: { '#bigint': '8' }, flags: { '#bigint': '3' } }],
      note: 'x',
      ok: true,
    });
    expect(ItfJsonSchema.parse(itf)).toEqual({
      dom: 1,
      batch: [{ ref: 8, flags: 3 }],
      note: 'x',
      ok: true,
    });
    const refused = ItfJsonSchema.safeParse({ batch: [{ '#set': [] }] }).error?.issues[0];
    expect(refused?.path).toEqual(['batch', 0]);
    expect(refused?.message).toMatch(/"#set": not expected here/);
  });
});

describe('a trace as ITF', () => {
  it('has the spec header, the variables, and one state per state of the run', () => {
    const trace = load('fault-end-access-ignores-writing.json');
    const itf: ItfTrace = traceToItf(trace);
    expect(itf['#meta'].format).toBe('ITF');
    expect(itf['#meta']['format-description']).toBe(
      'https://apalache-mc.org/docs/adr/015adr-trace.html',
    );
    expect(itf['#meta'].grantcheck.verdict).toEqual(trace.verdict);
    expect(itf['#meta'].grantcheck.origin).toEqual(trace.origin);
    expect(itf.vars).toEqual(ITF_VARS);
    expect(itf.states).toHaveLength(trace.steps.length + 1);
    itf.states.forEach((s, i) => {
      expect(s['#meta'].index).toBe(i);
      expect(Object.keys(s)).toEqual(['#meta', ...ITF_VARS]);
    });
    const [initial, first] = itf.states;
    expect(initial?.['action']).toEqual({ tag: 'init', value: {} });
    expect(initial?.['modelResult']).toEqual({ tag: 'none', value: {} });
    // raw_write(d1 ref=10 flags=0xa991 domid=1 frame=0) and the entry it leaves behind.
    expect(first?.['#meta'].text).toBe(trace.steps[0]?.text);
    expect(first?.['action']).toEqual({
      tag: 'raw_write',
      value: {
        dom: { '#bigint': '1' },
        ref: { '#bigint': '10' },
        flags: { '#bigint': '43409' },
        domid: { '#bigint': '1' },
        frame: { '#bigint': '0' },
      },
    });
    expect(first?.['modelResult']).toEqual({ tag: 'raw_write', value: { outcome: 'ok' } });
    const entry = {
      flags: { '#bigint': '43409' },
      domid: { '#bigint': '1' },
      frame: { '#bigint': '0' },
    };
    expect(first?.['grantEntries']).toEqual({
      '#map': [
        [{ '#bigint': '0' }, { '#map': [] }],
        [{ '#bigint': '1' }, { '#map': [[{ '#bigint': '10' }, entry]] }],
        [{ '#bigint': '2' }, { '#map': [] }],
      ],
    });
    expect(first?.['rawWritten']).toEqual({
      '#map': [
        [{ '#bigint': '0' }, { '#set': [] }],
        [{ '#bigint': '1' }, { '#set': [{ '#bigint': '10' }] }],
        [{ '#bigint': '2' }, { '#set': [] }],
      ],
    });
  });

  it('a state-mismatch step carries abstract(impl) as implState Some, the others None', () => {
    const file = corpus.find((f) => load(f).steps.some((s) => s.implState !== undefined));
    expect(file).toBeDefined();
    const trace = load(file ?? '');
    const itf = traceToItf(trace);
    trace.steps.forEach((s, i) => {
      const tag = (itf.states[i + 1]?.['implState'] as { tag: string }).tag;
      expect(tag).toBe(s.implState === undefined ? 'None' : 'Some');
    });
  });

  it('is written with each short value on one line, the same bytes every time', () => {
    const trace = load('pass-page-contents.json');
    const text = serialiseItf(traceToItf(trace));
    expect(text).toBe(serialiseItf(traceToItf(trace)));
    expect(text).toContain('{"#bigint":"0"}');
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(traceToItf(trace))));
  });

  it('writes what JSON.stringify writes: a field set to undefined is left out, an undefined element is null', () => {
    const long = 'x'.repeat(80); // past the one-line width: laid out field by field
    const itf = {
      vars: ['a'],
      states: [{ '#meta': { index: 0, note: long, gone: undefined }, a: [1, undefined, long] }],
    } as unknown as ItfTrace;
    const text = serialiseItf(itf);
    expect(text).not.toContain('gone');
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(itf)));
  });

  it.each(corpus)('%s round-trips through ITF byte for byte', (file) => {
    const trace = load(file);
    const back = parseTrace(JSON.parse(serialiseItf(traceToItf(trace))));
    expect(back.ok ? serialiseTrace(back.trace) : back.error).toBe(serialiseTrace(trace));
  });

  it('the CLI names ITF files by the spec convention', () => {
    expect(ITF_EXTENSION).toBe('.itf.json');
    expect(traceFileName('a', 'itf')).toBe(`a${ITF_EXTENSION}`);
    expect(traceFileName('a', 'json')).toBe('a.json');
    expect(traceFileName('a', undefined)).toBe('a.json');
  });
});

describe('reading ITF', () => {
  it('is recognised by its keys, not by the file name', () => {
    expect(isItf({ '#meta': {}, vars: [], states: [] })).toBe(true);
    expect(isItf({ vars: [] })).toBe(true);
    expect(isItf({ format: 'grantcheck-trace', states: [] })).toBe(false);
    expect(isItf([])).toBe(false);
    expect(isItf(null)).toBe(false);
  });

  const F = 'fault-end-access-ignores-writing.json';
  type Edit = (t: ReturnType<typeof itfJson>) => void;
  const refusals: [string, Edit, RegExp][] = [
    [
      'an ITF trace of another tool',
      (t) => void delete (t['#meta'] as Record<string, unknown>)['grantcheck'],
      /^ITF: \["#meta"\]\.grantcheck: missing: not an ITF trace written by grantcheck/,
    ],
    ['a lasso', (t) => void (t['loop'] = 0), /^ITF: loop: a lasso trace/],
    ['a missing variable', (t) => void delete t.states[1]?.['p2m'], /^ITF: states\.1\.p2m: /],
    ['a stray variable', (t) => void (t.states[1]!['x'] = 1), /^ITF: states\.1\.x: unknown key/],
    [
      'other vars',
      (t) => void (t['vars'] = ['p2m']),
      /^ITF: vars: expected the variables domain, p2m/,
    ],
    [
      'a #bigint beyond 2^53',
      (t) =>
        void ((t.states[1]!['frameOwner'] as { '#map': unknown[][] })['#map'][0]![1] = {
          '#bigint': '18446744073709551615',
        }),
      /^ITF: states\.1\.frameOwner\["#map"\]\.0\.1: #bigint "18446744073709551615" is beyond/,
    ],
    [
      'a repeated map key',
      (t) =>
        void (t.states[0]!['frameOwner'] as { '#map': unknown[] })['#map'].push([
          { '#bigint': '256' },
          { '#bigint': '1' },
        ]),
      /^ITF: states\.0\.frameOwner: key 256 appears twice/,
    ],
    [
      'a per-domain map without a domain',
      (t) => void (t.states[0]!['p2m'] as { '#map': unknown[] })['#map'].pop(),
      /^ITF: states\.0\.p2m: its domains \(0, 1\) are not those of domain \(0, 1, 2\)/,
    ],
    [
      'states out of order',
      (t) => void (t.states[2]!['#meta'] = { index: 1, text: 'x' }),
      /^ITF: states\.2\["#meta"\]\.index: expected 2, got 1/,
    ],
    [
      'an op out of its C type',
      (t) =>
        void ((t.states[1]!['action'] as { value: Record<string, unknown> }).value['ref'] = {
          '#bigint': '-1',
        }),
      /^ITF: states\.1\.action\.value\.ref: /,
    ],
    [
      'an unknown op',
      (t) => void ((t.states[1]!['action'] as { tag: string }).tag = 'frobnicate'),
      /^ITF: states\.1\.action\.tag: /,
    ],
    [
      'an op in the initial state',
      (t) => void (t.states[0]!['action'] = t.states[1]!['action']),
      /^ITF: states\.0\.action\.tag: /,
    ],
    [
      'a bad verdict',
      (t) =>
        void ((
          t['#meta'] as { grantcheck: { verdict: { step: number } } }
        ).grantcheck.verdict.step = 9),
      /^ITF: \["#meta"\]\.grantcheck\.verdict\.step: 9 is beyond the 2 steps/,
    ],
    [
      'a page not in normal form',
      (t) =>
        void (t.states[1]!['contents'] = {
          '#map': [[{ '#bigint': '256' }, [{ '#tup': [2, 1, 5] }]]],
        }),
      /^ITF: states\.1 \(as a grantcheck state\): contents\.0\.1: runs must be sorted/,
    ],
  ];
  it.each(refusals)('refuses %s with one line naming the place', (_, edit, message) => {
    const t = itfJson(F);
    edit(t);
    const error = errorOf(t);
    expect(error).toMatch(message);
    expect(error).not.toContain('\n');
  });

  it('maps a rebuilt trace path to the ITF one', () => {
    expect(itfPathOf('steps.3.op: d9 is not a domain')).toBe('states.4.action: d9 is not a domain');
    expect(itfPathOf('steps.0.model.outcome: x')).toBe('states.1.modelResult.outcome: x');
    expect(itfPathOf('initialState.domains: x')).toBe('states.0.domains: x');
    expect(itfPathOf('steps.1.text: x')).toBe('states.2["#meta"].text: x');
    expect(itfPathOf('verdict.step: x')).toBe('["#meta"].grantcheck.verdict.step: x');
  });

  it('a tampered ITF state is a difference replay reports, with the step it is at', () => {
    const t = itfJson(F);
    const entries = t.states[1]!['grantEntries'] as {
      '#map': [unknown, { '#map': [unknown, Record<string, unknown>][] }][];
    };
    const entry = entries['#map'][1]![1]['#map'][0]![1];
    entry['flags'] = { '#bigint': '5' };
    const parsed = parseTrace(t);
    if (!parsed.ok) throw new Error(parsed.error);
    const r = replayTrace(parsed.trace, {
      invariants: INVARIANTS,
      properties: STEP_PROPERTIES,
      subject: subjectOf(findFault('end-access-ignores-writing')),
    });
    expect(r.matchesRecorded).toBe(false);
    expect(r.differences.map(describeDifference)).toEqual([
      'state d1 ref 10 entry: recorded flags 0x0005, now 0xa991 at step 1',
    ]);
  });
});
