// Breadth-first exhaustive search over an ExplorableModel: every reachable state is checked
// against every invariant when first found, so the first violation has a shortest path.
// Bounds are outcomes: depth, states, memory and time each stop the search with a `limit`.

import { getHeapStatistics } from 'node:v8';
import type { ExplorableModel, StateKey } from './model.ts';
import type { ExploreOptions, ResolvedOptions } from './options.ts';
import { HEAP_EVERY, resolveOptions } from './options.ts';
import type { Bound, ExploreOutcome, ExploreStats, MemoryStop, Violated } from './outcome.ts';
import { canonicalKey, keyChain, replayChain } from './path.ts';
import type { Partition, PartitionEnd, PartitionStatus, PartitionStop } from './partition.ts';
import { ownerOf } from './partition.ts';
import type { VisitedStore } from './visited.ts';
import {
  NumericVisited,
  OVER_MEMORY as OVER_MEMORY_,
  OVER_STATES as OVER_STATES_,
  SEEN as SEEN_,
  StringVisited,
} from './visited.ts';

// Why local copies? Bundlers turn imported constants into getter calls in hot loops.
const OVER_MEMORY = OVER_MEMORY_;
const OVER_STATES = OVER_STATES_;
const SEEN = SEEN_;

/**
 * Why 75% of the old generation's limit? V8 aborts the process (exit 134, a stack trace) once
 * repeated mark-compacts leave the old generation above 80% of its limit
 * (Heap::CheckIneffectiveMarkCompact), or when it is full; the used heap is never below the live
 * heap, so stopping at 75% of it comes first.
 */
const HEAP_GUARD = 0.75;
/**
 * heap_size_limit is the old generation's limit (--max-old-space-size) plus the young
 * generation's reserve: three semi-spaces of 16 MiB on 64-bit V8 (Heap::MaxReserved).
 */
const YOUNG_RESERVE = 48 * 2 ** 20;

/** The old generation's limit: the heap size past which V8 aborts the process. */
export function v8HeapLimitBytes(): number {
  const total = getHeapStatistics().heap_size_limit;
  return Math.max(total - YOUNG_RESERVE, total / 4);
}
/**
 * Aim for a checkpoint (a clock read) about this often (ms). Why adaptive? A clock read costs
 * ~75 ns: per transition, several percent of the core model's speed; yet one conformance
 * transition can take a millisecond, so a fixed stride that suits the one overshoots the other's
 * time budget by seconds (1,024 expansions did: 5 s became 22.8 s). The stride (candidate
 * transitions between checkpoints) starts at 1, doubles while checkpoints come too often and
 * shrinks at once when they come too rarely.
 */
const CHECK_INTERVAL_MS = 2;
/** Why so low a cap? A sudden slowdown costs at most this many slow transitions. */
const MAX_STRIDE = 256;
/** Keys handed to a partition are stored in runs of this many, their slots touched first (see
 * `run`'s two passes). */
const PREFETCH_RUN = 64;
/** Read process memory at most this often (ms): an RSS read costs ~15 µs (it reads /proc). */
const MEMORY_SAMPLE_MS = 5;
/**
 * ... and at least this often (ms). Why adaptive? An RSS read costs 15 µs on a quiet machine but
 * 100 to 170 µs on a loaded one (measured: 1 455 reads, 248 ms, in a 100 000-state Xen-level
 * search, 3% of it); far from the bounds a sample every 5 ms buys nothing. The interval is the
 * room left (to the RSS bound, and to the heap guard) divided by MEMORY_SAFETY times a fast
 * growth rate, so a search growing at that rate takes several samples to cross the room; near a
 * bound it is 5 ms, as before.
 */
const MEMORY_SAMPLE_MAX_MS = 100;
/** A fast growth of the resident set: 1 MiB per ms (no search here grows a tenth as fast). */
const MEMORY_GROWTH_PER_MS = 2 ** 20;
/** Samples a search growing at MEMORY_GROWTH_PER_MS takes to cross the room left. */
const MEMORY_SAFETY = 4;

