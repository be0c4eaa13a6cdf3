// The contract between a model and the exhaustive explorer: a record of plain functions
// (Porcupine's `Model`, XState graph's `transition`), so the random suites and the explorer run
// the very same model code.

/**
 * A state's canonical key: equal keys iff equal states (after symmetry, when asked for).
 * A number must be a non-negative safe integer; the explorer then keeps it in typed arrays.
 * Why two shapes? A packed number costs 8 bytes and no allocation; a string is the fallback for
 * states too rich to pack into 53 bits.
 */
export type StateKey = number | string;

/** A named predicate every reachable state must satisfy. */
export interface Invariant<S> {
  readonly name: string;
  /** One sentence, for reports: what must hold. */
  readonly statement: string;
  holds(s: S): boolean;
}

export interface ExplorableModel<S, A> {
  readonly name: string;
  initial(): S;
  /**
   * The candidate actions in `s` under the model's bounds. A superset of the enabled ones is
   * fine (`step` has the last word); order must be deterministic, since it decides which of
   * several shortest counterexamples is reported.
   */
  actions(s: S): Iterable<A>;
  /** The successor of `s` under `a`, or null when `a` is not enabled in `s`. Pure. */
  step(s: S, a: A): S | null;
  key(s: S): StateKey;
  /**
   * The inverse of `key` for numeric keys (with `canonical`, of `canonicalKey`: then any state of
   * the orbit will do). With it the explorer stores no state objects at all: the frontier is a
   * run of packed keys, decoded on demand. `aux` is what `aux` returned for the state stored
   * under `k` (0 without `aux`).
   */
  fromKey?(k: number, aux: number, canonical: boolean): S;
  /**
   * A non-negative int32 the explorer keeps beside each stored key and hands back to `fromKey`:
   * for what a state carries but its key leaves out (a ghost that no two states' identity
   * depends on, yet invariants read). 4 bytes a state. The explorer calls it once for every
   * state it stores, before any `fromKey` of that state's key (a model may finish its decoding
   * tables there: src/xenExplore/model.ts does).
   */
  aux?(s: S): number;
  /**
   * True when `fromKey` needs no table of this model instance: a key names the same state in
   * every thread (the core model's keys are its states). Only such a model's search can be
   * split across threads by state (src/explore/partition.ts): a key is sent as it is.
   */
  readonly portableKeys?: boolean;
  /**
   * A 64-bit hash of the content of the state stored under key `k` (with `canonical`, a
   * `canonicalKey`'s: the orbit's), the same in every thread that met that state, whatever
   * numbers its keys are there. For a search split across threads that share a table of
   * fingerprints: equal fingerprints are taken as equal states, so two states whose
   * fingerprints collide would be merged (with n states the chance of any collision is about
   * n²/2^65). Never 0, below 2^64.
   */
  fingerprint?(k: number, canonical: boolean): bigint;
  readonly invariants: readonly Invariant<S>[];
  /**
   * A canonical representative of `s`'s orbit under the model's symmetry group. Sound only if
   * `step` and every invariant are equivariant under that group (see src/core/symmetry.ts).
   */
  symmetry?(s: S): S;
  /**
   * `key(symmetry(s))`, computed without building the representative. With it the search stores
   * and expands the first state of each orbit it meets, as found, and never calls `symmetry`:
   * sound for the same reason the quotient is (every state of an orbit behaves alike).
   */
  canonicalKey?(s: S): StateKey;
  /** Bytes the model holds to compute keys (interning tables, ...), counted in the search's
   * bytes per state beside the visited set's. */
  keyBytes?(): number;
  formatAction?(a: A): string;
  formatState?(s: S): string;
}
