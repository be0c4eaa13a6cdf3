// Ctrl-C on a long command: the figures so far on stderr, exit 130 (EXIT_INTERRUPTED), no trace
// written. Without a terminal no bar is drawn; GRANTCHECK_WATCH_INTERRUPT=1 turns the watcher
// on, and the SIGINT goes to the whole process group, as a terminal's Ctrl-C does. Each child
// gets a TMPDIR of its own, so that the watcher's mark can be looked for afterwards.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const cli = ['--import', 'tsx', join(root, 'bin', 'grantcheck.ts')];

/** A grantcheck child watching for Ctrl-C, in its own process group; its stderr so far. */
function start(args: readonly string[], tmp: string, command = process.execPath) {
  const child = spawn(command, args, {
    cwd: root,
    detached: true, // its own process group, which a SIGINT to -pid goes to
    env: { ...process.env, GRANTCHECK_WATCH_INTERRUPT: '1', TMPDIR: tmp },
  });
  const run = { err: '', code: new Promise<number | null>((done) => child.on('close', done)) };
  child.stderr.on('data', (d: Buffer) => {
    run.err += d.toString();
  });
  return { child, run };
}

const marks = (tmp: string) => readdirSync(tmp).filter((f) => f.startsWith('grantcheck-'));

it('explore interrupted before its violation: figures so far, exit 130, no trace', async () => {
  // Run to the end, this search finds a result mismatch at depth 4 and writes its trace
  // (docs/faults.md: xsa-234's explorer length); with the full alphabet, two refs and two
  // pages that takes ~65 000 states, seconds even on a quiet machine.
  const tmp = mkdtempSync(join(tmpdir(), 'grantcheck-test-'));
  const out = mkdtempSync(join(tmp, 'traces-'));
  const { child, run } = start(
    [
      ...cli,
      'explore',
      '--model',
      'xen',
      '--alphabet',
      'full',
      '--refs',
      '2',
      '--pages',
      '2',
      '--fault',
      'xsa-234-pte-flags-unchecked',
      '--out',
      out,
    ],
    tmp,
  );
  await new Promise<void>((ready) => {
    const check = setInterval(() => {
      if (run.err.includes('watching for Ctrl-C')) {
        clearInterval(check);
        ready();
      }
    }, 50);
  });
  await new Promise((r) => setTimeout(r, 1500)); // the watcher process starts
  process.kill(-(child.pid ?? 0), 'SIGINT');
  const code = await run.code;
  expect(run.err).toMatch(/grantcheck: interrupted; so far explore: \d+ states in [\d.]+ s/);
  expect(code).toBe(130);
  expect(readdirSync(out)).toEqual([]);
  expect(marks(tmp)).toEqual([]); // the mark's directory went with the process
}, 60_000);

it('a mark left by an earlier process with this PID does not interrupt a fresh run', async () => {
  // The old mark's name, `$TMPDIR/grantcheck-interrupt-<pid>`, planted by the shell that then
  // becomes grantcheck (exec keeps the PID). A time budget keeps the search running past its
  // first progress update (one a second), which looks for the mark.
  const tmp = mkdtempSync(join(tmpdir(), 'grantcheck-test-'));
  const script = 'touch "$TMPDIR/grantcheck-interrupt-$$" && exec "$0" "$@"';
  const args = ['explore', '--domains', '2', '--refs', '2', '--frames', '4', '--time-budget', '3'];
  const { child, run } = start(['-c', script, process.execPath, ...cli, ...args], tmp, 'sh');
  const code = await run.code;
  expect(run.err).not.toContain('interrupted');
  expect(code).toBe(4); // the time bound
  expect(marks(tmp)).toEqual([`grantcheck-interrupt-${child.pid}`]); // only the planted one
}, 60_000);

/** Start `args`, wait until it watches for Ctrl-C and `settle` ms more, then send the group a
 * SIGINT; its exit code and stderr. */
async function interrupt(args: readonly string[], settle: number) {
  const tmp = mkdtempSync(join(tmpdir(), 'grantcheck-test-'));
  const { child, run } = start([...cli, ...args], tmp);
  await new Promise<void>((ready) => {
    const check = setInterval(() => {
      if (run.err.includes('watching for Ctrl-C')) {
        clearInterval(check);
        ready();
      }
    }, 50);
  });
  await new Promise((r) => setTimeout(r, settle));
  const sent = Date.now();
  process.kill(-(child.pid ?? 0), 'SIGINT');
  const code = await run.code;
  return { code, err: run.err, answeredMs: Date.now() - sent, tmp };
}

it('faults answers Ctrl-C within a fault, not only between faults', async () => {
  // One fault whose suites run a million runs each: before, the mark was looked for only
  // between faults, so the watcher ended the process by SIGTERM (143, no figures).
  const out = mkdtempSync(join(tmpdir(), 'grantcheck-traces-'));
  const args = ['faults', '--only', 'end-access-ignores-writing', '--budget', '1000000'];
  const r = await interrupt([...args, '--explore-time', '0', '--out', out], 3000);
  expect(r.err).toMatch(/grantcheck: interrupted; so far faults: 0\/1 faults in [\d.]+ s/);
  expect(r.code).toBe(130);
  expect(r.answeredMs).toBeLessThan(2000); // before the watcher's SIGTERM
  expect(readdirSync(out)).toEqual([]);
  expect(marks(r.tmp)).toEqual([]);
}, 60_000);

it("interleave's random mode shows progress and answers Ctrl-C", async () => {
  const out = mkdtempSync(join(tmpdir(), 'grantcheck-traces-'));
  const args = ['interleave', '--mode', 'random', '--runs', '1000000', '--seed', '7'];
  const r = await interrupt([...args, '--out', out], 2000);
  expect(r.err).toMatch(/grantcheck: interrupted; so far interleave: [1-9]\d*\/1000000 runs in/);
  expect(r.code).toBe(130);
  expect(readdirSync(out)).toEqual([]);
}, 60_000);