/** Run the search. Exceptions mean a bug in the model or the caller; bounds never throw. */
export function explore<S, A>(
  model: ExplorableModel<S, A>,
  options: ExploreOptions<S, A> = {},
): ExploreOutcome<S, A> {
  const opts = resolveOptions(options);
  const { s0, k0 } = initialOf(model, opts);
  const shares = options.memoryShares ?? 1;
  // Why decide by the initial key? A model's keys are all of one shape: numbers go to typed
  // arrays, strings to a Set.
  const store =
    typeof k0 === 'number'
      ? new NumericVisited(opts.maxStates, opts.maxStoreBytes / shares)
      : new StringVisited(opts.maxStates, opts.maxStoreBytes / shares);
  return new Search(model, opts, store, shares).run(s0, k0);
}

/** How a partition's search ended (src/explore/partition.ts): the end every partition agreed
 * on, and this partition's own figures. A violation comes without its path: the states on it
 * are other partitions', so the caller finds it again by a search in one thread to its depth. */
export interface PartitionOutcome {
  readonly end: PartitionEnd;
  /** For a limit, the depth up to which every state was found and checked (as `explore`'s
   * limit outcome says); else the last level expanded. */
  readonly depth: number;
  readonly stats: ExploreStats;
  /** A search split by claims that ended in the levels every partition searches alike
   * (src/explore/claimed.ts): the states this partition stored and the transitions it took,
   * the others' parents' included, which are one thread's search up to where this partition
   * got. Partitions stopped by their own time or memory bound get to different places, so the
   * search's figures are the furthest partition's (relay.ts `mergeOutcomes`), not the sum of
   * their shares. */
  readonly alike?: { readonly states: number; readonly transitions: number };
}

/**
 * One partition of a search split across threads: run `explore`'s breadth-first search over the
 * states `partition` owns, handing the others' to them at each level's end. For a model whose
 * numeric keys name its states in every thread alike (`portableKeys`); per-transition checks
 * are not split this way (their hook sees parents only).
 */
export function explorePartition<S, A>(
  model: ExplorableModel<S, A>,
  options: ExploreOptions<S, A>,
  partition: Partition,
): PartitionOutcome {
  if (model.portableKeys !== true || model.fromKey === undefined || model.aux !== undefined) {
    throw new Error(`explore: model ${model.name} has no keys that every thread reads alike`);
  }
  if (options.onTransition) throw new Error('explore: a split search takes no transition hook');
  const opts = resolveOptions(options);
  const { s0, k0 } = initialOf(model, opts);
  if (typeof k0 !== 'number') throw new Error(`explore: model ${model.name} has no numeric keys`);
  // Each partition holds its share of the bounds on the visited set, so that together they
  // hold no more (the states a hash gives each differ by a few percent). The remainder goes
  // first to the first state's owner: with fewer states than partitions, that one holds one.
  const { index, count } = partition;
  const rank = (index - ownerOf(k0, count) + count) % count;
  const states = Math.floor(opts.maxStates / count) + (rank < opts.maxStates % count ? 1 : 0);
  const store = new NumericVisited(states, opts.maxStoreBytes / count);
  return new Search(model, opts, store, count).runPartition(s0, k0, partition);
}

/** The search's first state (under symmetry its orbit's representative, unless the model keys
 * orbits directly) and its key. */
export function initialOf<S, A>(
  model: ExplorableModel<S, A>,
  opts: ResolvedOptions<S, A>,
): { s0: S; k0: StateKey } {
  if (opts.symmetry && !model.symmetry) {
    throw new Error(`explore: symmetry asked for, but model ${model.name} defines none`);
  }
  const s0raw = model.initial();
  const s0 = opts.symmetry && model.symmetry && !model.canonicalKey ? model.symmetry(s0raw) : s0raw;
  return { s0, k0: canonicalKey(model, s0, opts.symmetry) };
}

/** The search's state and bounds, and `explore`'s loop; a split search's loops build on it
 * (`runPartition` here, ./claimed.ts). */
