// Malformed traces for the fuzz property: valid traces (the corpus and a core-model trace) with
// mutations applied to the parsed value (delete, duplicate, rename and replace keys, swap types,
// nest deeply, huge strings, control characters, reserved keys) and then to the bytes (BOM,
// UTF-16, truncation, random bytes). Mutations are data, so fast-check shrinks and prints them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { brokenCoreTrace } from '../support/coreTrace.ts';
import { FAULTS } from '../../src/faults/index.ts';

const corpusDir = join(import.meta.dirname, '..', 'fixtures', 'traces');

function coreTraceText(): string {
  return JSON.stringify(brokenCoreTrace('fuzz'));
}

/** The valid traces every case starts from: [name, JSON text]. */
export function baseTraces(): [string, string][] {
  const corpus = readdirSync(corpusDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f): [string, string] => [f, readFileSync(join(corpusDir, f), 'utf8')]);
  return [...corpus, ['core-end-access-ignores-mappings', coreTraceText()]];
}

const ODD_STRINGS = [
  '\u001b[31mred\u001b[0m',
  '\u001b]0;title\u0007',
  'line\nbreak\r\n',
  '\u009b2J',
  '\u202eevil',
  '\ud800',
  '\u0000',
  '',
  'grantcheck-trace',
  'core',
  'none',
];

export type ValueMutation =
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'duplicate'; readonly at: number }
  | { readonly kind: 'rename'; readonly at: number; readonly key: string }
  | { readonly kind: 'replace'; readonly at: number; readonly value: unknown }
  | { readonly kind: 'nest'; readonly at: number; readonly depth: number; readonly array: boolean }
  | { readonly kind: 'huge'; readonly at: number; readonly length: number; readonly char: string }
  | { readonly kind: 'reserved'; readonly at: number; readonly key: string }
  | { readonly kind: 'number'; readonly at: number; readonly value: number };

export type TextMutation =
  | { readonly kind: 'none' }
  | { readonly kind: 'bom' }
  | { readonly kind: 'utf16'; readonly le: boolean; readonly bom: boolean }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'bytes'; readonly at: number; readonly bytes: readonly number[] };

export interface FuzzCase {
  readonly base: number;
  readonly mutations: readonly ValueMutation[];
  readonly text: TextMutation;
  readonly flags: readonly string[];
}

const at = fc.nat();
const valueMutation: fc.Arbitrary<ValueMutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at }),
  fc.record({ kind: fc.constant('duplicate' as const), at }),
  fc.record({
    kind: fc.constant('rename' as const),
    at,
    key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...ODD_STRINGS)),
  }),
  fc.record({
    kind: fc.constant('replace' as const),
    at,
    value: fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom<unknown>(...ODD_STRINGS, -1, 2 ** 53, 1e300, 0.5, null, true, [], {}),
    ),
  }),
  fc.record({
    kind: fc.constant('nest' as const),
    at,
    depth: fc.oneof(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 4000, max: 6000 })),
    array: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('huge' as const),
    at,
    length: fc.oneof(fc.integer({ min: 200, max: 5000 }), fc.constant(1 << 20)),
    char: fc.constantFrom('a', '\u001b', '\n', 'é', '\u202e'),
  }),
  fc.record({
    kind: fc.constant('number' as const),
    at,
    value: fc.oneof(
      fc.constantFrom(-1, 2 ** 30, 2 ** 31, 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1), 0.5, 1e300),
      fc.integer(),
    ),
  }),
  fc.record({
    kind: fc.constant('reserved' as const),
    at,
    key: fc.constantFrom('__proto__', 'constructor', 'prototype'),
  }),
);

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
  fc.constant({ kind: 'bom' as const }),
  fc.record({ kind: fc.constant('utf16' as const), le: fc.boolean(), bom: fc.boolean() }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.record({
    kind: fc.constant('bytes' as const),
    at,
    bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
  }),
);

export function fuzzCaseArb(bases: number, faults: readonly string[]): fc.Arbitrary<FuzzCase> {
  return fc.record({
    base: fc.nat({ max: bases - 1 }),
    mutations: fc.array(valueMutation, { minLength: 0, maxLength: 3 }),
    text: textMutation,
    flags: fc.oneof(
      { weight: 3, arbitrary: fc.constant([]) },
      fc.constant(['--json']),
      fc
        .constantFrom('none', 'bogus', '\u001b[31mred', 'x'.repeat(500), ...faults)
        .map((f) => ['--fault', f]),
    ),
  });
}

