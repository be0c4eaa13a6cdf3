// ITF expressions (Apalache ADR-015, https://apalache-mc.org/docs/adr/015adr-trace.html): how
// integers, sets, maps, tuples, records and variants are written, both ways. Writing is plain
// functions; reading is zod schemas that check an encoding and turn it into plain values, so a bad
// file is refused with the path of the first bad expression.

import { z } from 'zod';
import { quote } from '../../input/index.ts';

/** An ITF expression as JSON: strings, booleans, integers (`#bigint`), lists (arrays), records
 * (objects whose keys do not start with `#`), and the `#`-tagged forms. */
export type ItfValue =
  string | boolean | number | readonly ItfValue[] | { readonly [key: string]: ItfValue };

// A type, not an interface: an interface would not fit ItfValue's index signature.
export type ItfBigint = { readonly '#bigint': string };

/** An integer as `{"#bigint": "123"}`. Why every integer, not only those beyond 2^53? The spec
 * allows both, and Quint writes and reads integers this way, so one form serves every reader.
 * A non-integer here is a bug of the caller (grantcheck's values are C integers). */
export function itfInt(n: number): ItfBigint {
  if (!Number.isSafeInteger(n)) throw new Error(`ITF: ${n} is not a safe integer`);
  return { '#bigint': BigInt(n).toString() };
}

export const itfSet = (items: readonly ItfValue[]): { readonly '#set': readonly ItfValue[] } => ({
  '#set': items,
});

export const itfMap = (
  pairs: readonly (readonly [ItfValue, ItfValue])[],
): { readonly '#map': readonly (readonly [ItfValue, ItfValue])[] } => ({ '#map': pairs });

export const itfTup = (items: readonly ItfValue[]): { readonly '#tup': readonly ItfValue[] } => ({
  '#tup': items,
});

/** A variant (a value of a sum type) as Quint writes it: `{"tag": "Some", "value": …}`; a tag
 * without a payload has the empty record as its value. */
export const itfVariant = (
  tag: string,
  value: ItfValue = {},
): { readonly tag: string; readonly value: ItfValue } => ({ tag, value });

/** A map from integers, in the order given (grantcheck's maps are already sorted by key). */
export function itfIntMap<V>(
  pairs: readonly (readonly [number, V])[],
  value: (v: V) => ItfValue,
): ItfValue {
  return itfMap(pairs.map(([k, v]) => [itfInt(k), value(v)] as const));
}

/** Plain JSON (an op, a result, a record of integers) as ITF: numbers as `#bigint`, arrays as
 * lists, objects as records; absent (undefined) fields are left out, as JSON.stringify does. */
export function jsonToItf(value: unknown): ItfValue {
  if (typeof value === 'number') return itfInt(value);
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(jsonToItf);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, ItfValue> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = jsonToItf(v);
    return out;
  }
  throw new Error(`ITF: cannot encode ${typeof value}`);
}

// ---- reading ----

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const DIGITS = /^-?[0-9]+$/;

/** The integer an ITF integer denotes (a JSON integer or `#bigint`), or why it is none. */
function intOf(value: unknown): number | string {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value)
      ? value
      : `${quote(value)} is not an integer within ±(2^53-1)`;
  }
  if (isRecord(value) && '#bigint' in value) {
    const keys = Object.keys(value);
    if (keys.length !== 1) return '#bigint: no other key is allowed beside it';
    const text = value['#bigint'];
    if (typeof text !== 'string' || !DIGITS.test(text)) {
      return `#bigint: expected a string of decimal digits, got ${quote(text)}`;
    }
    const n = Number(text);
    // Why refuse, not round? Every value grantcheck records fits a double exactly; a larger one
    // is not a value of this model.
    if (!Number.isSafeInteger(n)) return `#bigint ${quote(text)} is beyond ±(2^53-1)`;
    return n;
  }
  return `expected an integer (a JSON integer or {"#bigint": "<digits>"}), got ${quote(value)}`;
}

/** An ITF integer, read as a number. */
export const ItfIntSchema: z.ZodType<number, unknown> = z.unknown().transform((value, ctx) => {
  const n = intOf(value);
  if (typeof n === 'number') return n;
  ctx.addIssue({ code: 'custom', message: n });
  return z.NEVER;
});

/** `{"#map": [[k, v], ...]}`, read as its pairs in order. */
export const itfMapSchema = <K extends z.ZodType, V extends z.ZodType>(key: K, value: V) =>
  z.strictObject({ '#map': z.array(z.tuple([key, value])) }).transform((m) => m['#map']);

/** `{"#set": [...]}`, read as its elements. */
export const itfSetSchema = <T extends z.ZodType>(item: T) =>
  z.strictObject({ '#set': z.array(item) }).transform((s) => s['#set']);

/** `{"#tup": [...]}` with exactly these elements. */
export const itfTupSchema = <T extends [z.ZodType, ...z.ZodType[]]>(...items: T) =>
  z.strictObject({ '#tup': z.tuple(items) }).transform((t) => t['#tup']);

/** The unit payload of a variant: `{}` (Quint's older form) or `{"#tup": []}` (its newer one). */
export const ItfUnitSchema = z.union([z.strictObject({}), z.strictObject({ '#tup': z.tuple([]) })]);

/** `{"tag": T, "value": V}` for one tag. */
export const itfVariantSchema = <T extends string, V extends z.ZodType>(tag: T, value: V) =>
  z.strictObject({ tag: z.literal(tag), value });

/** Any ITF value read back as the plain JSON jsonToItf() writes: integers as numbers, lists as
 * arrays, records as objects. Sets, maps, tuples and `#unserializable` have no place in the
 * JSON it stands for and are refused. The JSON's own schema then checks the shape. */
export const ItfJsonSchema: z.ZodType<unknown, unknown> = z.unknown().transform((value, ctx) => {
  const problem: Problem = { path: [], message: '' };
  const out = itfToJson(value, [], problem);
  if (problem.message === '') return out;
  ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
  return z.NEVER;
});

interface Problem {
  path: PropertyKey[];
  message: string;
}

/** Depth is bounded by the reader's TRACE_LIMITS (src/input/limits.ts) before this runs. */
function itfToJson(value: unknown, path: PropertyKey[], problem: Problem): unknown {
  const fail = (message: string): undefined => {
    if (problem.message === '') Object.assign(problem, { path, message });
    return undefined;
  };
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' || (isRecord(value) && '#bigint' in value)) {
    const n = intOf(value);
    return typeof n === 'number' ? n : fail(n);
  }
  if (Array.isArray(value)) return value.map((v, i) => itfToJson(v, [...path, i], problem));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith('#'))
        return fail(`${quote(k)}: not expected here (a record, list or integer is)`);
      out[k] = itfToJson(v, [...path, k], problem);
    }
    return out;
  }
  return fail(`expected an ITF value, got ${quote(value)}`);
}
