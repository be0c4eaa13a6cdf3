// The core protocol model (grant tables at their most abstract: no status codes, handles or
// bits) as an ExplorableModel over packed states. Build one with coreModel(config, options).

import type { ExplorableModel } from '../explore/model.ts';
import type { CoreAction } from './action.ts';
import { formatCoreAction } from './action.ts';
import type { CoreConfig } from './config.ts';
import { coreInvariants } from './invariants.ts';
import { CoreLayout } from './layout.ts';
import type { CoreState } from './state.ts';
import { decodeCoreState, describeCoreState, encodeCoreState } from './state.ts';
import type { CoreVariant } from './step.ts';
import { CoreMachine } from './step.ts';
import type { CoreSymmetry } from './symmetry.ts';
import { CoreCanonicaliser } from './symmetry.ts';

export interface CoreModelOptions {
  readonly variant?: CoreVariant;
  /** The renamings `symmetry` quotients by, when the explorer asks for it. */
  readonly symmetry?: CoreSymmetry;
}

export interface CoreModel extends ExplorableModel<number, CoreAction> {
  readonly config: CoreConfig;
  readonly variant: CoreVariant;
  readonly layout: CoreLayout;
  decode(s: number): CoreState;
  encode(state: CoreState): number;
  symmetry(s: number): number;
}

export function coreModelName(c: CoreConfig, variant: CoreVariant = 'correct'): string {
  const size = `D=${c.domains},R=${c.refs},F=${c.frames},MAXPIN=${c.maxPin}`;
  return `core(${size})${variant === 'correct' ? '' : ` [${variant}]`}`;
}

/** Throws RangeError for a config that coreConfigProblems rejects. */
export function coreModel(config: CoreConfig, options: CoreModelOptions = {}): CoreModel {
  const variant = options.variant ?? 'correct';
  const layout = new CoreLayout(config);
  const machine = new CoreMachine(layout, variant);
  const s0 = layout.initial();
  // Why lazy? The tables cost memory and time that runs without symmetry never need.
  let canonicaliser: CoreCanonicaliser | undefined;
  return {
    name: coreModelName(config, variant),
    config,
    variant,
    layout,
    initial: () => s0,
    actions: (s) => machine.actions(s),
    step: (s, a) => machine.step(s, a),
    key: (s) => s,
    fromKey: (k) => k,
    portableKeys: true,
    invariants: coreInvariants(machine),
    symmetry: (s) => {
      canonicaliser ??= new CoreCanonicaliser(layout, options.symmetry ?? 'domains');
      return canonicaliser.canonical(s);
    },
    formatAction: formatCoreAction,
    formatState: (s) => describeCoreState(decodeCoreState(layout, s)),
    decode: (s) => decodeCoreState(layout, s),
    encode: (state) => encodeCoreState(layout, state),
  };
}
