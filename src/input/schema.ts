// Validating a parsed value against a zod schema, with the first problem as one line: the path of
// the offending field (unknown keys by their own path) and zod's message, escaped and bounded.

import { z } from 'zod';
import type { InputResult } from './json.ts';
import { formatPath } from './json.ts';
import { clipText, hasUnsafeChars } from './quote.ts';

/** Longest message part taken from zod (its messages do not embed the bad value, but keys and
 * literals from the schema can be long). */
const MAX_MESSAGE = 120;

/** One line for the first zod issue, naming the offending field path. `root` prefixes the path
 * (e.g. "op 3"). */
export function describeZodError(error: z.ZodError, root: readonly PropertyKey[] = []): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid value';
  const path = [...root, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    const [key] = issue.keys;
    const more = issue.keys.length > 1 ? ` (and ${issue.keys.length - 1} more)` : '';
    return `${formatPath([...path, key ?? ''])}: unknown key${more}`;
  }
  return `${formatPath(path)}: ${clipText(issue.message, MAX_MESSAGE)}`;
}

/** Parse `value` with `schema`: the typed value, or the first problem as one line. */
export function validate<T>(schema: z.ZodType<T>, value: unknown): InputResult<T> {
  const parsed = schema.safeParse(value);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, error: describeZodError(parsed.error) };
}

/** A string from a file that will be printed: at most `max` characters and no control
 * characters or escape sequences (escaping on output stays the rule; this rejects early). */
export function printable(max: number): z.ZodString {
  return z
    .string()
    .max(max)
    .refine((s) => !hasUnsafeChars(s), 'control characters are not allowed');
}
