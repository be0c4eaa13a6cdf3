// The impl's real guest libraries (config.profiles): which one a domain runs, the dispatch of
// the profile ops and of grant_access / end_access to it, and its abstraction to the model's
// GuestLibState (the refinement mapping for this part of the state, docs/semantics.md §18).

import type { GrantConfig } from '../../../config.ts';
import {
  DEFAULT_FREE_PER_ITERATION,
  DEFAULT_GUEST_REFS,
  profileOf,
} from '../../../configDefaults.ts';
import type { DeferredEnd, GuestLibState } from '../../../model/state.ts';
import type { DomId, EndAccessOp, Gfn, GrantAccessOp, ProfileOp } from '../../../ops/op.ts';
import { unreachable } from '../../../ops/op.ts';
import type { EndAccessResult, GrantAccessResult, OpResult } from '../../../ops/result.ts';
import type { SharedGrantMemory } from '../../sharedMemory.ts';
import * as linux from './linux.ts';
import { LinuxLib, type LinuxParts } from './linux.ts';
import * as miniOs from './miniOs.ts';
import { MiniOsLib, type MiniOsParts } from './miniOs.ts';
import * as mirage from './mirage.ts';
import { MirageLib } from './mirage.ts';

export type ProfileLib = LinuxLib | MiniOsLib | MirageLib;
export type ProfileParts = LinuxParts & MiniOsParts;

/** Domain `dom`'s library, or undefined for a strict domain. */
export function createProfileLib(
  config: GrantConfig,
  dom: DomId,
  memory: SharedGrantMemory,
  hasPage: (gfn: Gfn) => boolean,
  parts: ProfileParts,
): ProfileLib | undefined {
  const profile = profileOf(config, dom);
  const size = config.guestRefs ?? DEFAULT_GUEST_REFS;
  const contract = config.rawLibraryCalls !== true;
  const lib = make();
  if (lib !== undefined) lib.budget = config.freePerIteration ?? DEFAULT_FREE_PER_ITERATION;
  return lib;

  function make(): ProfileLib | undefined {
    switch (profile) {
      case 'strict':
        return undefined;
      case 'linux':
        return new LinuxLib(dom, memory, size, contract, hasPage);
      case 'mini-os':
        return new MiniOsLib(parts, dom, memory, size, contract, hasPage);
      case 'mirage':
        return new MirageLib(dom, memory, size, contract, hasPage);
      default:
        return unreachable(profile);
    }
  }
}

export function profileGrantAccess(lib: ProfileLib, op: GrantAccessOp): GrantAccessResult {
  if (lib instanceof LinuxLib) return linux.grantAccess(lib, op);
  if (lib instanceof MiniOsLib) return miniOs.grantAccess(lib, op);
  return mirage.grantAccess(lib, op);
}

export function profileEndAccess(
  lib: ProfileLib,
  parts: ProfileParts,
  op: EndAccessOp,
): EndAccessResult {
  if (lib instanceof LinuxLib) return linux.endAccess(lib, parts, op);
  if (lib instanceof MiniOsLib) return miniOs.endAccess(lib, op);
  return mirage.endAccess(lib, op);
}

/** A profile op on domain op.dom: `lib` is its library (undefined: strict, 'unsupported'). */
export function profileOp(
  lib: ProfileLib | undefined,
  parts: ProfileParts,
  op: ProfileOp,
): OpResult {
  if (lib === undefined) return { kind: op.kind, outcome: 'unsupported' };
  switch (op.kind) {
    case 'alloc_refs':
      if (lib instanceof LinuxLib) return linux.allocRefs(lib, op);
      if (lib instanceof MiniOsLib) return miniOs.allocRefs(lib, op);
      return mirage.allocRefs(lib, op);
    case 'free_ref':
      if (lib instanceof LinuxLib) return linux.freeRef(lib, parts, op);
      if (lib instanceof MirageLib) return mirage.freeRef(lib, op);
      return { kind: op.kind, outcome: 'unsupported' };
    case 'end_access_deferred':
      if (lib instanceof LinuxLib) return linux.endAccessDeferred(lib, parts, op);
      return { kind: op.kind, outcome: 'unsupported' };
    case 'tick':
      if (lib instanceof LinuxLib) {
        return linux.tick(lib, parts, lib.budget, op);
      }
      return { kind: op.kind, outcome: 'unsupported' };
    case 'free_page':
      if (lib.contract && !lib.mayFreePage(op.gfn)) return { kind: op.kind, outcome: 'contract' };
      lib.dropped.add(op.gfn);
      return { kind: op.kind, outcome: 'ok' };
    default:
      return unreachable(op);
  }
}

/** The library's state as the model states it. */
export function abstractGuest(lib: ProfileLib): GuestLibState {
  const deferred = lib.deferred.map((d): DeferredEnd =>
    d.page === null
      ? { ref: d.ref, warnDelay: d.warnDelay, idleTicks: d.idleTicks }
      : { ref: d.ref, gfn: d.page, warnDelay: d.warnDelay, idleTicks: d.idleTicks },
  );
  return {
    profile: lib.profile,
    size: lib.size,
    budget: lib.budget,
    contract: lib.contract,
    free: lib.freeList(),
    deferred,
    warnings: lib.warnings,
    exports: new Map(lib.exports),
    granted: new Map(lib.granted),
    droppedPages: new Set(lib.dropped),
  };
}
