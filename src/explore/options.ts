// The knobs of an exhaustive run: its four bounds, symmetry, progress reporting, and the
// per-transition hook that conformance mode plugs into.

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
  context: { readonly depth: number; readonly parentIndex: number },
) => TransitionFailure | null;

export interface ExploreProgress {
  readonly states: number;
  readonly transitions: number;
  /** The level being expanded. */
  readonly depth: number;
  readonly elapsedMs: number;
  readonly statesPerSec: number;
  readonly storeBytes: number;
  readonly heapBytes: number;
}

export interface ExploreOptions<S, A> {
  /** Expand no state deeper than this; if a deeper new state exists, the outcome is a limit. */
  readonly maxDepth?: number;
  readonly maxStates?: number;
  /** Bytes for the visited set, parent links and queue (growth included). */
  readonly maxMemoryBytes?: number;
  readonly timeBudgetMs?: number;
  /** Deduplicate by the model's symmetry canonicaliser. */
  readonly symmetry?: boolean;
  readonly onProgress?: (p: ExploreProgress) => void;
  readonly progressIntervalMs?: number;
  readonly onTransition?: TransitionCheck<S, A>;
  /** Milliseconds; injectable so that tests of the time bound are deterministic. */
  readonly clock?: () => number;
  /** Check time, memory and progress after this many expanded states (a power of two). */
  readonly checkEvery?: number;
}

export interface ResolvedOptions<S, A> {
  readonly maxDepth: number;
  readonly maxStates: number;
  readonly maxMemoryBytes: number;
  readonly timeBudgetMs: number;
  readonly symmetry: boolean;
  readonly onProgress: ((p: ExploreProgress) => void) | undefined;
  readonly progressIntervalMs: number;
  readonly onTransition: TransitionCheck<S, A> | undefined;
  readonly clock: () => number;
  readonly checkMask: number;
}

/** Parent links are Int32, so no run stores more states than this. */
export const MAX_STATES = 2 ** 31 - 2;

/** Why a quarter of RAM by default? Leave room for the rest of the process and the machine. */
export function defaultMaxMemoryBytes(): number {
  return Math.min(8 * 2 ** 30, Math.floor(totalmem() / 4));
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new RangeError(`explore: ${what}`);
}

/** Fill in defaults; a nonsensical option is a caller bug, so it throws. */
export function resolveOptions<S, A>(o: ExploreOptions<S, A>): ResolvedOptions<S, A> {
  const maxDepth = o.maxDepth ?? Infinity;
  const maxStates = Math.min(o.maxStates ?? MAX_STATES, MAX_STATES);
  const maxMemoryBytes = o.maxMemoryBytes ?? defaultMaxMemoryBytes();
  const timeBudgetMs = o.timeBudgetMs ?? Infinity;
  const checkEvery = o.checkEvery ?? 1024;
  check(maxDepth >= 0 && (maxDepth === Infinity || Number.isInteger(maxDepth)), 'maxDepth');
  check(maxStates >= 1 && Number.isInteger(maxStates), 'maxStates must be a positive integer');
  check(maxMemoryBytes > 0, 'maxMemoryBytes must be positive');
  check(timeBudgetMs >= 0, 'timeBudgetMs must be non-negative');
  check(checkEvery >= 1 && (checkEvery & (checkEvery - 1)) === 0, 'checkEvery: power of two');
  return {
    maxDepth,
    maxStates,
    maxMemoryBytes,
    timeBudgetMs,
    symmetry: o.symmetry ?? false,
    onProgress: o.onProgress,
    progressIntervalMs: o.progressIntervalMs ?? 1000,
    onTransition: o.onTransition,
    clock: o.clock ?? (() => performance.now()),
    checkMask: checkEvery - 1,
  };
}