export const FAULT_IDS: readonly string[] = FAULTS.map((f) => f.id);

type Slot = { readonly parent: Record<string, unknown> | unknown[]; readonly key: string | number };

/** Every (container, key) slot of a JSON value, in a fixed order. */
function slots(root: unknown): Slot[] {
  const out: Slot[] = [];
  const stack: unknown[] = [root];
  for (let v = stack.pop(); v !== undefined; v = stack.pop()) {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        out.push({ parent: v, key: i });
        stack.push(x);
      });
    } else if (typeof v === 'object' && v !== null) {
      const rec = v as Record<string, unknown>;
      for (const k of Object.keys(rec)) {
        out.push({ parent: rec, key: k });
        stack.push(rec[k]);
      }
    }
  }
  return out;
}

/** Deep nesting is spliced into the text after JSON.stringify (which recurses): a marker string
 * stands for it in the value. */
const NEST = '@@nest:';

function nestedText(depth: number, array: boolean): string {
  return array
    ? `${'['.repeat(depth)}0${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`;
}

function slotValue(s: Slot): unknown {
  return Array.isArray(s.parent) ? s.parent[s.key as number] : s.parent[s.key as string];
}

function setSlot(s: Slot, value: unknown): void {
  if (Array.isArray(s.parent)) s.parent[s.key as number] = value;
  else
    Object.defineProperty(s.parent, s.key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
}

function applyValue(root: unknown, m: ValueMutation): unknown {
  const every = slots(root);
  // A number mutation picks among the numeric slots (keys of maps, counters, ids).
  const numeric = every.filter((x) => typeof slotValue(x) === 'number');
  const all = m.kind === 'number' && numeric.length > 0 ? numeric : every;
  const s = all[m.at % Math.max(1, all.length)];
  if (s === undefined) return root;
  const { parent, key } = s;
  const current = slotValue(s);
  switch (m.kind) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else Reflect.deleteProperty(parent, key);
      return root;
    case 'duplicate':
      if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(current));
      else setSlot({ parent, key: `${String(key)}2` }, structuredClone(current));
      return root;
    case 'rename':
      if (Array.isArray(parent)) return root;
      Reflect.deleteProperty(parent, key);
      setSlot({ parent, key: m.key }, current);
      return root;
    case 'replace':
      setSlot(s, structuredClone(m.value));
      return root;
    case 'number':
      setSlot(s, m.value);
      return root;
    case 'nest':
      setSlot(s, `${NEST}${m.depth}:${m.array ? 'a' : 'o'}`);
      return root;
    case 'huge':
      setSlot(s, m.char.repeat(m.length));
      return root;
    case 'reserved': {
      // An own property named like this, as JSON.parse creates it.
      const target = Array.isArray(parent) ? {} : parent;
      setSlot({ parent: target, key: m.key }, { polluted: true });
      if (Array.isArray(parent)) setSlot(s, target);
      return root;
    }
  }
}

function applyText(text: string, m: TextMutation): Buffer {
  const utf8 = Buffer.from(text, 'utf8');
  switch (m.kind) {
    case 'none':
      return utf8;
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]);
    case 'utf16': {
      const le = Buffer.from(text, 'utf16le');
      const body = m.le ? le : Buffer.from(le).swap16();
      const bom = m.bom ? Buffer.from(m.le ? [0xff, 0xfe] : [0xfe, 0xff]) : Buffer.alloc(0);
      return Buffer.concat([bom, body]);
    }
    case 'truncate':
      return utf8.subarray(0, m.at % (utf8.length + 1));
    case 'bytes': {
      const out = Buffer.from(utf8);
      const start = m.at % Math.max(1, out.length);
      m.bytes.forEach((b, i) => {
        if (start + i < out.length) out[start + i] = b;
      });
      return out;
    }
  }
}

/** The bytes of one case: the base trace, its value mutations, then its text mutation. */
export function caseBytes(bases: readonly [string, string][], c: FuzzCase): Buffer {
  const [, text] = bases[c.base] ?? ['', '{}'];
  let value: unknown = JSON.parse(text);
  for (const m of c.mutations) value = applyValue(value, m);
  const json = (JSON.stringify(value) ?? 'null').replace(
    /"@@nest:(\d+):([ao])"/g,
    (_m, depth: string, kind: string) => nestedText(Number(depth), kind === 'a'),
  );
  return applyText(json, c.text);
}
