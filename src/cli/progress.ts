// Progress on long commands (run, faults, explore, interleave): a cli-progress bar on stderr with
// elapsed time, rate and, where the total is known, an estimate; only on a terminal (never in
// tests or CI logs). Ctrl-C prints the figures so far and exits 130 (EXIT_INTERRUPTED).
// Why a watcher process? The searches are synchronous loops: a SIGINT handler in this process
// runs only once the loop ends. The watcher (same process group, so it gets the terminal's
// SIGINT too) leaves a mark that update() polls; if no update() comes within 2 s (a long
// shrink), it deletes the mark and ends this process with SIGTERM (exit 143, no figures). The
// mark lives in a directory of this process's own (mkdtemp), never a name a later process with
// the same PID could meet. Traces are written whole or not at all (src/output/files.ts: a
// temporary name, then rename), so an interrupt leaves no half file.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SingleBar } from 'cli-progress';
import type { Io } from './outcome.ts';
import { EXIT_INTERRUPTED } from './outcome.ts';

export interface Progress {
  /** False when nothing is shown or watched (no terminal, or --json). */
  readonly active: boolean;
  /** `done` units so far (of the total, if one was given); `note` adds figures (depth, RSS). */
  update(done: number, note?: string): void;
  /** Clear the bar (the summary follows). */
  stop(): void;
}

const QUIET: Progress = { active: false, update: () => {}, stop: () => {} };

/** Set by tests: watch for Ctrl-C without a terminal (no bar is drawn). */
const WATCH_ENV = 'GRANTCHECK_WATCH_INTERRUPT';

/** The watcher, given its mark directory and this process's PID: on SIGINT it creates the mark;
 * if the mark is still there 2 s later, it deletes the directory, then ends `pid` (SIGTERM: no
 * 'exit' handler runs there). When `pid` is gone (killed by a signal, say) it deletes the
 * directory and exits. */
const WATCHER = `
const fs = require('node:fs');
const [dir, pid] = process.argv.slice(1);
const mark = require('node:path').join(dir, 'interrupt');
const clear = () => fs.rmSync(dir, { recursive: true, force: true });
process.on('SIGINT', () => {
  fs.writeFileSync(mark, '');
  setTimeout(() => {
    if (!fs.existsSync(mark)) return;
    clear();
    try { process.kill(Number(pid), 'SIGTERM'); } catch {}
    process.exit(0);
  }, 2000);
});
setInterval(() => { try { process.kill(Number(pid), 0); } catch { clear(); process.exit(0); } }, 500);
`;

let watcher: { readonly mark: string } | undefined;
/** The SIGINT listener of the progress running now (run starts one per suite). Only while one
 * runs: otherwise Ctrl-C is Node's plain one (the process ends by SIGINT). */
let listener: (() => void) | undefined;

function listen(on: (() => void) | undefined): void {
  if (listener) process.off('SIGINT', listener);
  listener = on;
  if (on) process.on('SIGINT', on);
}

/** Start the watcher once per process; its mark is in a fresh directory of this process's. */
function watchInterrupt(): { readonly mark: string } {
  if (watcher) return watcher;
  const dir = mkdtempSync(join(tmpdir(), 'grantcheck-interrupt-'));
  const child = spawn(process.execPath, ['-e', WATCHER, dir, String(process.pid)], {
    stdio: 'ignore',
  });
  child.unref();
  process.on('exit', () => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  watcher = { mark: join(dir, 'interrupt') };
  return watcher;
}

/** A progress display for `label` counting `unit`s, or a silent one when stderr is no
 * terminal (or `json` is asked for). */
export function startProgress(
  io: Io,
  json: boolean | undefined,
  opts: { readonly label: string; readonly unit: string; readonly total?: number },
): Progress {
  const watch = process.env[WATCH_ENV] === '1';
  if ((!io.interactive || json) && !watch) return QUIET;
  const start = performance.now();
  let done = 0;
  let note = '';
  let lastPoll = 0;
  const rate = () => done / Math.max(1e-3, (performance.now() - start) / 1000);
  const figures = () =>
    `${opts.label}: ${done}${opts.total === undefined ? '' : `/${opts.total}`} ${opts.unit} in ` +
    `${((performance.now() - start) / 1000).toFixed(1)} s (${Math.round(rate())} ${opts.unit}/s)` +
    (note ? `, ${note}` : '');
  const bar = io.interactive
    ? new SingleBar({
        stream: process.stderr,
        format:
          opts.total === undefined
            ? `${opts.label} {value} ${opts.unit} | {duration_formatted} | {rate} ${opts.unit}/s {note}`
            : `${opts.label} [{bar}] {value}/{total} ${opts.unit} | {duration_formatted} | {rate} ${opts.unit}/s | ETA {eta_formatted} {note}`,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
        fps: 5,
      })
    : undefined;
  const interrupted = () => {
    bar?.stop();
    process.stderr.write(`\ngrantcheck: interrupted; so far ${figures()}\n`);
    process.exit(EXIT_INTERRUPTED);
  };
  const w = watchInterrupt();
  listen(interrupted);
  // tests wait for it
  if (!io.interactive) process.stderr.write(`grantcheck: watching for Ctrl-C (${opts.label})\n`);
  bar?.start(opts.total ?? 0, 0, { rate: 0, note: '' });
  return {
    active: true,
    update(n, extra) {
      done = n;
      note = extra ?? '';
      bar?.update(n, { rate: Math.round(rate()), note });
      const now = performance.now();
      if (now - lastPoll >= 100) {
        lastPoll = now;
        if (existsSync(w.mark)) interrupted();
      }
    },
    stop() {
      // A Ctrl-C whose mark no update() saw still counts; after this, Ctrl-C (while run
      // writes its trace, say) is a plain one and prints no stale figures.
      if (existsSync(w.mark)) interrupted();
      listen(undefined);
      bar?.stop();
    },
  };
}
