// The library surface as the README shows it: a user's vitest file runs a suite and replays a
// trace through src/index.ts alone.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  buildSuite,
  DEFAULT_CONFIG,
  FAULTS,
  formatOp,
  formatResult,
  initialState,
  INVARIANTS,
  parseOp,
  replayInterleavedTraceFile,
  replayTraceFile,
  runSuite,
  step,
  stateKey,
  SUITE_NAMES,
  VERSION as API_VERSION,
  violationName,
} from '../../src/index.ts';
import type { StateInvariant } from '../../src/index.ts';
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

  it('replays an interleaved trace file, and refuses it where a sequential one is expected', () => {
    const file = join(
      import.meta.dirname,
      '..',
      'fixtures',
      'traces',
      'interleave-end-access-non-atomic.json',
    );
    const replay = replayInterleavedTraceFile(file);
    expect(replay.violation).toMatchObject({ check: 'invariant', name: 'status-bits-mirror-pins' });
    expect(replay.events.length).toBe(replay.schedule.length);
    expect(replayInterleavedTraceFile(file, null).verdict.kind).toBe('pass');
    expect(() => replayTraceFile(file)).toThrow(/an interleaved trace/);
  });

  it('exposes suites, faults and the op text form', () => {
    expect(SUITE_NAMES).toEqual(['conformance', 'protocol', 'death', 'backends']);
    expect(FAULTS.length).toBeGreaterThan(0);
    expect(parseOp(formatOp({ kind: 'end_access', dom: 1, ref: 8 }))).toEqual({
      ok: true,
      op: { kind: 'end_access', dom: 1, ref: 8 },
    });
  });

  it('reports the version package.json declares', () => {
    expect(VERSION).toBe(packageJson.version);
    expect(API_VERSION).toBe(VERSION);
  });

  it('steps the model from a text op', () => {
    const parsed = parseOp('grant_access(d1 ref=8 -> d2 gfn=0 rw)');
    if (!parsed.ok) throw new Error(parsed.error);
    const s0 = initialState(DEFAULT_CONFIG);
    const { state, result } = step(s0, parsed.op);
    expect(formatResult(result)).toBe('ok');
    expect(stateKey(state)).not.toBe(stateKey(s0));
    expect(state.domains[1]?.grantTable.entries.get(8)).toMatchObject({ domid: 2 });
  });

  it("runs a user's own invariant alongside the catalogue, and reports it by name", () => {
    // A policy stricter than Xen's: no domain holds more than one host mapping.
    const atMostOneHostMapping: StateInvariant = {
      name: 'at-most-one-host-mapping',
      statement: 'no domain holds two host mappings',
      source: 'a user of the library',
      reads: ['hostMappings'],
      onModel: (s) =>
        s.domains.some((d) => d.hostMappings.size > 1) ? 'a domain has two host mappings' : null,
      onImpl: () => null,
    };
    const suite = buildSuite('conformance')!;
    const strict = { ...suite, invariants: [...INVARIANTS, atMostOneHostMapping] };
    expect(runSuite(suite, { seed: 42, runs: 100 }).kind).toBe('pass');
    const outcome = runSuite(strict, { seed: 42, runs: 400 });
    expect(outcome.kind).toBe('violation');
    if (outcome.kind !== 'violation') return;
    expect(violationName(outcome.violation)).toBe('invariant at-most-one-host-mapping (model)');
  });
});
