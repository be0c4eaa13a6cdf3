// The random walk the Xen-level explorer tests share: from the initial state, each choice picks
// one of the state's candidate actions (modulo their number) and steps it.
import type { Op } from '../../../src/ops/op.ts';
import type { XenExploreModel, XenState } from '../../../src/xenExplore/index.ts';

/** Walk `m` by `choices`, calling `visit` on every state reached (with the choice's index). */
export function randomWalk(
  m: XenExploreModel,
  choices: readonly number[],
  visit: (s: XenState, i: number, op: Op) => void,
): void {
  let s = m.initial();
  for (let i = 0; i < choices.length; i++) {
    const actions = [...m.actions(s)];
    const op = actions[(choices[i] ?? 0) % actions.length];
    if (!op) return;
    s = m.step(s, op) ?? s;
    visit(s, i, op);
  }
}
