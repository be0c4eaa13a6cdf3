// `grantcheck explore --workers N` without per-transition checks: the search split by state
// across N worker threads. The core model's: each worker owns the states whose key hashes to it
// (src/explore/partition.ts), and at each level's end this thread relays the keys each found for
// the others. The Xen-level model's: the workers claim states in a table they share
// (src/explore/claimed.ts), which this thread makes and grows between rounds. At every round's
// end it tells every worker, from all their statuses, whether the search ends (`decideEnd`). A
// violation comes back as its depth: the caller finds its path with a search in one thread to
// that depth.

import type { PartitionOutcome } from '../../explore/bfs.ts';
import type { ExploreProgress } from '../../explore/index.ts';
import { defaultMaxMemoryBytes } from '../../explore/index.ts';
import { SPLIT_STATES_PER_PARTITION } from '../../explore/claimed.ts';
import { ClaimTable } from '../../explore/claims.ts';
import type { PartitionRound, PartitionStatus } from '../../explore/partition.ts';
import type { MergedOutcome } from '../../explore/relay.ts';
import { deepest, mergeOutcomes, PartitionRelay } from '../../explore/relay.ts';
import type { Answer } from './pool.ts';
import { dispatch } from './pool.ts';
import type { ExplorePartitionJob, PartitionDone, PartitionRoundReply } from './protocol.ts';

/** The first claim table has room for the states of about this many levels of the size at which
 * the search splits (the table grows at a round's end: this only spares the first growths). */
const FIRST_TABLE_LEVELS = 4;

/** The job, less what differs between partitions. */
export type PartitionedJob = Omit<
  ExplorePartitionJob,
  'kind' | 'index' | 'count' | 'startedAt' | 'claims'
>;

export async function explorePartitioned(
  job: PartitionedJob,
  workers: number,
  onProgress?: (p: ExploreProgress) => void,
  /** The process's resident set, which the claim table's growth must leave within the bound
   * (the workers' included; a test gives its own). */
  rss: () => number = () => process.memoryUsage.rss(),
): Promise<MergedOutcome> {
  const started = performance.now();
  /** The round under way: each partition's reply, by index, and the way to answer it. */
  const round: { readonly reply: PartitionRoundReply; readonly answer: Answer }[] = [];
  let waiting = workers;
  const done: PartitionDone[] = [];
  let next = 0;
  /** The resident set the parent saw at each round's end: a sample the workers' may miss. */
  let parentPeakRss = 0;
  /** The Xen-level model's claims are in a table grown here at a round's end, within the
   * resident-memory bound the workers keep to (the process's, theirs included). */
  const relayer = new PartitionRelay(
    job.model.kind === 'xen'
      ? ClaimTable.create(SPLIT_STATES_PER_PARTITION * workers * FIRST_TABLE_LEVELS)
      : undefined,
    {
      limitBytes: job.bounds.maxMemoryBytes ?? defaultMaxMemoryBytes(),
      rss,
    },
  );
  const relay = (): void => {
    const statuses: PartitionStatus[] = round.map((r) => r.reply.status);
    const answers = relayer.answer(round.map((r) => r.reply));
    round.forEach(({ answer }, to) => {
      const a = answers[to] as PartitionRound;
      answer(
        { kind: 'partition-answer', ...a },
        a.inbox.map((keys) => keys.buffer as ArrayBuffer),
      );
    });
    round.length = 0;
    waiting = workers;
    const elapsedMs = performance.now() - started;
    const states = statuses.reduce((n, s) => n + s.states, 0);
    const rssBytes = process.memoryUsage.rss();
    parentPeakRss = Math.max(parentPeakRss, rssBytes);
    onProgress?.({
      states,
      transitions: statuses.reduce((n, s) => n + s.transitions, 0),
      // the deepest state stored (a level may take more than one round)
      depth: deepest(statuses),
      elapsedMs,
      statesPerSec: elapsedMs > 0 ? (states * 1000) / elapsedMs : 0,
      storeBytes: statuses.reduce((n, s) => n + s.storeBytes, 0),
      heapBytes: statuses.reduce((n, s) => n + s.heapBytes, 0),
      rssBytes,
    });
  };
  await dispatch(
    workers,
    { stop: new SharedArrayBuffer(4) },
    () =>
      next < workers
        ? {
            ...job,
            kind: 'explore-partition',
            index: next++,
            count: workers,
            startedAt: Date.now(),
            ...(relayer.table ? { claims: relayer.table.buffers } : {}),
          }
        : undefined,
    (reply, answer) => {
      if (reply.kind === 'partition-round') {
        round[reply.index] = { reply, answer };
        if (--waiting === 0) relay();
      } else if (reply.kind === 'partition-done') {
        // Why end them all? The others wait for this one's next round, which will not come.
        if (reply.error !== undefined) throw new Error(reply.error);
        // All end at one round's answer: one that ends while others wait in a round never would.
        if (waiting !== workers) throw new Error('explore: a partition ended in a round under way');
        done.push(reply);
      } else {
        throw new Error(`worker: a ${reply.kind} reply to a split search`);
      }
    },
  );
  return mergeOutcomes(
    partitionOutcomes(done),
    performance.now() - started,
    parentPeakRss,
    relayer.table?.bytes ?? 0,
  );
}

/** Each partition's outcome, from its reply: an error for one that ended without. */
export function partitionOutcomes(done: readonly PartitionDone[]): PartitionOutcome[] {
  const outcomes = done.flatMap((d) => (d.outcome ? [d.outcome] : []));
  if (outcomes.length === 0 || outcomes.length !== done.length) {
    throw new Error('explore: a partition ended without an outcome');
  }
  return outcomes;
}
