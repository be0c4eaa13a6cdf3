// Progress on long commands (run, faults, explore, interleave): a cli-progress bar on stderr with
// elapsed time, rate and, where the total is known, an estimate; only on a terminal (never in
// tests or CI logs). Ctrl-C prints the figures so far and exits 130 (EXIT_INTERRUPTED).
// Why a watcher process? The searches are synchronous loops: a SIGINT handler in this process
// runs only once the loop ends. The watcher (same process group, so it gets the terminal's
// SIGINT too) leaves a mark that update() polls; if no update() comes within 2 s (a long
// shrink), it ends this process with SIGTERM. Traces are written whole or not at all
// (src/output/files.ts: a temporary name, then rename), so an interrupt leaves no half file.

import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
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

/** The watcher: on SIGINT it creates `mark`, then after 2 s ends `pid` (SIGTERM) if still
 * there; it exits when its parent does. */
const WATCHER = `
const [mark, pid] = process.argv.slice(1);
process.on('SIGINT', () => {
  require('node:fs').writeFileSync(mark, '');
  setTimeout(() => { try { process.kill(Number(pid), 'SIGTERM'); } catch {} process.exit(0); }, 2000);
});
setInterval(() => { try { process.kill(Number(pid), 0); } catch { process.exit(0); } }, 500);
`;

let watcher: { readonly mark: string } | undefined;
/** What an interrupt prints and does: the latest progress's (run starts one per suite). */
let onInterrupt: () => void = () => process.exit(EXIT_INTERRUPTED);

/** Start the watcher once per process; a SIGINT met while the loop is idle ends it too. */
function watchInterrupt(): { readonly mark: string } {
  if (watcher) return watcher;
  const mark = join(tmpdir(), `grantcheck-interrupt-${process.pid}`);
  const child = spawn(process.execPath, ['-e', WATCHER, mark, String(process.pid)], {
    stdio: 'ignore',
  });
  child.unref();
  process.on('SIGINT', () => onInterrupt());
  process.on('exit', () => {
    child.kill();
    rmSync(mark, { force: true });
  });
  watcher = { mark };
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
  onInterrupt = interrupted;
  const w = watchInterrupt();
  if (!io.interactive) process.stderr.write('grantcheck: watching for Ctrl-C\n'); // tests wait for it
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
      bar?.stop();
    },
  };
}
