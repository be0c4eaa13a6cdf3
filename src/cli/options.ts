// Parsing and validating the CLI's options (numbers, output paths): one clear line per bad value.
// Every number flag goes through parseIntOption or parseSecondsOption; flags that take a choice
// use commander's .choices() (main.ts).

import { outDirProblem, outFileProblem } from '../output/files.ts';

export class UsageError extends Error {}

/** Where every command writes counterexample traces unless --out says otherwise. (Here, not in
 * commands/run.ts: explore and the others import it without run's suites.) */
export const DEFAULT_TRACE_DIR = 'grantcheck-traces';

export function parseIntOption(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`--${name}: '${value}' is not a whole number`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${name}: ${n} is outside ${min}..${max}`);
  return n;
}

/** `--NAME SECONDS`: a decimal number of seconds (`1.5`), at most `max`. */
export function parseSecondsOption(
  name: string,
  value: string | undefined,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]+(\.[0-9]+)?$/.test(value)) {
    throw new UsageError(`--${name}: '${value}' is not a number of seconds`);
  }
  const n = Number(value);
  if (n > max) throw new UsageError(`--${name}: ${n} is outside 0..${max}`);
  return n;
}

/** `--NAME DIR`: an output directory that exists or can be created, and is writable. Checked
 * before any work, so that a search never ends in a failed write. */
export function checkOutDir(name: string, value: string): string {
  const problem = outDirProblem(value);
  if (problem) throw new UsageError(`--${name}: ${problem}`);
  return value;
}

/** `--NAME FILE`: an output file that can be created or replaced. */
export function checkOutFile(name: string, value: string): string {
  const problem = outFileProblem(value);
  if (problem) throw new UsageError(`--${name}: ${problem}`);
  return value;
}
