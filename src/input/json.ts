// Reading JSON from outside (trace files today; config, ITF and subject messages later) with
// limits checked before anything is parsed or printed: size, nesting depth (a linear scan, so a
// 4,000-level file costs a pass over its bytes, not a stack), encoding (UTF-8, BOM stripped;
// UTF-16 refused by name), and keys that JavaScript treats specially (__proto__, constructor).

import { readFileSync, statSync } from 'node:fs';
import { clipText, quote } from './quote.ts';

export interface InputLimits {
  /** Largest file or text accepted, in bytes (text: UTF-16 code units). */
  readonly maxBytes: number;
  /** Deepest nesting of arrays and objects accepted; a top-level object is depth 1. */
  readonly maxDepth: number;
}

/** A value or one line saying what is wrong with the input (escaped and bounded). */
export type InputResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** Keys refused anywhere in a file: __proto__ would set a prototype when copied by spread or
 * Object.assign, and none of grantcheck's formats uses them. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const fail = (error: string): { readonly ok: false; readonly error: string } => ({
  ok: false,
  error,
});

/** Bytes to text: UTF-8 only. A UTF-8 BOM is stripped; UTF-16/32 (by BOM or by the NUL bytes
 * that ASCII text has in those encodings) and invalid UTF-8 are refused by name. */
export function decodeText(bytes: Uint8Array): InputResult<string> {
  const [b0, b1, b2] = bytes;
  const utf16 =
    (b0 === 0xff && b1 === 0xfe) ||
    (b0 === 0xfe && b1 === 0xff) ||
    (bytes.length >= 2 && (b0 === 0) !== (b1 === 0)) ||
    (bytes.length >= 4 && b0 === 0 && b1 === 0);
  if (utf16) return fail('UTF-16 is not supported: save the file as UTF-8');
  const nul = bytes.indexOf(0);
  if (nul >= 0) return fail(`a NUL byte at offset ${nul}: not a text file`);
  const bom = b0 === 0xef && b1 === 0xbb && b2 === 0xbf ? 3 : 0;
  try {
    return {
      ok: true,
      value: new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(bom)),
    };
  } catch {
    return fail('not UTF-8 text: save the file as UTF-8');
  }
}

/** Line and column (1-based) of offset `at` in `text`. */
function lineColumn(text: string, at: number): string {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return `line ${line}, column ${at - start + 1}`;
}

/** The offset where nesting first exceeds `maxDepth` (brackets inside strings do not count),
 * or -1. Malformed text is left for JSON.parse to name. */
export function depthExceededAt(text: string, maxDepth: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}

/** V8's JSON.parse message without the excerpt of the text it quotes (raw file bytes). */
function syntaxMessage(e: unknown, text: string): string {
  const raw = e instanceof Error ? e.message : String(e);
  const at = /at position (\d+)/.exec(raw);
  const what = raw
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/^".*" is not valid JSON$/s, 'not valid JSON')
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/ \(line \d+ column \d+\)$/, '');
  const where = at?.[1] === undefined ? '' : ` at ${lineColumn(text, Number(at[1]))}`;
  return `not JSON: ${clipText(what, 80)}${where}`;
}

/** A path for messages: `steps.3.op.ref`, with odd keys quoted (`bounds["a b"]`); a very long
 * path keeps its first and last parts (`a.b.….y.z`). */
export function formatPath(path: readonly PropertyKey[]): string {
  const parts = path.map((seg) => {
    const key = String(seg);
    return typeof seg === 'number' || /^[A-Za-z_$][\w$]{0,39}$|^[0-9]{1,9}$/.test(key)
      ? `.${key}`
      : `[${quote(key, 24)}]`;
  });
  const whole = parts.join('');
  const shown =
    whole.length <= MAX_PATH || parts.length <= 4
      ? whole
      : `${parts.slice(0, 2).join('')}.…${parts.slice(-2).join('')}`;
  return shown === '' ? '(root)' : shown.replace(/^\./, '');
}

/** Longest path shown whole. */
const MAX_PATH = 100;

/** A node of the walk: its value, its key and its parent, so a path is built only when needed. */
interface Visit {
  readonly value: unknown;
  readonly key: PropertyKey | null;
  readonly parent: Visit | null;
}

function pathOf(v: Visit): PropertyKey[] {
  const path: PropertyKey[] = [];
  for (let at: Visit | null = v; at !== null && at.key !== null; at = at.parent) path.push(at.key);
  return path.reverse();
}

/** The path of the first forbidden key, walking iteratively (depth is already bounded). */
function forbiddenKeyPath(value: unknown): PropertyKey[] | null {
  const stack: Visit[] = [{ value, key: null, parent: null }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const v = top.value;
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: i, parent: top });
      continue;
    }
    const keys = Object.keys(v);
    const bad = keys.find((k) => FORBIDDEN_KEYS.has(k));
    if (bad !== undefined) return [...pathOf(top), bad];
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i] ?? '';
      stack.push({ value: (v as Record<string, unknown>)[k], key: k, parent: top });
    }
  }
  return null;
}

/** Parse JSON text within `limits`: size and depth first, then JSON.parse, then keys. */
export function parseJsonText(text: string, limits: InputLimits): InputResult<unknown> {
  if (text.length > limits.maxBytes) {
    return fail(`${text.length} characters, more than the limit of ${limits.maxBytes}`);
  }
  const deep = depthExceededAt(text, limits.maxDepth);
  if (deep >= 0) {
    return fail(`nested deeper than ${limits.maxDepth} levels at ${lineColumn(text, deep)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return fail(syntaxMessage(e, text));
  }
  const bad = forbiddenKeyPath(value);
  if (bad) return fail(`${formatPath(bad)}: reserved key, not allowed`);
  return { ok: true, value };
}

/** Why a file cannot be read, in words, from its errno code. */
function readProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    default:
      return `cannot read (${clipText(code ?? 'unknown error', 20)})`;
  }
}

/** Read and parse a JSON file within `limits`. Only regular files are read (a FIFO or device
 * would block or never end), and the size is checked before the bytes are. */
export function readJsonFile(path: string, limits: InputLimits): InputResult<unknown> {
  let bytes: Buffer;
  try {
    const st = statSync(path);
    if (st.isDirectory()) return fail('is a directory');
    if (!st.isFile()) return fail('not a regular file');
    if (st.size > limits.maxBytes) {
      return fail(`${st.size} bytes, more than the limit of ${limits.maxBytes}`);
    }
    bytes = readFileSync(path);
  } catch (e) {
    return fail(readProblem(e));
  }
  if (bytes.length > limits.maxBytes) {
    return fail(`${bytes.length} bytes, more than the limit of ${limits.maxBytes}`);
  }
  const text = decodeText(bytes);
  return text.ok ? parseJsonText(text.value, limits) : text;
}
