// Colour on a terminal (issue 15 §4): the failing check, mismatches, verdicts and table headers,
// through picocolors. Whether to colour is decided once, from the environment and stdout
// (colourWanted); the renderers take a Styler and never read process state, so that they stay
// pure and a test can ask for either. ANSI escapes take no columns: tables measure visibleWidth.

import picocolors from 'picocolors';

/** What each part of the output looks like. All are the identity when colour is off. */
export interface Styler {
  readonly enabled: boolean;
  /** A failing check, a FAILED / VIOLATION verdict, a fault not caught. */
  readonly fail: (text: string) => string;
  /** A passing verdict. */
  readonly pass: (text: string) => string;
  /** A result that differs between model and impl (the '≠' cells). */
  readonly mismatch: (text: string) => string;
  /** Neither pass nor fail: a search stopped at a bound, an outcome never produced. */
  readonly warn: (text: string) => string;
  /** Table headers. */
  readonly head: (text: string) => string;
}

const same = (text: string): string => text;

export const PLAIN: Styler = {
  enabled: false,
  fail: same,
  pass: same,
  mismatch: same,
  warn: same,
  head: same,
};

/** A styler that colours (picocolors' escapes) or, with `enabled` false, is PLAIN. */
export function styler(enabled: boolean): Styler {
  if (!enabled) return PLAIN;
  const c = picocolors.createColors(true);
  return {
    enabled: true,
    fail: (t) => c.bold(c.red(t)),
    pass: (t) => c.bold(c.green(t)),
    mismatch: c.red,
    warn: c.yellow,
    head: c.bold,
  };
}

let coloured: Styler | undefined;

/** The styler for an Io: colours only when it says so (processIo: colourWanted). */
export function stylerOf(io: { readonly colour?: boolean }): Styler {
  if (io.colour !== true) return PLAIN;
  coloured ??= styler(true);
  return coloured;
}

/** Should output to `stream` be coloured? NO_COLOR with any non-empty value (no-color.org) says
 * no, whatever else is set; FORCE_COLOR says yes (unless it is '0' or 'false', Node's own
 * reading), even into a pipe; otherwise only a terminal that is not TERM=dumb. */
export function colourWanted(
  env: Readonly<Record<string, string | undefined>>,
  stream: { readonly isTTY?: boolean },
): boolean {
  if ((env['NO_COLOR'] ?? '') !== '') return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force !== 'false';
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

// ESC [ parameters final-byte: the SGR sequences picocolors writes (and any other CSI).
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** `text` without its ANSI escapes. */
export function stripAnsi(text: string): string {
  return text.includes('\u001b') ? text.replace(ANSI, '') : text;
}

/** The columns `text` takes on a terminal: its length without ANSI escapes. */
export function visibleWidth(text: string): number {
  return stripAnsi(text).length;
}
