// The breadth-first search split across threads by claims (docs/explore.md, "The Xen-level
// search, split by claims"): for a model whose keys number states in its own thread's tables
// (the Xen-level model's), so that no key can be sent to another thread, but which can
// fingerprint a state's content alike in every thread (ExplorableModel.fingerprint).
//
// No state moves between threads. Until a level holds SPLIT_STATES_PER_PARTITION states per
// partition, every partition runs the same search (one thread's, state for state). That level
// is dealt out by fingerprint. From then on each partition expands its own states, and a
// successor it has not met is claimed in the shared table (./claims.ts) with the priority one
// thread's search would have met it by (level, parent's rank, action). Once every partition has
// claimed (a round's end), the best claim on each new state names its one owner, which stores
// it (with the aux and the invariants' verdict it found as it claimed) and expands it; the
// others keep its key only, as met. A second exchange per level hands every partition the
// others' claims that won, so that each can rank its own new states in the level as one thread
// would (the next level's priorities, and the states bound). So the states stored, each one's
// path and its aux are those of one thread's search.

import type { PartitionOutcome } from './bfs.ts';
import { initialOf, Search } from './bfs.ts';
import type { ClaimBuffers } from './claims.ts';
import { CLAIM_EARLIER, CLAIM_FULL, claimPriority, ClaimTable } from './claims.ts';
import type { ExplorableModel } from './model.ts';
import type { ExploreOptions, ResolvedOptions } from './options.ts';
import { MAX_STATES, resolveOptions } from './options.ts';
import type { Violated } from './outcome.ts';
import type { Partition, PartitionRound, PartitionStatus, PartitionStop } from './partition.ts';
import { NumericVisited, OVER_MEMORY, SEEN } from './visited.ts';

/** Levels are searched by every partition alike until one holds this many states per
 * partition. Why wait? The first levels are a handful of states, whose subtrees would be too
 * few to share out evenly (src/xenExplore/conformance.ts splits its checks at the same size). */
export const SPLIT_STATES_PER_PARTITION = 1024;

/**
 * One partition of a search split by claims: `explore`'s breadth-first search, its states
 * shared out as above. `table` is the claim table every partition was started with (created by
 * the parent, who grows it at a round's end: PartitionRound.claims).
 */
export function exploreClaimed<S, A>(
  model: ExplorableModel<S, A>,
  options: ExploreOptions<S, A>,
  partition: Partition,
  table: ClaimBuffers,
  /** States per partition in the level where the search splits (tests split small ones). */
  splitStates = SPLIT_STATES_PER_PARTITION,
): PartitionOutcome {
  if (model.fingerprint === undefined || model.fromKey === undefined) {
    throw new Error(`explore: model ${model.name} has no fingerprints of its states' content`);
  }
  if (options.onTransition) throw new Error('explore: a split search takes no transition hook');
  const opts = resolveOptions(options);
  const { s0, k0 } = initialOf(model, opts);
  if (typeof k0 !== 'number') throw new Error(`explore: model ${model.name} has no numeric keys`);
  // Why no states bound on the store? It holds the states this partition met that others own
  // too; the bound is on the states the search stores, counted at each level's end.
  const store = new NumericVisited(MAX_STATES, opts.maxStoreBytes / partition.count);
  const search = new ClaimedSearch(
    model,
    opts,
    store,
    partition,
    new ClaimTable(table),
    splitStates,
  );
  return search.runClaimed(s0, k0);
}

class ClaimedSearch<S, A> extends Search<S, A> {
  private readonly fromKey: (k: number, aux: number, canonical: boolean) => S;
  private readonly fingerprint: (k: number, canonical: boolean) => bigint;
  /** States this partition stores: its share of the levels searched alike, then its own. */
  private owned = 0;
  /** States the search has stored, every partition's. */
  private storedAll = 0;
  /** In the levels searched alike, the transitions out of the other partitions' parents (this
   * one takes them too, uncounted as its own). */
  private othersTransitions = 0;
  /** This level's new states this partition claimed (`Claims`, below). */
  private readonly candidates = new Claims();
  /** Claims the table had no room for: a fingerprint and its priority. */
  private unclaimed: [bigint, bigint][] = [];
  private readonly keyBuf: number[] = [];
  private readonly stateBuf: S[] = [];
  private readonly actionBuf: number[] = [];
  private countdown = 1;

  constructor(
    model: ExplorableModel<S, A>,
    opts: ResolvedOptions<S, A>,
    store: NumericVisited,
    private readonly partition: Partition,
    private table: ClaimTable,
    private readonly splitStates: number,
  ) {
    super(model, opts, store, partition.count);
    this.fromKey = (model.fromKey as NonNullable<typeof model.fromKey>).bind(model);
    this.fingerprint = (model.fingerprint as NonNullable<typeof model.fingerprint>).bind(model);
  }

