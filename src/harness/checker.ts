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
import type { Reads } from './reads.ts';
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
    const verdict = (violation: Violation | null): StepVerdict => ({
      modelResult,
      implResult,
      modelState,
      implState,
      violation,
    });

    if (!resultsEqual(modelResult, implResult)) return verdict({ check: 'result-mismatch' });
    if (!statesEqual(modelState, implState)) {
      return verdict({ check: 'state-mismatch', diff: diffStates(modelState, implState) });
    }
    const invariantViolation = this.checkStateInvariants();
    if (invariantViolation) return verdict(invariantViolation);
    for (const property of this.options.properties) {
      const onModel = property.check({ before, op, result: modelResult, after: modelState });
      if (onModel !== null) {
        return verdict({
          check: 'step-property',
          name: property.name,
          side: 'model',
          message: onModel,
        });
      }
      const onImpl = property.check({ before, op, result: implResult, after: implState });
      if (onImpl !== null) {
        return verdict({
          check: 'step-property',
          name: property.name,
          side: 'impl',
          message: onImpl,
        });
      }
    }
    return verdict(null);
  }

  /** What the invariants read after the last step at which they all held. */
  private heldModelReads: Reads | undefined;
  private heldImplReads: Reads | undefined;

  private checkStateInvariants(): Violation | null {
    const view = new ImplView(this.impl);
    const { invariants, noMemo } = this.options;
    const modelNow = modelReads(this.modelState);
    const implNow = implReads(this.impl);
    const modelChanged = changedReads(noMemo ? undefined : this.heldModelReads, modelNow);
    const implChanged = changedReads(noMemo ? undefined : this.heldImplReads, implNow);
    for (const invariant of invariants) {
      if (invariant.reads.some((r) => modelChanged.has(r))) {
        const onModel = invariant.onModel(this.modelState);
        if (onModel !== null) {
          return { check: 'invariant', name: invariant.name, side: 'model', message: onModel };
        }
      }
      if (invariant.reads.some((r) => implChanged.has(r))) {
        const onImpl = invariant.onImpl(view);
        if (onImpl !== null) {
          return { check: 'invariant', name: invariant.name, side: 'impl', message: onImpl };
        }
      }
    }
    this.heldModelReads = modelNow;
    this.heldImplReads = implNow;
    return null;
  }
}