export class Search<S, A> {
  protected transitions = 0;
  protected maxDepth = 0;
  private rss = 0;
  /** The visited set's bytes when `rss` was sampled (RSS includes them). */
  private storeBytesAtSample = 0;
  private peakRss = 0;
  protected heap = 0;
  private peakHeap = 0;
  private readonly heapLimit = v8HeapLimitBytes();
  private readonly start: number;
  private lastCheck: number;
  private lastSample: number;
  /** Milliseconds until the next memory sample (see MEMORY_SAMPLE_MAX_MS). */
  private sampleInterval = MEMORY_SAMPLE_MS;
  protected stride: number;
  private lastProgress: number;
  private memoryStop: MemoryStop | undefined;
  protected readonly canon: ((s: S) => S) | undefined;
  protected readonly keyOf: (s: S) => StateKey;
  /** Keys are canonicalKey's (orbits), not key's. */
  protected readonly canonicalKeys: boolean;
  /** The model's aux number of each stored state, by index (empty without `aux`). */
  protected aux = new Int32Array(0);

  /** `shares`: how many searches share the memory bounds (a split search's partitions, each
   * in its thread: src/explore/partition.ts; the shards of ExploreOptions.memoryShares); 1 for
   * a search alone. */
  constructor(
    protected readonly model: ExplorableModel<S, A>,
    protected readonly opts: ResolvedOptions<S, A>,
    protected readonly store: VisitedStore,
    private readonly shares = 1,
  ) {
    this.start = opts.clock();
    this.lastCheck = this.start;
    this.lastSample = this.start;
    this.lastProgress = this.start;
    this.stride = opts.checkEvery || 1;
    // Why two ways? A model that can key an orbit directly (canonicalKey) spares building its
    // representative; the search then keeps states as found.
    const direct = opts.symmetry && model.canonicalKey ? model.canonicalKey.bind(model) : undefined;
    this.canon =
      opts.symmetry && model.symmetry && !direct ? model.symmetry.bind(model) : undefined;
    this.keyOf = direct ?? model.key.bind(model);
    this.canonicalKeys = direct !== undefined;
  }

  /** TransitionContext.stored: `child` keyed as the search keys it, looked up. The key is kept
   * for the search's own keying of the same child, right after the hook returns. */
  private readonly stored = (child: S): boolean => {
    const c = this.canon ? this.canon(child) : child;
    const k = this.keyOf(c);
    this.askedChild = child;
    this.askedCanon = c;
    this.askedKey = k;
    return this.store.has(k);
  };
  /** The last child `stored` keyed, its representative and key (undefined: none pending). */
  private askedChild: S | undefined = undefined;
  private askedCanon: S | undefined = undefined;
  private askedKey: StateKey = 0;

  protected setAux(index: number, value: number): void {
    if (index >= this.aux.length) {
      // Why beside the store, not in it? Only a model with `aux` pays its 4 bytes a state.
      const grown = new Int32Array(Math.max(1024, Math.ceil(this.aux.length * 1.5), index + 1));
      grown.set(this.aux);
      this.aux = grown;
    }
    this.aux[index] = value;
  }

