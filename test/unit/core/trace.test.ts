// Core traces: the broken variant's counterexample as a trace in the one versioned envelope,
// validated on load, replayed to its verdict, and refused by the correct variant.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isCoreTrace,
  loadCoreTrace,
  parseCoreTrace,
  replayCoreTrace,
  writeCoreTrace,
} from '../../../src/core/index.ts';
import { brokenCoreTrace } from '../../support/coreTrace.ts';

const brokenTrace = () => brokenCoreTrace('test', { domains: 2, refs: 2, frames: 3, maxPin: 2 });

describe('core traces', () => {
  it('write, load and replay the 3-step counterexample', () => {
    const trace = brokenTrace();
    expect(trace).toMatchObject({ format: 'grantcheck-trace', version: 1, model: 'core' });
    expect(trace.steps.map((s) => s.action)).toEqual([
      'grant_access(d0, ref0, g1, f0, rw)',
      'map(g1, x0, ref0, read)',
      'end_access(d0, ref0)',
    ]);
    const file = join(mkdtempSync(join(tmpdir(), 'grantcheck-core-')), 't.json');
    writeCoreTrace(file, trace);
    const loaded = loadCoreTrace(file);
    if (!loaded.ok) throw new Error(loaded.error);
    expect(isCoreTrace(JSON.parse(readFileSync(file, 'utf8')))).toBe(true);
    const replay = replayCoreTrace(loaded.trace);
    expect(replay.matchesRecorded).toBe(true);
    expect(replay.verdict).toMatchObject({
      kind: 'violation',
      step: 2,
      name: 'free-entry-unmapped',
    });
    // The correct protocol does not enable the third step.
    expect(replayCoreTrace(loaded.trace, 'correct').verdict).toEqual({ kind: 'disabled', step: 2 });
  });

  it('rejects a malformed trace with the first bad field, and an unknown action', () => {
    const trace = brokenTrace();
    expect(parseCoreTrace({ ...trace, variant: 'nope' })).toMatchObject({ ok: false });
    const bad = { ...trace, steps: [{ action: 'jump(d0)', state: '' }] };
    expect(parseCoreTrace(bad)).toEqual({
      ok: false,
      error: 'steps.0.action: not a core action: "jump(d0)"',
    });
    // an action of no domain, ref or frame of the config: bad input, not an action disabled
    for (const [action, problem] of [
      ['grant_access(d9, ref0, g1, f0, rw)', "d9 is outside the config's 2 domains (0..1)"],
      ['map(g1, x0, ref7, read)', "ref7 is outside the config's 2 refs (0..1)"],
      ['transfer(g1, f99, x0, ref0)', "f99 is outside the config's 3 frames (0..2)"],
    ] as const) {
      expect(parseCoreTrace({ ...trace, steps: [{ action, state: '' }] })).toEqual({
        ok: false,
        error: `steps.0.action "${action}": ${problem}`,
      });
    }
    const file = join(mkdtempSync(join(tmpdir(), 'grantcheck-core-')), 'x.json');
    writeFileSync(file, '{');
    expect(loadCoreTrace(file)).toMatchObject({ ok: false });
    // another kind of trace is named as such (explore --replay of a Xen-level trace)
    writeFileSync(file, JSON.stringify({ format: 'grantcheck-trace', version: 3, steps: [] }));
    expect(loadCoreTrace(file)).toEqual({
      ok: false,
      error: "not a core trace (grantcheck replay takes every kind of grantcheck's traces)",
    });
  });
});
