// The C example (examples/c-guest-subject): an independent guest library, built here with the
// machine's C compiler, checked against the model over the wire. The correct build passes; the
// broken one (end access that ignores GTF_writing) is caught, and its trace replays to the same
// failure against it and passes against the correct build.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSuite } from '../../src/harness/random.ts';
import type { ClosableSubjectFactory } from '../../src/subject/wire/wireSubject.ts';
import { openWireSubject } from '../../src/subject/wire/wireSubject.ts';
import { buildSuite } from '../../properties/suites.ts';
import { testSeeds } from '../support/seeds.ts';
import { cli } from '../support/cli.ts';

const source = join(
  import.meta.dirname,
  '..',
  '..',
  'examples',
  'c-guest-subject',
  'guest_subject.c',
);
const hasCc = spawnSync('gcc', ['--version']).status === 0;
if (!hasCc) {
  console.log('C example not run: no gcc on this machine (install it: apt-get install -y gcc)');
}

describe.skipIf(!hasCc)('the C guest library as a subject', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grantcheck-c-'));
  const correct = join(dir, 'guest');
  const broken = join(dir, 'guest-broken');
  const opened: ClosableSubjectFactory[] = [];
  beforeAll(() => {
    execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', correct, source]);
    execFileSync('gcc', [
      '-O2',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-DBROKEN_END_ACCESS',
      '-o',
      broken,
      source,
    ]);
  });
  afterAll(() => opened.forEach((s) => s.close()));
  const suite = buildSuite('conformance');
  if (!suite) throw new Error('no suite');

  for (const seed of testSeeds('C guest subject')) {
    it(`passes the conformance suite, its shared entries compared (seed ${seed})`, () => {
      const subject = openWireSubject(correct);
      opened.push(subject);
      expect(subject.observes).toEqual(['entries']);
      const outcome = runSuite(suite, { seed, runs: 300, subject });
      expect(outcome.kind).toBe('pass');
      expect(outcome.stats.coverage.get('end_access:in_use')).toBeGreaterThan(0);
    });
    it(`the broken build is caught (seed ${seed})`, () => {
      const subject = openWireSubject(broken);
      opened.push(subject);
      const outcome = runSuite(suite, { seed, subject });
      expect(outcome.kind).toBe('violation');
      if (outcome.kind !== 'violation') return;
      expect(outcome.violation.check).toBe('result-mismatch');
    });
  }

  it('grantcheck run writes a trace that replays against either build', async () => {
    const out = join(dir, 'traces');
    const run = await cli(
      'run',
      '--suite',
      'conformance',
      '--seed',
      '1',
      '--subject',
      broken,
      '--out',
      out,
    );
    expect(run.code).toBe(1);
    expect(run.out).toContain(
      "compared: c-guest-subject (broken end_access): results, the state's entries",
    );
    // No page beside it: a page replays the built-in impl, not this subject.
    const written = readdirSync(out);
    expect(written.filter((name) => name.endsWith('.html'))).toEqual([]);
    const [trace] = written;
    if (!trace) throw new Error('no trace written');
    const again = await cli('replay', join(out, trace), '--subject', broken);
    expect(again.code).toBe(1);
    expect(again.out).toContain('result: FAILS (recorded: violation at step');
    expect(again.out).toContain(', same)');
    const fixed = await cli('replay', join(out, trace), '--subject', correct);
    expect(fixed.code).toBe(0);
    expect(fixed.out).toContain('result: PASSES');
  });
});
