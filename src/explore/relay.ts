// The parent's side of a search split across threads by state: at each round's end, every
// partition's status and the keys it found for the others come in, and each partition gets
// back the keys for it, whether the search ends (`decideEnd`) and, for a search split by
// claims, the claim table grown (./claims.ts) while no partition claims; at the end, the
// partitions' outcomes as one search's (`mergeOutcomes`). The threads and their messages are
// the caller's (src/cli/workers/explorePartitioned.ts; the tests' own).

import type { PartitionOutcome } from './bfs.ts';
import { explore } from './bfs.ts';
import type { ExplorableModel } from './model.ts';
import type { ExploreOptions } from './options.ts';
import type { ClaimTable } from './claims.ts';
import type { ExploreOutcome, ExploreStats, MemoryStop } from './outcome.ts';
import type { PartitionEnd, PartitionRound, PartitionStatus } from './partition.ts';
import { decideEnd } from './partition.ts';

/** What one partition sent at a round's end. */
export interface RoundReply {
  readonly outboxes: readonly Float64Array[];
  readonly status: PartitionStatus;
}

/** The search's resident-memory bound, and the process's resident set now. */
export interface RelayMemory {
  readonly limitBytes: number;
  readonly rss: () => number;
}

export class PartitionRelay {
  /** The claim table of a search split by claims (undefined: by key, src/explore/partition.ts). */
  private claims: ClaimTable | undefined;

  /** `claims`: the table the partitions start with, for a search split by claims; `memory`:
   * the bound a grown table must fit in (none: any growth is made). */
  constructor(
    claims?: ClaimTable,
    private readonly memory?: RelayMemory,
  ) {
    this.claims = claims;
  }

  /** The claim table as it is now (its bytes count with the search's). */
  get table(): ClaimTable | undefined {
    return this.claims;
  }

  /** Every partition's answer to a round, in partition order, from their replies (the same
   * order). */
  answer(replies: readonly RoundReply[]): PartitionRound[] {
    const statuses = replies.map((r) => r.status);
    let end = decideEnd(statuses);
    let grown: PartitionRound['claims'];
    const table = this.claims;
    if (table && !end) {
      const again = statuses.some((s) => (s.unclaimed ?? 0) > 0);
      if (again || table.crowded) {
        // The old table and the new one are both held while the claims are copied over. A
        // table that is only crowded still takes claims (to FULL_LOAD): kept as it is. One that
        // refused claims must grow, or the search ends: every state to the deepest level stored
        // was found and checked.
        const stop = this.tooLarge(table.grownBytes);
        if (!stop) {
          this.claims = table.grown();
          grown = { buffers: this.claims.buffers, again };
        } else if (again) {
          end = { kind: 'limit', bound: 'memory', depth: deepest(statuses), memory: stop };
        }
      }
    }
    return replies.map((_, to) => ({
      // Every partition's keys for this one (its own list is empty); none once the search ends.
      inbox: end ? [] : replies.flatMap((from) => from.outboxes[to] ?? []),
      end,
      ...(grown ? { claims: grown } : {}),
    }));
  }

  /** Would `bytes` more take the resident set past the bound? Then the figure that says so. */
  private tooLarge(bytes: number): MemoryStop | undefined {
    if (!this.memory) return undefined;
    const used = this.memory.rss() + bytes;
    if (used <= this.memory.limitBytes) return undefined;
    const { limitBytes } = this.memory;
    return { measure: 'rss', usedBytes: used, limitBytes, projected: true, growing: 'claim table' };
  }
}

/** The deepest state any partition stored. */
export function deepest(statuses: readonly PartitionStatus[]): number {
  return statuses.reduce((d, s) => Math.max(d, s.maxDepth), 0);
}

/** A split search's outcome, from its partitions'. */
export interface MergedOutcome {
  readonly end: PartitionEnd;
  /** The level the search ended at (for a cut at the depth bound, the bound). */
  readonly depth: number;
  /** Summed over the partitions (states, transitions, bytes, heaps), the deepest state's depth,
   * the highest resident set; `elapsedMs` the whole wall time. In the levels searched alike,
   * the states and transitions are the furthest partition's (PartitionOutcome.alike). */
  readonly stats: ExploreStats;
}

