// The breadth-first search split across threads by who owns a state (docs/explore.md, "The core
// search, split by state"). Partition `index` of `count` owns the states whose key `ownerOf` gives it: it
// alone stores them, checks their invariants and expands them. A level is one round: every
// partition expands the states it stored at that depth, keeps the successors it owns, and hands
// the others' keys over at the level's end (`Partition.exchange`), where it learns whether the
// search ends. Only for a model whose keys name its states in every thread alike (numbers made
// from the state alone, `fromKey` needing no table: the core model's), so that a key can be sent
// as it is.

import type { ClaimBuffers } from './claims.ts';
import type { Bound, MemoryStop, Violated } from './outcome.ts';

/** Why a partition stopped the search during a round: a state that breaks an invariant (at its
 * depth), or a bound met while expanding the level at `depth`. */
export type PartitionStop =
  | { readonly kind: 'violation'; readonly violated: Violated; readonly depth: number }
  | {
      readonly kind: 'limit';
      readonly bound: Bound;
      readonly depth: number;
      readonly memory?: MemoryStop;
    };

/** A partition's figures so far, and how its round went. */
export interface PartitionStatus {
  /** States this partition stored, transitions it took, its visited set's bytes. */
  readonly states: number;
  readonly transitions: number;
  readonly storeBytes: number;
  /** Its thread's V8 heap and array buffers, last sampled. */
  readonly heapBytes: number;
  /** The deepest state it stored. */
  readonly maxDepth: number;
  /** The states it expanded this round: every partition at 0 is an empty level, the end. */
  readonly expanded: number;
  /** At the depth bound's level, a successor it does not hold was met (here, or among the keys
   * handed to it last round): the search is cut, not complete. */
  readonly probeNew: boolean;
  readonly stop: PartitionStop | null;
  /** A search split by claims (./claims.ts): the claims it could not make, the shared table
   * being full. The parent grows the table and has them made again before the round ends. */
  readonly unclaimed?: number;
}

/** How the search ends, the same for every partition: decided from all their statuses. */
export type PartitionEnd =
  { readonly kind: 'ok' } | PartitionStop | { readonly kind: 'limit'; readonly bound: 'depth' };

export interface Partition {
  readonly index: number;
  readonly count: number;
  /**
   * End of a round: hand over the keys found for each other partition (`outboxes[j]`: for
   * partition j; this one's own is empty) and this partition's status. Blocks until every
   * partition has; returns the keys the others found for this one, and the search's end, or
   * null when it goes on.
   */
  exchange(outboxes: readonly Float64Array[], status: PartitionStatus): PartitionRound;
}

export interface PartitionRound {
  readonly inbox: readonly Float64Array[];
  readonly end: PartitionEnd | null;
  /** A search split by claims: the table the parent grew, for every partition to claim in from
   * now on; `again`: some claims found the old one full, so every partition makes those it
   * could not and ends the round again (with the same status, the unclaimed count updated). */
  readonly claims?: { readonly buffers: ClaimBuffers; readonly again: boolean };
}

/** The partition that owns key `k` (a non-negative integer below 2^53) out of `count`. */
export function ownerOf(k: number, count: number): number {
  // Why mix? Consecutive keys differ in their low bits, the layout's fields in their high ones.
  const lo = k % 0x100000000;
  const hi = Math.floor(k / 0x100000000);
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) % count;
}

/**
 * Does the search end after this round, and how? A violation wins (at the lowest depth), then
 * a limit, the shallowest (of the lowest partition, at one depth): a partition that met its
 * bound storing the keys handed to it says so a round late, at the level before the others'
 * (every state to that depth was found and checked, not to theirs). Then a level empty in every
 * partition ends it: cut at the depth bound if a probe met a new state, else complete.
 */
export function decideEnd(statuses: readonly PartitionStatus[]): PartitionEnd | null {
  let violation: PartitionStop | undefined;
  let limit: PartitionStop | undefined;
  for (const s of statuses) {
    const stop = s.stop;
    if (stop === null) continue;
    if (stop.kind === 'violation') {
      if (violation === undefined || stop.depth < violation.depth) violation = stop;
    } else if (limit === undefined || stop.depth < limit.depth) {
      limit = stop;
    }
  }
  if (violation) return violation;
  if (limit) return limit;
  if (statuses.every((s) => s.expanded === 0)) {
    return statuses.some((s) => s.probeNew) ? { kind: 'limit', bound: 'depth' } : { kind: 'ok' };
  }
  return null;
}
