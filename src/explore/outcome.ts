// The outcome of an exhaustive run, as a value (fast-check's RunDetails, Porcupine's
// ok / illegal / unknown): complete, a violation with its shortest path, or a bound reached.

export interface ExploreStats {
  /** Distinct states stored (canonical representatives when symmetry is on). */
  readonly states: number;
  /** Enabled (state, action) pairs taken, including those leading to known states. */
  readonly transitions: number;
  /** Depth of the deepest state found (the initial state is at depth 0). */
  readonly maxDepth: number;
  readonly elapsedMs: number;
  readonly statesPerSec: number;
  /** Highest sampled V8 heap plus array-buffer bytes of the whole process. */
  readonly peakHeapBytes: number;
  /** Highest sampled resident set (RSS) of the whole process: what the memory bound limits. */
  readonly peakRssBytes: number;
  /** Bytes held by the visited set, parent links and queue (capacity included). */
  readonly storeBytes: number;
  /** storeBytes / states. */
  readonly bytesPerState: number;
  readonly symmetry: boolean;
}

/** What a violation broke: a state invariant, or a per-transition check (conformance mode). */
export interface Violated {
  readonly source: 'invariant' | 'transition';
  readonly name: string;
  readonly statement: string;
}

export type Bound = 'depth' | 'states' | 'memory' | 'time';

/**
 * Which memory figure stopped a search, and where it stood (bytes).
 * - `rss`: the process's resident set passed maxMemoryBytes; `projected` when it was the next
 *   growth of the visited set that would have passed it (nothing was allocated then; in a split
 *   search, every partition's set growing alike);
 * - `heap`: V8's heap neared its own limit (`limitBytes`, node's --max-old-space-size), past
 *   which V8 aborts the process;
 * - `store`: the visited set reached maxStoreBytes (a split search's partition: its share);
 *   `projected` when it was its next growth that would have passed it (the figure: the bytes that
 *   growth needed, the old arrays and the new held at once);
 * - `system`: the system refused the memory the visited set's next growth needed (`usedBytes`),
 *   within every bound (`limitBytes`: the resident-memory bound).
 */
export interface MemoryStop {
  readonly measure: 'rss' | 'heap' | 'store' | 'system';
  readonly usedBytes: number;
  readonly limitBytes: number;
  readonly projected: boolean;
  /** With `projected`: what was to grow, when not the visited set (a split search's claim
   * table, src/explore/relay.ts). */
  readonly growing?: 'claim table';
}

export type ExploreOutcome<S, A> =
  | { readonly kind: 'ok'; readonly stats: ExploreStats }
  | {
      readonly kind: 'violation';
      readonly violated: Violated;
      /** The shortest action sequence from the initial state to the violation. */
      readonly path: readonly A[];
      /** states[0] is the initial state; states[i+1] = step(states[i], path[i]). */
      readonly states: readonly S[];
      readonly stats: ExploreStats;
    }
  | {
      readonly kind: 'limit';
      readonly bound: Bound;
      /** Every state up to this depth was found and checked. */
      readonly depth: number;
      /** For the memory bound: the figure that stopped the search. */
      readonly memory?: MemoryStop;
      readonly stats: ExploreStats;
    };

function mib(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

/** The memory stop in words: `resident memory 612.3 MiB, past the 600.0 MiB bound`. */
export function describeMemoryStop(m: MemoryStop): string {
  switch (m.measure) {
    case 'rss':
      return m.projected
        ? `resident memory would reach ${mib(m.usedBytes)} as the ${m.growing ?? 'visited set'} grows, past the ${mib(m.limitBytes)} bound`
        : `resident memory ${mib(m.usedBytes)}, past the ${mib(m.limitBytes)} bound`;
    case 'heap':
      return `V8 heap ${mib(m.usedBytes)}, near V8's own ${mib(m.limitBytes)} heap limit (node --max-old-space-size)`;
    case 'store':
      return m.projected
        ? `visited set would need ${mib(m.usedBytes)} to grow, past its ${mib(m.limitBytes)} bound`
        : `visited set ${mib(m.usedBytes)}, at its ${mib(m.limitBytes)} bound`;
    case 'system':
      return `the system refused the ${mib(m.usedBytes)} the visited set needed to grow (within the ${mib(m.limitBytes)} bound)`;
    default: {
      const never: never = m.measure;
      return never;
    }
  }
}

/** One line for logs and the CLI. */
export function describeOutcome<S, A>(
  o: ExploreOutcome<S, A>,
  formatAction: (a: A) => string = String,
): string {
  const s = o.stats;
  const tail =
    `${s.states} states, ${s.transitions} transitions, depth ${s.maxDepth}, ` +
    `${Math.round(s.statesPerSec)} states/s, ${s.bytesPerState.toFixed(1)} B/state, ` +
    `peak RSS ${mib(s.peakRssBytes)}${s.symmetry ? ', symmetry on' : ''}`;
  switch (o.kind) {
    case 'ok':
      return `ok: ${tail}`;
    case 'violation':
      return (
        `violation of ${o.violated.name} after ${o.path.length} steps ` +
        `[${o.path.map(formatAction).join('; ')}]: ${tail}`
      );
    case 'limit':
      return (
        `limit reached (${o.bound}) at depth ${o.depth} after ${s.states} states` +
        `${o.memory ? ` (${describeMemoryStop(o.memory)})` : ''}: ${tail}`
      );
    default: {
      const never: never = o;
      return never;
    }
  }
}
