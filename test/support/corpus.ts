// The committed trace corpus (test/fixtures/traces), loaded once per test file: every trace,
// sorted by file name, each validated as `grantcheck replay` reads it.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Trace } from '../../src/trace/format.ts';
import { loadTrace } from '../../src/trace/io.ts';

export const CORPUS_DIR = join(import.meta.dirname, '..', 'fixtures', 'traces');

/** [file name, trace] for every trace of the corpus. */
export function loadCorpus(): [string, Trace][] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const loaded = loadTrace(join(CORPUS_DIR, file));
      if (!loaded.ok) throw new Error(`${file}: ${loaded.error}`);
      return [file, loaded.trace];
    });
}