  runClaimed(s0: S, k0: number): PartitionOutcome {
    const { model, store } = this;
    const { index: me } = this.partition;
    // Every partition finds this alike, before its first round: none waits for another.
    const bad0 = this.brokenInvariant(s0);
    if (bad0) {
      const end = { kind: 'violation', violated: bad0, depth: 0 } as const;
      return { end, depth: 0, stats: this.stats(me === 0 ? 1 : 0) };
    }
    let stop: PartitionStop | null = this.sampleMemory() ? this.limitStop('memory', 0) : null;
    if (stop === null && store.add(k0, -1) === OVER_MEMORY) stop = this.storeFullStop(0);
    if (model.aux) this.setAux(0, model.aux(s0));
    return this.searchAlike(stop);
  }

  /** The levels every partition searches alike, then (`searchOwn`) its own. */
  private searchAlike(stopped: PartitionStop | null): PartitionOutcome {
    const { model, opts, store } = this;
    const { index: me, count } = this.partition;
    const { canonicalKeys: canonical, keyBuf, stateBuf } = this;
    const auxOf = model.aux?.bind(model);
    /** Where each level starts in the store. */
    const levelStarts = [0];
    let stop = stopped;
    let levelStart = 0;
    let levelEnd = store.size;
    let depth = 0;
    /** At the depth bound's level, a successor not stored was met: the search is cut there. */
    let probeNew = false;
    for (;;) {
      const probe = depth >= opts.maxDepth;
      let expanded = 0;
      expand: for (let i = levelStart; i < levelEnd && stop === null; i++) {
        const s = this.stateAt(i);
        const mine = i % count === me;
        if (mine) expanded++;
        const n = this.successors(s, depth, mine);
        if (typeof n !== 'number') {
          stop = n;
          break expand;
        }
        for (let j = 0; j < n; j++) {
          const k = keyBuf[j] as number;
          if (probe) {
            // One new state past the depth bound cuts the search there: no need for more.
            if (store.has(k)) continue;
            probeNew = true;
            break expand;
          }
          // The states bound before the store: a state past it is not stored (nor its room
          // made, which could meet the memory bound first), as in one thread's store.
          if (store.size >= opts.maxStates && !store.has(k)) {
            stop = this.limitStop('states', depth);
            break expand;
          }
          const index = store.add(k, i);
          if (index === SEEN) continue;
          if (index === OVER_MEMORY) {
            stop = this.storeFullStop(depth);
            break expand;
          }
          const c = stateBuf[j] as S;
          if (auxOf) this.setAux(index, auxOf(c));
          this.maxDepth = depth + 1;
          const bad = this.brokenInvariant(c);
          if (bad) {
            stop = { kind: 'violation', violated: bad, depth: depth + 1 };
            break expand;
          }
        }
      }
      levelStarts.push(levelEnd);
      // State index i is partition i mod count's (the first maxStates, at a states bound).
      const size = Math.min(store.size, opts.maxStates);
      this.storedAll = size;
      this.owned = Math.floor((size - me + count - 1) / count);
      const split = stop === null && !probe && store.size - levelEnd >= this.splitStates * count;
      if (split) {
        // Every state stored so far goes in the table, each by its owner, before any partition
        // claims (the round's end comes first).
        let level = 0;
        for (let i = me; i < store.size; i += count) {
          while (level + 1 < levelStarts.length && i >= (levelStarts[level + 1] ?? 0)) level++;
          const rank = i - (levelStarts[level] ?? 0);
          this.claim(
            this.fingerprint(store.keyAt(i) as number, canonical),
            claimPriority(level, rank, 0),
          );
        }
      }
      const round = this.endRound(this.partitionStatus(this.owned, expanded, probeNew, stop));
      if (round.end) {
        const alike = { states: size, transitions: this.transitions + this.othersTransitions };
        return { ...this.partitionOutcome(round.end, depth, this.owned), alike };
      }
      if (split) {
        // The new level, dealt by fingerprint. Why not round robin by rank? Siblings come in
        // runs ordered by action, so rank r mod count gives one partition the first sibling of
        // each run: alike states, whose subtrees may differ in size from the others'.
        const frontier: number[] = [];
        const ranks: number[] = [];
        for (let i = levelEnd; i < store.size; i++) {
          const f = this.fingerprint(store.keyAt(i) as number, canonical);
          if (Number((f ^ (f >> 32n)) & 0xffffffn) % count !== me) continue;
          frontier.push(i);
          ranks.push(i - levelEnd);
        }
        return this.searchOwn(frontier, ranks, depth + 1);
      }
      levelStart = levelEnd;
      levelEnd = store.size;
      depth++;
    }
  }

