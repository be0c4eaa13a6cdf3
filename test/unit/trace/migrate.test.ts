// Trace format versions: 2 added page contents, 3 interleaved runs; older traces are migrated on
// load. Contents show in the step table and, where model and impl disagree, with the byte range
// that differs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../../src/config.ts';
import { initialState } from '../../../src/model/index.ts';
import { fillRange } from '../../../src/model/contents.ts';
import { sideBySideView } from '../../../src/cli/views.ts';
import { TRACE_VERSION } from '../../../src/trace/format.ts';
import { parseTrace } from '../../../src/trace/io.ts';
import { migrateTrace } from '../../../src/trace/migrate.ts';
import { stateFromJson } from '../../../src/trace/stateJson.ts';
import { CORPUS_DIR, loadCorpus } from '../../support/corpus.ts';

function raw(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(CORPUS_DIR, file), 'utf8')) as Record<string, unknown>;
}

describe('trace versions', () => {
  it('the current version is 3', () => {
    expect(TRACE_VERSION).toBe(3);
  });

  it('every committed version-1 trace loads as version 3, every state with no page contents', () => {
    // 23 today: the corpus's traces written before version 2 (the dom0 ones were re-recorded on
    // real Xen at version 2 since).
    const files = loadCorpus().filter(([file]) => raw(file).version === 1);
    expect(files.length).toBeGreaterThanOrEqual(23);
    for (const [file, trace] of files) {
      expect(trace.version, file).toBe(3);
      expect(trace.initialState.contents, file).toEqual([]);
      for (const step of trace.steps) {
        expect(step.state.contents, file).toEqual([]);
        if (step.implState) expect(step.implState.contents, file).toEqual([]);
      }
    }
  });

  it('migration leaves everything else as it was', () => {
    const v1 = raw('pass-grant-map-unmap-end.json');
    const v2 = migrateTrace(v1) as Record<string, unknown>;
    const strip = (t: Record<string, unknown>): string =>
      JSON.stringify(t, (k, v: unknown) => (k === 'contents' || k === 'version' ? undefined : v));
    expect(strip(v2)).toBe(strip(v1));
    expect(migrateTrace(v2)).toBe(v2); // a current trace is not touched
  });

  it('a version-2 trace is a version-3 one as it is (interleaving is optional)', () => {
    const v2 = { ...(migrateTrace(raw('pass-grant-map-unmap-end.json')) as object), version: 2 };
    const v3 = migrateTrace(v2) as Record<string, unknown>;
    expect(v3).toEqual({ ...v2, version: 3 });
    const parsed = parseTrace(v2);
    expect(parsed.ok && parsed.trace.interleaving).toBeUndefined();
    const early = parseTrace({ ...v2, interleaving: { setup: [], actors: [], schedule: [] } });
    expect(early.ok ? '' : early.error).toBe('interleaving: only a version-3 trace holds one');
  });

  it('a version-2 trace with page contents round-trips its states', () => {
    const [, trace] = loadCorpus().find(([f]) => f === 'pass-page-contents.json') ?? [];
    if (!trace) throw new Error('no pass-page-contents.json');
    const last = trace.steps[trace.steps.length - 1];
    const state = stateFromJson(last?.state ?? trace.initialState);
    expect(state.contents.get(0x104)?.key).toBe('0-16:ab');
    expect(state.contents.get(0x105)?.key).toBe('4095-4096:ff');
    expect([...state.contents.keys()]).toEqual([0x104, 0x105]);
  });

  it('refuses an unknown version, and malformed runs', () => {
    const v1 = raw('pass-grant-map-unmap-end.json');
    const future = parseTrace({ ...v1, version: 4 });
    expect(future.ok ? '' : future.error).toBe(
      'version: this grantcheck reads trace versions 1 to 3, the file is version 4',
    );
    const v2 = migrateTrace(v1) as { initialState: Record<string, unknown> };
    const bad = parseTrace({
      ...v2,
      initialState: { ...v2.initialState, contents: [[256, [[5, 3, 1]]]] },
    });
    expect(bad.ok).toBe(false);
    const zero = parseTrace({
      ...v2,
      initialState: { ...v2.initialState, contents: [[256, [[0, 3, 0]]]] },
    });
    expect(zero.ok).toBe(false);
  });
});

describe('contents in the side-by-side view', () => {
  it('names the byte range where model and impl disagree', () => {
    const model = initialState(makeConfig());
    const page = fillRange(undefined, 16, 8, 0x7);
    if (page === undefined) throw new Error('no page');
    const impl = { ...model, contents: new Map([[0x104, page]]) };
    const lines = sideBySideView(
      {
        op: { kind: 'write_page', dom: 1, gfn: 0, off: 16, len: 8, byte: 7 },
        modelResult: { kind: 'write_page', outcome: 'ok' },
        implResult: { kind: 'write_page', outcome: 'ok' },
        modelState: model,
        implState: impl,
      },
      120,
    );
    expect(lines).toContain('≠ mfn 0x104: bytes 16..23 differ');
    expect(lines.some((l) => l.includes('mfn 0x104 contents: #'))).toBe(true);
  });
});
