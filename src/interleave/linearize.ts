// Linearizability of an interleaved run against the sequential model: is there an order of the
// run's ops, consistent with their real-time order, in which the model gives every op the result
// the run observed and ends in the state the run ended in?
//
// The search is Wing and Gong's: repeatedly pick an op that may come next (no op still to place
// returned before it was invoked), step the model, keep the order if the result matches, back
// out if not. Porcupine's cache makes it polynomial in practice: a set of placed ops reached
// again with an equal model state is not searched twice. With at most four actors and short
// programs (issue-sized runs: tens of ops) the search is exhaustive, so "not linearizable" is a
// proof, not a timeout.

import { resultsEqual } from '../harness/results.ts';
import type { ModelState } from '../model/index.ts';
import { stateKey, statesEqual, step } from '../model/index.ts';
import type { Op } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';

/** One completed op of an interleaved run. `invoked` and `returned` are positions in the run's
 * schedule (its first and last step): op a precedes op b in real time iff a.returned <
 * b.invoked. */
export interface CompletedOp {
  readonly actor: number;
  readonly op: Op;
  readonly result: OpResult;
  readonly invoked: number;
  readonly returned: number;
  /** The entries ("dN:R") this op's compare-and-swaps set GTF_reading on: the pins it took,
   * short-lived ones included (./busy.ts). */
  readonly pinned?: readonly string[];
}

export type Linearization =
  /** `order`: indexes into the history, in the order the model explains them. */
  | { readonly kind: 'linearizable'; readonly order: readonly number[] }
  | {
      readonly kind: 'not-linearizable';
      /** The first longest order the model explains, and the ops that could come next after it,
       * none of which the model gives its observed result. */
      readonly longestOrder: readonly number[];
      readonly stuck: readonly number[];
      /** Every op was placed, but no order ends in the run's final state. */
      readonly finalStateDiffers: boolean;
      /** Model states searched (distinct placed-set and state pairs). */
      readonly searched: number;
    };

/** The most ops a history may hold: the placed set is a bit mask in one number. */
export const MAX_HISTORY = 31;

/** What op `c` did when some of its observed result is explained by other ops of `history`
 * overlapping it in real time (./busy.ts): `'no-op'`, nothing; or the op less the explained
 * batch elements, with their statuses left out of its result; `undefined`, nothing is
 * explained. Asked only where the model does not give the observed result. */
export type TransientRule = (
  c: CompletedOp,
  history: readonly CompletedOp[],
) => 'no-op' | { readonly op: Op; readonly result: OpResult } | undefined;

/** What the check compares: results and final states as they are, or as these functions
 * reduce them (./handleBlind.ts). */
export interface Comparison {
  readonly result: (r: OpResult) => OpResult;
  readonly state: (s: ModelState) => ModelState;
}

/** Find an order of `history` that the model explains from `initial`, ending in a state equal
 * to `final` when it is given. With `transient`, an op the model does not explain may still be
 * placed as what the rule says it did: nothing, or its unexplained elements only. */
export function linearize(
  initial: ModelState,
  history: readonly CompletedOp[],
  final?: ModelState,
  transient?: TransientRule,
  compare?: Comparison,
): Linearization {
  const sameResult = compare
    ? (a: OpResult, b: OpResult) => resultsEqual(compare.result(a), compare.result(b))
    : resultsEqual;
  const target = final !== undefined && compare ? compare.state(final) : final;
  const sameFinal = (s: ModelState, f: ModelState) =>
    statesEqual(compare ? compare.state(s) : s, f);
  if (history.length > MAX_HISTORY) {
    throw new Error(`linearize: ${history.length} ops (at most ${MAX_HISTORY})`);
  }
  for (const h of history) {
    if (h.returned < h.invoked) throw new Error('linearize: an op returned before its invocation');
  }
  const all = history.length === 31 ? 0x7fffffff : (1 << history.length) - 1;
  // predecessors[i]: the ops that returned before op i was invoked, which must be placed first.
  const predecessors = history.map((hi) =>
    history.reduce((mask, hj, j) => (hj.returned < hi.invoked ? mask | (1 << j) : mask), 0),
  );
  const seen = new Set<string>();
  const order: number[] = [];
  let longestOrder: number[] = [];
  let stuck: number[] = [];
  let finalStateDiffers = false;

  const search = (state: ModelState, placed: number): boolean => {
    if (placed === all) {
      if (target === undefined || sameFinal(state, target)) return true;
      finalStateDiffers = true;
      longestOrder = [...order];
      stuck = [];
      return false;
    }
    const memo = `${placed}:${stateKey(state)}`;
    if (seen.has(memo)) return false;
    seen.add(memo);
    const tried: number[] = [];
    for (let i = 0; i < history.length; i++) {
      const bit = 1 << i;
      const h = history[i];
      if ((placed & bit) !== 0 || h === undefined) continue;
      if (((predecessors[i] ?? 0) & ~placed) !== 0) continue;
      tried.push(i);
      const next = step(state, h.op);
      let after = next.state;
      if (!sameResult(next.result, h.result)) {
        const did = transient?.(h, history);
        if (did === undefined) continue;
        if (did !== 'no-op') {
          const partly = step(state, did.op);
          if (!sameResult(partly.result, did.result)) continue;
          after = partly.state;
        } else {
          after = state;
        }
      }
      order.push(i);
      if (search(after, placed | bit)) return true;
      order.pop();
    }
    if (!finalStateDiffers && (order.length > longestOrder.length || longestOrder.length === 0)) {
      longestOrder = [...order];
      stuck = tried;
    }
    return false;
  };

  if (search(initial, 0)) return { kind: 'linearizable', order: [...order] };
  return {
    kind: 'not-linearizable',
    longestOrder,
    stuck,
    finalStateDiffers,
    searched: seen.size,
  };
}
