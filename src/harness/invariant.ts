// The contract of the invariant catalogue (properties/invariants): a state invariant is checked on
// the model state and, independently, on the impl's own data structures after every step; a step
// property is checked on every transition (before, op, result, after), once the impl's result
// and state are known to equal the model's. A check returns null when it holds, or one line
// saying what is wrong.

import type { XenDomain } from '../impl/index.ts';
import type { DomainState, ModelState } from '../model/state.ts';
import type { Op } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';
import type { ImplView } from './implView.ts';
import type { ReadName } from './reads.ts';

export type CheckMessage = string | null;

export interface StateInvariant {
  readonly name: string;
  /** One line: what must hold. */
  readonly statement: string;
  /** Where the rule comes from: the Xen (or guest-library) file and function, and the XSA or
   * commit where the rule came from one. */
  readonly source: string;
  readonly onModel: (state: ModelState) => CheckMessage;
  readonly onImpl: (view: ImplView) => CheckMessage;
  /** The parts of the state both checks read (./reads.ts): after a step that changed none of
   * them, the invariant still holds and is not re-run. */
  readonly reads: readonly ReadName[];
  /** Present when the invariant holds iff it holds for each domain on that domain's own parts:
   * then only the domains whose parts changed are re-checked. */
  readonly perDomain?: DomainChecks;
  /** Optional, the model side's incremental check: given a state `held` on which `onModel`
   * held, true only if `onModel` holds on `state` too, looking only at what changed since
   * (`held` and `state` share what a step did not change). May answer false when it does hold
   * (something it cannot vouch for cheaply): the checker then runs `onModel`, which decides and
   * names the problem. It may rely on this invariant alone having held on `held`. */
  readonly onModelSince?: (held: ModelState, state: ModelState) => boolean;
}

/** An invariant's check of one domain, reading only that domain's own parts. */
export interface DomainChecks {
  readonly onModel: (domain: DomainState) => CheckMessage;
  readonly onImpl: (view: ImplView, domain: XenDomain) => CheckMessage;
}

/** A per-domain invariant: it holds when `perDomain` holds on every domain, in domain order. */
export function domainInvariant(
  spec: Omit<StateInvariant, 'onModel' | 'onImpl' | 'perDomain'> & { perDomain: DomainChecks },
): StateInvariant {
  if (spec.reads.includes('frames') || spec.reads.includes('contents')) {
    throw new Error(`invariant ${spec.name}: frames and contents are system-wide, not a domain's`);
  }
  const { perDomain } = spec;
  return {
    ...spec,
    onModel: (state) => firstProblem(state.domains, (d) => perDomain.onModel(d)),
    onImpl: (view) => firstProblem(view.domains, (d) => perDomain.onImpl(view, d)),
  };
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
