// The viewer's data for committed traces: replayed (not read from the file), with the failing
// step, both results, a mismatch flagged, and one state panel per step plus the initial one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTrace } from '../../../src/trace/io.ts';
import type { Trace } from '../../../src/trace/format.ts';
import { buildView } from '../../../src/view/build.ts';
import type { ViewData } from '../../../src/view/build.ts';
import { loadTraceView } from '../../../src/view/index.ts';
import { brokenCoreTrace } from '../../support/coreTrace.ts';

const dir = join(import.meta.dirname, '..', '..', 'fixtures', 'traces');

function trace(file: string): Trace {
  const loaded = loadTrace(join(dir, file));
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.trace;
}

function view(file: string): ViewData {
  const built = buildView(trace(file), file);
  if (!built.ok) throw new Error(built.error);
  return built.view;
}

describe('buildView: a sequential trace', () => {
  const v = view('fault-end-access-ignores-writing.json');

  it('lanes for the three domains and Xen; one row per step, one panel more', () => {
    expect(v.lanes.map((l) => l.label)).toEqual(['d0 (dom0)', 'd1', 'd2', 'Xen']);
    expect(v.rows).toHaveLength(2);
    expect(v.panels.map((p) => p.step)).toEqual([0, 1, 2]);
  });

  it('the failing step: its check, both results, the mismatch', () => {
    expect(v.failing).toBe(2);
    expect(v.verdict).toBe('result-mismatch at step 2');
    const failing = v.rows[1];
    expect(failing).toMatchObject({ model: 'in_use', impl: 'ended', mismatch: true });
    expect(failing?.failure).toMatch(/^result mismatch/);
    expect(v.rows[0]).toMatchObject({ mismatch: false });
    expect(v.rows[0]?.failure).toBeUndefined();
  });

  it("the failing step's panel has abstract(impl) beside the model where they differ", () => {
    const panel = v.panels[2];
    expect(panel?.differences).toBeGreaterThan(0);
    const entry = panel?.sections
      .find((s) => s.title === 'grant entries')
      ?.rows.find((r) => r.impl !== undefined);
    // The fault ended the access the model refuses to end (GTF_writing is set).
    expect(entry?.key).toBe('d1 ref 10');
    expect(entry?.value).toMatch(/^0xa991 permit_access → d1 gfn 0 \[writing/);
    expect(entry?.impl).toBe('0x0000 invalid domid 1 frame 0');
  });

  it('says whether the replay matches the recorded run', () => {
    expect(v.summary).toContain('replay: same as recorded');
    expect(v.summary).toContain('fault: end-access-ignores-writing');
  });
});

describe('buildView: a passing trace', () => {
  it('no failing step, no mismatch, states replayed', () => {
    const v = view('pass-grant-map-unmap-end.json');
    expect(v.failing).toBeNull();
    expect(v.verdict).toBe('pass');
    expect(v.rows.every((r) => !r.mismatch && r.failure === undefined)).toBe(true);
    expect(v.panels).toHaveLength(v.rows.length + 1);
    expect(v.panels.slice(1).every((p) => p.changes > 0 || p.differences === 0)).toBe(true);
  });

  it('states come from the replay: a doctored recorded state is not shown, and is reported', () => {
    const t = structuredClone(trace('pass-grant-map-unmap-end.json'));
    const first = t.steps[0];
    if (!first) throw new Error('no step');
    (first.state as { frameOwner: unknown }).frameOwner = [];
    const built = buildView(t, 'doctored');
    if (!built.ok) throw new Error(built.error);
    const owners = built.view.panels[1]?.sections.find((s) => s.title === 'page owners');
    expect(owners?.rows.length).toBe(12);
    expect(built.view.summary.some((l) => l.startsWith('replay differs'))).toBe(true);
  });
});

describe('buildView: an interleaved trace', () => {
  const file = 'interleave-xsa-228-maptrack-pop-split.json';
  const v = view(file);
  const t = trace(file);

  it('a lane per actor beside its domain; the setup first, then the schedule', () => {
    expect(v.lanes.map((l) => l.id)).toEqual(['d0', 'd1', 'd2', 'a0', 'a1', 'xen']);
    const setup = t.interleaving?.setup.length ?? 0;
    const schedule = t.interleaving?.schedule.length ?? 0;
    expect(v.rows.filter((r) => r.phase === 'setup')).toHaveLength(setup);
    expect(v.rows).toHaveLength(setup + schedule);
    expect(v.panels).toHaveLength(v.rows.length + 1);
    expect(v.panels.at(-1)?.shows).toBe('abstract(impl)');
  });

  it('a step where an op returned has its result apart from what the actor did', () => {
    const returned = v.rows.filter((r) => r.phase === 'run' && r.impl !== undefined);
    expect(returned.length).toBeGreaterThan(0);
    for (const r of returned) expect(r.label).not.toContain(r.impl);
  });

  it("the failing row is the verdict's schedule position, numbered as the verdict counts", () => {
    const step = t.verdict.kind === 'violation' ? t.verdict.step : -1;
    const failing = v.rows.find((r) => r.failure !== undefined);
    expect(failing?.number).toBe(String(step + 1));
    expect(failing?.step).toBe(v.failing);
    expect(failing?.failure).toMatch(/^invariant free-list-integrity/);
    expect(v.verdict).toBe(`invariant free-list-integrity (impl) at step ${step + 1}`);
  });
});

describe('loadTraceView: bad input is an error, never an exception', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'grantcheck-view-'));
  const core = join(tmp, 'core.json');
  writeFileSync(core, JSON.stringify(brokenCoreTrace()));
  const notJson = join(tmp, 'not.json');
  writeFileSync(notJson, '{"format": ');
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.each([
    ['a missing file', join(dir, 'no-such-trace.json'), /no such file/],
    ['not JSON', notJson, /^not JSON/],
    ['another schema', join(dir, '..', '..', '..', 'package.json'), /^format: |^[a-z.0-9]+: /],
    ['a core-model trace', core, /^a core-model trace/],
  ])('%s', (_what, path, error) => {
    const r = loadTraceView(path);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });

  it('an unknown fault', () => {
    const t = { ...trace('fault-end-access-ignores-writing.json'), fault: 'no-such-fault' };
    const r = buildView(t, 'x');
    expect(r).toEqual({
      ok: false,
      error: 'fault: no fault "no-such-fault" (see: grantcheck list)',
    });
  });
});
