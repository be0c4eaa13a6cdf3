// assertSuite in a user's test file: a pass returns, a violation throws an Error that carries
// the whole report — the failing check, the ops in text form with both results, the seed, the
// fast-check path and the kept trace — and the trace replays.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assertSuite,
  buildSuite,
  faultSubject,
  findFault,
  replayTraceFile,
  SuiteAssertionError,
} from '../../src/index.ts';

const suite = buildSuite('conformance');
if (!suite) throw new Error('no suite');

describe('assertSuite', () => {
  it('returns the outcome when the suite passes', () => {
    expect(assertSuite(suite, { seed: 3, runs: 20 }).kind).toBe('pass');
  });
  it('throws the report a user needs, like fc.assert', () => {
    const fault = findFault('end-access-ignores-writing');
    if (!fault) throw new Error('no fault');
    const failureDir = mkdtempSync(join(tmpdir(), 'grantcheck-assert-'));
    let error: unknown;
    try {
      assertSuite(suite, { seed: 5, subject: faultSubject(fault), failureDir });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SuiteAssertionError);
    const e = error as SuiteAssertionError;
    expect(e.message).toMatch(
      /^suite conformance against impl\+end-access-ignores-writing \(seed 5\): VIOLATION: result mismatch at step \d+ of \d+/,
    );
    expect(e.message).toContain('end_access(d'); // the ops in their text form
    expect(e.message).toMatch(/in_use +≠ended/); // both results
    expect(e.message).toContain('model and impl side by side');
    expect(e.message).toMatch(/fast-check: {4}seed=5 path="[0-9:]+"/);
    expect(e.tracePath).toBeDefined();
    const path = e.tracePath ?? '';
    expect(e.message).toContain(`trace written: ${path}`);
    expect(existsSync(path)).toBe(true);
    // The kept trace fails against the fault and passes against the correct impl.
    expect(replayTraceFile(path, fault.id).verdict.kind).toBe('violation');
    expect(replayTraceFile(path, null).verdict.kind).toBe('pass');
  });
  it('names the outcomes a budget never reached', () => {
    const demanding = { ...suite, defaultRuns: 10, defaultMaxOps: 10 };
    const impossible = { ...demanding, expectedOutcomes: ['query_size:bad_gntref'] };
    expect(() => assertSuite(impossible, { seed: 1 })).toThrow(
      'suite conformance against impl (seed 1): never produced query_size:bad_gntref in 10 runs',
    );
  });
});
