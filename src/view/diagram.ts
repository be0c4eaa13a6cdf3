// The trace viewer's sequence diagram as data: its lanes (one per domain, one per actor of an
// interleaved run, and Xen) and one row per step, an arrow from the caller's lane to the op's
// target with both results. Pure: the page (./html.ts) only draws what this computes.

import type { Op } from '../ops/op.ts';
import { actingDomain, isHypercall } from '../ops/op.ts';
import { actorName } from '../interleave/scenario.ts';

export interface Lane {
  /** `d1`, `a0` (an actor of an interleaved run) or `xen`. */
  readonly id: string;
  readonly label: string;
  readonly kind: 'domain' | 'actor' | 'xen';
}

export const XEN_LANE = 'xen';

/** One arrow of the diagram. */
export interface DiagramRow {
  /** 1-based position in the diagram (setup rows first): the state panel after it is
   * panels[step]. */
  readonly step: number;
  /** The step's number as the verdict and `grantcheck replay` count it: `3`, or `s1` for the
   * first op of an interleaved run's setup. */
  readonly number: string;
  /** `setup` for an interleaved run's sequential setup. */
  readonly phase: 'setup' | 'run';
  readonly from: string;
  readonly to: string;
  readonly label: string;
  /** The model's result; absent where there is none (a step of an interleaved run). */
  readonly model?: string;
  /** The impl's result; absent on a step where the op did not return. */
  readonly impl?: string;
  /** Model and impl returned different results. */
  readonly mismatch: boolean;
  /** On the failing step: the failing check and why. */
  readonly failure?: string;
}

/** The lanes: every domain (each followed by its actors, for an interleaved run), then Xen. */
export function lanesOf(
  domains: number,
  actors: readonly { readonly dom: number; readonly vcpu?: number }[] = [],
): Lane[] {
  const lanes: Lane[] = [];
  for (let d = 0; d < domains; d++) {
    lanes.push({ id: `d${d}`, label: `d${d}${d === 0 ? ' (dom0)' : ''}`, kind: 'domain' });
    actors.forEach((a, i) => {
      if (a.dom === d) lanes.push({ id: `a${i}`, label: `a${i}: ${actorName(a)}`, kind: 'actor' });
    });
  }
  lanes.push({ id: XEN_LANE, label: 'Xen', kind: 'xen' });
  return lanes;
}

/** Where an op's arrow goes: a hypercall to Xen; granting access or a transfer slot to the
 * grantee (the entry is written for it); every other guest-library call to the guest itself. */
export function opTarget(op: Op, domains: number): string {
  if (isHypercall(op)) return XEN_LANE;
  // A grantee that does not exist (a guest may name any domid) has no lane: a self-arrow.
  const grantee = op.kind === 'grant_access' || op.kind === 'grant_transfer' ? op.grantee : op.dom;
  return grantee >= 0 && grantee < domains ? `d${grantee}` : `d${op.dom}`;
}

/** A step of a sequential run, as replay computed it. */
export interface SequentialStep {
  readonly op: Op;
  readonly text: string;
  readonly model: string;
  readonly impl: string;
  readonly mismatch: boolean;
  readonly failure?: string;
}

/** The rows of a sequential run (or of an interleaved run's setup: `phase`), at diagram steps
 * from `first`. */
export function sequentialRows(
  steps: readonly SequentialStep[],
  domains: number,
  phase: DiagramRow['phase'] = 'run',
  first = 1,
): DiagramRow[] {
  return steps.map((s, i) => ({
    step: first + i,
    number: `${phase === 'setup' ? 's' : ''}${i + 1}`,
    phase,
    from: `d${actingDomain(s.op)}`,
    to: opTarget(s.op, domains),
    label: s.text,
    model: s.model,
    impl: s.impl,
    mismatch: s.mismatch,
    ...(s.failure === undefined ? {} : { failure: s.failure }),
  }));
}

/** A step of an interleaved run: which actor moved, in which op, what it did, and the op's
 * result when it returned in this step. */
export interface InterleavedStep {
  readonly actor: number;
  /** The op in flight (the actor's op that this step began or continued). */
  readonly op: Op;
  readonly text: string;
  readonly impl?: string;
}

/** The rows of an interleaved run's schedule, at diagram steps from `first` (numbered from 1,
 * as schedule positions are in the verdict); the failing step (a
 * 0-based schedule position) carries `failure`. An arrow goes from the actor's lane to the
 * target of its op in flight. */
export function interleavedRows(
  steps: readonly InterleavedStep[],
  domains: number,
  first: number,
  failing?: { readonly position: number; readonly text: string },
): DiagramRow[] {
  return steps.map((s, i) => {
    const target = opTarget(s.op, domains);
    const row: DiagramRow = {
      step: first + i,
      number: `${i + 1}`,
      phase: 'run',
      from: `a${s.actor}`,
      // The actor's own domain is the actor's lane: a self-arrow stays on it.
      to: target === `d${actingDomain(s.op)}` ? `a${s.actor}` : target,
      label: s.text,
      ...(s.impl === undefined ? {} : { impl: s.impl }),
      mismatch: false,
    };
    return failing?.position === i ? { ...row, failure: failing.text } : row;
  });
}
