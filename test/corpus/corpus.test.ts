// The regression corpus: every committed trace replays to its recorded verdict — passing traces
// pass, and traces recorded against a fault still fail against that fault — and every fault
// trace passes against the correct impl. Interleaved traces (grantcheck interleave) re-run their
// schedule.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayInterleavedTraceFile, replayTraceFile } from '../../src/index.ts';
import { sameVerdict } from '../../src/trace/format.ts';
import { CORPUS_DIR, loadCorpus } from '../support/corpus.ts';

const all = loadCorpus();
const traces = all.filter(([, t]) => t.interleaving === undefined);
const interleaved = all.filter(([, t]) => t.interleaving !== undefined);
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

  it('holds interleaved traces of race faults', () => {
    expect(interleaved.length).toBeGreaterThan(0);
  });

  it.each(interleaved)(
    '%s re-runs its schedule to its recorded verdict, and passes unfaulted',
    (file, trace) => {
      const replay = replayInterleavedTraceFile(join(CORPUS_DIR, file));
      expect(replay.verdict.kind).toBe('violation');
      expect(sameVerdict(replay.verdict, trace.verdict)).toBe(true);
      expect(replayInterleavedTraceFile(join(CORPUS_DIR, file), null).verdict).toEqual({
        kind: 'pass',
      });
    },
  );
});
