// The knobs of an exhaustive run: its bounds (depth, states, memory, time), symmetry, progress
// reporting, and the per-transition hook that conformance mode plugs into.

import { totalmem } from 'node:os';

/** A failed per-transition check: what the hook reports, in its own words. */
export interface TransitionFailure {
  readonly name: string;
  readonly statement: string;
}

/**
 * Called on every enabled transition, new target or not, before the target is deduplicated.
 * Why here? Conformance mode applies the same action to a concrete implementation restored
 * from `parent` and compares results and abstractions; it returns a failure, or null.
 */
export type TransitionCheck<S, A> = (
  parent: S,
  action: A,
  child: S,
  context: TransitionContext<S>,
) => TransitionFailure | null;

/** Where a transition checked by `onTransition` is in the search. */
export interface TransitionContext<S> {
  /** The parent's level. */
  readonly depth: number;
  /** The parent's index in the visited set (BFS order). */
  readonly parentIndex: number;
  /** Does the visited set hold `child`'s state already? True for every state of the levels
   * up to the parent's and each found from an earlier parent; false for a new state, and for
   * one an earlier transition of this same parent found (stored after its last transition).
   * At a depth bound's last level the search stores nothing new: there only the states of the
   * levels up to the parent's are. */
  readonly stored: (child: S) => boolean;
  /** False in the search. True when the explorer checks again, after a failed check, to rebuild
   * the failing step on the path replayed from the initial state (under symmetry that path's
   * states are permuted copies of the search's, so a step that passes may be checked before the
   * one that fails). A check that counts what it checked counts the search's calls alone. */
  readonly replay: boolean;
}

export interface ExploreProgress {
  readonly states: number;
  readonly transitions: number;
  /** The level being expanded. */
  readonly depth: number;
  readonly elapsedMs: number;
  readonly statesPerSec: number;
  readonly storeBytes: number;
  /** V8 heap plus array buffers, last sample. */
  readonly heapBytes: number;
  /** The process's resident set, last sample. */
  readonly rssBytes: number;
}

/** What the memory bound reads: process.memoryUsage()'s fields, injectable for tests. */
export interface MemorySample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly arrayBuffers: number;
}

export interface ExploreOptions<S, A> {
  /** Expand no state deeper than this; if a deeper new state exists, the outcome is a limit. */
  readonly maxDepth?: number;
  readonly maxStates?: number;
  /**
   * Resident memory (RSS) of the whole process, in bytes: node itself, the heap, the visited
   * set, the frontier, conformance's impl snapshots, everything. Sampled at every checkpoint
   * (a few milliseconds apart), and checked before each growth of the visited set.
   */
  readonly maxMemoryBytes?: number;
  /** Bytes for the visited set, parent links and queue alone (growth included); unbounded
   * unless given. Unlike RSS it is deterministic: the same bound stops at the same state. */
  readonly maxStoreBytes?: number;
  /** How many searches in this process share the memory bounds (the shards of a search whose
   * checks are split, each holding the whole search): each takes its share of `maxStoreBytes`
   * and of the room under `maxMemoryBytes`. 1 by default. */
  readonly memoryShares?: number;
  readonly timeBudgetMs?: number;
  /** Deduplicate by the model's symmetry canonicaliser. */
  readonly symmetry?: boolean;
  readonly onProgress?: (p: ExploreProgress) => void;
  readonly progressIntervalMs?: number;
  readonly onTransition?: TransitionCheck<S, A>;
  /** Milliseconds; injectable so that tests of the time bound are deterministic. */
  readonly clock?: () => number;
  /** process.memoryUsage by default; injectable so that tests of the memory bound are too. */
  readonly memory?: (fresh?: boolean) => MemorySample;
  /**
   * Check time, memory and progress every this many candidate transitions, fixed. By default
   * the stride adapts so that checkpoints come about every CHECK_INTERVAL_MS (src/explore/bfs.ts).
   */
  readonly checkEvery?: number;
}

