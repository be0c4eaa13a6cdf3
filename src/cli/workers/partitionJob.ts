// One partition of `grantcheck explore --workers N` (a search with no per-transition checks), in
// a worker thread: the breadth-first search over the states this partition owns (the core
// model's: src/explore/partition.ts; the Xen-level model's: src/explore/claimed.ts),
// its rounds relayed by the parent (src/cli/workers/explorePartitioned.ts). The worker waits for
// each round's answer here, in its job: nothing else runs in it meanwhile.

import type { MessagePort } from 'node:worker_threads';
import { receiveMessageOnPort } from 'node:worker_threads';
import { coreModel } from '../../core/model.ts';
import { explorePartition } from '../../explore/bfs.ts';
import { exploreClaimed } from '../../explore/claimed.ts';
import { subjectOf } from '../../faults/index.ts';
import type { Partition, PartitionRound } from '../../explore/partition.ts';
import { xenModelFor } from '../xenSearch.ts';
import type { ExplorePartitionJob, PartitionAnswer, PartitionDone } from './protocol.ts';

/** How long one wait for the parent's answer sleeps before looking again (ms). Why poll? The
 * search runs synchronously; the port's events would only fire once it returned. */
const POLL_MS = 1;

export function runExplorePartition(job: ExplorePartitionJob, port: MessagePort): PartitionDone {
  const { index, count } = job;
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  const partition: Partition = {
    index,
    count,
    exchange(outboxes, status): PartitionRound {
      const buffers = outboxes.map((keys) => keys.buffer as ArrayBuffer);
      port.postMessage({ kind: 'partition-round', index, outboxes, status }, buffers);
      for (;;) {
        const received = receiveMessageOnPort(port);
        if (received !== undefined) {
          const answer = received.message as PartitionAnswer;
          if (answer.kind !== 'partition-answer') {
            throw new Error(`worker: a ${String(answer.kind)} message in a split search's round`);
          }
          return answer;
        }
        Atomics.wait(sleep, 0, 0, POLL_MS);
      }
    },
  };
  try {
    // The time bound counts from the parent's start: the workers' own start-up is the search's.
    const { timeBudgetMs } = job.bounds;
    const left =
      timeBudgetMs === undefined
        ? {}
        : { timeBudgetMs: Math.max(0, timeBudgetMs - (Date.now() - job.startedAt)) };
    const bounds = { ...job.bounds, ...left, symmetry: job.symmetry };
    const spec = job.model;
    if (spec.kind === 'core') {
      const model = coreModel(spec.config, { variant: spec.variant });
      return { kind: 'partition-done', index, outcome: explorePartition(model, bounds, partition) };
    }
    if (job.claims === undefined)
      throw new Error('worker: a Xen-level partition with no claim table');
    const model = xenModelFor(subjectOf(undefined), spec.request, false);
    const outcome = exploreClaimed(model, bounds, partition, job.claims);
    return { kind: 'partition-done', index, outcome };
  } catch (e) {
    // The model's error, for the parent to say in one line.
    return {
      kind: 'partition-done',
      index,
      outcome: null,
      error: e instanceof Error ? e.message : String(e),
    };
  }
}
