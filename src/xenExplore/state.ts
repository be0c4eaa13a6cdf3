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
 * A XenState the adapter built, with room for the id vectors of its exact and orbit keys
 * (src/model/packedKey.ts), filled when first asked for. Why on the object? The search keeps the
 * states of two levels anyway, and a child's key reuses its parent's ids for every part the step
 * did not change; a WeakMap from states to vectors made V8's garbage collector a quarter of the
 * search. Private fields: invisible to structural comparisons (toEqual).
 */
export class XenNode implements XenState {
  #exact: number[] | undefined;
  #orbit: number[] | undefined;

  constructor(
    readonly model: ModelState,
    readonly collected: number,
  ) {}

  /** The id vector kept on `s` (exact or orbit), if `s` is a XenNode that has one. */
  static ids(s: XenState, orbit: boolean): number[] | undefined {
    if (!(s instanceof XenNode)) return undefined;
    return orbit ? s.#orbit : s.#exact;
  }

  /** Keep `ids` on `s` when it is a XenNode. */
  static keep(s: XenState, orbit: boolean, ids: number[]): void {
    if (!(s instanceof XenNode)) return;
    if (orbit) s.#orbit = ids;
    else s.#exact = ids;
  }
}

export function collectedBit(b: XenBounds, dom: number, ref: number): number {
  return 2 ** (dom * b.refs + (ref - FIRST_REF));
}

export function isCollected(b: XenBounds, s: XenState, dom: number, ref: number): boolean {
  return Math.floor(s.collected / collectedBit(b, dom, ref)) % 2 === 1;
}
