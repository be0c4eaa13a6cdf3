// The refinement check: every Xen-level transition the search takes must map, through
// abstractToCore, to no change or to exactly one enabled core action. Plugs into the explorer
// as its per-transition hook, next to conformance mode or alone.

import type { CoreAction, CoreActionKind, CoreModel } from '../core/index.ts';
import { coreModel, describeCoreState } from '../core/index.ts';
import type { TransitionFailure } from '../explore/index.ts';
import type { Op } from '../ops/op.ts';
import { formatOp } from '../ops/text.ts';
import type { XenExploreModel } from '../xenExplore/model.ts';
import type { XenState } from '../xenExplore/state.ts';
import { abstractToCore, coreConfigFor } from './abstraction.ts';

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

  constructor(readonly xen: XenExploreModel) {
    this.core = coreModel(coreConfigFor(xen.bounds));
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

  /** The core action `op` maps to from `parent` to `child`: null for no change. */
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

  /** The explorer hook. */
  readonly check = (parent: XenState, op: Op, child: XenState): TransitionFailure | null => {
    this.checked++;
    const r = this.coreStep(parent, child);
    if (typeof r === 'string') {
      return { name: 'refinement', statement: `${formatOp(op)}: ${r}` };
    }
    if (r.action === null) this.stutters++;
    else this.byKind[r.action.kind] = (this.byKind[r.action.kind] ?? 0) + 1;
    return null;
  };
}
