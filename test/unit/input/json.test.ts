// parseJsonText / readJsonFile / decodeText: limits before parsing, encodings, reserved keys, and
// messages that never carry raw file bytes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  decodeText,
  depthExceededAt,
  formatPath,
  parseJsonText,
  readJsonFile,
  validate,
} from '../../../src/input/index.ts';

const limits = { maxBytes: 1000, maxDepth: 3 };

describe('depthExceededAt', () => {
  it('counts brackets outside strings only', () => {
    expect(depthExceededAt('[[[1]]]', 3)).toBe(-1);
    expect(depthExceededAt('[[[[1]]]]', 3)).toBe(3);
    expect(depthExceededAt('{"a":{"b":[{}]}}', 3)).toBe(11);
    expect(depthExceededAt('["[[[[", "\\"[[[["]', 2)).toBe(-1);
    expect(depthExceededAt('["\\\\", [[[1]]]]', 3)).toBe(9); // an escaped backslash ends
  });
});

describe('parseJsonText', () => {
  it('parses within the limits', () => {
    expect(parseJsonText('{"a": [1, {"b": null}]}', limits)).toEqual({
      ok: true,
      value: { a: [1, { b: null }] },
    });
  });
  it('refuses too long and too deep text before parsing', () => {
    expect(parseJsonText(' '.repeat(1001), limits)).toEqual({
      ok: false,
      error: '1001 characters, more than the limit of 1000',
    });
    expect(parseJsonText('{\n "a": [[[1]]]}', limits)).toEqual({
      ok: false,
      error: 'nested deeper than 3 levels at line 2, column 9',
    });
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(parseJsonText(deep, { maxBytes: 1e6, maxDepth: 32 })).toMatchObject({ ok: false });
  });
  it('names a syntax error without echoing the text', () => {
    const r = parseJsonText('{"a": \u001b[2J secret }', limits);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(/^not JSON: /);
    expect(r.error).not.toContain('secret');
    expect(r.error).not.toContain('\u001b');
    expect(parseJsonText('{"a": 1', limits)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^not JSON: /),
    });
  });
  it('refuses __proto__, constructor and prototype keys, with their path', () => {
    const limits = { maxBytes: 1000, maxDepth: 32 };
    expect(parseJsonText('{"a": [{"__proto__": {}}]}', limits)).toEqual({
      ok: false,
      error: 'a.0.__proto__: reserved key, not allowed',
    });
    expect(parseJsonText('{"constructor": 1}', limits)).toMatchObject({
      error: 'constructor: reserved key, not allowed',
    });
    expect(parseJsonText('{"x": {"prototype": 1}}', limits)).toMatchObject({ ok: false });
    expect(parseJsonText('{"proto": "__proto__"}', limits)).toMatchObject({ ok: true });
  });
});

describe('decodeText', () => {
  const bytes = (...b: number[]) => Uint8Array.from(b);
  it('strips a UTF-8 BOM', () => {
    expect(decodeText(bytes(0xef, 0xbb, 0xbf, 0x31))).toEqual({ ok: true, value: '1' });
  });
  it('refuses UTF-16 by BOM or by NUL pattern, by name', () => {
    const error = 'UTF-16 is not supported: save the file as UTF-8';
    for (const b of [
      bytes(0xff, 0xfe, 0x31, 0),
      bytes(0xfe, 0xff, 0, 0x31),
      bytes(0x7b, 0, 0x7d, 0),
      bytes(0, 0x7b, 0, 0x7d),
      bytes(0, 0, 0, 0x7b),
    ]) {
      expect(decodeText(b)).toEqual({ ok: false, error });
    }
  });
  it('refuses NUL bytes and invalid UTF-8', () => {
    expect(decodeText(bytes(0x7b, 0x7d, 0))).toEqual({
      ok: false,
      error: 'a NUL byte at offset 2: not a text file',
    });
    expect(decodeText(bytes(0x22, 0xff, 0x22))).toMatchObject({ ok: false });
  });
});

describe('readJsonFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grantcheck-json-'));
  it('checks the size before reading', () => {
    const file = join(dir, 'big.json');
    writeFileSync(file, `[${'1,'.repeat(600)}1]`);
    expect(readJsonFile(file, limits)).toEqual({
      ok: false,
      error: '1203 bytes, more than the limit of 1000',
    });
  });
  it('names missing files and directories', () => {
    expect(readJsonFile(join(dir, 'missing.json'), limits)).toEqual({
      ok: false,
      error: 'no such file',
    });
    expect(readJsonFile(dir, limits)).toEqual({ ok: false, error: 'is a directory' });
  });
});

describe('validate and formatPath', () => {
  const schema = z.strictObject({ a: z.array(z.strictObject({ b: z.number() })) });
  it('names the offending field, and an unknown key by its own path', () => {
    expect(validate(schema, { a: [{ b: 'x' }] })).toEqual({
      ok: false,
      error: 'a.0.b: Invalid input: expected number, received string',
    });
    expect(validate(schema, { a: [{ b: 1, 'c d': 2 }] })).toEqual({
      ok: false,
      error: 'a.0["c d"]: unknown key',
    });
  });
  it('quotes odd keys and bounds long ones', () => {
    expect(formatPath(['x', 3, '\u001b'])).toBe('x.3["\\u001b"]');
    expect(formatPath(['k'.repeat(100)])).toBe(`["${'k'.repeat(24)}…" (100 chars)]`);
    expect(formatPath([])).toBe('(root)');
    const long = Array.from({ length: 30 }, (_, i) => `key${i}`.padEnd(40, 'x'));
    expect(formatPath(long)).toBe(`${long[0]}.${long[1]}.….${long[28]}.${long[29]}`);
  });
});
