// The explorer's column of the kill report: the shortest counterexample the Xen-level explorer
// (src/xenExplore, conformance mode over the faulted impl) finds within its bounds, over the
// alphabet the fault's `search` declares: the full alphabet cut to the op kinds the bug needs,
// plus the op families (extensions) and bounds it needs. Why cut? The full alphabet offers about
// a hundred ops in every state, and breadth-first search pays for all of them at every depth.

import { explore } from '../explore/index.ts';
import type { StateInvariant, StepProperty } from '../harness/invariant.ts';
import { DEFAULT_XEN_BOUNDS, XenConformance, xenModel } from '../xenExplore/index.ts';
import type { Fault } from './fault.ts';
import { faultSubject } from './fault.ts';

export type ExplorerResult =
  | {
      readonly kind: 'caught';
      /** Ops in the shortest counterexample (breadth-first: no shorter one exists in bounds). */
      readonly length: number;
      readonly violated: string;
      readonly states: number;
      readonly elapsedMs: number;
      readonly model: string;
    }
  | {
      /** No counterexample: the whole bounded space (`complete`), or every state up to `depth`. */
      readonly kind: 'none';
      readonly complete: boolean;
      readonly depth: number;
      readonly states: number;
      readonly elapsedMs: number;
      readonly model: string;
    };

export interface ExploreFaultOptions {
  readonly invariants: readonly StateInvariant[];
  readonly properties: readonly StepProperty[];
  readonly timeBudgetMs: number;
  /** Called every quarter second of the search (progress, and the CLI's Ctrl-C check). */
  readonly onTick?: () => void;
}

export function exploreFault(fault: Fault, options: ExploreFaultOptions): ExplorerResult {
  // The default bounds (the full alphabet), cut to the fault's `search`.
  const { kinds, ...extras } = fault.search;
  const model = xenModel(DEFAULT_XEN_BOUNDS, {
    invariants: options.invariants,
    ...extras,
    opKinds: kinds,
    pteMaps: true,
    // conformance compares every byte of the state with the impl's
    quotients: false,
  });
  const conformance = new XenConformance(model, {
    invariants: options.invariants,
    properties: options.properties,
    subject: faultSubject(fault),
  });
  const outcome = explore(model, {
    symmetry: true,
    timeBudgetMs: options.timeBudgetMs,
    onTransition: conformance.check,
    ...(options.onTick === undefined
      ? {}
      : { onProgress: options.onTick, progressIntervalMs: 250 }),
  });
  const { states, elapsedMs } = outcome.stats;
  const name = `${model.name} ${kinds.join(',')}`;
  switch (outcome.kind) {
    case 'violation':
      return {
        kind: 'caught',
        length: outcome.path.length,
        violated: outcome.violated.name,
        states,
        elapsedMs,
        model: name,
      };
    case 'ok':
      return {
        kind: 'none',
        complete: true,
        depth: outcome.stats.maxDepth,
        states,
        elapsedMs,
        model: name,
      };
    case 'limit':
      return {
        kind: 'none',
        complete: false,
        depth: outcome.depth,
        states,
        elapsedMs,
        model: name,
      };
  }
}
