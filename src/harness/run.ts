// Run a fixed op sequence through the checker, recording every step: the engine behind replay,
// trace writing and the bench. Stops at the first violation.

import type { GrantConfig } from '../config.ts';
import type { ModelState } from '../model/state.ts';
import type { Op } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';
import type { SubjectFactory } from '../subject/subject.ts';
import type { Violation } from './checker.ts';
import { Checker } from './checker.ts';
import type { StateInvariant, StepProperty } from './invariant.ts';

export interface StepRecord {
  readonly op: Op;
  readonly modelResult: OpResult;
  readonly implResult: OpResult;
  readonly modelState: ModelState;
  readonly implState: ModelState;
}

export interface RunReport {
  readonly initialState: ModelState;
  readonly steps: readonly StepRecord[];
  /** The failing step (index into `steps`; -1 for the initial state) and what failed. */
  readonly failure: { readonly step: number; readonly violation: Violation } | null;
}

export interface RunOptions {
  readonly invariants: readonly StateInvariant[];
  readonly properties: readonly StepProperty[];
  /** The system under test; the built-in impl when absent. */
  readonly subject?: SubjectFactory;
}

export function runOps(config: GrantConfig, ops: readonly Op[], options: RunOptions): RunReport {
  const checker = new Checker(config, options);
  try {
    return runChecked(checker, ops);
  } finally {
    checker.close();
  }
}

function runChecked(checker: Checker, ops: readonly Op[]): RunReport {
  const initialState = checker.model;
  const initial = checker.checkInitial();
  if (initial) return { initialState, steps: [], failure: { step: -1, violation: initial } };
  checker.announce(ops);
  const steps: StepRecord[] = [];
  for (const op of ops) {
    const v = checker.apply(op);
    steps.push({
      op,
      modelResult: v.modelResult,
      implResult: v.implResult,
      modelState: v.modelState,
      implState: v.implState,
    });
    if (v.violation) {
      return { initialState, steps, failure: { step: steps.length - 1, violation: v.violation } };
    }
  }
  return { initialState, steps, failure: null };
}
