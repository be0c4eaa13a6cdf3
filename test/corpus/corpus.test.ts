// The regression corpus: every committed trace replays to its recorded verdict — passing traces
// pass, and traces recorded against a fault still fail against that fault — and every fault
// trace passes against the correct impl.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayTraceFile } from '../../src/index.ts';
import { CORPUS_DIR, loadCorpus } from '../support/corpus.ts';

const traces = loadCorpus();
const faultTraces = traces.filter(([, t]) => t.fault !== null);

describe('trace corpus', () => {
  it('holds passing traces and traces recorded against faults', () => {
    expect(traces.filter(([, t]) => t.verdict.kind === 'pass').length).toBeGreaterThan(0);
    expect(faultTraces.length).toBeGreaterThan(0);
  });

  it.each(traces)('%s replays to its recorded verdict', (file, trace) => {
    const replay = replayTraceFile(join(CORPUS_DIR, file));
    expect(replay.verdict.kind).toBe(trace.verdict.kind);
    expect(replay.matchesRecorded).toBe(true);
  });

  it.each(faultTraces)('%s passes against the correct impl', (file) => {
    expect(replayTraceFile(join(CORPUS_DIR, file), null).verdict).toEqual({ kind: 'pass' });
  });
});
