// A suite's runs split across worker threads (and, with --shard, across machines), with exactly
// the outcome one thread gives: the same stats, coverage and first counterexample.
// Why exact? fast-check draws run i from the seed's stream i jumps in, whatever ran before; a
// worker starts a block at run `start` by fast-check's path (`path: "start"`). The lowest failing
// run wins: blocks are handed out in order, a failing block stops every higher one, and the
// lower ones finish (one of them may fail first). Its stats are the blocks below it plus its own
// runs up to the failing op, as one thread counts them; the parent then runs that one run again
// and shrinks it, as one thread would have.

import { availableParallelism } from 'node:os';
import type { GrantConfig } from '../../config.ts';
import { passOrGap, runSuite } from '../../harness/random.ts';
import type { Suite, SuiteOutcome } from '../../harness/suite.ts';
import type { SubjectFactory } from '../../subject/subject.ts';
import { WorkerPool } from './pool.ts';
import type { RunsDone } from './protocol.ts';
import { blocksOf, defaultWorkers, shardRange } from './split.ts';
import type { Range, Shard } from './split.ts';

export interface SplitRunOptions {
  readonly seed: number;
  readonly runs?: number;
  readonly maxOps?: number;
  /** The config the suite was built with (workers build it again by name). */
  readonly config: GrantConfig;
  readonly fault: string | null;
  readonly subject: SubjectFactory;
  /** An external subject (--subject) is one process: its runs stay in this thread. */
  readonly external: boolean;
  /** Worker threads; defaultWorkers(runs of this shard, the workers `threads` has started) when
   * absent. */
  readonly workers?: number;
  /** The command's workers, kept from suite to suite (SuiteWorkers); without it, workers of
   * this suite's own, ended after it. */
  readonly threads?: SuiteWorkers;
  readonly shard?: Shard;
  readonly onRun?: (runsDone: number, opsDone: number) => void;
  /** For tests: each block as it ends (stopped: cut short by a lower failing block). */
  readonly onBlock?: (block: Range, runs: number, stopped: boolean) => void;
}

/** Worker threads for a command's suites, run one after another: each suite's blocks go to the
 * workers the suites before it warmed up. `cores`: the machine's, which set how many workers a
 * suite gets without --workers (defaultWorkers). `close` ends them. */
export class SuiteWorkers {
  constructor(readonly cores = availableParallelism()) {}
  private readonly stop = new SharedArrayBuffer(4);
  /** The lowest failing block of the suite running: a worker stops a block above it. */
  readonly lowestFailing = new Int32Array(this.stop);
  readonly pool = new WorkerPool({ stop: this.stop });
  close(): void {
    void this.pool.close();
  }
}

/** The suite's runs of this shard, on `workers` threads. */
export async function runSuiteSplit(suite: Suite, options: SplitRunOptions): Promise<SuiteOutcome> {
  // No worker starts before a dispatch asks for one: a suite in one thread starts none.
  const threads = options.threads ?? new SuiteWorkers();
  try {
    return await runSplit(suite, options, threads);
  } finally {
    if (threads !== options.threads) threads.close();
  }
}

