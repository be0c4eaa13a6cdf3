// The messages between the parent and its worker threads (src/cli/workers/entry.ts): a job at a
// time to each worker, its progress and its result back. Plain data only (structured clone).

import type { GrantConfig } from '../../config.ts';
import type { CoreConfig } from '../../core/config.ts';
import type { CoreVariant } from '../../core/step.ts';
import type { ExploreOutcome, ExploreProgress } from '../../explore/index.ts';
import type { PartitionOutcome } from '../../explore/bfs.ts';
import type { ClaimBuffers } from '../../explore/claims.ts';
import type { PartitionRound, PartitionStatus } from '../../explore/partition.ts';
import type { Op } from '../../ops/op.ts';
import type { RefinementStats } from '../../refinement/index.ts';
import type { ConformanceStats, TransitionShard } from '../../xenExplore/index.ts';
import type { XenRequest } from '../xenSearch.ts';
import type { WireJudged } from './faultJob.ts';

/** `count` consecutive runs of a suite from run index `start` (block `block` of the split). */
export interface RunsJob {
  readonly kind: 'runs';
  readonly block: number;
  readonly suite: string;
  readonly config: GrantConfig;
  readonly seed: number;
  readonly start: number;
  readonly count: number;
  readonly maxOps?: number;
  readonly fault: string | null;
}

/** One fault of the catalogue through every suite, then the explorer. */
export interface FaultJob {
  readonly kind: 'fault';
  readonly fault: string;
  readonly seed: number;
  readonly runs?: number;
  readonly exploreMs: number;
}

/** One shard of a Xen-level search's per-transition checks (src/cli/workers/exploreShards.ts):
 * the whole search, checking the transitions out of the shard's parents. */
export interface ExploreShardJob {
  readonly kind: 'explore-shard';
  readonly shard: TransitionShard;
  readonly request: XenRequest;
  readonly fault: string | null;
  readonly conformance: boolean;
  readonly refinement: boolean;
  readonly bounds: {
    readonly maxDepth?: number;
    readonly maxStates?: number;
    readonly maxMemoryBytes?: number;
    readonly timeBudgetMs?: number;
  };
  /** Send the search's progress (one shard does, for the parent's bar). */
  readonly progress: boolean;
  /** When the parent started the search (Date.now()): the time bound counts the workers'
   * start-up. */
  readonly startedAt: number;
}

/** The model of a search split by state: the core model's (its keys go to their owners:
 * src/explore/partition.ts), or the Xen-level model's (its states are claimed in a shared
 * table: src/explore/claimed.ts), without per-transition checks. */
export type PartitionedModel =
  | { readonly kind: 'core'; readonly config: CoreConfig; readonly variant: CoreVariant }
  | { readonly kind: 'xen'; readonly request: XenRequest };

/** Partition `index` of `count` of a search split by state. */
export interface ExplorePartitionJob {
  readonly kind: 'explore-partition';
  readonly index: number;
  readonly count: number;
  readonly model: PartitionedModel;
  readonly symmetry: boolean;
  /** The Xen-level model's claim table, as first made (src/explore/claims.ts). */
  readonly claims?: ClaimBuffers;
  readonly bounds: ExploreShardJob['bounds'];
  /** When the parent started the search (Date.now()): the time bound counts the workers'
   * start-up. */
  readonly startedAt: number;
}

/** A partition's round: the keys it found for each other partition, and its status. */
export interface PartitionRoundReply {
  readonly kind: 'partition-round';
  readonly index: number;
  readonly outboxes: readonly Float64Array[];
  readonly status: PartitionStatus;
}

/** How a partition's search ended, or its error. */
export interface PartitionDone {
  readonly kind: 'partition-done';
  readonly index: number;
  readonly outcome: PartitionOutcome | null;
  readonly error?: string;
}

/** The parent's answer to a round: the keys the others found for this partition, and whether
 * the search ends (PartitionRound). */
export type PartitionAnswer = { readonly kind: 'partition-answer' } & PartitionRound;

export type Job = RunsJob | FaultJob | ExploreShardJob | ExplorePartitionJob;

/** A shard's search outcome without its states (the parent replays the path for those). */
export type WireExploreOutcome = WithoutStates<ExploreOutcome<never, Op>>;
type WithoutStates<O> = O extends { readonly kind: 'violation' } ? Omit<O, 'states'> : O;

/** How a shard ended: its outcome and the parent of the transition that failed (null: none),
 * or stopped because a shard failed at a lower parent, or the search threw (error). */
export interface ExploreShardDone {
  readonly kind: 'explore-done';
  readonly shard: number;
  readonly stopped: boolean;
  readonly failedAt: number | null;
  readonly outcome: WireExploreOutcome | null;
  readonly conformance: ConformanceStats | null;
  readonly refinement: RefinementStats | null;
  readonly error?: string;
  /** With `error`: the parent whose transitions were being checked then (-1: none yet). */
  readonly errorAt?: number;
  /** The last parent whose transitions the shard began (-1: none): those out of every parent
   * before it were checked, by this shard or their owner. A shard cut by its own time or memory
   * bound got no further (mergeShards). */
  readonly reached: number;
}

/** How a block ended: every run passed (failedAt null), a run failed (its index: the worker
 * stops there, unshrunk), the harness threw (error), or a lower block failed first (stopped). */
export interface RunsDone {
  readonly kind: 'runs-done';
  readonly block: number;
  readonly stopped: boolean;
  readonly runs: number;
  readonly ops: number;
  readonly coverage: readonly (readonly [string, number])[];
  readonly failedAt: number | null;
  readonly error?: string;
}

export type Reply =
  | {
      readonly kind: 'progress';
      readonly block: number;
      readonly runs: number;
      readonly ops: number;
    }
  | RunsDone
  | { readonly kind: 'fault-done'; readonly judged: WireJudged }
  | { readonly kind: 'explore-progress'; readonly progress: ExploreProgress }
  | ExploreShardDone
  | PartitionRoundReply
  | PartitionDone;

/** What each worker is started with: the shared cell holding the lowest failing block (a worker
 * on a higher block stops at its next run), or for explore shards the lowest failing parent. */
export interface WorkerData {
  readonly stop: SharedArrayBuffer;
}
