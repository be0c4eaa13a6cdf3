// Worker threads for `run`, `faults` and `explore`'s shards: start them, hand each a job when it
// is idle, pass their replies on, and end them all. A worker that crashes (or exits unasked)
// rejects the whole dispatch at once, every worker ended: one error line from the CLI, never a
// hang. `run` keeps its workers from one suite to the next (WorkerPool); the others dispatch once.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Job, PartitionAnswer, Reply, WorkerData } from './protocol.ts';

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
  return (
    reply.kind !== 'progress' &&
    reply.kind !== 'explore-progress' &&
    reply.kind !== 'partition-round'
  );
}

/** Send a message to the worker a reply came from, its buffers moved, not copied (a split
 * search's round: src/cli/workers/explorePartitioned.ts). */
export type Answer = (message: PartitionAnswer, transfer?: readonly ArrayBuffer[]) => void;

/** What is done with each reply; `answer` reaches the worker that sent it. */
export type OnReply = (reply: Reply, answer: Answer) => void;

/** One `WorkerPool.dispatch` in progress. */
interface Dispatch {
  readonly size: number;
  readonly busy: Set<Worker>;
  readonly next: () => Job | undefined;
  readonly onReply: OnReply;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  /** Stop listening to the dispatch's abort signal: its abort ends only this dispatch. */
  readonly detach: () => void;
}

/**
 * Worker threads kept from one dispatch to the next: `run` hands each suite's blocks to the
 * workers the suites before it started, whose compiled code is warm (a fresh worker runs its
 * first tens of thousands of ops several times slower: docs/properties.md, Workers and shards).
 * Workers start when a dispatch first asks for them. An idle worker does not keep the process
 * alive, but `close` ends them. A worker that crashes, a reply its dispatch refuses and an abort
 * each end the pool: that dispatch rejects at once, and so does every later one.
 */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private active: Dispatch | undefined;
  private ended: Error | undefined;
  /** Settles when every worker has exited, once the pool has ended. */
  private exited: Promise<void> = Promise.resolve();
  private running = 0;

  constructor(private readonly data: WorkerData) {}

  /** The workers started so far (none ended unless the pool has). */
  get started(): number {
    return this.workers.length;
  }

  /** The workers started that have not exited yet. */
  get live(): number {
    return this.running;
  }

  /**
   * Run jobs on `size` workers: each idle worker takes `next()` (undefined: nothing more for
   * now, the worker stays idle); every reply goes to `onReply`, which may change what `next()`
   * gives. Resolves when no job is running and `next()` has none; rejects when the pool ends
   * first (or `signal` aborts while it runs, or had before: the caller gave up, and the pool
   * ends). One dispatch at a time.
   */
  dispatch(
    size: number,
    next: () => Job | undefined,
    onReply: OnReply,
    signal?: AbortSignal,
  ): Promise<void> {
    if (this.ended) return Promise.reject(this.ended);
    if (this.active) return Promise.reject(new Error('worker pool: a dispatch is running'));
    const cancelled = () => this.end(new Error('workers cancelled'));
    if (signal?.aborted) {
      cancelled();
      return Promise.reject(this.ended);
    }
    signal?.addEventListener('abort', cancelled);
    const detach = () => signal?.removeEventListener('abort', cancelled);
    return new Promise((resolve, reject) => {
      this.active = { size, busy: new Set(), next, onReply, resolve, reject, detach };
      while (this.workers.length < size) this.start();
      for (const w of this.workers.slice(0, size)) w.ref();
      this.feed();
    });
  }

  /** End every worker; a dispatch still running rejects. The promise settles when they have
   * all exited (and their memory is freed): a caller that starts more work after them awaits
   * it. */
  close(): Promise<void> {
    this.end(new Error('worker pool: closed'));
    return this.exited;
  }

  private start(): void {
    const w = startWorker(this.data);
    const i = this.workers.length;
    this.workers.push(w);
    this.running++;
    const answer: Answer = (message, transfer = []) => w.postMessage(message, [...transfer]);
    w.on('message', (reply: Reply) => {
      const d = this.active;
      if (d === undefined) return; // the pool ended while the reply was on its way
      try {
        d.onReply(reply, answer);
      } catch (e) {
        this.end(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      if (ends(reply)) {
        d.busy.delete(w);
        this.feed();
      }
    });
    const crashed = (why: string) =>
      this.end(new Error(`worker ${i + 1} of ${this.workers.length} crashed: ${why}`));
    w.on('error', (e) => crashed(e instanceof Error ? e.message : String(e)));
    w.on('messageerror', (e) => crashed(`unreadable message (${String(e)})`));
    w.on('exit', (code) => {
      this.running--;
      crashed(`exited with code ${code}`);
    });
  }

  /** Hand a job to each idle worker of the dispatch; resolve it when none is busy. */
  private feed(): void {
    const d = this.active;
    if (d === undefined) return;
    for (const w of this.workers.slice(0, d.size)) {
      if (this.active !== d) return; // onReply or next() ended the pool
      if (d.busy.has(w)) continue;
      const job = d.next();
      if (job === undefined) break;
      d.busy.add(w);
      w.postMessage(job);
    }
    if (this.active === d && d.busy.size === 0) {
      this.active = undefined;
      d.detach();
      for (const w of this.workers) w.unref();
      d.resolve();
    }
  }

  private end(error: Error): void {
    if (this.ended) return;
    this.ended = error;
    const d = this.active;
    this.active = undefined;
    this.exited = Promise.all(this.workers.map((w) => w.terminate())).then(() => undefined);
    d?.detach();
    d?.reject(error);
  }
}

/** Run jobs on `size` workers of a pool of their own, ended after (WorkerPool.dispatch). */
export async function dispatch(
  size: number,
  data: WorkerData,
  next: () => Job | undefined,
  onReply: OnReply,
  signal?: AbortSignal,
): Promise<void> {
  const pool = new WorkerPool(data);
  try {
    await pool.dispatch(size, next, onReply, signal);
  } finally {
    // Awaited: what the caller does next (explore's second search for a violation's path) does
    // not share the machine with workers still holding their searches' memory.
    await pool.close();
  }
}
