// The failure database: a failure found by `grantcheck run` is kept per subject, the next run
// replays it first and stops there while it still fails, a kept failure that passes now is
// forgotten, and other subjects' failures are not replayed.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FAILURE_DIR, failureRoot } from '../../src/failures/paths.ts';
import { main } from '../../src/cli/main.ts';
import { cli } from '../support/cli.ts';

describe('grantcheck run --failures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grantcheck-failures-'));
  const db = join(dir, 'db');
  const out = join(dir, 'traces');
  const faulty = ['--fault', 'end-access-ignores-writing', '--suite', 'conformance'];
  const kept = join(db, 'impl+end-access-ignores-writing');

  it('keeps a failure, per subject', async () => {
    const r = await cli('run', ...faulty, '--seed', '5', '--out', out, '--failures', db);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`kept in:       ${kept}`);
    expect(readdirSync(kept)).toHaveLength(1);
  });
  it('replays it first, and stops there while it fails', async () => {
    const r = await cli('run', ...faulty, '--seed', '9', '--out', out, '--failures', db);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/kept failure .* still fails \(conformance\):/);
    expect(r.out).toContain('kept failures: 1 replayed');
    expect(r.out).toContain('FAILED: 1 kept failure(s) still fail; nothing new generated');
    expect(r.out).not.toContain('suite conformance:');
  });
  it("prints the kept failure in the fitted step table, at the terminal's width", async () => {
    let text = '';
    const io = { out: (t: string) => void (text += t), err: () => {}, interactive: false };
    const argv = ['run', ...faulty, '--seed', '9', '--out', out, '--failures', db];
    expect(await main(argv, { ...io, columns: 80 })).toBe(1);
    const lines = text.split('\n');
    const from = lines.findIndex((l) => / still fails \(conformance\):$/.test(l));
    const to = lines.findIndex((l) => l.startsWith('reproduce:'));
    const table = lines.slice(from + 1, to);
    expect(table[0]).toMatch(/^#\s+op\s+model\s+impl\s+changes$/);
    expect(table.some((l) => l.startsWith('>'))).toBe(true); // the failing step
    expect(table.some((l) => l.includes('^ FAILED: result mismatch'))).toBe(true);
    for (const line of table) expect(line.length).toBeLessThanOrEqual(80);
  });
  it("does not replay another subject's failures", async () => {
    const r = await cli(
      'run',
      '--suite',
      'protocol',
      '--runs',
      '5',
      '--seed',
      '1',
      '--failures',
      db,
    );
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('kept failure');
  });
  it('forgets a kept failure that passes now', async () => {
    // The fault's failure, filed as the correct impl's: it passes against the correct impl.
    const [name] = readdirSync(kept);
    if (!name) throw new Error('nothing kept');
    const impl = join(db, 'impl');
    mkdirSync(impl, { recursive: true });
    writeFileSync(join(impl, 'broken.json'), '');
    const skipped = await cli('run', '--suite', 'conformance', '--runs', '1', '--failures', db);
    expect(skipped.out).toMatch(/kept failure skipped: .*impl\/broken\.json: /);
    rmSync(join(impl, 'broken.json'));
    copyFileSync(join(kept, name), join(impl, name));
    const r = await cli(
      'run',
      '--suite',
      'conformance',
      '--runs',
      '1',
      '--seed',
      '1',
      '--failures',
      db,
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('kept failures: 1 replayed');
    expect(r.out).toContain('0 still fail, 1 pass now (forgotten)');
    expect(existsSync(join(impl, name))).toBe(false);
  });
  it('--no-failures neither replays nor keeps', async () => {
    const r = await cli('run', ...faulty, '--seed', '5', '--out', out, '--no-failures');
    expect(r.code).toBe(1);
    expect(r.out).not.toContain('kept');
  });
  it('GRANTCHECK_FAILURES names the default database, or turns it off', () => {
    const saved = process.env['GRANTCHECK_FAILURES'];
    try {
      expect(failureRoot(undefined)).toBeNull(); // the test environment sets it to off
      process.env['GRANTCHECK_FAILURES'] = '/elsewhere';
      expect(failureRoot(undefined)).toBe('/elsewhere');
      delete process.env['GRANTCHECK_FAILURES'];
      expect(failureRoot(undefined)).toBe(DEFAULT_FAILURE_DIR);
      expect(failureRoot('x')).toBe('x'); // the flag wins
      expect(failureRoot(false)).toBeNull(); // --no-failures
    } finally {
      if (saved === undefined) delete process.env['GRANTCHECK_FAILURES'];
      else process.env['GRANTCHECK_FAILURES'] = saved;
    }
  });
});