async function runSplit(
  suite: Suite,
  options: SplitRunOptions,
  threads: SuiteWorkers,
): Promise<SuiteOutcome> {
  const { seed, maxOps, subject, onRun } = options;
  const base = {
    seed,
    subject,
    ...(maxOps === undefined ? {} : { maxOps }),
    ...(onRun === undefined ? {} : { onRun }),
  };
  const total = options.runs ?? suite.defaultRuns;
  const range = shardRange(total, options.shard);
  const count = range.end - range.start;
  const workers = options.workers ?? defaultWorkers(count, threads.pool.started, threads.cores);
  const blocks = blocksOf(range, workers);
  const oneThread = workers <= 1 || options.external || blocks.length <= 1;
  if (oneThread && options.shard === undefined) {
    return runSuite(suite, { ...base, ...(options.runs === undefined ? {} : { runs: total }) });
  }
  if (count === 0) {
    return { kind: 'pass', stats: { runs: 0, ops: 0, elapsedMs: 0, coverage: new Map() } };
  }
  if (oneThread) return runSuite(suite, { ...base, path: String(range.start), runs: count });

  const started = performance.now();
  const { lowestFailing } = threads;
  // No block of an earlier suite runs now: its dispatch ended with every worker idle.
  Atomics.store(lowestFailing, 0, blocks.length);
  const done: (RunsDone | undefined)[] = [];
  const running = new Map<number, { runs: number; ops: number }>();
  const finished = { runs: 0, ops: 0 };
  let next = 0;
  const report = () => {
    let runs = finished.runs;
    let ops = finished.ops;
    for (const r of running.values()) {
      runs += r.runs;
      ops += r.ops;
    }
    onRun?.(runs, ops);
  };
  await threads.pool.dispatch(
    Math.min(workers, blocks.length),
    () => {
      const k = next;
      const block = blocks[k];
      if (block === undefined || k > (lowestFailing[0] ?? 0)) return undefined;
      next++;
      return {
        kind: 'runs',
        block: k,
        // a profile pass (conformance+linux) is its suite built over the config's profiles
        suite: suite.name.replace(/\+.*$/, ''),
        config: options.config,
        seed,
        start: block.start,
        count: block.end - block.start,
        ...(maxOps === undefined ? {} : { maxOps }),
        fault: options.fault,
      };
    },
    (reply) => {
      if (reply.kind !== 'progress' && reply.kind !== 'runs-done') {
        throw new Error(`worker: a ${reply.kind} reply to a run job`);
      }
      if (reply.kind === 'progress') {
        running.set(reply.block, { runs: reply.runs, ops: reply.ops });
        report();
        return;
      }
      running.delete(reply.block);
      done[reply.block] = reply;
      const block = blocks[reply.block];
      if (block) options.onBlock?.(block, reply.runs, reply.stopped);
      if (reply.stopped) return;
      finished.runs += reply.runs;
      finished.ops += reply.ops;
      report();
      if (reply.failedAt !== null || reply.error !== undefined) {
        const lowest = Math.min(lowestFailing[0] ?? 0, reply.block);
        Atomics.store(lowestFailing, 0, lowest);
      }
    },
  );

  // The blocks up to the lowest failing one, in order: their coverage keeps one thread's order.
  const last = Math.min(lowestFailing[0] ?? 0, blocks.length - 1);
  let runs = 0;
  let ops = 0;
  const coverage = new Map<string, number>();
  for (let k = 0; k <= last; k++) {
    const r = done[k];
    if (!r || r.stopped) throw new Error(`worker: block ${k} of ${suite.name} did not finish`);
    runs += r.runs;
    ops += r.ops;
    for (const [name, n] of r.coverage) coverage.set(name, (coverage.get(name) ?? 0) + n);
  }
  const failing = done[last];
  if (failing?.error !== undefined) throw new Error(failing.error);
  if (failing?.failedAt === null || failing === undefined) {
    const stats = { runs, ops, coverage, elapsedMs: performance.now() - started };
    return passOrGap(suite, subject, stats, {
      runs: count,
      maxOps: maxOps ?? suite.defaultMaxOps,
    });
  }
  // The lowest failing run again, here, shrunk: the counterexample one thread reports.
  const found = runSuite(suite, {
    seed,
    subject,
    path: String(failing.failedAt),
    runs: 1,
    ...(maxOps === undefined ? {} : { maxOps }),
  });
  if (found.kind !== 'violation') {
    throw new Error(`run ${failing.failedAt} of ${suite.name} failed in a worker but passes here`);
  }
  return { ...found, stats: { runs, ops, coverage, elapsedMs: performance.now() - started } };
}
