// A worker thread of `grantcheck run`, `grantcheck faults` and `grantcheck explore`'s shards
// (started by pool.ts): takes one job at a time from the parent and answers with its result.
// Bundled as dist/cli/worker.js (bin/build-cli.ts); from the sources it runs through tsx.

import { parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_CONFIG } from '../../configDefaults.ts';
import { findFault, subjectOf } from '../../faults/index.ts';
import { runSuite } from '../../harness/random.ts';
import type { Suite } from '../../harness/suite.ts';
import { buildSuite, SUITE_NAMES } from '../../../properties/suites.ts';
import { runExploreShard } from './exploreJob.ts';
import { judgeFault, toWire } from './faultJob.ts';
import { runExplorePartition } from './partitionJob.ts';
import type { FaultJob, Job, Reply, RunsJob, WorkerData } from './protocol.ts';

/** Thrown from onRun when a lower block has failed: this block's runs no longer count. */
class Stopped extends Error {}

const port = parentPort;
if (!port) throw new Error('src/cli/workers/entry.ts runs only as a worker thread');
const stop = new Int32Array((workerData as WorkerData).stop);
const post = (reply: Reply) => port.postMessage(reply);

/** How often a running block reports its progress (the parent's bar). */
const PROGRESS_MS = 100;

/** The suites built so far, by name and config. Why keep them? Caches hang off a suite's
 * config and invariants (the initial state, the invariants' parts): a suite built again for
 * every block would start them cold each time. */
const built = new Map<string, Suite>();

function suiteOf(job: RunsJob): Suite {
  const key = `${job.suite} ${JSON.stringify(job.config)}`;
  let suite = built.get(key);
  if (suite === undefined) {
    suite = buildSuite(job.suite, job.config);
    if (!suite) throw new Error(`worker: no suite '${job.suite}'`);
    built.set(key, suite);
  }
  return suite;
}

function runBlock(job: RunsJob): Reply {
  const suite = suiteOf(job);
  const fault = job.fault === null ? undefined : findFault(job.fault);
  if (job.fault !== null && !fault) throw new Error(`worker: no fault '${job.fault}'`);
  let lastPost = performance.now();
  const done = { kind: 'runs-done', block: job.block } as const;
  try {
    const outcome = runSuite(suite, {
      seed: job.seed,
      // fast-check's path `start` begins at run `start` of the seed, generated exactly as in a
      // run of the whole suite (same random stream, same run index for its size bias).
      path: String(job.start),
      runs: job.count,
      ...(job.maxOps === undefined ? {} : { maxOps: job.maxOps }),
      subject: subjectOf(fault),
      // The parent shrinks the lowest failing run itself: a worker only finds it.
      shrink: false,
      onRun: (runs, ops) => {
        if (Atomics.load(stop, 0) < job.block) throw new Stopped();
        const now = performance.now();
        if (now - lastPost >= PROGRESS_MS) {
          lastPost = now;
          post({ kind: 'progress', block: job.block, runs, ops });
        }
      },
    });
    const { stats } = outcome;
    return {
      ...done,
      stopped: false,
      runs: stats.runs,
      ops: stats.ops,
      coverage: [...stats.coverage],
      // The path of an unshrunk failure is its absolute run index.
      failedAt: outcome.kind === 'violation' ? Number(outcome.replay.path.split(':')[0]) : null,
    };
  } catch (e) {
    const base = { ...done, runs: 0, ops: 0, coverage: [], failedAt: null };
    if (e instanceof Stopped) return { ...base, stopped: true };
    return { ...base, stopped: false, error: e instanceof Error ? e.message : String(e) };
  }
}

let faultSuites: Suite[] | undefined;

function judge(job: FaultJob): Reply {
  const fault = findFault(job.fault);
  if (!fault) throw new Error(`worker: no fault '${job.fault}'`);
  faultSuites ??= SUITE_NAMES.flatMap((name) => buildSuite(name, DEFAULT_CONFIG) ?? []);
  const judged = judgeFault(fault, faultSuites, {
    seed: job.seed,
    exploreMs: job.exploreMs,
    ...(job.runs === undefined ? {} : { runs: job.runs }),
  });
  return { kind: 'fault-done', judged: toWire(judged) };
}

port.on('message', (job: Job) => {
  // An exception here is the worker's 'error' event in the parent: one line, then exit 3.
  post(
    job.kind === 'runs'
      ? runBlock(job)
      : job.kind === 'fault'
        ? judge(job)
        : job.kind === 'explore-partition'
          ? runExplorePartition(job, port)
          : runExploreShard(job, stop, post),
  );
});