  /** The levels from `depth` on: each partition expands its own states, `frontier` (store
   * indices), ranked in their level as one thread's search would (`ranks`, ascending). */
  private searchOwn(
    startFrontier: number[],
    startRanks: number[],
    startDepth: number,
  ): PartitionOutcome {
    const { model, opts, store } = this;
    const { count } = this.partition;
    const { canonicalKeys: canonical, keyBuf, stateBuf, actionBuf, candidates } = this;
    const auxOf = model.aux?.bind(model);
    let frontier = startFrontier;
    let ranks = startRanks;
    let depth = startDepth;
    for (;;) {
      const probe = depth >= opts.maxDepth;
      let probeNew = false;
      let stop: PartitionStop | null = null;
      candidates.clear();
      expand: for (let f = 0; f < frontier.length; f++) {
        const i = frontier[f] as number;
        const rank = ranks[f] as number;
        const s = this.stateAt(i);
        const n = this.successors(s, depth, true);
        if (typeof n !== 'number') {
          stop = n;
          break expand;
        }
        for (let j = 0; j < n; j++) {
          const k = keyBuf[j] as number;
          if (probe) {
            if (store.has(k) || this.table.has(this.fingerprint(k, canonical))) continue;
            probeNew = true;
            break expand;
          }
          // Met before here (stored, claimed, or another's): one thread would not store it now.
          const index = store.add(k, i);
          if (index === SEEN) continue;
          if (index === OVER_MEMORY) {
            stop = this.storeFullStop(depth);
            break expand;
          }
          const fingerprint = this.fingerprint(k, canonical);
          const priority = claimPriority(depth + 1, rank, actionBuf[j] as number);
          if (this.claim(fingerprint, priority) === CLAIM_EARLIER) continue;
          const c = stateBuf[j] as S;
          const aux = auxOf ? auxOf(c) : 0;
          candidates.push(index, fingerprint, priority, aux, this.brokenInvariant(c));
        }
      }
      // Every partition's claims are made once this round ends.
      let round = this.endRound(this.partitionStatus(this.owned, frontier.length, probeNew, stop));
      if (round.end) return this.partitionOutcome(round.end, depth, this.owned);
      const won: number[] = [];
      const wonOrder: number[] = [];
      for (let c = 0; c < candidates.size; c++) {
        const priority = candidates.priority(c);
        if (this.table.priorityOf(candidates.fingerprint(c)) !== priority) continue;
        const index = candidates.index(c);
        if (auxOf) this.setAux(index, candidates.aux(c));
        won.push(index);
        wonOrder.push(Number(priority & 0xffffffffffffn));
        const broken = candidates.broken(c);
        if (stop === null && broken)
          stop = { kind: 'violation', violated: broken, depth: depth + 1 };
      }
      candidates.clear();
      // The states this partition won, ranked among every partition's: each hands the others
      // the order of its own (ascending: frontier by rank, each state's actions in order).
      const mine = Float64Array.from(wonOrder);
      const outboxes = Array.from({ length: count }, (_, j) =>
        j === this.partition.index ? new Float64Array(0) : mine.slice(),
      );
      round = this.endRound(
        this.partitionStatus(this.owned + won.length, won.length, probeNew, stop),
        outboxes,
      );
      if (round.end) return this.partitionOutcome(round.end, depth, this.owned);
      let level = won.length;
      for (const other of round.inbox) level += other.length;
      const nextRanks = wonOrder.map((order, at) => {
        let rank = at;
        for (const other of round.inbox) rank += lowerBound(other, order);
        return rank;
      });
      // At the states bound, one thread stores the first of the level's states (by rank) that
      // fit it, and stops. Why expand the whole level first, not stop claiming once the table
      // holds more states than the bound? Which states one thread stores is known only once
      // every claim on them is made: a partition that stopped early missed violations.
      if (this.storedAll + level > opts.maxStates) {
        const room = opts.maxStates - this.storedAll;
        const fit = nextRanks.filter((r) => r < room).length;
        this.owned += fit;
        if (fit > 0) this.maxDepth = depth + 1;
        return {
          end: { kind: 'limit', bound: 'states', depth },
          depth,
          stats: this.stats(this.owned),
        };
      }
      this.owned += won.length;
      this.storedAll += level;
      if (won.length > 0) this.maxDepth = depth + 1;
      frontier = won;
      ranks = nextRanks;
      depth++;
    }
  }

  /** The state stored at index `i`, decoded from its key, with its aux. */
  private stateAt(i: number): S {
    return this.fromKey(this.store.keyAt(i) as number, this.aux[i] ?? 0, this.canonicalKeys);
  }

