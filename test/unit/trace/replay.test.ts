// replayTrace compares the run with everything the trace recorded: verdict, initial state, both
// results and the model state of every step, and abstract(impl) where recorded.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findFault, INVARIANTS, STEP_PROPERTIES } from '../../../src/index.ts';
import type { Trace } from '../../../src/trace/format.ts';
import { loadTrace } from '../../../src/trace/io.ts';
import { describeDifference, replayTrace } from '../../../src/trace/replay.ts';
import { subjectOf } from '../../../src/faults/index.ts';

const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'traces');

/** A corpus trace as a mutable copy. */
function load(file: string): Trace {
  const loaded = loadTrace(join(dir, file));
  if (!loaded.ok) throw new Error(loaded.error);
  return structuredClone(loaded.trace);
}

function replay(trace: Trace, fault: string | null = trace.fault) {
  const found = fault === null ? undefined : findFault(fault);
  return replayTrace(trace, {
    invariants: INVARIANTS,
    properties: STEP_PROPERTIES,
    subject: subjectOf(found),
  });
}

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };
const mutable = <T>(t: T): Mutable<T> => t as Mutable<T>;

describe('replayTrace against the recorded run', () => {
  it('an untouched trace matches, with no differences', () => {
    const r = replay(load('pass-grant-map-unmap-end.json'));
    expect(r.matchesRecorded).toBe(true);
    expect(r.differences).toEqual([]);
  });

  it('a contradicted impl result: same verdict, matchesRecorded false', () => {
    const t = mutable(load('pass-grant-map-unmap-end.json'));
    const step = t.steps[5]; // the second end_access, which ends the grant
    if (step) step.impl = { kind: 'end_access', outcome: 'in_use' };
    const r = replay(t);
    expect(r.verdict).toEqual({ kind: 'pass' });
    expect(r.matchesRecorded).toBe(false);
    expect(r.differences.map(describeDifference)).toEqual([
      'impl result: recorded in_use, now ended at step 6',
    ]);
  });

  it('a contradicted initial state', () => {
    const t = mutable(load('pass-grant-map-unmap-end.json'));
    const d1 = t.initialState.domains[1];
    if (d1) d1.maxPages = 9;
    expect(replay(t).differences.map(describeDifference)).toEqual([
      'state d1 max_pages: recorded 9, now 5 at the initial state',
    ]);
  });

  it('a contradicted abstract(impl) on a state-mismatch step', () => {
    const t = mutable(load('fault-xsa-230-status-host-only.json'));
    const step = t.steps[1];
    const entries = step?.implState?.domains[0]?.grantTable.entries;
    const entry = entries?.find(([ref]) => ref === 8);
    if (entry) entry[1].flags = 0x0019; // what the model has, not what the faulty impl wrote
    expect(replay(t).differences.map(describeDifference)).toEqual([
      'impl state d0 ref 8 entry: recorded flags 0x0019, now 0x0011 at step 2',
    ]);
  });

  it('a changed verdict comes first, then what changed with it', () => {
    const r = replay(load('fault-xsa-230-status-host-only.json'), null);
    expect(r.matchesRecorded).toBe(false);
    expect(r.differences.map(describeDifference)).toEqual([
      'verdict: recorded state-mismatch at step 2, now pass',
      'impl state d0 ref 8 entry: recorded flags 0x0011, now 0x0019 at step 2',
    ]);
  });
});
