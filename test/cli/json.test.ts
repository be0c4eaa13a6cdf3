// The CLI's JSON counts steps from 1 wherever a person reads them: the verdict's step names the
// same row as `steps[].step` (issue 15 §4), while trace files keep their 0-based verdict (every
// committed trace still replays: test/corpus). exec --json has replay's shape.
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';

const root = join(import.meta.dirname, '..', '..');
const fixture = (name: string) => join(root, 'test', 'fixtures', 'traces', name);
const tmp = () => mkdtempSync(join(tmpdir(), 'grantcheck-json-'));

interface RunJson {
  result: string;
  verdict: { kind: string; step?: number; check?: string };
  fault: string | null;
  steps: { step: number; failure?: string }[];
  matchesRecorded?: boolean;
  trace?: string;
}

/** The step of the row marked failed. */
const failedRow = (j: RunJson) => j.steps.find((s) => s.failure !== undefined)?.step;

describe('--json step numbers', () => {
  it("replay: verdict.step is the failing row's step (1-based); the file keeps 0-based", async () => {
    const file = fixture('fault-end-access-ignores-writing.json');
    const r = await cli('replay', file, '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as RunJson;
    expect(j.verdict).toMatchObject({ kind: 'violation', step: 2, check: 'result-mismatch' });
    expect(failedRow(j)).toBe(2);
    expect(j.matchesRecorded).toBe(true);
    const onDisk = JSON.parse(readFileSync(file, 'utf8')) as { verdict: { step: number } };
    expect(onDisk.verdict.step).toBe(1);
  });

  it('exec --json: the shape of replay --json, the same verdict and rows', async () => {
    const dir = tmp();
    const file = join(dir, 'x.json');
    const ops = ['raw_write(d1 ref=10 flags=0xa991 domid=1 frame=0)', 'end_access(d1 ref=10)'];
    const fault = ['--fault', 'end-access-ignores-writing'];
    const e = await cli('exec', ...fault, '--out', file, '--json', ...ops);
    expect(e.code).toBe(1);
    expect(e.err).toBe('');
    const ej = JSON.parse(e.out) as RunJson; // one JSON document, nothing else
    expect(ej).toMatchObject({
      result: 'violation',
      verdict: { kind: 'violation', step: 2 },
      fault: 'end-access-ignores-writing',
      trace: file,
    });
    expect(failedRow(ej)).toBe(2);
    expect(readdirSync(dir)).toEqual(['x.json']);
    const rj = JSON.parse((await cli('replay', file, '--json')).out) as RunJson;
    expect(ej.verdict).toEqual(rj.verdict);
    expect(ej.steps).toEqual(rj.steps);
    expect(Object.keys(ej).filter((k) => k !== 'trace')).toEqual(
      Object.keys(rj).filter((k) => k !== 'matchesRecorded' && k !== 'differences'),
    );
  });

  it('exec --json of a passing run', async () => {
    const r = await cli('exec', '--json', 'grant_access(d1 ref=8 -> d2 gfn=0 rw)');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      result: 'pass',
      verdict: { kind: 'pass' },
      fault: null,
      steps: [{ step: 1, model: 'ok', impl: 'ok' }],
    });
  });

  it('an interleaved replay: verdict.step is a 1-based step of steps[]', async () => {
    const r = await cli('replay', fixture('interleave-end-access-non-atomic.json'), '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as RunJson;
    expect(j.verdict.kind).toBe('violation');
    expect(j.steps.map((s) => s.step)).toEqual(j.steps.map((_, i) => i + 1));
    // the trace file counts from 0: the same step, one higher
    const saved = JSON.parse(
      readFileSync(fixture('interleave-end-access-non-atomic.json'), 'utf8'),
    ) as { verdict: { step: number } };
    expect(j.verdict.step).toBe(saved.verdict.step + 1);
    expect(j.verdict.step).toBeLessThanOrEqual(j.steps.length);
  });

  it('interleave --json: the violation at the 1-based step, not a 0-based position', async () => {
    const dir = tmp();
    const argv = ['--fault', 'end-access-non-atomic', '--mode', 'exhaustive', '--out', dir];
    const r = await cli('interleave', ...argv, '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out) as { violation: Record<string, unknown>; trace: string };
    const saved = JSON.parse(readFileSync(j.trace, 'utf8')) as { verdict: { step: number } };
    expect(j.violation).toMatchObject({ check: 'invariant', step: saved.verdict.step + 1 });
    expect(j.violation).not.toHaveProperty('position');
  }, 60_000);

  it('a core replay: verdict.step and steps[].step 1-based', async () => {
    const dir = tmp();
    const e = await cli('explore', '--variant', 'end-access-ignores-mappings', '--out', dir);
    expect(e.code).toBe(1);
    const file = join(dir, readdirSync(dir)[0] ?? '');
    for (const argv of [
      ['replay', file, '--json'],
      ['explore', '--replay', file, '--json'],
    ]) {
      const j = JSON.parse((await cli(...argv)).out) as {
        verdict: { kind: string; step: number };
        steps: { step: number; broken?: string }[];
      };
      expect(j.verdict).toMatchObject({ kind: 'violation', step: 3 });
      expect(j.steps.find((s) => s.broken !== undefined)?.step).toBe(3);
    }
  });
});