  /** Claim `fingerprint` with `priority`; kept to claim again once the table has grown when it
   * has no room (the claim's result then: not CLAIM_EARLIER). */
  private claim(fingerprint: bigint, priority: bigint): number {
    const slot = this.table.claim(fingerprint, priority);
    if (slot === CLAIM_FULL) this.unclaimed.push([fingerprint, priority]);
    return slot;
  }

  /** End the round with `status`: until no claim is left unmade (the parent grows the table
   * when one found it full), then its answer. */
  private endRound(status: PartitionStatus, outboxes?: Float64Array[]): PartitionRound {
    const { count } = this.partition;
    let out = outboxes ?? Array.from({ length: count }, () => new Float64Array(0));
    for (;;) {
      const round = this.partition.exchange(out, { ...status, unclaimed: this.unclaimed.length });
      if (round.claims) this.table = new ClaimTable(round.claims.buffers);
      // The ranks handed over, and a grown table, took room under the memory bound that the
      // last sample left this partition's visited set.
      if (!round.end) this.resampleMemory();
      if (round.end || !round.claims?.again) return round;
      const left = this.unclaimed;
      this.unclaimed = [];
      for (const [fingerprint, priority] of left) this.claim(fingerprint, priority);
      out = Array.from({ length: count }, () => new Float64Array(0));
    }
  }

  /** The successors of `s`, a state of level `depth`, into keyBuf, stateBuf and actionBuf (their
   * keys, states and action indices), their slots in the store touched: how many, or the stop at
   * a bound met first. `counted`: its transitions are this partition's. */
  private successors(s: S, depth: number, counted: boolean): number | PartitionStop {
    const { model, canon, keyOf, keyBuf, stateBuf, actionBuf } = this;
    let n = 0;
    let action = -1;
    for (const a of model.actions(s)) {
      action++;
      const bound = this.tick(depth);
      if (bound) return bound;
      const t = model.step(s, a);
      if (t === null) continue;
      if (counted) this.transitions++;
      else this.othersTransitions++;
      if (t === s) continue;
      const c = canon ? canon(t) : t;
      keyBuf[n] = keyOf(c) as number;
      stateBuf[n] = c;
      actionBuf[n] = action;
      n++;
    }
    this.store.prefetch(keyBuf, n);
    return n;
  }

  /** A checkpoint every `stride` candidate transitions: the stop at a bound met. */
  private tick(depth: number): PartitionStop | null {
    if (--this.countdown !== 0) return null;
    const bound = this.checkpoint(depth);
    this.countdown = this.stride;
    return bound ? this.limitStop(bound, depth) : null;
  }
}

/** How many of `sorted` (ascending) are below `x`. */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? 0) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A level's claims of one partition, in the order it made them: the claimed state's store index,
 * fingerprint, priority and aux, and the invariant it breaks, if any. Why columns of typed
 * arrays? A level's claims live until its round ends: as objects, each with two BigInts, they
 * would be tens of thousands of objects for every young-generation collection to copy.
 */
class Claims {
  private indices = new Int32Array(1024);
  private fingerprints = new BigUint64Array(1024);
  private priorities = new BigUint64Array(1024);
  private auxes = new Int32Array(1024);
  /** By claim position: the few that break an invariant. */
  private readonly broke = new Map<number, Violated>();
  size = 0;

  push(index: number, fingerprint: bigint, priority: bigint, aux: number, broken?: Violated): void {
    const at = this.size++;
    if (at === this.indices.length) this.grow();
    this.indices[at] = index;
    this.fingerprints[at] = fingerprint;
    this.priorities[at] = priority;
    this.auxes[at] = aux;
    if (broken) this.broke.set(at, broken);
  }

  index(c: number): number {
    return this.indices[c] ?? -1;
  }

  fingerprint(c: number): bigint {
    return this.fingerprints[c] ?? 0n;
  }

  priority(c: number): bigint {
    return this.priorities[c] ?? 0n;
  }

  aux(c: number): number {
    return this.auxes[c] ?? 0;
  }

  broken(c: number): Violated | undefined {
    return this.broke.get(c);
  }

  clear(): void {
    this.size = 0;
    this.broke.clear();
  }

  private grow(): void {
    const n = this.indices.length * 2;
    const indices = new Int32Array(n);
    indices.set(this.indices);
    this.indices = indices;
    const fingerprints = new BigUint64Array(n);
    fingerprints.set(this.fingerprints);
    this.fingerprints = fingerprints;
    const priorities = new BigUint64Array(n);
    priorities.set(this.priorities);
    this.priorities = priorities;
    const auxes = new Int32Array(n);
    auxes.set(this.auxes);
    this.auxes = auxes;
  }
}
