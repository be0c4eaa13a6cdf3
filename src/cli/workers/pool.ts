// Worker threads for `run`, `faults` and `explore`'s shards: start them, hand each a job when it
// is idle, pass their replies on, and end them all. A worker that crashes (or exits unasked)
// rejects the whole dispatch at once, every worker ended: one error line from the CLI, never a
// hang.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Job, Reply, WorkerData } from './protocol.ts';

/** The worker's entry in the form this process runs: the bundle's dist/cli/worker.js beside the
 * chunk this code is in, tsc's entry.js beside this file, or entry.ts through tsx (vitest,
 * `npm run grantcheck`). */
function startWorker(data: WorkerData): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Why eval? Node 20 does not apply a parent's `--import tsx` to a worker's entry: the
    // worker registers tsx's hooks itself, then imports the source entry.
    const entry = new URL('./entry.ts', here).href;
    const code =
      `import(${JSON.stringify(tsxApi())})` +
      `.then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(code, { eval: true, workerData: data });
  }
  const bundled = new URL('./worker.js', here);
  const entry = existsSync(fileURLToPath(bundled)) ? bundled : new URL('./entry.js', here);
  return new Worker(entry, { workerData: data });
}

/** tsx's ESM API (import.meta.resolve is not there under vitest: its CommonJS twin's path). */
function tsxApi(): string {
  if (typeof import.meta.resolve === 'function') return import.meta.resolve('tsx/esm/api');
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  return new URL(`file://${cjs.replace(/\.cjs$/, '.mjs')}`).href;
}

/** Is this reply the end of its job (the worker is free again)? */
function ends(reply: Reply): boolean {
  return reply.kind !== 'progress' && reply.kind !== 'explore-progress';
}

/**
 * Run jobs on `size` workers: each idle worker takes `next()` (undefined: nothing more for now,
 * the worker stays idle); every reply goes to `onReply`, which may change what `next()` gives.
 * Resolves when no job is running and `next()` has none; then every worker is ended, as when
 * `signal` aborts (the caller gave up: rejects).
 */
export function dispatch(
  size: number,
  data: WorkerData,
  next: () => Job | undefined,
  onReply: (reply: Reply) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    const busy = new Set<Worker>();
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      for (const w of workers) void w.terminate();
      if (error) reject(error);
      else resolve();
    };
    const feed = () => {
      for (const w of workers) {
        if (settled) return;
        if (busy.has(w)) continue;
        const job = next();
        if (job === undefined) break;
        busy.add(w);
        w.postMessage(job);
      }
      if (busy.size === 0) finish();
    };
    for (let i = 0; i < size; i++) {
      const w = startWorker(data);
      workers.push(w);
      w.on('message', (reply: Reply) => {
        if (settled) return;
        try {
          onReply(reply);
        } catch (e) {
          finish(e instanceof Error ? e : new Error(String(e)));
          return;
        }
        if (ends(reply)) {
          busy.delete(w);
          feed();
        }
      });
      const crashed = (why: string) =>
        finish(new Error(`worker ${i + 1} of ${size} crashed: ${why}`));
      w.on('error', (e) => crashed(e instanceof Error ? e.message : String(e)));
      w.on('messageerror', (e) => crashed(`unreadable message (${String(e)})`));
      w.on('exit', (code) => crashed(`exited with code ${code}`));
    }
    signal?.addEventListener('abort', () => finish(new Error('workers cancelled')));
    feed();
  });
}