  run(s0: S, k0: StateKey): ExploreOutcome<S, A> {
    const { model, opts, store } = this;
    const canon = this.canon;
    const keyOf = this.keyOf;
    // With numeric keys and `fromKey`, the queue is the store's key column: no state objects.
    const packed = typeof k0 === 'number' && model.fromKey !== undefined;
    const fromKey = model.fromKey?.bind(model);
    const auxOf = packed ? model.aux?.bind(model) : undefined;
    const canonical = this.canonicalKeys;
    if (this.sampleMemory()) return this.limit('memory', 0);
    const first = store.add(k0, -1);
    if (first === OVER_MEMORY) return this.storeFull(0);
    if (auxOf) this.setAux(0, auxOf(s0));
    const bad0 = this.brokenInvariant(s0);
    if (bad0) return this.violation(bad0, keyChain(store, 0));

    const invariants = model.invariants;
    const onTransition = opts.onTransition;
    let frontier: S[] = packed ? [] : [s0];
    let next: S[] = [];
    let levelStart = 0;
    let levelEnd = 1;
    let depth = 0;
    let countdown = 1;
    const keyBuf: StateKey[] = [];
    const stateBuf: S[] = [];

    while (levelStart < levelEnd) {
      // Why probe the last level? Expanding it without storing tells a complete search (every
      // successor known: ok) from a cut one (a new state lies deeper: limit).
      const probe = depth >= opts.maxDepth;
      for (let i = levelStart; i < levelEnd; i++) {
        const s =
          packed && fromKey
            ? fromKey(store.keyAt(i) as number, this.aux[i] ?? 0, canonical)
            : (frontier[i - levelStart] as S);
        // Two passes per state. Why? The hash probes of a large visited set are cache misses;
        // computing every successor key first and touching their slots lets the misses overlap.
        let n = 0;
        for (const a of model.actions(s)) {
          if (--countdown === 0) {
            const bound = this.checkpoint(depth);
            if (bound) return this.limit(bound, depth);
            countdown = this.stride;
          }
          const t = model.step(s, a);
          if (t === null) continue;
          this.transitions++;
          if (onTransition) {
            const context = { depth, parentIndex: i, stored: this.stored, replay: false };
            const failure = onTransition(s, a, t, context);
            if (failure) {
              return this.transitionViolation(
                { source: 'transition', name: failure.name, statement: failure.statement },
                i,
                t,
              );
            }
          }
          const asked = this.askedChild === t;
          this.askedChild = undefined;
          // A step that changes nothing returns its argument, which is stored already.
          if (t === s) continue;
          if (asked) {
            keyBuf[n] = this.askedKey;
            stateBuf[n] = this.askedCanon as S;
          } else {
            const c = canon ? canon(t) : t;
            keyBuf[n] = keyOf(c);
            stateBuf[n] = c;
          }
          n++;
        }
        store.prefetch(keyBuf, n);
        for (let j = 0; j < n; j++) {
          const k = keyBuf[j] as StateKey;
          if (probe) {
            if (!store.has(k)) return this.limit('depth', depth);
            continue;
          }
          const index = store.add(k, i);
          if (index === SEEN) continue;
          if (index === OVER_STATES) return this.limit('states', depth);
          if (index === OVER_MEMORY) return this.storeFull(depth);
          const c = stateBuf[j] as S;
          if (auxOf) this.setAux(index, auxOf(c));
          this.maxDepth = depth + 1;
          for (let v = 0; v < invariants.length; v++) {
            const inv = invariants[v];
            if (inv && !inv.holds(c)) {
              return this.violation(
                { source: 'invariant', name: inv.name, statement: inv.statement },
                keyChain(store, index),
              );
            }
          }
          if (!packed) next.push(c);
        }
      }
      levelStart = levelEnd;
      levelEnd = store.size;
      depth++;
      if (!packed) {
        frontier = next;
        next = [];
      }
    }
    return { kind: 'ok', stats: this.stats() };
  }

