// What a property suite is (the values live in properties/suites.ts) and what running one
// yields. Outcomes are a tagged union, as fast-check's RunDetails are.

import type fc from 'fast-check';
import type { GrantConfig } from '../config.ts';
import type { Op, OpKind } from '../ops/op.ts';
import type { OpResult } from '../ops/result.ts';
import type { Violation } from './checker.ts';
import type { StateInvariant, StepProperty } from './invariant.ts';
import type { RunReport } from './run.ts';

export interface Suite {
  readonly name: string;
  readonly description: string;
  readonly config: GrantConfig;
  /** Op kinds the suite's generators can draw from. */
  readonly opKinds: readonly OpKind[];
  /** Drawn once per run: which op kinds the run uses (swarm testing) and their generators. */
  readonly plan: fc.Arbitrary<RunPlan>;
  readonly invariants: readonly StateInvariant[];
  readonly properties: readonly StepProperty[];
  /** The fewest domains whose runs can reach what the suite is for (absent: one), and which
   * they are. With fewer the suite would pass vacuously (the death suite's kills all refused):
   * `grantcheck run` refuses it by name, and `--suite all` leaves it out. */
  readonly minDomains?: MinDomains;
  readonly defaultRuns: number;
  readonly defaultMaxOps: number;
  /** Outcomes (`op:status`) the config can produce: each must be seen across the default budget. */
  readonly expectedOutcomes: readonly string[];
  /** Coverage an op contributes by its shape, beyond its result's outcomes: batch-length
   * classes (`map_grant_ref:len=2-128`) and the statuses of GNTMAP_contains_pte elements
   * (`map_grant_ref+pte:okay`). */
  readonly opCoverage?: (op: Op, result: OpResult) => readonly string[];
}

/** The fewest domains a suite (or a pass of it) needs to reach what it is for, and which. */
export interface MinDomains {
  readonly count: number;
  readonly why: string;
}

/** How one run generates ops. */
export interface RunPlan {
  readonly kinds: readonly OpKind[];
  /** `implemented`: the kinds the subject under test declares, every kind when absent (some
   * generators hold back what a subject without a kind cannot take: GNTMAP_contains_pte maps
   * without unmap_and_replace). */
  readonly arbitrary: (kind: OpKind, implemented?: ReadonlySet<OpKind>) => fc.Arbitrary<Op>;
}

export interface SuiteStats {
  readonly runs: number;
  readonly ops: number;
  readonly elapsedMs: number;
  /** How often each `op:status` outcome occurred (hypercalls count each batch element). */
  readonly coverage: ReadonlyMap<string, number>;
}

/** fast-check's replay information for a failure: `seed` + `path` (+ `replayPath` for the
 * commands) re-run exactly the shrunk counterexample. */
export interface ReplayInfo {
  readonly seed: number;
  readonly path: string;
  readonly replayPath?: string;
}

export type SuiteOutcome =
  | { readonly kind: 'pass'; readonly stats: SuiteStats }
  | {
      readonly kind: 'coverage-gap';
      readonly stats: SuiteStats;
      readonly missing: readonly string[];
    }
  | {
      readonly kind: 'violation';
      readonly stats: SuiteStats;
      readonly replay: ReplayInfo;
      readonly ops: readonly Op[];
      readonly report: RunReport;
      readonly violation: Violation;
    };
