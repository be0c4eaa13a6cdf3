// One shard of a Xen-level search, in a worker thread: the whole breadth-first search, with the
// per-transition checks on the parents the shard owns (src/xenExplore/conformance.ts, `shard`).
// A shard that fails writes its parent's index to the shared cell; every shard stops once it
// has passed the lowest index there, since no violation it could still find would come first.

import { explore } from '../../explore/index.ts';
import type { ExploreOptions, ExploreOutcome, TransitionCheck } from '../../explore/index.ts';
import { findFault, subjectOf } from '../../faults/index.ts';
import type { Op } from '../../ops/op.ts';
import type { XenState } from '../../xenExplore/index.ts';
import { buildXenSearch } from '../xenSearch.ts';
import type { ExploreShardDone, ExploreShardJob, Reply, WireExploreOutcome } from './protocol.ts';

/** Before any shard fails: no parent is past it. */
export const NO_FAILURE = 2 ** 31 - 1;

/** What the hook returns to end a shard that has passed the lowest failing parent. */
const STOPPED = { name: 'stopped', statement: 'a shard failed at a lower parent' };

/** Lower the shared cell to `index` unless it holds a lower one. */
function lowerTo(cell: Int32Array, index: number): void {
  let seen = Atomics.load(cell, 0);
  while (index < seen) {
    const was = Atomics.compareExchange(cell, 0, seen, index);
    if (was === seen) return;
    seen = was;
  }
}

/** The outcome as sent to the parent: a violation without its states (the parent steps its
 * path again for those); the other outcomes hold none. */
function toWire(o: ExploreOutcome<XenState, Op>): WireExploreOutcome {
  if (o.kind !== 'violation') return o;
  const { kind, violated, path, stats } = o;
  return { kind, violated, path, stats };
}

export function runExploreShard(
  job: ExploreShardJob,
  lowestFailing: Int32Array,
  post: (reply: Reply) => void,
  /** The per-transition check as run (a test's own wraps it). */
  checked: (check: TransitionCheck<XenState, Op>) => TransitionCheck<XenState, Op> = (c) => c,
): ExploreShardDone {
  const fault = job.fault === null ? undefined : findFault(job.fault);
  if (job.fault !== null && !fault) throw new Error(`worker: no fault '${job.fault}'`);
  const search = buildXenSearch(subjectOf(fault), job.request, {
    conformance: job.conformance,
    refinement: job.refinement,
    shard: job.shard,
  });
  const { model, conformance, refinement } = search;
  if (!search.onTransition)
    throw new Error('worker: an explore shard with no per-transition check');
  const check = checked(search.onTransition);
  let failedAt: number | null = null;
  let stopped = false;
  let parent = -1;
  const hook: ExploreOptions<XenState, Op>['onTransition'] = (p, a, c, ctx) => {
    // Once stopped, stopped for good: the explorer checks a failure again on its replayed path.
    if (stopped) return STOPPED;
    if (ctx.parentIndex !== parent) {
      parent = ctx.parentIndex;
      if (parent > Atomics.load(lowestFailing, 0)) {
        stopped = true;
        return STOPPED;
      }
    }
    const failure = check(p, a, c, ctx);
    if (failure) {
      failedAt = parent;
      lowerTo(lowestFailing, parent);
    }
    return failure;
  };
  const done = { kind: 'explore-done', shard: job.shard.index } as const;
  const { timeBudgetMs } = job.bounds;
  try {
    const outcome = explore(model, {
      ...job.bounds,
      ...(timeBudgetMs === undefined
        ? {}
        : { timeBudgetMs: Math.max(0, timeBudgetMs - (Date.now() - job.startedAt)) }),
      // Every shard holds the whole search in this process: each takes its share of the bounds.
      memoryShares: job.shard.count,
      symmetry: true,
      onTransition: hook,
      ...(job.progress
        ? { onProgress: (progress) => post({ kind: 'explore-progress', progress }) }
        : {}),
    });
    return {
      ...done,
      stopped,
      failedAt,
      reached: parent,
      outcome: stopped ? null : toWire(outcome),
      conformance: conformance?.stats() ?? null,
      refinement: refinement?.stats() ?? null,
    };
  } catch (e) {
    // The subject's or the model's error, for the parent to say in one line. One thread stops
    // at it: so do the shards past this parent.
    const error = e instanceof Error ? e.message : String(e);
    lowerTo(lowestFailing, Math.max(parent, 0));
    return {
      ...done,
      stopped,
      failedAt,
      reached: parent,
      outcome: null,
      conformance: null,
      refinement: null,
      error,
      errorAt: parent,
    };
  } finally {
    conformance?.close();
  }
}
