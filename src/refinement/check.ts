// The refinement check: every Xen-level transition the search takes must map, through
// abstractToCore, to no change or to exactly one enabled core action. Plugs into the explorer
// as its per-transition hook, next to conformance mode or alone.

import type { CoreAction, CoreActionKind, CoreModel } from '../core/index.ts';
import { coreModel, describeCoreState, formatCoreAction } from '../core/index.ts';
import type { TransitionFailure } from '../explore/index.ts';
import type { Op } from '../ops/op.ts';
import { actingDomain } from '../ops/op.ts';
import { formatOp } from '../ops/text.ts';
import type { XenExploreModel } from '../xenExplore/model.ts';
import type { XenState } from '../xenExplore/state.ts';
import { abstractToCore, coreConfigFor, refinementBoundsProblems } from './abstraction.ts';

export interface RefinementStats {
  readonly checked: number;
  /** Xen transitions whose abstraction did not change. */
  readonly stutters: number;
  /** Xen transitions per core action kind they map to. */
  readonly byCoreAction: Readonly<Partial<Record<CoreActionKind, number>>>;
}

export class RefinementCheck {
  readonly core: CoreModel;
  private readonly cache = new WeakMap<XenState, number | string>();
  private checked = 0;
  private stutters = 0;
  private readonly byKind: Partial<Record<CoreActionKind, number>> = {};

  /** Core states whose invariants were checked, and held. */
  private readonly invariantsHeld = new Set<number>();

  /** Throws RangeError for bounds whose core model cannot be built (refinementBoundsProblems),
   * and for an initial state that is not the core's: the base of the refinement, checked once.
   * `core`: the core model of the bounds (a test gives a broken variant's). */
  constructor(
    readonly xen: XenExploreModel,
    core?: CoreModel,
  ) {
    const problems = refinementBoundsProblems(xen.bounds);
    if (problems.length > 0) throw new RangeError(`refinement: ${problems.join('; ')}`);
    this.core = core ?? coreModel(coreConfigFor(xen.bounds));
    const s0 = this.coreOf(xen.initial());
    if (s0 !== this.core.initial()) {
      const found = typeof s0 === 'string' ? s0 : describeCoreState(this.core.decode(s0));
      throw new RangeError(`refinement: the initial state maps to ${found}, not the core's own`);
    }
  }

  /** The packed core state of `s`, or the reason it has none. */
  coreOf(s: XenState): number | string {
    let c = this.cache.get(s);
    if (c === undefined) {
      const a = abstractToCore(this.xen.bounds, s);
      c = a.ok ? this.core.encode(a.state) : a.problem;
      this.cache.set(s, c);
    }
    return c;
  }

  /** The core action the transition from `parent` to `child` maps to: null for no change. */
  coreStep(parent: XenState, child: XenState): { action: CoreAction | null } | string {
    const a = this.coreOf(parent);
    const b = this.coreOf(child);
    if (typeof a === 'string') return `abstraction undefined before: ${a}`;
    if (typeof b === 'string') return `abstraction undefined after: ${b}`;
    if (a === b) return { action: null };
    for (const act of this.core.actions(a)) {
      if (this.core.step(a, act) === b) return { action: act };
    }
    const describe = (s: number) => describeCoreState(this.core.decode(s));
    return `maps ${describe(a)} to ${describe(b)}, which is no core step`;
  }

  stats(): RefinementStats {
    return { checked: this.checked, stutters: this.stutters, byCoreAction: { ...this.byKind } };
  }

  /** The explorer hook. A replay (TransitionContext.replay: the explorer checking a failed
   * transition again to rebuild its path) is judged alike but not counted: the search counted
   * that transition when it checked it. */
  readonly check = (
    parent: XenState,
    op: Op,
    child: XenState,
    ctx?: { readonly replay: boolean },
  ): TransitionFailure | null => {
    const count = ctx?.replay !== true;
    if (count) this.checked++;
    const r = this.coreStep(parent, child);
    if (typeof r === 'string') {
      return { name: 'refinement', statement: `${formatOp(op)}: ${r}` };
    }
    if (r.action === null) {
      if (count) this.stutters++;
      return null;
    }
    // The core step is the acting domain's: a Xen op of one domain that changed another's part
    // of the protocol as that domain's own step would is no refinement.
    const actor = coreActor(r.action);
    if (actor !== actingDomain(op)) {
      return {
        name: 'refinement',
        statement: `${formatOp(op)}: maps to ${formatCoreAction(r.action)}, a step of d${actor}`,
      };
    }
    if (count) this.byKind[r.action.kind] = (this.byKind[r.action.kind] ?? 0) + 1;
    // The core's invariants on the state reached, once per core state: what refinement is for,
    // checked here rather than left to a separate search of the core model.
    const b = this.coreOf(child) as number;
    if (this.invariantsHeld.has(b)) return null;
    const broken = this.core.invariants.find((inv) => !inv.holds(b));
    if (broken) {
      const at = describeCoreState(this.core.decode(b));
      return {
        name: 'refinement',
        statement: `${formatOp(op)}: the core invariant ${broken.name} breaks in ${at}`,
      };
    }
    this.invariantsHeld.add(b);
    return null;
  };
}

/** The domain whose step a core action is: the granter of an entry's grant and end, the grantee
 * of a map, an unmap or a transfer (the domain that gives its frame). */
function coreActor(a: CoreAction): number {
  switch (a.kind) {
    case 'grant_access':
    case 'end_access':
    case 'grant_transfer':
    case 'end_transfer':
      return a.dom;
    case 'map':
    case 'unmap':
    case 'transfer':
      return a.grantee;
  }
}
