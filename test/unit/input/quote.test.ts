// quote(), clipText(), escapeText() and safeJson(): bounded, inert text for messages.
import { describe, expect, it } from 'vitest';
import { clipText, escapeText, hasUnsafeChars, quote, safeJson } from '../../../src/input/index.ts';

describe('escapeText', () => {
  it('escapes C0, DEL, C1, separators, bidi controls, BOM and lone surrogates', () => {
    expect(escapeText('a\u001b[31mb\nc\td\u007f\u009b\u2028\u202e\u2066\ufeff')).toBe(
      'a\\u001b[31mb\\nc\\td\\u007f\\u009b\\u2028\\u202e\\u2066\\ufeff',
    );
    expect(escapeText('x\ud800y\udc00')).toBe('x\\ud800y\\udc00');
  });
  it('leaves ordinary text alone, astral characters included', () => {
    expect(escapeText('/tmp/trace é → 😀.json')).toBe('/tmp/trace é → 😀.json');
    expect(hasUnsafeChars('/tmp/trace é → 😀.json')).toBe(false);
    expect(hasUnsafeChars('a\u0007')).toBe(true);
    expect(hasUnsafeChars('a\u0007')).toBe(true); // the global regex does not keep state
  });
});

describe('quote', () => {
  it('shows short strings in full, JSON-quoted and escaped', () => {
    expect(quote('abc')).toBe('"abc"');
    expect(quote('a"b\\c\u001b\u009b')).toBe('"a\\"b\\\\c\\u001b\\u009b"');
  });
  it('elides long strings with their length', () => {
    expect(quote('a'.repeat(1 << 20))).toBe(`"${'a'.repeat(40)}…" (1048576 chars)`);
  });
  it('never cuts an escape or a surrogate pair in half', () => {
    const q = quote(`${'a'.repeat(38)}\u001b${'b'.repeat(50)}`);
    expect(q).toBe(`"${'a'.repeat(38)}…" (89 chars)`);
    const emoji = quote(`${'a'.repeat(39)}😀${'b'.repeat(50)}`);
    expect(emoji).toBe(`"${'a'.repeat(39)}…" (91 chars)`);
  });
  it('previews arrays and objects to a budget, whatever their depth', () => {
    expect(quote([1, 'x', null])).toBe('[1,"x",null] (array, 3 items)');
    expect(quote({ a: 1 })).toBe('{"a":1} (object, 1 key)');
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(quote(deep)).toBe('[[[[[[[[[…]]]]]]]]] (array, 1 item)');
    expect(quote({ ['\u001b']: 'x'.repeat(100) }).length).toBeLessThan(80);
  });
  it('shows other values as written', () => {
    expect([quote(1.5), quote(true), quote(null), quote(undefined)]).toEqual([
      '1.5',
      'true',
      'null',
      'undefined',
    ]);
  });
});

describe('clipText', () => {
  it('keeps short text, cuts long text with its length', () => {
    expect(clipText('abc', 10)).toBe('abc');
    expect(clipText('abcdefghijkl', 10)).toBe('abcdefghij… (12 chars)');
    expect(clipText('\u001b'.repeat(3), 100)).toBe('\\u001b\\u001b\\u001b');
  });
});

describe('safeJson', () => {
  it('is JSON.stringify with the characters it leaves raw escaped', () => {
    const value = { s: 'a\u009bb\u202ec\n', n: [1, 2] };
    const text = safeJson(value, 2);
    expect(text).not.toMatch(/[\u009b\u202e]/);
    expect(JSON.parse(text)).toEqual(value);
    expect(text).toContain('\n  "n"'); // structural newlines stay
  });
});
