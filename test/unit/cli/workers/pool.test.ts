// A WorkerPool keeps its workers from one dispatch to the next (run's suites, one after another,
// on workers already warm, which take even a small suite), starts no more than a dispatch asks
// for, and ends for good when a worker crashes. Its idle workers do not keep the process alive.
// The workers run from the sources (through tsx); test/cli/workers.test.ts runs the built
// command's.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../../src/configDefaults.ts';
import { IMPL_SUBJECT } from '../../../../src/subject/impl.ts';
import { WorkerPool } from '../../../../src/cli/workers/pool.ts';
import type { Job, Reply } from '../../../../src/cli/workers/protocol.ts';
import { runSuiteSplit, SuiteWorkers } from '../../../../src/cli/workers/runs.ts';
import { runSuite } from '../../../../src/harness/random.ts';
import type { SuiteOutcome } from '../../../../src/harness/suite.ts';
import { buildSuite } from '../../../../properties/suites.ts';

const root = join(import.meta.dirname, '..', '..', '..', '..');

/** `n` jobs of a few short runs each, blocks 0..n-1 of the conformance suite. */
function runJobs(n: number): () => Job | undefined {
  let block = 0;
  return () =>
    block < n
      ? {
          kind: 'runs',
          block: block,
          suite: 'conformance',
          config: DEFAULT_CONFIG,
          seed: 1,
          start: 3 * block++,
          count: 3,
          maxOps: 5,
          fault: null,
        }
      : undefined;
}

/** A pool whose stop flag stops no block (a worker stops a block above the flag's value). */
function newPool(): WorkerPool {
  const stop = new SharedArrayBuffer(4);
  new Int32Array(stop)[0] = 1_000;
  return new WorkerPool({ stop });
}

/** A suite's stats without the clock, its coverage as entries in the order counted (one
 * thread's order, which the split keeps). */
const untimed = (o: SuiteOutcome) => {
  const { runs, ops, coverage } = o.stats;
  return { kind: o.kind, runs, ops, coverage: [...coverage] };
};

const noFault = () =>
  ({ kind: 'fault', fault: 'no-such-fault', seed: 1, exploreMs: 0 }) as const satisfies Job;

