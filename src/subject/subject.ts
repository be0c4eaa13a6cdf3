// The system under test as the engines see it. A Subject applies ops and reports results, and
// may report its state in the model's vocabulary (the abstraction is the subject's job): all of
// it, a declared part of it (a real hypervisor cannot show its private pins, a guest library has
// no maptrack), or none (results only). The Checker compares exactly what is declared. The
// built-in impl is one Subject (./impl.ts); a fault is the impl with one part replaced.

import type { GrantConfig } from '../config.ts';
import type { ModelState } from '../model/state.ts';
import type { OpKind } from '../ops/op.ts';
import type { Op } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';
import type { InvariantSubject } from '../harness/checker.ts';
import type { Reads } from '../harness/reads.ts';

/** A subject misbehaved (a malformed, late or missing message; a crashed child): one line for
 * the user, reported like bad input (exit 2). */
export class SubjectError extends Error {}

/** The parts of a ModelState a subject can report (the ghost `rawWritten` is always the
 * model's own: no real system records which entries a guest wrote by hand). */
export const STATE_PARTS = [
  'entries', // each domain's shared grant entries
  'active', // Xen's active entries: pins, grantee, frame
  'grantFrames', // nr_grant_frames / max_grant_frames
  'maptrack', // each mapping domain's maptrack: live handles and the free list
  'p2m', // each domain's gfn -> mfn
  'hostMappings', // PV page-table slots holding grant mappings
  'totPages', // tot_pages / max_pages
  'frames', // the owner of every page
  'contents', // the bytes of every page, by MFN
] as const;

export type StatePart = (typeof STATE_PARTS)[number];

/** A state a subject starts from: the given parts of `state` (it may know more of its state at
 * a start than it reports after each op, such as a maptrack it has just put in order). */
export interface StartState {
  readonly state: ModelState;
  readonly parts: readonly StatePart[];
}

/** An opaque saved state of one subject, restorable into the same subject. */
export interface SubjectSnapshot {
  readonly subject: string;
}

/** The checks a subject's own data structures support: the invariant catalogue's impl-side
 * checks, for a subject whose internals grantcheck can read (the built-in impl). */
export interface SubjectInternals {
  /** The invariant checks' view of the current state; `rescan`: derive nothing from earlier
   * steps (every scan done in full, for checking that keeping them changes no verdict). */
  view(rescan?: boolean): InvariantSubject;
  /** What the checks read, for re-checking only what a step changed (../harness/reads.ts). */
  reads(): Reads;
}

/** One live instance of the system under test, in some state. */
export interface Subject {
  /** Apply one op (of a kind in the factory's `opKinds`) and return its result. */
  apply(op: Op): OpResult;
  /** The current state in the model's vocabulary; only the declared parts are read, and only
   * when some are declared. */
  state(): ModelState;
  /** The ops the engine will apply next, in this order, unless a check fails first: then the
   * instance is only closed or left for a newer one, never applied to again. A subject may
   * begin them early (a subject in another process sends them ahead of their answers, so that
   * its work overlaps the engine's checks). Optional: the others apply each op when asked. */
  announce?(ops: readonly Op[]): void;
  /** Save and restore (optional: without them the explorer re-applies ops from the start). */
  snapshot?(): SubjectSnapshot;
  restore?(snapshot: SubjectSnapshot): void;
  /** Does the instance hold exactly the state `snapshot` saved, so that restoring it would
   * change nothing? Optional, and may answer false when it cannot tell cheaply (the explorer's
   * conformance mode then checks the transition in full). */
  holds?(snapshot: SubjectSnapshot): boolean;
  readonly internals?: SubjectInternals;
  /** Where this instance starts, when not in the config's initial state (a real system that
   * cannot undo everything a run did, such as growing a grant table or its maptrack). The
   * model starts there too (./observe.ts startingState). */
  readonly start?: StartState;
  /** Release what the instance holds (a child process, a VM); idempotent. */
  close?(): void;
}

/** A kind of system under test: what it implements and reports, and how to start one. */
export interface SubjectFactory {
  /** Short name for reports ("impl", "impl+xsa-218-unmap-double-free", a command line). */
  readonly name: string;
  /** The op kinds it implements: the others are left out of generation and exploration. */
  readonly opKinds: readonly OpKind[];
  /** The state parts it reports (empty: results only). */
  readonly observes: readonly StatePart[];
  /** Do its instances offer `internals` (the impl-side invariant checks)? */
  readonly hasInternals: boolean;
  /** Is `state()` a complete ModelState, the model's ghost variables (`rawWritten`) and fixed
   * fields included (the built-in impl's abstract())? Then it is compared as it is; otherwise
   * the declared parts are laid over the model's state (./observe.ts). */
  readonly completeState?: boolean;
  /** A fresh instance in the initial state of `config`. */
  create(config: GrantConfig): Subject;
  /** Why the subject's process was started afresh so far (a reset answered `restart`), in
   * order; absent for subjects that never restart. */
  restarts?(): readonly string[];
}

/** Does the subject report every part of the state? */
export function observesAll(factory: SubjectFactory): boolean {
  return STATE_PARTS.every((p) => factory.observes.includes(p));
}

/** Is the subject's `state()` compared as it is (see `completeState`)? */
export function comparesWholeState(factory: SubjectFactory): boolean {
  return factory.completeState === true && observesAll(factory);
}

/** Why `factory` cannot run `ops` (null: it can): the first op of a kind it does not implement.
 * Such an op is refused before the run, never sent: a subject answers it with some other kind
 * of result, or not at all, and the mismatch would read as the subject's bug. */
export function lackedKindProblem(
  factory: Pick<SubjectFactory, 'name' | 'opKinds'>,
  ops: readonly Op[],
  noun: 'op' | 'step',
): string | null {
  const i = ops.findIndex((op) => !factory.opKinds.includes(op.kind));
  const op = ops[i];
  if (op === undefined) return null;
  return `${noun} ${i + 1}: ${lacksKind(factory, op.kind)}`;
}

/** "the subject NAME has no op kind 'K' (it has …)". */
export function lacksKind(factory: Pick<SubjectFactory, 'name' | 'opKinds'>, kind: OpKind): string {
  return `the subject ${factory.name} has no op kind '${kind}' (it has ${factory.opKinds.join(', ')})`;
}

/** What the checks compare against this subject, for every report: one line. */
export function describeComparison(factory: SubjectFactory): string {
  const state = observesAll(factory)
    ? 'the whole state'
    : factory.observes.length === 0
      ? 'no state'
      : `the state's ${factory.observes.join(', ')}`;
  const internals = factory.hasInternals ? ', every invariant on its internals' : '';
  return `${factory.name}: results, ${state}${internals}`;
}
