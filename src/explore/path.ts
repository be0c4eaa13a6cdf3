// Rebuilding a concrete, replayable path from the chain of stored keys the search kept. Why
// replay forward instead of storing actions? It costs nothing per state, and under symmetry the
// stored keys belong to orbit representatives: searching each step for an action whose target
// has the next key turns the representatives' path into one that starts at the real initial
// state and replays literally.

import type { ExplorableModel, StateKey } from './model.ts';
import type { VisitedStore } from './visited.ts';

/** Keys of the states from the initial one to `index`. */
export function keyChain(store: VisitedStore, index: number): StateKey[] {
  const chain: StateKey[] = [];
  for (let i = index; i >= 0; i = store.parentAt(i)) chain.push(store.keyAt(i));
  return chain.reverse();
}

export function canonicalKey<S, A>(
  model: ExplorableModel<S, A>,
  s: S,
  symmetry: boolean,
): StateKey {
  if (!symmetry) return model.key(s);
  if (model.canonicalKey) return model.canonicalKey(s);
  return model.key(model.symmetry ? model.symmetry(s) : s);
}

/** The actions and states along `chain`, from `model.initial()`. Throws if the model is not
 * deterministic (a stored key that cannot be reached again is a bug, not an outcome). */
export function replayChain<S, A>(
  model: ExplorableModel<S, A>,
  chain: readonly StateKey[],
  symmetry: boolean,
): { path: A[]; states: S[] } {
  let s = model.initial();
  if (canonicalKey(model, s, symmetry) !== chain[0]) {
    throw new Error('explore: the initial state changed between calls');
  }
  const path: A[] = [];
  const states: S[] = [s];
  for (let i = 1; i < chain.length; i++) {
    const want = chain[i];
    let found = false;
    for (const a of model.actions(s)) {
      const t = model.step(s, a);
      if (t !== null && canonicalKey(model, t, symmetry) === want) {
        path.push(a);
        states.push(t);
        s = t;
        found = true;
        break;
      }
    }
    if (!found) throw new Error(`explore: step ${i} of a stored path cannot be replayed`);
  }
  return { path, states };
}
