// A partition of a lattice search split by claims (src/explore/claimed.ts), in a worker thread
// the test starts (./claimed.test.ts): its rounds go to the test's thread over the port it was
// given, and it records every state it expanded (decoded from its key), with its ghost.

import type { MessagePort } from 'node:worker_threads';
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { exploreClaimed } from '../../../src/explore/claimed.ts';
import type { ClaimBuffers } from '../../../src/explore/claims.ts';
import type { PartitionRound } from '../../../src/explore/partition.ts';
import type { LatticeOptions } from './lattice.ts';
import { latticeModel, notAt, notReachedBy } from './lattice.ts';

export interface LatticeJob {
  readonly index: number;
  readonly count: number;
  readonly lattice: Omit<LatticeOptions, 'invariants'>;
  /** With the invariant notReachedBy(sum, ghost). */
  readonly failing?: { readonly sum: number; readonly ghost: number };
  /** With the invariant notAt(at, ghost). */
  readonly target?: { readonly at: string; readonly ghost: number };
  /** Partition `index` sleeps `ms` before each state it expands after its first `after`
   * (by default `splitStates`: about where the search splits). */
  readonly slow?: { readonly index: number; readonly ms: number; readonly after?: number };
  readonly maxDepth?: number;
  readonly maxStates?: number;
  /** The visited sets' bytes, shared out between the partitions. */
  readonly maxStoreBytes?: number;
  readonly timeBudgetMs?: number;
  /** Only this partition has the time bound (by default, every one). */
  readonly timedIndex?: number;
  readonly splitStates: number;
  readonly claims: ClaimBuffers;
  readonly port: MessagePort;
}

const job = workerData as LatticeJob;
const { index, count, port } = job;
const expanded: string[] = [];
const sleep = new Int32Array(new SharedArrayBuffer(4));
const model = latticeModel({
  ...job.lattice,
  invariants: [
    ...(job.failing ? [notReachedBy(job.failing.sum, job.failing.ghost)] : []),
    ...(job.target ? [notAt(job.target.at, job.target.ghost)] : []),
  ],
  decoded: (s) => {
    expanded.push(`${s.at.join(',')}@${s.ghost}`);
    if (job.slow?.index === index && expanded.length > (job.slow.after ?? job.splitStates)) {
      Atomics.wait(sleep, 0, 0, job.slow.ms);
    }
  },
});
const outcome = exploreClaimed(
  model,
  {
    ...(job.maxDepth === undefined ? {} : { maxDepth: job.maxDepth }),
    ...(job.maxStates === undefined ? {} : { maxStates: job.maxStates }),
    ...(job.maxStoreBytes === undefined ? {} : { maxStoreBytes: job.maxStoreBytes }),
    ...(job.timeBudgetMs === undefined || (job.timedIndex ?? index) !== index
      ? {}
      : { timeBudgetMs: job.timeBudgetMs }),
  },
  {
    index,
    count,
    exchange(outboxes, status): PartitionRound {
      port.postMessage({ kind: 'round', index, outboxes, status });
      for (;;) {
        const received = receiveMessageOnPort(port);
        if (received !== undefined) return received.message as PartitionRound;
        Atomics.wait(sleep, 0, 0, 1);
      }
    },
  },
  job.claims,
  job.splitStates,
);
port.postMessage({ kind: 'done', index, outcome, expanded });
