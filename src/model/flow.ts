// Ghost state for the information-flow invariant (docs/semantics.md §15): no Xen counterpart.
// Each frame's origin labels (the domains whose stores produced its bytes, or whose bytes a copy
// brought there) and the flows a grant or a transfer permitted (permitted[x] has bit y: data
// may have moved from y to x). Both are bit masks by domid (config.domains <= 16). Not part of
// the state's key: the ghost observes the model, it does not distinguish its states.

import type { DomId, Mfn } from '../ops/op.ts';
import { mapWith, mapWithout } from './update.ts';
import type { ModelState } from './state.ts';

export interface FlowGhost {
  readonly labels: ReadonlyMap<Mfn, number>;
  readonly permitted: readonly number[];
}

const EMPTY: FlowGhost = { labels: new Map(), permitted: [] };

export function flowOf(state: ModelState): FlowGhost {
  return state.flow ?? EMPTY;
}

export function labelBit(d: DomId): number {
  return d >= 0 && d < 32 ? (1 << d) >>> 0 : 0;
}

export function labelsAt(state: ModelState, mfn: Mfn): number {
  return flowOf(state).labels.get(mfn) ?? 0;
}

/** `state` with `mask` added to frame `mfn`'s origin labels. */
export function withLabels(state: ModelState, mfn: Mfn, mask: number): ModelState {
  const flow = flowOf(state);
  const old = flow.labels.get(mfn) ?? 0;
  if ((old | mask) === old) return state;
  return { ...state, flow: { ...flow, labels: mapWith(flow.labels, mfn, (old | mask) >>> 0) } };
}

/** `state` with frame `mfn`'s labels gone (a freed page is scrubbed). */
export function withoutLabels(state: ModelState, mfn: Mfn): ModelState {
  const flow = flowOf(state);
  if (!flow.labels.has(mfn)) return state;
  return { ...state, flow: { ...flow, labels: mapWithout(flow.labels, mfn) } };
}

/** `state` with the flow `from` → `to` permitted. */
export function withFlow(state: ModelState, from: DomId, to: DomId): ModelState {
  const flow = flowOf(state);
  const old = flow.permitted[to] ?? 0;
  const bit = labelBit(from);
  if (from === to || (old & bit) !== 0 || to < 0 || to >= 32) return state;
  const permitted = [...flow.permitted];
  while (permitted.length < to) permitted.push(0);
  permitted[to] = (old | bit) >>> 0;
  return { ...state, flow: { ...flow, permitted } };
}
