// What the Checker compares against a subject that reports only part of the state: the model's
// state with the declared parts taken from the subject. A difference can then show only in a
// declared part, and diffStates names it in the model's vocabulary.

import type { DomainState, ModelState } from '../model/state.ts';
import type { StartState, StatePart } from './subject.ts';

function overlayDomain(
  model: DomainState,
  reported: DomainState | undefined,
  parts: ReadonlySet<StatePart>,
): DomainState {
  if (!reported) return model;
  const table = model.grantTable;
  const theirs = reported.grantTable;
  return {
    ...model,
    grantTable: {
      entries: parts.has('entries') ? theirs.entries : table.entries,
      active: parts.has('active') ? theirs.active : table.active,
      nrFrames: parts.has('grantFrames') ? theirs.nrFrames : table.nrFrames,
      maxFrames: parts.has('grantFrames') ? theirs.maxFrames : table.maxFrames,
    },
    maptrack: parts.has('maptrack') ? reported.maptrack : model.maptrack,
    p2m: parts.has('p2m') ? reported.p2m : model.p2m,
    hostMappings: parts.has('hostMappings') ? reported.hostMappings : model.hostMappings,
    totPages: parts.has('totPages') ? reported.totPages : model.totPages,
    maxPages: parts.has('totPages') ? reported.maxPages : model.maxPages,
  };
}

/** The model state with `parts` replaced by the subject's report of them. */
export function observedState(
  model: ModelState,
  reported: ModelState,
  parts: readonly StatePart[],
): ModelState {
  const set = new Set(parts);
  return {
    domains: model.domains.map((d, i) => overlayDomain(d, reported.domains[i], set)),
    frameOwner: set.has('frames') ? reported.frameOwner : model.frameOwner,
    contents: set.has('contents') ? reported.contents : model.contents,
    flow: undefined,
  };
}

/** The model's initial state for an instance: the config's, with the parts taken from where
 * the instance reports it starts (Subject.start), if it does. */
export function startingState(initial: ModelState, start: StartState | undefined): ModelState {
  return start === undefined ? initial : observedState(initial, start.state, start.parts);
}
