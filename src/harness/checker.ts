// The conformance checker: drives the model and the impl with the same op, then checks, in this
// order, that their results are equal, that abstract(impl) equals the model state, that every
// state invariant holds on both, and that every step property holds on both transitions.
// fast-check has no invariant hook, so the harness owns this after every step.

import type { GrantConfig } from '../config.ts';
import { abstract, GrantSystem } from '../impl/index.ts';
import type { ImplParts } from '../impl/index.ts';
import { diffStates, initialState, statesEqual, step } from '../model/index.ts';
import type { ModelState } from '../model/state.ts';
import type { Op } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';
import { ImplView } from './implView.ts';
import type { ReadName, Reads } from './reads.ts';
import { changedReads, implReads, modelReads } from './reads.ts';
import type { StateInvariant, StepProperty } from './invariant.ts';
import { resultsEqual } from './results.ts';

export type Side = 'model' | 'impl';

/** Which check failed; the trace and the report name it. */
export type Violation =
  | { readonly check: 'result-mismatch' }
  | { readonly check: 'state-mismatch'; readonly diff: readonly string[] }
  | {
      readonly check: 'invariant';
      readonly name: string;
      readonly side: Side;
      readonly message: string;
    }
  | {
      readonly check: 'step-property';
      readonly name: string;
      readonly side: Side;
      readonly message: string;
    };

export interface StepVerdict {
  readonly modelResult: OpResult;
  readonly implResult: OpResult;
  readonly modelState: ModelState;
  readonly implState: ModelState;
  readonly violation: Violation | null;
}

export interface CheckerOptions {
  readonly invariants: readonly StateInvariant[];
  readonly properties: readonly StepProperty[];
  /** Replaced pieces of the impl (a fault); the correct impl when absent. */
  readonly parts?: Partial<ImplParts>;
  /** Re-run every invariant after every step even when its reads did not change (for the
   * test that memoisation changes no verdict). */
  readonly noMemo?: boolean;
}

/** One short name for a violation, e.g. `invariant pin-accounting (impl)`. */
export function violationName(v: Violation): string {
  switch (v.check) {
    case 'result-mismatch':
      return 'result mismatch';
    case 'state-mismatch':
      return 'state mismatch';
    case 'invariant':
      return `invariant ${v.name} (${v.side})`;
    case 'step-property':
      return `step property ${v.name} (${v.side})`;
  }
}

/** One op as both sides saw it. */
export interface StepObservation {
  readonly before: ModelState;
  readonly op: Op;
  readonly modelResult: OpResult;
  readonly modelState: ModelState;
  readonly implResult: OpResult;
  readonly implState: ModelState;
}

// The checks after one op come in three stages, always in this order: outcomes (results, then
// states), state invariants, step properties. Checker runs them after every op of a run; the
// exhaustive explorer's conformance mode runs the same stages on every explored transition.

/** Stage 1: equal results, then abstract(impl) equal to the model state. */
export function compareOutcomes(o: StepObservation): Violation | null {
  if (!resultsEqual(o.modelResult, o.implResult)) return { check: 'result-mismatch' };
  if (!statesEqual(o.modelState, o.implState)) {
    return { check: 'state-mismatch', diff: diffStates(o.modelState, o.implState) };
  }
  return null;
}

/** Stage 2, one side: every invariant that reads a changed part (all, if `changed` is absent). */
export function checkInvariants(
  side: Side,
  invariants: readonly StateInvariant[],
  changed: ReadonlySet<ReadName> | undefined,
  check: (invariant: StateInvariant) => string | null,
): Violation | null {
  for (const invariant of invariants) {
    if (changed && !invariant.reads.some((r) => changed.has(r))) continue;
    const message = check(invariant);
    if (message !== null) return { check: 'invariant', name: invariant.name, side, message };
  }
  return null;
}

/** Stage 3: every step property on the model's transition and on the impl's. */
export function checkStepProperties(
  o: StepObservation,
  properties: readonly StepProperty[],
): Violation | null {
  for (const property of properties) {
    const onModel = property.check({
      before: o.before,
      op: o.op,
      result: o.modelResult,
      after: o.modelState,
    });
    if (onModel !== null) {
      return { check: 'step-property', name: property.name, side: 'model', message: onModel };
    }
    const onImpl = property.check({
      before: o.before,
      op: o.op,
      result: o.implResult,
      after: o.implState,
    });
    if (onImpl !== null) {
      return { check: 'step-property', name: property.name, side: 'impl', message: onImpl };
    }
  }
  return null;
}

export class Checker {
  readonly impl: GrantSystem;
  private modelState: ModelState;

  constructor(
    readonly config: GrantConfig,
    private readonly options: CheckerOptions,
  ) {
    this.impl = new GrantSystem(config, options.parts);
    this.modelState = initialState(config);
  }

  get model(): ModelState {
    return this.modelState;
  }

  /** Check the initial states (before any op). */
  checkInitial(): Violation | null {
    const implState = abstract(this.impl);
    if (!statesEqual(this.modelState, implState)) {
      return { check: 'state-mismatch', diff: diffStates(this.modelState, implState) };
    }
    return this.checkStateInvariants();
  }

  apply(op: Op): StepVerdict {
    const before = this.modelState;
    const { state: modelState, result: modelResult } = step(before, op);
    const implResult = this.impl.apply(op);
    const implState = abstract(this.impl);
    this.modelState = modelState;
    const observed = { before, op, modelResult, modelState, implResult, implState };
    const violation =
      compareOutcomes(observed) ??
      this.checkStateInvariants() ??
      checkStepProperties(observed, this.options.properties);
    return { modelResult, implResult, modelState, implState, violation };
  }

  /** What the invariants read after the last step at which they all held. */
  private heldModelReads: Reads | undefined;
  private heldImplReads: Reads | undefined;

  private checkStateInvariants(): Violation | null {
    const view = new ImplView(this.impl);
    const { invariants, noMemo } = this.options;
    const modelNow = modelReads(this.modelState);
    const implNow = implReads(this.impl);
    const violation =
      checkInvariants(
        'model',
        invariants,
        noMemo ? undefined : changedReads(this.heldModelReads, modelNow),
        (inv) => inv.onModel(this.modelState),
      ) ??
      checkInvariants(
        'impl',
        invariants,
        noMemo ? undefined : changedReads(this.heldImplReads, implNow),
        (inv) => inv.onImpl(view),
      );
    if (violation) return violation;
    this.heldModelReads = modelNow;
    this.heldImplReads = implNow;
    return null;
  }
}
