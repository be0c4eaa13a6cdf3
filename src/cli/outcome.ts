// Every subcommand ends in one of these outcomes; one table maps them to exit codes
// (documented in the README and in `grantcheck --help`).

import { colourWanted } from './colour.ts';

export type CliOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'violation' } // a check failed (or a suite missed expected coverage)
  | { readonly kind: 'usage'; readonly message: string } // bad flags, config or input file
  | { readonly kind: 'internal'; readonly error: unknown } // a bug in grantcheck itself
  | { readonly kind: 'limit' }; // an exhaustive search stopped at a bound

export const EXIT_CODES: Readonly<Record<CliOutcome['kind'], number>> = {
  ok: 0,
  violation: 1,
  usage: 2,
  internal: 3,
  limit: 4,
};

/** Ctrl-C during a long command (the shell's 128 + SIGINT): the figures so far on stderr. A
 * command that does not answer within 2 s (no progress update: a long shrink) is ended by
 * SIGTERM instead (src/cli/progress.ts): exit status 143, no figures. */
export const EXIT_INTERRUPTED = 130;

export const EXIT_CODE_HELP = `Exit codes:
  0  every check passed
  1  a violation was found (or a suite missed an outcome its budget must reach)
  2  bad usage or input (flags, config, trace file)
  3  internal error in grantcheck
  4  an exhaustive search stopped at a bound before finishing
  130  interrupted (Ctrl-C): the figures so far on stderr, no trace written
  143  no answer to Ctrl-C within 2 s: ended by SIGTERM, no figures, no trace written`;

export function usage(message: string): CliOutcome {
  return { kind: 'usage', message };
}

/** Where a command writes: injected so that tests can capture it. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** True when stderr is a terminal: progress lines are shown only then. */
  readonly interactive: boolean;
  /** The width tables are laid out in: the terminal's columns, 80 when stdout is not one
   * (absent: 80). */
  readonly columns?: number;
  /** Colour the output (src/cli/colour.ts's colourWanted for stdout; absent: no colour). */
  readonly colour?: boolean;
}

/** A writer to `stream` that goes quiet once its reader has gone (`grantcheck run | head`):
 * the command still finishes and its exit code still tells the verdict, without a stack trace. */
function writerTo(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  let listening = false;
  return (text) => {
    if (closed) return;
    if (!listening) {
      listening = true;
      stream.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code !== 'EPIPE') throw e;
        closed = true;
      });
    }
    stream.write(text);
  };
}

export const processIo: Io = {
  out: writerTo(process.stdout),
  err: writerTo(process.stderr),
  interactive: process.stderr.isTTY === true,
  // read when a table is laid out: a resized terminal is measured again
  get columns() {
    return terminalWidth(process.stdout);
  },
  get colour() {
    return colourWanted(process.env, process.stdout);
  },
};

/** The width to lay tables out in: the terminal's, or 80 columns when `stream` is not one. */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number }): number {
  return stream.isTTY === true && stream.columns !== undefined && stream.columns > 0
    ? stream.columns
    : 80;
}
