// The regression corpus: every committed trace replays to its recorded verdict — passing traces
// pass, and traces recorded against a fault still fail against that fault (and pass against
// the correct impl).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayTraceFile } from '../../src/index.ts';
import { loadTrace } from '../../src/trace/io.ts';

const dir = join(import.meta.dirname, '..', 'fixtures', 'traces');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

describe('trace corpus', () => {
  it('is not empty', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  describe.each(files)('%s', (file) => {
    const path = join(dir, file);
    it('loads and replays to its recorded verdict', () => {
      const loaded = loadTrace(path);
      expect(loaded.ok ? 'ok' : loaded.error).toBe('ok');
      const replay = replayTraceFile(path);
      expect(replay.verdict).toMatchObject(
        loaded.ok && loaded.trace.verdict.kind === 'violation'
          ? {
              kind: 'violation',
              step: loaded.trace.verdict.step,
              check: loaded.trace.verdict.check,
            }
          : { kind: 'pass' },
      );
      expect(replay.matchesRecorded).toBe(true);
    });
    it('passes against the correct impl when it was recorded against a fault', () => {
      const loaded = loadTrace(path);
      if (!loaded.ok || loaded.trace.fault === null) return;
      expect(replayTraceFile(path, null).verdict).toEqual({ kind: 'pass' });
    });
  });
});
