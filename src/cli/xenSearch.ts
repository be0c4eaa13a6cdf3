// A Xen-level search as `grantcheck explore --model xen` runs it: the model built from the
// command's bounds, and the per-transition checks (conformance against a subject, refinement
// against the core model), optionally only for the parents one shard owns. Shared by the
// command's own thread and its worker threads (src/cli/workers/exploreJob.ts), so that every
// shard builds exactly the search the command would.

import type { ExploreOptions } from '../explore/index.ts';
import type { Op, OpKind } from '../ops/op.ts';
import { RefinementCheck } from '../refinement/index.ts';
import type { SubjectFactory } from '../subject/subject.ts';
import type {
  TransitionShard,
  XenBounds,
  XenExploreModel,
  XenExtras,
  XenPresetName,
  XenState,
} from '../xenExplore/index.ts';
import { ownsParent, XenConformance, xenModel } from '../xenExplore/index.ts';
import { INVARIANTS } from '../../properties/invariants/index.ts';
import { STEP_PROPERTIES } from '../../properties/invariants/stepProperties.ts';

/** What the Xen-level flags ask for: bounds, the op families and slack, the kinds cut, and the
 * preset they started from. Plain data: a worker thread is sent it as it is. */
export interface XenRequest {
  readonly xb: XenBounds;
  readonly extras: XenExtras;
  readonly kinds: readonly OpKind[] | undefined;
  /** GNTMAP_contains_pte maps, where the subject has unmap_and_replace (a preset may drop them). */
  readonly pteMaps: boolean;
  readonly preset: XenPresetName | undefined;
}

export interface XenSearch {
  readonly model: XenExploreModel;
  readonly conformance: XenConformance | undefined;
  readonly refinement: RefinementCheck | undefined;
  /** Both checks in one explorer hook, undefined when neither is on. */
  readonly onTransition: ExploreOptions<XenState, Op>['onTransition'];
}

export interface XenChecks {
  /** Apply every transition to the subject (a fault or a subject implies it). */
  readonly conformance: boolean;
  readonly refinement: boolean;
  /** Check only the transitions out of this shard's parents (src/xenExplore/conformance.ts). */
  readonly shard?: TransitionShard;
}

/** The model alone, as the search with these checks builds it. */
export function xenModelFor(
  subject: SubjectFactory,
  request: XenRequest,
  conformance: boolean,
): XenExploreModel {
  const { xb, kinds } = request;
  return xenModel(xb, {
    invariants: INVARIANTS,
    // conformance compares every byte of the state with the impl's (src/xenExplore/quotients.ts)
    // and keeps the impl of the state as found, not of its orbit's least member
    // (src/xenExplore/domainSymmetry.ts)
    quotients: !conformance,
    domainSymmetry: !conformance,
    ...request.extras,
    opKinds: kinds ? subject.opKinds.filter((k) => kinds.includes(k)) : subject.opKinds,
    // PTE maps unless the subject cannot unmap_and_replace (a --kinds cut keeps them) or the
    // preset leaves them out
    pteMaps: request.pteMaps && subject.opKinds.includes('unmap_and_replace'),
  });
}

export function buildXenSearch(
  subject: SubjectFactory,
  request: XenRequest,
  checks: XenChecks,
): XenSearch {
  const shard = checks.shard;
  const model = xenModelFor(subject, request, checks.conformance);
  const conformance = checks.conformance
    ? new XenConformance(model, {
        invariants: INVARIANTS,
        properties: STEP_PROPERTIES,
        subject,
        ...(shard ? { shard } : {}),
      })
    : undefined;
  const refinement = checks.refinement ? new RefinementCheck(model) : undefined;
  let onTransition: XenSearch['onTransition'];
  if (conformance && refinement) {
    // Refinement is checked where conformance is: on the parents conformance says the shard
    // owns (XenConformance.owns; of the others' it at most follows the transitions).
    onTransition = (p, a, c, ctx) =>
      conformance.check(p, a, c, ctx) ??
      (conformance.owns(p, ctx) ? refinement.check(p, a, c, ctx) : null);
  } else if (refinement) {
    onTransition = shard
      ? (p, a, c, ctx) =>
          ownsParent(shard, ctx.parentIndex) ? refinement.check(p, a, c, ctx) : null
      : refinement.check;
  } else {
    onTransition = conformance?.check;
  }
  return { model, conformance, refinement, onTransition };
}