describe('a worker pool', () => {
  it('runs a second dispatch on the workers of the first, starting none', async () => {
    const pool = newPool();
    try {
      const replies: Reply[] = [];
      await pool.dispatch(2, runJobs(4), (r) => replies.push(r));
      expect(pool.started).toBe(2);
      await pool.dispatch(2, runJobs(4), (r) => replies.push(r));
      expect(pool.started).toBe(2);
      await pool.dispatch(1, runJobs(2), (r) => replies.push(r));
      expect(pool.started).toBe(2);
      const done = replies.filter((r) => r.kind === 'runs-done');
      expect(done).toHaveLength(10);
      expect(done.every((r) => r.kind === 'runs-done' && r.runs === 3 && !r.error)).toBe(true);
    } finally {
      pool.close();
    }
  });

  it('closed, settles once every worker has exited', async () => {
    const pool = newPool();
    await pool.dispatch(2, runJobs(2), () => {});
    expect(pool.live).toBe(2);
    const closing = pool.close();
    // terminate() is asynchronous: the workers are still there when close returns.
    expect(pool.live).toBe(2);
    await closing;
    expect(pool.live).toBe(0);
  });

  it('ends at a crash: that dispatch rejects, and every later one', async () => {
    const pool = newPool();
    try {
      await pool.dispatch(2, runJobs(2), () => {});
      let sent = false;
      const crash = () => (sent ? undefined : ((sent = true), noFault()));
      const crashed = /^worker [12] of 2 crashed: worker: no fault 'no-such-fault'$/;
      await expect(pool.dispatch(2, crash, () => {})).rejects.toThrow(crashed);
      await expect(pool.dispatch(2, runJobs(2), () => {})).rejects.toThrow(crashed);
    } finally {
      pool.close();
    }
  });

  it("refuses a second dispatch while one runs, and rejects a running one when it's closed", async () => {
    const pool = newPool();
    const first = pool.dispatch(1, runJobs(50), () => {});
    await expect(pool.dispatch(1, runJobs(1), () => {})).rejects.toThrow(
      'worker pool: a dispatch is running',
    );
    pool.close();
    await expect(first).rejects.toThrow('worker pool: closed');
  });

  it('ends at an abort before or during its dispatch, not at one after it', async () => {
    const pool = newPool();
    try {
      // A signal that aborts once its dispatch resolved is no longer listened to.
      const done = new AbortController();
      await pool.dispatch(1, runJobs(1), () => {}, done.signal);
      done.abort();
      await pool.dispatch(1, runJobs(1), () => {});
      expect(pool.started).toBe(1);
      // One aborted before its dispatch ends the pool at once, starting no worker.
      const before = new AbortController();
      before.abort();
      await expect(pool.dispatch(2, runJobs(2), () => {}, before.signal)).rejects.toThrow(
        'workers cancelled',
      );
      expect(pool.started).toBe(1);
      await expect(pool.dispatch(1, runJobs(1), () => {})).rejects.toThrow('workers cancelled');
    } finally {
      pool.close();
    }
  });

  it('rejects a running dispatch when its signal aborts', async () => {
    const pool = newPool();
    const abort = new AbortController();
    const running = pool.dispatch(1, runJobs(50), () => {}, abort.signal);
    abort.abort();
    await expect(running).rejects.toThrow('workers cancelled');
    pool.close();
  });

  it("gives a command's suites, run on one SuiteWorkers, one thread's outcomes", async () => {
    const threads = new SuiteWorkers();
    try {
      for (const name of ['conformance', 'protocol', 'death']) {
        const suite = buildSuite(name, DEFAULT_CONFIG);
        if (!suite) throw new Error(`no suite ${name}`);
        const options = { seed: 7, runs: 40, maxOps: 10 };
        const split = await runSuiteSplit(suite, {
          ...options,
          config: DEFAULT_CONFIG,
          fault: null,
          subject: IMPL_SUBJECT,
          external: false,
          workers: 2,
          threads,
        });
        const one = runSuite(suite, options);
        expect(untimed(split)).toEqual(untimed(one));
      }
      expect(threads.pool.started).toBe(2);
    } finally {
      threads.close();
    }
  });

  it('gives a small suite without --workers to warm workers, never to cold ones', async () => {
    const threads = new SuiteWorkers(4); // a 4-core machine: the cores but one are 3
    const protocol = buildSuite('protocol', DEFAULT_CONFIG);
    const conformance = buildSuite('conformance', DEFAULT_CONFIG);
    if (!protocol || !conformance) throw new Error('no suite');
    const small = { seed: 3, runs: 100, maxOps: 10 };
    const blocks: number[] = [];
    const split = (suite: typeof protocol, extra: object) =>
      runSuiteSplit(suite, {
        ...small,
        config: DEFAULT_CONFIG,
        fault: null,
        subject: IMPL_SUBJECT,
        external: false,
        threads,
        onBlock: (b) => blocks.push(b.start),
        ...extra,
      });
    try {
      // no worker started yet: 100 runs are not worth a cold one (MIN_RUNS_PER_WORKER)
      const before = await split(protocol, {});
      expect(threads.pool.started).toBe(0);
      expect(blocks).toEqual([]);
      await split(conformance, { workers: 2 });
      expect(threads.pool.started).toBe(2);
      blocks.length = 0;
      // the two warm ones take the same 100 runs
      const after = await split(protocol, {});
      expect(threads.pool.started).toBe(2);
      expect(blocks.length).toBeGreaterThan(1);
      expect(untimed(after)).toEqual(untimed(before));
    } finally {
      threads.close();
    }
  });

  it('left idle and never closed, does not keep the process alive', () => {
    // A process that dispatches once and forgets close(): it must end by itself.
    const script = [
      `import { WorkerPool } from ${JSON.stringify(join(root, 'src/cli/workers/pool.ts'))};`,
      `import { DEFAULT_CONFIG } from ${JSON.stringify(join(root, 'src/configDefaults.ts'))};`,
      'const stop = new SharedArrayBuffer(4); new Int32Array(stop)[0] = 9;',
      'const pool = new WorkerPool({ stop });',
      'let n = 0;',
      "const next = () => (n++ < 2 ? { kind: 'runs', block: n - 1, suite: 'conformance',",
      '  config: DEFAULT_CONFIG, seed: 1, start: n - 1, count: 1, maxOps: 3, fault: null } : undefined);',
      "await pool.dispatch(2, next, () => {}); console.log('dispatched', pool.started);",
    ].join('\n');
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.error).toBeUndefined(); // a hang is ETIMEDOUT
    expect(r.stdout).toBe('dispatched 2\n');
    expect(r.status).toBe(0);
  });
});
