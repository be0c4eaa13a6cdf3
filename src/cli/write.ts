// Writing a command's output files after its result is printed: a failed write is one line on
// stderr and never loses the result (a violation found is still reported and still exits 1).

import type { Io } from './outcome.ts';

/** The name of a trace file: `stem.json` in grantcheck's own format, `stem.itf.json` in the
 * Informal Trace Format (--format itf), which writeTrace (src/trace/io.ts) chooses by this name.
 * Why not import ITF_EXTENSION? Start-up: this module is on every command's path, the ITF codec
 * loads zod (a test keeps the two equal). */
export function traceFileName(stem: string, format: string | undefined): string {
  return `${stem}${format === 'itf' ? '.itf.json' : '.json'}`;
}

/** Run `write`; return why it failed (the errno code), or null. */
export function writeError(write: () => void): string | null {
  try {
    write();
    return null;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return err.code ?? err.message;
  }
}

/** Run `write`; on failure say so in one line and return false. */
export function tryWrite(io: Io, what: string, path: string, write: () => void): boolean {
  const error = writeError(write);
  if (error) io.err(`grantcheck: cannot write ${what} ${path}: ${error}\n`);
  return error === null;
}
