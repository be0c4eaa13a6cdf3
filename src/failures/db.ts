// The failure database, as Hypothesis keeps one: every failure's trace is kept, one directory
// per subject, and every later run replays the kept failures first, before it generates
// anything new. A kept failure that passes now is forgotten. Default `.grantcheck/failures`
// (git-ignore `.grantcheck/`); GRANTCHECK_FAILURES names another directory, or `off`.

import { createHash } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Trace } from '../trace/format.ts';
import { loadTrace, writeTrace } from '../trace/io.ts';
import { subjectDir } from './paths.ts';

export { DEFAULT_FAILURE_DIR, failureRoot, subjectDir } from './paths.ts';

/** Keep a failure's trace; the same failure (same ops and verdict) is kept once. */
export function keepFailure(root: string, subject: string, trace: Trace): string {
  const key = createHash('sha256')
    .update(JSON.stringify([trace.origin, trace.steps.map((s) => s.op), trace.verdict]))
    .digest('hex')
    .slice(0, 12);
  const suite = trace.origin.engine === 'random' ? trace.origin.suite : trace.origin.engine;
  const path = join(subjectDir(root, subject), `${suite}-${key}.json`);
  writeTrace(path, trace);
  return path;
}

export interface KeptFailure {
  readonly path: string;
  readonly trace: Trace;
}

/** The kept failures of `subject`, oldest name first; unreadable files are reported, not kept
 * from the run. */
export function keptFailures(
  root: string,
  subject: string,
): { kept: KeptFailure[]; unreadable: string[] } {
  const dir = subjectDir(root, subject);
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort();
  } catch {
    return { kept: [], unreadable: [] };
  }
  const kept: KeptFailure[] = [];
  const unreadable: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const loaded = loadTrace(path);
    if (loaded.ok) kept.push({ path, trace: loaded.trace });
    else unreadable.push(`${path}: ${loaded.error}`);
  }
  return { kept, unreadable };
}

/** Forget a kept failure (it passes now). */
export function forgetFailure(path: string): void {
  rmSync(path, { force: true });
}
