// The library surface as the README shows it: a user's vitest file runs a suite and replays a
// trace through src/index.ts alone.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  buildSuite,
  FAULTS,
  formatOp,
  parseOp,
  replayTraceFile,
  runSuite,
  SUITE_NAMES,
} from '../../src/index.ts';
import { VERSION } from '../../src/version.ts';
import packageJson from '../../package.json' with { type: 'json' };

describe('library API', () => {
  it('runs a suite as in the README', () => {
    const suite = buildSuite('conformance');
    expect(suite).toBeDefined();
    const outcome = runSuite(suite!, { seed: 42, runs: 100 });
    expect(outcome.kind).toBe('pass');
    expect(outcome.stats.runs).toBe(100);
    expect(outcome.stats.ops).toBeGreaterThan(100);
  });

  it('replays a trace file, against its fault or the correct impl', () => {
    const file = join(
      import.meta.dirname,
      '..',
      'fixtures',
      'traces',
      'fault-end-access-ignores-writing.json',
    );
    expect(replayTraceFile(file).verdict.kind).toBe('violation');
    expect(replayTraceFile(file, null).verdict.kind).toBe('pass');
    expect(() => replayTraceFile(file, 'no-such-fault')).toThrow(/unknown fault/);
  });

  it('exposes suites, faults and the op text form', () => {
    expect(SUITE_NAMES).toEqual(['conformance', 'protocol']);
    expect(FAULTS.length).toBeGreaterThan(0);
    expect(parseOp(formatOp({ kind: 'end_access', dom: 1, ref: 8 }))).toEqual({
      ok: true,
      op: { kind: 'end_access', dom: 1, ref: 8 },
    });
  });

  it('reports the version package.json declares', () => {
    expect(VERSION).toBe(packageJson.version);
  });
});