  /**
   * One partition's rounds (explorePartition): `run`'s levels over the states `partition` owns.
   * A successor another partition owns goes to it at the level's end; the keys handed to this
   * one are stored then. A stop (a violation, a bound) waits for the round's end too, where
   * every partition learns how the search ends (src/explore/partition.ts `decideEnd`), so that
   * none is left waiting for another.
   */
  runPartition(s0: S, k0: number, partition: Partition): PartitionOutcome {
    const { model, opts, store } = this;
    const canon = this.canon;
    const keyOf = this.keyOf;
    const fromKey = (model.fromKey as NonNullable<typeof model.fromKey>).bind(model);
    const canonical = this.canonicalKeys;
    const { index: me, count } = partition;
    // Every partition finds this alike, before its first round: none waits for another.
    const bad0 = this.brokenInvariant(s0);
    if (bad0) {
      const end = { kind: 'violation', violated: bad0, depth: 0 } as const;
      return { end, depth: 0, stats: this.stats() };
    }
    let stop: PartitionStop | null = this.sampleMemory() ? this.limitStop('memory', 0) : null;
    if (stop === null && ownerOf(k0, count) === me) stop = this.admit(k0, s0, -1, 0);
    const outboxes: number[][] = Array.from({ length: count }, () => []);
    const keyBuf: number[] = [];
    const stateBuf: S[] = [];
    let levelStart = 0;
    let levelEnd = store.size;
    let depth = 0;
    let countdown = 1;
    let probeNew = false;
    for (;;) {
      const probe = depth >= opts.maxDepth;
      let expanded = 0;
      expand: for (let i = levelStart; i < levelEnd && stop === null; i++) {
        const s = fromKey(store.keyAt(i) as number, 0, canonical);
        expanded++;
        let n = 0;
        for (const a of model.actions(s)) {
          if (--countdown === 0) {
            const bound = this.checkpoint(depth);
            if (bound) {
              stop = this.limitStop(bound, depth);
              break expand;
            }
            countdown = this.stride;
          }
          const t = model.step(s, a);
          if (t === null) continue;
          this.transitions++;
          if (t === s) continue;
          const c = canon ? canon(t) : t;
          const k = keyOf(c) as number;
          const owner = ownerOf(k, count);
          if (owner !== me) {
            (outboxes[owner] as number[]).push(k);
            continue;
          }
          keyBuf[n] = k;
          stateBuf[n] = c;
          n++;
        }
        store.prefetch(keyBuf, n);
        for (let j = 0; j < n; j++) {
          const k = keyBuf[j] as number;
          if (probe) {
            // One new state past the depth bound cuts the search there: no need for more.
            if (store.has(k)) continue;
            probeNew = true;
            break expand;
          }
          stop = this.admit(k, stateBuf[j] as S, i, depth + 1);
          if (stop) break expand;
        }
      }
      const round = partition.exchange(
        outboxes.map((keys) => Float64Array.from(keys)),
        this.partitionStatus(store.size, expanded, probeNew, stop),
      );
      for (const keys of outboxes) keys.length = 0;
      if (round.end) return this.partitionOutcome(round.end, depth);
      // The keys handed over take memory the last sample did not see.
      this.resampleMemory();
      for (const keys of round.inbox) {
        // In runs of PREFETCH_RUN, their slots touched first, as a level's successors are.
        for (let at = 0; at < keys.length && stop === null; at += PREFETCH_RUN) {
          const n = Math.min(PREFETCH_RUN, keys.length - at);
          for (let j = 0; j < n; j++) keyBuf[j] = keys[at + j] as number;
          store.prefetch(keyBuf, n);
          for (let j = 0; j < n && stop === null; j++) {
            const k = keyBuf[j] as number;
            if (probe) {
              if (!store.has(k)) probeNew = true;
              continue;
            }
            stop = this.admit(k, fromKey(k, 0, canonical), -1, depth + 1);
          }
        }
      }
      levelStart = levelEnd;
      levelEnd = store.size;
      depth++;
    }
  }

  /** A partition's status at a round's end: it stores `states`, expanded `expanded` states this
   * round, met a new state at the depth bound's level (`probeNew`), or stopped (`stop`). */
  protected partitionStatus(
    states: number,
    expanded: number,
    probeNew: boolean,
    stop: PartitionStop | null,
  ): PartitionStatus {
    return {
      states,
      transitions: this.transitions,
      storeBytes: this.storeBytes(),
      heapBytes: this.heap,
      maxDepth: this.maxDepth,
      expanded,
      probeNew,
      stop,
    };
  }

  /** A partition's outcome once the round at level `depth` ended the search, as `end` says. */
  protected partitionOutcome(
    end: PartitionEnd,
    depth: number,
    states = this.store.size,
  ): PartitionOutcome {
    // A cut at the depth bound is found a round after its level: it is that level's. A stop
    // says its own level (one met storing the keys handed over is a round late too).
    const at = end.kind !== 'limit' ? depth : 'depth' in end ? end.depth : this.opts.maxDepth;
    return { end, depth: at, stats: this.stats(states) };
  }

  /** Store `c` (key `k`, found from the state stored at `parent`, -1: none here) at `depth`,
   * unless it is stored: null, or why the search stops (a bound, met while expanding the level
   * above; an invariant `c` breaks). */
  private admit(k: number, c: S, parent: number, depth: number): PartitionStop | null {
    const index = this.store.add(k, parent);
    if (index === SEEN) return null;
    const level = Math.max(0, depth - 1);
    if (index === OVER_STATES) return this.limitStop('states', level);
    if (index === OVER_MEMORY) return this.storeFullStop(level);
    this.maxDepth = Math.max(this.maxDepth, depth);
    const bad = this.brokenInvariant(c);
    return bad ? { kind: 'violation', violated: bad, depth } : null;
  }

