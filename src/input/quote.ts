// Printing what came from outside (files, flags) in one bounded, inert line: control characters,
// terminal escape sequences and bidirectional overrides are escaped, long text is elided with its
// length, and nested values are previewed, never serialised in full.

/** Characters a terminal may act on: C0 and C1 controls, DEL, line and paragraph separators,
 * bidirectional embeddings/overrides/isolates, BOM and lone surrogates. */
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** What JSON.stringify leaves raw inside strings and a terminal may still act on. */
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  return SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Does `text` hold a character escapeText() would escape? */
export function hasUnsafeChars(text: string): boolean {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text);
}

/** `text` with every unsafe character written as an escape (`\n`, `\u001b`); nothing else
 * changes, so ordinary text (file names, ids) reads as it is. */
export function escapeText(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** Longest text shown in full by quote(); longer text is cut and its length given. */
export const QUOTE_MAX = 40;

/** One line of at most `max` characters of `text`: escaped, and cut with "…" and the full
 * length when longer. Used for messages that embed text from a file. */
export function clipText(text: string, max = 200): string {
  const cut = text.length > max * 4 ? text.slice(0, max * 4) : text; // escape no more than needed
  const escaped = escapeText(cut);
  if (escaped.length <= max && cut.length === text.length) return escaped;
  return `${sliceWhole(escaped, max)}… (${text.length} chars)`;
}

/** A prefix of `text` of at most `n` characters that does not split an escape or a surrogate
 * pair. */
function sliceWhole(text: string, n: number): string {
  let s = text.slice(0, n);
  const backslash = s.lastIndexOf('\\');
  if (backslash >= 0 && backslash >= s.length - 6) s = s.slice(0, backslash);
  const last = s.charCodeAt(s.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) s = s.slice(0, -1);
  return s;
}

function quoteString(s: string, max: number): string {
  const body = s.length > max * 8 ? s.slice(0, max * 8) : s;
  const inner = escapeText(JSON.stringify(body).slice(1, -1));
  if (inner.length <= max && body.length === s.length) return `"${inner}"`;
  return `"${sliceWhole(inner, max)}…" (${s.length} chars)`;
}

/** A bounded preview of any value for a message: strings quoted and escaped, numbers and
 * literals as written, arrays and objects shown to a small budget (`[[[[…` for deep nesting)
 * with their size, never by recursion proportional to their depth. */
export function quote(value: unknown, max = QUOTE_MAX): string {
  if (typeof value === 'string') return quoteString(value, max);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value !== 'object') return typeof value;
  const preview = { text: '', budget: max };
  previewInto(preview, value, 0);
  const size = Array.isArray(value)
    ? `${value.length} item${value.length === 1 ? '' : 's'}`
    : `${Object.keys(value).length} key${Object.keys(value).length === 1 ? '' : 's'}`;
  return `${preview.text} (${Array.isArray(value) ? 'array' : 'object'}, ${size})`;
}

/** Append a preview of `value` while budget remains; depth is bounded by the budget. */
function previewInto(p: { text: string; budget: number }, value: unknown, depth: number): void {
  const put = (s: string): boolean => {
    if (p.budget <= 0) return false;
    if (s.length > p.budget) {
      p.text += `${sliceWhole(s, p.budget)}…`;
      p.budget = 0;
      return false;
    }
    p.text += s;
    p.budget -= s.length;
    return true;
  };
  if (typeof value !== 'object' || value === null || depth > 8) {
    put(typeof value === 'object' && value !== null ? '…' : quote(value, 12));
    return;
  }
  const entries: [string | null, unknown][] = Array.isArray(value)
    ? value.map((v): [null, unknown] => [null, v])
    : Object.keys(value).map((k): [string, unknown] => [k, (value as Record<string, unknown>)[k]]);
  if (!put(Array.isArray(value) ? '[' : '{')) return;
  for (const [i, [key, v]] of entries.entries()) {
    if (i > 0 && !put(',')) return;
    if (key !== null && !put(`${quoteString(key, 12)}:`)) return;
    previewInto(p, v, depth + 1);
    if (p.budget <= 0) return;
  }
  put(Array.isArray(value) ? ']' : '}');
}

/** JSON text for stdout with the characters JSON.stringify leaves raw (C1 controls, DEL,
 * separators, bidi controls) escaped too, so `--json` output cannot drive a terminal. */
export function safeJson(value: unknown, indent?: number): string {
  // Structural whitespace is only space and \n; JSON.stringify already escapes C0 in strings.
  return JSON.stringify(value, null, indent).replace(RAW_IN_JSON, escapeChar);
}