export interface ResolvedOptions<S, A> {
  readonly maxDepth: number;
  readonly maxStates: number;
  readonly maxMemoryBytes: number;
  readonly maxStoreBytes: number;
  readonly timeBudgetMs: number;
  readonly symmetry: boolean;
  readonly onProgress: ((p: ExploreProgress) => void) | undefined;
  readonly progressIntervalMs: number;
  readonly onTransition: TransitionCheck<S, A> | undefined;
  readonly clock: () => number;
  readonly memory: (fresh?: boolean) => MemorySample;
  /** 0: adaptive. */
  readonly checkEvery: number;
}

/** Parent links are Int32, so no run stores more states than this. */
export const MAX_STATES = 2 ** 31 - 2;

/** The default resident-memory bound never exceeds this (8 GiB). */
export const DEFAULT_MEMORY_CAP = 8 * 2 ** 30;

/** The memory this process may hope for: RAM, or less if a cgroup limits the process. */
export function machineMemoryBytes(): number {
  const total = totalmem();
  // process.constrainedMemory(): a cgroup's limit, or 0 (or 2^64, cgroup v2's "max") for none.
  const constrained = process.constrainedMemory();
  return constrained > 0 && constrained < total ? constrained : total;
}

/**
 * Why a quarter of the machine, at most 8 GiB, of RSS? A run with no flags must not exhaust a
 * machine it shares (24 GiB here: 6 GiB); a search that needs more asks for it with the flag.
 */
export function defaultMaxMemoryBytes(): number {
  return Math.min(DEFAULT_MEMORY_CAP, Math.floor(machineMemoryBytes() / 4));
}

/** Heap figures are read on every this many samples; RSS on every one. */
export const HEAP_EVERY = 8;

/**
 * process.memoryUsage(), with the heap figures refreshed every HEAP_EVERY calls. Why? It walks
 * V8's heap spaces: about 100 µs with a large heap, three times the RSS read alone
 * (process.memoryUsage.rss()), and at one sample every 5 ms that was 3 to 7% of a search. The
 * heap guard (75% of V8's limit) can wait 40 ms; the RSS bound is read fresh every time.
 * `fresh` reads the heap too (the figures a finished search reports).
 */
function processMemory(): (fresh?: boolean) => MemorySample {
  let heap: MemorySample | undefined;
  let calls = 0;
  return (fresh = false) => {
    if (fresh || heap === undefined || calls++ % HEAP_EVERY === 0) {
      heap = process.memoryUsage();
      return heap;
    }
    return {
      rss: process.memoryUsage.rss(),
      heapUsed: heap.heapUsed,
      arrayBuffers: heap.arrayBuffers,
    };
  };
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new RangeError(`explore: ${what}`);
}

/** Fill in defaults; a nonsensical option is a caller bug, so it throws. */
export function resolveOptions<S, A>(o: ExploreOptions<S, A>): ResolvedOptions<S, A> {
  const maxDepth = o.maxDepth ?? Infinity;
  const maxStates = Math.min(o.maxStates ?? MAX_STATES, MAX_STATES);
  const maxMemoryBytes = o.maxMemoryBytes ?? defaultMaxMemoryBytes();
  const maxStoreBytes = o.maxStoreBytes ?? Infinity;
  const timeBudgetMs = o.timeBudgetMs ?? Infinity;
  const checkEvery = o.checkEvery ?? 0;
  check(maxDepth >= 0 && (maxDepth === Infinity || Number.isInteger(maxDepth)), 'maxDepth');
  check(maxStates >= 1 && Number.isInteger(maxStates), 'maxStates must be a positive integer');
  check(maxMemoryBytes > 0, 'maxMemoryBytes must be positive');
  check(maxStoreBytes > 0, 'maxStoreBytes must be positive');
  check(timeBudgetMs >= 0, 'timeBudgetMs must be non-negative');
  check(
    o.checkEvery === undefined || (Number.isInteger(checkEvery) && checkEvery >= 1),
    'checkEvery must be a positive integer',
  );
  return {
    maxDepth,
    maxStates,
    maxMemoryBytes,
    maxStoreBytes,
    timeBudgetMs,
    symmetry: o.symmetry ?? false,
    onProgress: o.onProgress,
    progressIntervalMs: o.progressIntervalMs ?? 1000,
    onTransition: o.onTransition,
    clock: o.clock ?? (() => performance.now()),
    memory: o.memory ?? processMemory(),
    checkEvery,
  };
}