  /** A partition's stop at `bound` while expanding the level at `depth` (with the memory
   * figure that stopped it). */
  protected limitStop(bound: Bound, depth: number): PartitionStop {
    const memory = bound === 'memory' ? this.memoryStop : undefined;
    return { kind: 'limit', bound, depth, ...(memory ? { memory } : {}) };
  }

  protected brokenInvariant(s: S): Violated | undefined {
    for (const inv of this.model.invariants) {
      if (!inv.holds(s)) return { source: 'invariant', name: inv.name, statement: inv.statement };
    }
    return undefined;
  }

  /** Time, memory and progress, every `stride` candidate transitions. */
  protected checkpoint(depth: number): Bound | undefined {
    const now = this.opts.clock();
    if (this.opts.checkEvery === 0) {
      const interval = now - this.lastCheck;
      if (interval < CHECK_INTERVAL_MS / 2) this.stride = Math.min(this.stride * 2, MAX_STRIDE);
      else if (interval > CHECK_INTERVAL_MS * 2) {
        this.stride = Math.max(1, Math.floor((this.stride * CHECK_INTERVAL_MS) / interval));
      }
    }
    this.lastCheck = now;
    if (now - this.lastSample >= this.sampleInterval) {
      this.lastSample = now;
      if (this.sampleMemory()) return 'memory';
    }
    const elapsed = now - this.start;
    if (elapsed > this.opts.timeBudgetMs) return 'time';
    const onProgress = this.opts.onProgress;
    if (onProgress && now - this.lastProgress >= this.opts.progressIntervalMs) {
      this.lastProgress = now;
      onProgress({
        states: this.store.size,
        transitions: this.transitions,
        depth,
        elapsedMs: elapsed,
        statesPerSec: elapsed > 0 ? (this.store.size * 1000) / elapsed : 0,
        storeBytes: this.storeBytes(),
        heapBytes: this.heap,
        rssBytes: this.rss,
      });
    }
    return undefined;
  }

  /**
   * Read the process's memory; true when a bound is passed (this.memoryStop says which).
   * Otherwise leave the visited set room for what the RSS bound allows: its next growth is
   * refused, before allocating, if it would take RSS past the bound.
   */
  protected sampleMemory(): boolean {
    const { opts, store } = this;
    const m = opts.memory();
    this.rss = m.rss;
    this.storeBytesAtSample = store.bytes;
    this.peakRss = Math.max(this.peakRss, m.rss);
    this.heap = m.heapUsed + m.arrayBuffers;
    this.peakHeap = Math.max(this.peakHeap, this.heap);
    if (m.rss > opts.maxMemoryBytes) {
      this.memoryStop = {
        measure: 'rss',
        usedBytes: m.rss,
        limitBytes: opts.maxMemoryBytes,
        projected: false,
      };
      return true;
    }
    if (m.heapUsed > this.heapLimit * HEAP_GUARD) {
      this.memoryStop = {
        measure: 'heap',
        usedBytes: m.heapUsed,
        limitBytes: this.heapLimit,
        projected: false,
      };
      return true;
    }
    // A partition's visited set may take its share of the room: the others grow in it too.
    const shares = this.shares;
    store.byteLimit = Math.min(
      opts.maxStoreBytes / shares,
      store.bytes + (opts.maxMemoryBytes - m.rss) / shares,
    );
    // The heap figures may be HEAP_EVERY samples old (src/explore/options.ts): their room counts
    // for that many intervals.
    const room = Math.min(
      opts.maxMemoryBytes - m.rss,
      (this.heapLimit * HEAP_GUARD - m.heapUsed) / HEAP_EVERY,
    );
    this.sampleInterval = Math.min(
      MEMORY_SAMPLE_MAX_MS,
      Math.max(MEMORY_SAMPLE_MS, room / (MEMORY_SAFETY * MEMORY_GROWTH_PER_MS)),
    );
    return false;
  }

  /** Memory beside this search's grew (at a split search's round: the keys handed over, a
   * claim table grown): sample now, so that the visited set's room is what is left of the
   * bound, not what the last sample left it. A bound already passed stops the search at its
   * next checkpoint, and the set does not grow meanwhile. */
  protected resampleMemory(): void {
    if (!this.sampleMemory()) return;
    this.store.byteLimit = this.store.bytes;
    this.lastSample = -Infinity;
  }

