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

export function collectedBit(b: XenBounds, dom: number, ref: number): number {
  return 2 ** (dom * b.refs + (ref - FIRST_REF));
}

export function isCollected(b: XenBounds, s: XenState, dom: number, ref: number): boolean {
  return Math.floor(s.collected / collectedBit(b, dom, ref)) % 2 === 1;
}
