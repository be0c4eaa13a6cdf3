// What an interleaved run runs: a sequential setup (ops applied one at a time, as the other
// engines do), then actors, each a vCPU of one domain with its own program of guest-library
// calls and hypercalls, racing one another at the impl's pauses (src/impl/steps.ts).

import type { DomId, Op } from '../ops/op.ts';
import { unreachable } from '../ops/op.ts';

export interface ActorProgram {
  /** The domain whose vCPU this actor is; every op of the program acts for it. */
  readonly dom: DomId;
  readonly ops: readonly Op[];
}

export interface Scenario {
  readonly setup: readonly Op[];
  readonly actors: readonly ActorProgram[];
}

/** The most actors a run may have. */
export const MAX_ACTORS = 4;

/** The domain an op acts for: the guest whose library call it is, or the hypercall's caller. */
export function actingDomain(op: Op): DomId {
  switch (op.kind) {
    case 'grant_access':
    case 'end_access':
    case 'grant_transfer':
    case 'end_transfer':
    case 'raw_write':
    case 'write_page':
    case 'read_page':
    case 'write_mapped':
    case 'read_mapped':
      return op.dom;
    case 'map_grant_ref':
    case 'unmap_grant_ref':
    case 'transfer':
    case 'setup_table':
    case 'query_size':
    case 'unmap_and_replace':
    case 'copy':
    case 'swap_grant_ref':
      return op.caller;
    default:
      return unreachable(op);
  }
}

/** Why `scenario` cannot run with `domains` domains, or null. */
export function scenarioProblem(scenario: Scenario, domains: number): string | null {
  const n = scenario.actors.length;
  if (n < 1 || n > MAX_ACTORS) return `${n} actors (1 to ${MAX_ACTORS})`;
  for (const [i, actor] of scenario.actors.entries()) {
    if (actor.dom < 0 || actor.dom >= domains) return `actor ${i}: no domain d${actor.dom}`;
    if (scenario.actors.findIndex((a) => a.dom === actor.dom) !== i) {
      return `actors ${scenario.actors.findIndex((a) => a.dom === actor.dom)} and ${i} are both d${actor.dom}'s one vCPU`;
    }
    for (const op of actor.ops) {
      if (actingDomain(op) !== actor.dom)
        return `actor ${i} (d${actor.dom}) has an op of d${actingDomain(op)}`;
    }
  }
  return null;
}