  /** storeFull as a partition's stop while expanding the level at `depth`. */
  protected storeFullStop(depth: number): PartitionStop {
    this.storeFull(depth);
    return this.limitStop('memory', depth);
  }

  /** The visited set refused to grow: its own bound, or the room the RSS bound left it. In a
   * split search, its share of each (`shares`): the RSS figure is then the one every share
   * growing alike would reach, as the room was shared out (sampleMemory). Or, within both, the
   * system refused the memory. */
  protected storeFull(depth: number): ExploreOutcome<S, A> {
    const { opts, store, shares } = this;
    const storeShare = opts.maxStoreBytes / shares;
    if (store.neededBytes <= store.byteLimit) {
      this.memoryStop = {
        measure: 'system',
        usedBytes: store.neededBytes,
        limitBytes: opts.maxMemoryBytes,
        projected: true,
      };
      return this.limit('memory', depth);
    }
    this.memoryStop =
      store.neededBytes > storeShare
        ? {
            measure: 'store',
            usedBytes: store.neededBytes,
            limitBytes: storeShare,
            projected: true,
          }
        : {
            measure: 'rss',
            usedBytes: this.rss + (store.neededBytes - this.storeBytesAtSample) * shares,
            limitBytes: opts.maxMemoryBytes,
            projected: true,
          };
    return this.limit('memory', depth);
  }

  /** `states`: the states this search reports stored (a split search's partition: its
   * share). */
  protected stats(states = this.store.size): ExploreStats {
    const elapsedMs = this.opts.clock() - this.start;
    const m = this.opts.memory(true); // the sampled heap figures may be HEAP_EVERY samples old
    this.peakRss = Math.max(this.peakRss, m.rss);
    this.peakHeap = Math.max(this.peakHeap, m.heapUsed + m.arrayBuffers);
    return {
      states,
      transitions: this.transitions,
      maxDepth: this.maxDepth,
      elapsedMs,
      statesPerSec: elapsedMs > 0 ? (states * 1000) / elapsedMs : 0,
      peakHeapBytes: this.peakHeap,
      peakRssBytes: this.peakRss,
      storeBytes: this.storeBytes(),
      bytesPerState: states > 0 ? this.storeBytes() / states : 0,
      symmetry: this.opts.symmetry,
    };
  }

  /** The visited set's bytes and the model's key tables'. */
  protected storeBytes(): number {
    return this.store.bytes + this.aux.byteLength + (this.model.keyBytes?.() ?? 0);
  }

  private limit(bound: Bound, depth: number): ExploreOutcome<S, A> {
    const memory = bound === 'memory' ? this.memoryStop : undefined;
    return { kind: 'limit', bound, depth, ...(memory ? { memory } : {}), stats: this.stats() };
  }

  private violation(violated: Violated, chain: StateKey[]): ExploreOutcome<S, A> {
    const { path, states } = replayChain(this.model, chain, this.opts.symmetry);
    return { kind: 'violation', violated, path, states, stats: this.stats() };
  }

  /** A failed transition check: the path to the parent, then one concrete failing step. */
  private transitionViolation(violated: Violated, parent: number, child: S): ExploreOutcome<S, A> {
    const { model, opts } = this;
    const { path, states } = replayChain(model, keyChain(this.store, parent), opts.symmetry);
    const last = states[states.length - 1] as S;
    const want = canonicalKey(model, child, opts.symmetry);
    const check = opts.onTransition;
    // replay: the search has counted the failing step already (TransitionContext.replay)
    const context = { depth: path.length, parentIndex: parent, stored: this.stored, replay: true };
    for (const a of model.actions(last)) {
      const t = model.step(last, a);
      if (t === null || canonicalKey(model, t, opts.symmetry) !== want) continue;
      // Under symmetry the concrete step is a permuted copy of the failing one; keep the first
      // that fails the check too (the check must be symmetric for symmetry to be sound).
      if (check?.(last, a, t, context)) {
        return {
          kind: 'violation',
          violated,
          path: [...path, a],
          states: [...states, t],
          stats: this.stats(),
        };
      }
    }
    throw new Error('explore: a failed transition check does not reproduce on replay');
  }
}
