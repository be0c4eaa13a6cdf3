// Ctrl-C on a long command: the figures so far on stderr, exit 130 (EXIT_INTERRUPTED), no trace
// written. Without a terminal no bar is drawn; GRANTCHECK_WATCH_INTERRUPT=1 turns the watcher
// on, and the SIGINT goes to the whole process group, as a terminal's Ctrl-C does.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

it('explore interrupted mid-search: figures so far, exit 130, nothing written', async () => {
  const out = mkdtempSync(join(tmpdir(), 'grantcheck-interrupt-'));
  const argv = ['--import', 'tsx', join(root, 'bin', 'grantcheck.ts'), 'explore'];
  const child = spawn(
    process.execPath,
    [...argv, '--domains', '2', '--refs', '2', '--frames', '4', '--out', out],
    {
      cwd: root,
      detached: true, // its own process group, which the SIGINT below goes to
      env: { ...process.env, GRANTCHECK_WATCH_INTERRUPT: '1' },
    },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  await new Promise<void>((ready) => {
    const check = setInterval(() => {
      if (err.includes('watching for Ctrl-C')) {
        clearInterval(check);
        ready();
      }
    }, 50);
  });
  await new Promise((r) => setTimeout(r, 1500)); // the watcher process starts
  process.kill(-(child.pid ?? 0), 'SIGINT');
  const code = await new Promise<number | null>((done) => child.on('close', done));
  expect(err).toMatch(/grantcheck: interrupted; so far explore: \d+ states in [\d.]+ s/);
  expect(code).toBe(130);
  expect(readdirSync(out)).toEqual([]);
}, 60_000);
