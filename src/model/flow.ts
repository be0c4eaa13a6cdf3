// Ghost state for the information-flow invariant (docs/semantics.md §15): no Xen counterpart.
// Per frame: the stores into it that crossed a domain boundary (origin labels), and the domains a
// grant or a transfer let read it or write it (permits). Not part of the state's key: the ghost
// observes the model, it does not distinguish its states.

import type { DomId, Mfn } from '../ops/op.ts';
import type { ModelState } from './state.ts';
import { editState, mapWith, mapWithout } from './update.ts';

export interface FlowGhost {
  /** Per frame: its origin labels (flowLabel), sorted, no duplicates; absent when none. */
  readonly labels: ReadonlyMap<Mfn, readonly number[]>;
  /** Per frame: permitBits of the domains it may flow to (read) and from (write); absent: 0. */
  readonly permits: ReadonlyMap<Mfn, number>;
}

/** Domain ids a permit word can name: config.domains is at most 16. */
export const MAX_FLOW_DOMAINS = 16;

/** The origin of a store's bytes when they came from the storing domain itself (its CPU, or a
 * frame it owned at the time), not from another domain's frame. */
export const OWN_BYTES = -1;

/** An origin label: domain `mover` stored, into the labelled frame, bytes read from frame
 * `origin` (OWN_BYTES: its own). One number, so that a frame's labels are a sorted array. */
export function flowLabel(origin: Mfn | typeof OWN_BYTES, mover: DomId): number {
  return (origin + 1) * MAX_FLOW_DOMAINS + mover;
}

export function labelOrigin(label: number): Mfn | typeof OWN_BYTES {
  return Math.floor(label / MAX_FLOW_DOMAINS) - 1;
}

export function labelMover(label: number): DomId {
  return label % MAX_FLOW_DOMAINS;
}

/** A frame's permit bit for domain `d`: bit d lets the frame's bytes flow to d (a readable
 * grant, a transfer), bit 16 + d lets d's bytes flow into the frame (a writable grant). */
export function permitBit(d: DomId, write: boolean): number {
  if (d < 0 || d >= MAX_FLOW_DOMAINS) return 0;
  return (1 << (write ? MAX_FLOW_DOMAINS + d : d)) >>> 0;
}

/** `labels` with `label` added, sorted (the same array when it is there already). */
export function labelsWith(labels: readonly number[], label: number): readonly number[] {
  let i = 0;
  while (i < labels.length && (labels[i] ?? 0) < label) i++;
  if (labels[i] === label) return labels;
  return [...labels.slice(0, i), label, ...labels.slice(i)];
}

const EMPTY: FlowGhost = { labels: new Map(), permits: new Map() };

export function flowOf(state: ModelState): FlowGhost {
  return state.flow ?? EMPTY;
}

function withFlowGhost(state: ModelState, flow: FlowGhost): ModelState {
  return editState(state, (s) => {
    s.flow = flow;
  });
}

/** `state` after domain `by` stored bytes into frame `to`, read from frame `from` (undefined: its
 * own bytes, as a store from the CPU). Only a store that crosses a domain boundary is labelled:
 * bytes read from a frame `by` did not own, or stored into one it does not own. */
export function withStore(
  state: ModelState,
  to: Mfn,
  from: Mfn | undefined,
  by: DomId,
): ModelState {
  const origin = from === undefined || state.frameOwner.get(from) === by ? OWN_BYTES : from;
  if (origin === OWN_BYTES && state.frameOwner.get(to) === by) return state;
  const flow = flowOf(state);
  const old = flow.labels.get(to) ?? [];
  const labels = labelsWith(old, flowLabel(origin, by));
  if (labels === old) return state;
  return withFlowGhost(state, { labels: mapWith(flow.labels, to, labels), permits: flow.permits });
}

/** `state` with frame `mfn` permitted to flow to domain `d` (`write`: from `d` into it). */
export function withPermit(state: ModelState, mfn: Mfn, d: DomId, write: boolean): ModelState {
  const flow = flowOf(state);
  const old = flow.permits.get(mfn) ?? 0;
  const bits = (old | permitBit(d, write)) >>> 0;
  if (bits === old) return state;
  return withFlowGhost(state, { labels: flow.labels, permits: mapWith(flow.permits, mfn, bits) });
}

/** The ghost of a frame whose owner changed or that was freed: its permits end (they were its
 * old owner's grants), and so do the labels that name it as an origin (each was checked while
 * those permits held) and its own labels (checked against its old owner). */
function endedEra(flow: FlowGhost, mfn: Mfn): FlowGhost {
  let labels = mapWithout(flow.labels, mfn);
  for (const [frame, list] of labels) {
    const kept = list.filter((l) => labelOrigin(l) !== mfn);
    if (kept.length === list.length) continue;
    labels = kept.length === 0 ? mapWithout(labels, frame) : mapWith(labels, frame, kept);
  }
  return { labels, permits: mapWithout(flow.permits, mfn) };
}

/** `state` with frame `mfn` freed (free_domheap_pages scrubs it): no labels, no permits. */
export function withoutFrame(state: ModelState, mfn: Mfn): ModelState {
  const flow = flowOf(state);
  const ended = endedEra(flow, mfn);
  if (ended.labels === flow.labels && ended.permits === flow.permits) return state;
  return withFlowGhost(state, ended);
}

/** `state` with frame `mfn` transferred to domain `to`: a new era for the frame, in which `to`
 * holds the bytes the transfer let it read (one label, one permit). */
export function withTransferred(state: ModelState, mfn: Mfn, to: DomId): ModelState {
  const ended = endedEra(flowOf(state), mfn);
  return withFlowGhost(state, {
    labels: mapWith(ended.labels, mfn, [flowLabel(mfn, to)]),
    permits: mapWith(ended.permits, mfn, permitBit(to, false)),
  });
}
