// Where the failure database lives (./db.ts): cheap to ask, so that a run with nothing kept
// loads none of the trace machinery.

import { join } from 'node:path';

export const DEFAULT_FAILURE_DIR = '.grantcheck/failures';

/** The database directory in force: the flag's, else GRANTCHECK_FAILURES's, else the default;
 * null when turned off. */
export function failureRoot(flag: string | false | undefined): string | null {
  if (flag === false) return null;
  if (flag !== undefined) return flag;
  const env = process.env['GRANTCHECK_FAILURES'];
  if (env === 'off') return null;
  return env && env !== '' ? env : DEFAULT_FAILURE_DIR;
}

/** One directory per subject: a failure of one implementation says nothing about another. */
export function subjectDir(root: string, subject: string): string {
  const slug = subject.replace(/[^A-Za-z0-9._+-]+/g, '_').slice(0, 80) || 'subject';
  return join(root, slug);
}
