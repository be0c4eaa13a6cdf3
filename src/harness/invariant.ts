// The contract of the invariant catalogue (properties/invariants): a state invariant is checked on
// the model state and, independently, on the impl's own data structures after every step; a step
// property is checked on every transition (before, op, result, after), the model's and the
// impl's. A check returns null when it holds, or one line saying what is wrong.

import type { ModelState } from '../model/state.ts';
import type { Op } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';
import type { ImplView } from './implView.ts';
import type { ReadName } from './reads.ts';

export type CheckMessage = string | null;

export interface StateInvariant {
  readonly name: string;
  /** One line: what must hold. */
  readonly statement: string;
  /** Where the rule comes from (hypervisor.md §10 I-number, guest.md §6.4, …). */
  readonly source: string;
  readonly onModel: (state: ModelState) => CheckMessage;
  readonly onImpl: (view: ImplView) => CheckMessage;
  /** The parts of the state both checks read (./reads.ts): after a step that changed none of
   * them, the invariant still holds and is not re-run. */
  readonly reads: readonly ReadName[];
}

export interface Transition {
  readonly before: ModelState;
  readonly op: Op;
  readonly result: OpResult;
  readonly after: ModelState;
}

export interface StepProperty {
  readonly name: string;
  readonly statement: string;
  readonly source: string;
  readonly check: (t: Transition) => CheckMessage;
}

/** Return the first message produced by `check` over `items`, or null. */
export function firstProblem<T>(
  items: Iterable<T>,
  check: (item: T) => CheckMessage,
): CheckMessage {
  for (const item of items) {
    const problem = check(item);
    if (problem !== null) return problem;
  }
  return null;
}
