// The messages between the parent and its worker threads (src/cli/workers/entry.ts): a job at a
// time to each worker, its progress and its result back. Plain data only (structured clone).

import type { GrantConfig } from '../../config.ts';
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

export type Job = RunsJob | FaultJob;

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
  | { readonly kind: 'fault-done'; readonly judged: WireJudged };

/** What each worker is started with: the shared cell holding the lowest failing block (a worker
 * on a higher block stops at its next run). */
export interface WorkerData {
  readonly stop: SharedArrayBuffer;
}
