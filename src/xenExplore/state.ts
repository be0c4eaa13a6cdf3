// The state the Xen-level explorer walks: the reference model's ModelState plus one ghost of
// the guest library, the completed transfers it has already collected (end_transfer).

import type { ModelState } from '../model/state.ts';
import type { XenBounds } from './bounds.ts';
import { FIRST_REF } from './bounds.ts';

export interface XenState {
  readonly model: ModelState;
  /**
   * Bit `dom * refs + (ref - FIRST_REF)`: the guest has read the frame of this completed
   * transfer (end_transfer returned `completed`) and handed the ref back to its allocator.
   * Why a ghost? Xen leaves a completed entry as it is; only the guest knows it is done with it,
   * and the core model's end_transfer (transfer-done -> free) is exactly that knowledge.
   * Kept only under the protocol alphabet; always 0 under the full one.
   */
  readonly collected: number;
}

/**
 * What the adapter keeps on a XenState it built: its exact and orbit keys
 * (src/model/packedKey.ts) and, for a state being expanded, their id vectors: a child's key
 * reuses its parent's ids for every part the step did not change. Why on the object? A WeakMap
 * from states to keys made V8's garbage collector a quarter of the search. Why an owner? Ids are
 * a packer's own numbering: a state keyed by one model and handed to another (two searches, two
 * configs) must not reuse them, so everything kept belongs to `owner` and is dropped when another
 * owner asks. Private fields: invisible to structural comparisons (toEqual).
 */
abstract class KeyedNode implements XenState {
  #owner: object | undefined;
  #exactKey = -1;
  #orbitKey = -1;
  #exactIds: number[] | undefined;
  #orbitIds: number[] | undefined;
  /** Decoded from a key (fromKey) by this owner, with its exact (0) or orbit (1) packer; -1:
   * not. A decoded state's parts are that packer's first objects of their ids, so an id names
   * the very object (what the step memo relies on). */
  #decoded = -1;
  /** The state `owner`'s step made this one from (see `parentOf`). */
  #parent: XenState | undefined;

  abstract readonly model: ModelState;

  constructor(readonly collected: number) {}

  /** The key `owner` kept on `s` (exact or orbit), or -1. */
  static key(s: XenState, owner: object, orbit: boolean): number {
    if (!(s instanceof KeyedNode) || s.#owner !== owner) return -1;
    return orbit ? s.#orbitKey : s.#exactKey;
  }

  /** The id vector `owner` kept on `s`, if any. */
  static ids(s: XenState, owner: object, orbit: boolean): number[] | undefined {
    if (!(s instanceof KeyedNode) || s.#owner !== owner) return undefined;
    return orbit ? s.#orbitIds : s.#exactIds;
  }

  /** The state whose step by `owner` made `s`, if any: the model's invariant checks re-run only
   * what the step changed when that state was decoded (a stored state, which passed them). */
  static parentOf(s: XenState, owner: object): XenState | undefined {
    return s instanceof KeyedNode && s.#owner === owner ? s.#parent : undefined;
  }

  /** Record that `owner`'s step made `s` from `parent`. */
  static setParent(s: XenState, owner: object, parent: XenState): void {
    if (!(s instanceof KeyedNode)) return;
    if (s.#owner !== owner) KeyedNode.keep(s, owner, false, -1);
    s.#parent = parent;
  }

  /** Which of `owner`'s packers decoded `s` (0 exact, 1 orbit; see `keep`), or -1. */
  static decodedBy(s: XenState, owner: object): number {
    return s instanceof KeyedNode && s.#owner === owner ? s.#decoded : -1;
  }

  /** Keep `owner`'s key of `s` and, when given, its id vector (whose first element is the key);
   * whatever another owner kept goes. `decoded`: `s` is what `owner` decoded from that key. */
  static keep(
    s: XenState,
    owner: object,
    orbit: boolean,
    key: number,
    ids?: number[],
    decoded = false,
  ): void {
    if (!(s instanceof KeyedNode)) return;
    if (s.#owner !== owner) {
      s.#owner = owner;
      s.#exactKey = -1;
      s.#orbitKey = -1;
      s.#exactIds = undefined;
      s.#orbitIds = undefined;
      s.#decoded = -1;
      s.#parent = undefined;
    }
    if (decoded) s.#decoded = orbit ? 1 : 0;
    if (orbit) {
      s.#orbitKey = key;
      if (ids) s.#orbitIds = ids;
    } else {
      s.#exactKey = key;
      if (ids) s.#exactIds = ids;
    }
  }
}

/** A XenState the adapter built. */
export class XenNode extends KeyedNode {
  constructor(
    readonly model: ModelState,
    collected: number,
  ) {
    super(collected);
  }
}

/**
 * A successor whose key the step memo knew (./stepMemo.ts): its model state is built, by the
 * model's own step, only when something reads it (a new state's invariants and ghost, a
 * transition check). Most successors are states seen before, and only their key is read.
 */
export class PendingNode extends KeyedNode {
  #model: ModelState | undefined;
  #make: (() => ModelState) | undefined;

  constructor(make: () => ModelState, collected: number) {
    super(collected);
    this.#make = make;
  }

  get model(): ModelState {
    if (this.#model === undefined) {
      this.#model = (this.#make as () => ModelState)();
      this.#make = undefined;
    }
    return this.#model;
  }

  /** Not made yet? */
  get pending(): boolean {
    return this.#model === undefined;
  }

  /** The state `make` would give, made already by whoever asks (the same step, for its result):
   * it is not made twice. */
  settle(model: ModelState): void {
    if (this.#model !== undefined) return;
    this.#model = model;
    this.#make = undefined;
  }
}

export function collectedBit(b: XenBounds, dom: number, ref: number): number {
  return 2 ** (dom * b.refs + (ref - FIRST_REF));
}

export function isCollected(b: XenBounds, s: XenState, dom: number, ref: number): boolean {
  return Math.floor(s.collected / collectedBit(b, dom, ref)) % 2 === 1;
}
