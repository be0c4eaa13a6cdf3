// The fuzz property, shared by test/fuzz/traces.test.ts (npm test) and test/fuzz/run.ts
// (npm run fuzz): `grantcheck replay` on a malformed trace, run in-process, exits 0, 1 or 2; on 2
// it prints exactly one bounded line on stderr and nothing on stdout; no output carries control
// characters; nothing throws; no case takes long.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import type { Io } from '../../src/cli/outcome.ts';
import { hasUnsafeChars } from '../../src/input/index.ts';
import type { FuzzCase } from './mutate.ts';
import { caseBytes } from './mutate.ts';

export const MAX_ERROR_LINE = 300;
/** A hang guard, not a speed test (speed is `npm run bench`): a case normally takes ~10 ms. */
export const MAX_CASE_MS = 10_000;

export interface CaseOutcome {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  readonly ms: number;
}

/** Write the case's bytes to `dir` and replay them through main(). */
export async function runCase(
  dir: string,
  bases: readonly [string, string][],
  c: FuzzCase,
): Promise<CaseOutcome> {
  const file = join(dir, 'case.json');
  writeFileSync(file, caseBytes(bases, c));
  let out = '';
  let err = '';
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), interactive: false };
  const start = performance.now();
  const code = await main(['replay', file, ...c.flags], io);
  return { code, out, err, ms: performance.now() - start };
}

/** What is wrong with an outcome, or null. */
export function outcomeProblem(o: CaseOutcome): string | null {
  if (o.ms > MAX_CASE_MS) return `took ${Math.round(o.ms)} ms`;
  if (o.code !== 0 && o.code !== 1 && o.code !== 2) {
    return `exit ${o.code}: ${JSON.stringify(o.err.slice(0, 500))}`;
  }
  if (o.code === 2) {
    if (o.out !== '') return `exit 2 with stdout ${JSON.stringify(o.out.slice(0, 200))}`;
    if (!o.err.endsWith('\n') || o.err.indexOf('\n') !== o.err.length - 1) {
      return `exit 2 with ${o.err.split('\n').length - 1} lines: ${JSON.stringify(o.err.slice(0, 500))}`;
    }
    const line = o.err.slice(0, -1);
    if (line.length > MAX_ERROR_LINE) return `error line of ${line.length} chars`;
    if (hasUnsafeChars(line)) return `control characters in ${JSON.stringify(line)}`;
    return null;
  }
  if (o.err !== '') return `exit ${o.code} with stderr ${JSON.stringify(o.err.slice(0, 500))}`;
  if (hasUnsafeChars(o.out.replaceAll('\n', ''))) return 'control characters on stdout';
  return null;
}
