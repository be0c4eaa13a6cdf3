// What an interleaved run runs: a sequential setup (ops applied one at a time, as the other
// engines do), then actors, each a vCPU of one domain with its own program of guest-library
// calls and hypercalls, racing one another at the impl's pauses (src/impl/steps.ts).

import type { DomId, Op } from '../ops/op.ts';
import { actingDomain } from '../ops/op.ts';

export interface ActorProgram {
  /** The domain whose vCPU this actor is; every op of the program acts for it. */
  readonly dom: DomId;
  /** Which vCPU of `dom` (absent: 0); its map ops name it (MapGrantRefOp.vcpu). */
  readonly vcpu?: number;
  readonly ops: readonly Op[];
}

/** The actor's vCPU. */
export function actorVcpu(actor: { readonly vcpu?: number }): number {
  return actor.vcpu ?? 0;
}

/** "d2", or "d2 v1" for a vCPU other than 0. */
export function actorName(actor: { readonly dom: DomId; readonly vcpu?: number }): string {
  return actor.vcpu ? `d${actor.dom} v${actor.vcpu}` : `d${actor.dom}`;
}

/** `op` as actor `actor` issues it: a map names the actor's vCPU (other ops need none: a handle
 * goes back to the list its maptrack entry names, whichever vCPU frees it). */
export function onActorVcpu(op: Op, actor: { readonly vcpu?: number }): Op {
  return op.kind === 'map_grant_ref' && actor.vcpu ? { ...op, vcpu: actor.vcpu } : op;
}

export interface Scenario {
  readonly setup: readonly Op[];
  readonly actors: readonly ActorProgram[];
}

/** The most actors a run may have. */
export const MAX_ACTORS = 4;

/** Why `scenario` cannot run with `domains` domains of `vcpus` vCPUs each, or null. Each actor
 * is one vCPU: two actors may be two vCPUs of one domain, never the same one. */
export function scenarioProblem(scenario: Scenario, domains: number, vcpus = 1): string | null {
  const n = scenario.actors.length;
  if (n < 1 || n > MAX_ACTORS) return `${n} actors (1 to ${MAX_ACTORS})`;
  for (const [i, actor] of scenario.actors.entries()) {
    const name = actorName(actor);
    if (actor.dom < 0 || actor.dom >= domains) return `actor ${i}: no domain d${actor.dom}`;
    const vcpu = actorVcpu(actor);
    if (vcpu < 0 || vcpu >= vcpus) return `actor ${i}: d${actor.dom} has no vCPU v${vcpu}`;
    const first = scenario.actors.findIndex((a) => a.dom === actor.dom && actorVcpu(a) === vcpu);
    if (first !== i) {
      return `actors ${first} and ${i} are both ${vcpus === 1 ? `d${actor.dom}'s one vCPU` : name}`;
    }
    for (const op of actor.ops) {
      if (actingDomain(op) !== actor.dom)
        return `actor ${i} (${name}) has an op of d${actingDomain(op)}`;
      if (op.kind === 'map_grant_ref' && (op.vcpu ?? 0) !== vcpu) {
        return `actor ${i} (${name}) has a map of vCPU v${op.vcpu ?? 0}`;
      }
    }
  }
  return null;
}