/** The partitions' outcomes (they agreed on the end) as one search's, `elapsedMs` the whole
 * wall time; `parentPeakRss` the highest resident set the parent sampled (the process's, as
 * each worker's samples are: the peak is the highest of them all); `sharedBytes` what the
 * partitions share (a claim table), counted with their visited sets. */
export function mergeOutcomes(
  outcomes: readonly PartitionOutcome[],
  elapsedMs: number,
  parentPeakRss = 0,
  sharedBytes = 0,
): MergedOutcome {
  const first = outcomes[0];
  if (first === undefined) throw new Error('explore: a split search with no partition');
  const sum = (f: (o: PartitionOutcome) => number) => outcomes.reduce((n, o) => n + f(o), 0);
  const max = (f: (o: PartitionOutcome) => number) => Math.max(...outcomes.map(f));
  // Every partition ends at the same round, so either all ended in the levels searched alike
  // or none did.
  const alike = outcomes.every((o) => o.alike !== undefined);
  const states = alike ? max((o) => o.alike?.states ?? 0) : sum((o) => o.stats.states);
  const storeBytes = sum((o) => o.stats.storeBytes) + sharedBytes;
  return {
    end: first.end,
    depth: first.depth,
    stats: {
      states,
      transitions: alike ? max((o) => o.alike?.transitions ?? 0) : sum((o) => o.stats.transitions),
      maxDepth: max((o) => o.stats.maxDepth),
      elapsedMs,
      statesPerSec: elapsedMs > 0 ? (states * 1000) / elapsedMs : 0,
      // Each worker's heap is its own: their peaks added (a bound: they need not coincide).
      peakHeapBytes: sum((o) => o.stats.peakHeapBytes),
      peakRssBytes: Math.max(
        parentPeakRss,
        max((o) => o.stats.peakRssBytes),
      ),
      storeBytes,
      bytesPerState: states > 0 ? storeBytes / states : 0,
      symmetry: first.stats.symmetry,
    },
  };
}

/**
 * A violation a split search found at `end.depth`, found again by a search in this thread to
 * that depth, whose path is the one one thread reports. It takes the split's bounds, the time
 * bound less what the split took: it is what one thread searches up to there, so a states or
 * memory bound it meets first is the one one thread meets, reported as a limit. Not so the time
 * bound, which one thread would have had whole: if the rest runs out, the search reports the
 * time bound where the split got, every state above the violation's level found and checked
 * (the split's figures), not where this search did.
 */
export function violationInOneThread<S, A>(
  model: ExplorableModel<S, A>,
  options: Pick<
    ExploreOptions<S, A>,
    'symmetry' | 'maxStates' | 'maxMemoryBytes' | 'timeBudgetMs' | 'onProgress'
  >,
  end: Extract<PartitionEnd, { kind: 'violation' }>,
  split: ExploreStats,
): ExploreOutcome<S, A> {
  const { timeBudgetMs } = options;
  const again = explore(model, {
    ...options,
    maxDepth: end.depth,
    ...(timeBudgetMs === undefined
      ? {}
      : { timeBudgetMs: Math.max(0, timeBudgetMs - split.elapsedMs) }),
  });
  // Its clock: the split search's and this one's.
  const elapsedMs = split.elapsedMs + again.stats.elapsedMs;
  if (again.kind === 'limit' && again.bound === 'time') {
    const statesPerSec = elapsedMs > 0 ? (split.states * 1000) / elapsedMs : 0;
    const stats = { ...split, elapsedMs, statesPerSec };
    return { kind: 'limit', bound: 'time', depth: end.depth - 1, stats };
  }
  if (again.kind === 'violation' || (again.kind === 'limit' && again.bound !== 'depth')) {
    const statesPerSec = elapsedMs > 0 ? (again.stats.states * 1000) / elapsedMs : 0;
    return { ...again, stats: { ...again.stats, elapsedMs, statesPerSec } };
  }
  throw new Error(
    `explore: the split search found a violation of ${end.violated.name} at depth ${end.depth}; the search in one thread for its path found none`,
  );
}
