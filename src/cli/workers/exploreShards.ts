// `grantcheck explore --model xen --workers N`: a search's per-transition checks (conformance,
// refinement) split across N worker threads. Each worker runs the whole breadth-first search and
// checks the transitions out of the parents it owns (src/xenExplore/conformance.ts, `owns`); the
// verdict is the one a single thread gives: an error or the violation at the lowest parent, else
// the shortest cut, else every state explored.

import type { ExploreProgress, ExploreStats } from '../../explore/index.ts';
import type { RefinementStats } from '../../refinement/index.ts';
import type { ConformanceStats } from '../../xenExplore/index.ts';
import { NO_FAILURE } from './exploreJob.ts';
import { dispatch } from './pool.ts';
import type { ExploreShardDone, ExploreShardJob, WireExploreOutcome } from './protocol.ts';

/** The job, less what differs between shards. */
export type ShardedJob = Omit<ExploreShardJob, 'kind' | 'shard' | 'progress' | 'startedAt'>;

export interface ShardedSearch {
  readonly outcome: WireExploreOutcome;
  /** Summed over the shards; snapshots too, since each shard holds its own. */
  readonly conformance: ConformanceStats | null;
  readonly refinement: RefinementStats | null;
  /** The sums may take transitions a shard checked past where the search stopped: a shard that
   * ran ahead of the failing one, or of the shortest cut, checked on until it learned of it
   * (its counts as they stood there are not kept: docs/explore.md, "The checks, split"). */
  readonly countsPastStop: boolean;
}

export async function exploreSharded(
  job: ShardedJob,
  workers: number,
  onProgress?: (p: ExploreProgress) => void,
): Promise<ShardedSearch> {
  const started = performance.now();
  const stop = new SharedArrayBuffer(4);
  new Int32Array(stop)[0] = NO_FAILURE;
  const done: ExploreShardDone[] = [];
  let next = 0;
  await dispatch(
    workers,
    { stop },
    () =>
      next < workers
        ? {
            ...job,
            kind: 'explore-shard',
            shard: { index: next, count: workers },
            progress: next++ === 0 && onProgress !== undefined,
            startedAt: Date.now(),
          }
        : undefined,
    (reply) => {
      if (reply.kind === 'explore-progress') onProgress?.(reply.progress);
      else if (reply.kind === 'explore-done') done.push(reply);
      else throw new Error(`worker: a ${reply.kind} reply to an explore shard`);
    },
  );
  return mergeShards(done, performance.now() - started);
}

/** The shards' replies as one search's, `elapsedMs` the whole wall time, as one thread gives it:
 * - a shard's error, unless another shard failed at a lower parent first: one thread would have
 *   stopped there, before reaching the parent where the error came (an error in replaying a
 *   shard's own failure is at that failure's parent);
 * - else the violation at the lowest parent (a failed check before the model's own invariants
 *   broken by the same parent's new states), unless a shard cut by its own time or memory bound
 *   had not passed that parent: its parents up to there were not checked, so one thread could
 *   have met a violation or the bound first, and the cut is the search's;
 * - else the shortest cut, else every state explored. */
export function mergeShards(done: readonly ExploreShardDone[], elapsedMs: number): ShardedSearch {
  const errorAt = (d: ExploreShardDone) => Math.max(d.errorAt ?? -1, d.failedAt ?? -1);
  const lowest = Math.min(
    ...done.filter((d) => d.error === undefined).map((d) => d.failedAt ?? Infinity),
  );
  const failed = done
    .filter((d) => d.error !== undefined && errorAt(d) < lowest)
    .sort((a, b) => errorAt(a) - errorAt(b))[0];
  if (failed?.error !== undefined) throw new Error(failed.error);
  const finished = done.filter((d) => !d.stopped && d.outcome !== null);
  /** Where a shard's violation is: its failed check's parent, or the parent whose new state
   * broke the model's invariant (the last it began), after that parent's checks. A failed check
   * at the parent where a cut shard stopped is still the first: that parent is the failing
   * shard's, and the cut shard's own parents before it were checked. */
  const violationAt = (d: ExploreShardDone) => d.failedAt ?? d.reached + 0.5;
  const firstViolation = finished
    .filter((d) => d.outcome?.kind === 'violation')
    .sort((a, b) => violationAt(a) - violationAt(b))[0];
  const reachedByAll = Math.min(
    ...finished
      .filter((d) => {
        const o = d.outcome;
        return o?.kind === 'limit' && (o.bound === 'time' || o.bound === 'memory');
      })
      .map((d) => d.reached),
  );
  const shortestCut = finished
    .filter((d) => d.outcome?.kind === 'limit')
    .sort((a, b) => (a.outcome?.stats.states ?? 0) - (b.outcome?.stats.states ?? 0))[0];
  const chosen =
    (firstViolation && violationAt(firstViolation) <= reachedByAll ? firstViolation : undefined) ??
    shortestCut ??
    finished[0];
  if (chosen?.outcome == null) throw new Error('explore: no shard finished its search');
  // The last parent the search checked: the failing one, or the last a cut shard began (an
  // invariant broken by a parent's new state comes after that parent's checks). A shard that
  // stopped on seeing a lower failure checked the parents before the one it stopped at.
  const stopAt = chosen.outcome.kind === 'ok' ? Infinity : (chosen.failedAt ?? chosen.reached);
  const lastChecked = (d: ExploreShardDone) => (d.stopped ? d.reached - 1 : d.reached);
  const countsPastStop = done.some((d) => d.error === undefined && lastChecked(d) > stopAt);
  const stats: ExploreStats = {
    ...chosen.outcome.stats,
    elapsedMs,
    statesPerSec: elapsedMs > 0 ? (chosen.outcome.stats.states * 1000) / elapsedMs : 0,
    peakHeapBytes: Math.max(...finished.map((d) => d.outcome?.stats.peakHeapBytes ?? 0)),
    peakRssBytes: Math.max(...finished.map((d) => d.outcome?.stats.peakRssBytes ?? 0)),
  };
  return {
    outcome: { ...chosen.outcome, stats },
    conformance: sumConformance(done, chosen),
    refinement: sumRefinement(done),
    countsPastStop,
  };
}

/** Why the chosen shard's mismatches? A search stops at its first; a shard that failed later
 * than the chosen one found a mismatch a single thread would never have reached. */
function sumConformance(
  done: readonly ExploreShardDone[],
  chosen: ExploreShardDone,
): ConformanceStats | null {
  const all = done.flatMap((d) => (d.conformance ? [d.conformance] : []));
  if (all.length === 0) return null;
  const sum = (f: (c: ConformanceStats) => number) => all.reduce((n, c) => n + f(c), 0);
  return {
    checked: sum((c) => c.checked),
    mismatches: chosen.conformance?.mismatches ?? 0,
    peakSnapshots: sum((c) => c.peakSnapshots),
    peakSnapshotBytes: sum((c) => c.peakSnapshotBytes),
  };
}

function sumRefinement(done: readonly ExploreShardDone[]): RefinementStats | null {
  const all = done.flatMap((d) => (d.refinement ? [d.refinement] : []));
  if (all.length === 0) return null;
  const byCoreAction: Record<string, number> = {};
  for (const r of all) {
    for (const [k, n] of Object.entries(r.byCoreAction))
      byCoreAction[k] = (byCoreAction[k] ?? 0) + n;
  }
  return {
    checked: all.reduce((n, r) => n + r.checked, 0),
    stutters: all.reduce((n, r) => n + r.stutters, 0),
    byCoreAction,
  };
}
