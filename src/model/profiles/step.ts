// The model's dispatch for a domain running a real guest library (config.profiles): the
// profile ops, and grant_access / end_access, which that library spells its own way. A strict
// domain answers the profile ops with 'unsupported' (docs/semantics.md §18).

import type { EndAccessOp, FreePageOp, GrantAccessOp, ProfileOp } from '../../ops/op.ts';
import { unreachable } from '../../ops/op.ts';
import type { EndAccessResult, GrantAccessResult, OpResult } from '../../ops/result.ts';
import type { ModelState } from '../state.ts';
import {
  editGuest,
  type LibraryView,
  libraryOf,
  mayFreePage,
  withMember,
  type Out,
} from './library.ts';
import * as linux from './linux.ts';
import * as miniOs from './miniOs.ts';
import * as mirage from './mirage.ts';

/** grant_access on a profile domain, or undefined for a strict one. */
export function profileGrantAccess(
  state: ModelState,
  op: GrantAccessOp,
): Out<GrantAccessResult> | undefined {
  const v = libraryOf(state, op.dom);
  if (v === undefined) return undefined;
  switch (v.guest.profile) {
    case 'linux':
      return linux.grantAccess(state, v, op);
    case 'mini-os':
      return miniOs.grantAccess(state, v, op);
    case 'mirage':
      return mirage.grantAccess(state, v, op);
    default:
      return unreachable(v.guest.profile);
  }
}

/** end_access on a profile domain, or undefined for a strict one. */
export function profileEndAccess(
  state: ModelState,
  op: EndAccessOp,
): Out<EndAccessResult> | undefined {
  const v = libraryOf(state, op.dom);
  if (v === undefined) return undefined;
  switch (v.guest.profile) {
    case 'linux':
      return linux.endAccess(state, v, op);
    case 'mini-os':
      return miniOs.endAccess(state, v, op);
    case 'mirage':
      return mirage.endAccess(state, v, op);
    default:
      return unreachable(v.guest.profile);
  }
}

function refused(op: ProfileOp, outcome: 'unsupported'): OpResult {
  return { kind: op.kind, outcome };
}

/** The driver drops its reference to its page (every profile: the page rules are the
 * driver's, the library's references are in its deferred list or exports). */
function freePage(state: ModelState, v: LibraryView, op: FreePageOp): Out<OpResult> {
  if (v.guest.contract && !mayFreePage(v, op.gfn)) {
    return { state, result: { kind: 'free_page', outcome: 'contract' } };
  }
  return {
    state: editGuest(state, op.dom, (d) => {
      d.droppedPages = withMember(v.guest.droppedPages, op.gfn);
    }),
    result: { kind: 'free_page', outcome: 'ok' },
  };
}

export function profileStep(state: ModelState, op: ProfileOp): Out<OpResult> {
  const v = libraryOf(state, op.dom);
  if (v === undefined) return { state, result: refused(op, 'unsupported') };
  const profile = v.guest.profile;
  switch (op.kind) {
    case 'alloc_refs':
      if (profile === 'linux') return linux.allocRefs(state, v, op);
      if (profile === 'mini-os') return miniOs.allocRefs(state, v, op);
      return mirage.allocRefs(state, v, op);
    case 'free_ref':
      if (profile === 'linux') return linux.freeRef(state, v, op);
      if (profile === 'mirage') return mirage.freeRef(state, v, op);
      return { state, result: refused(op, 'unsupported') };
    case 'end_access_deferred':
      if (profile === 'linux') return linux.endAccessDeferred(state, v, op);
      return { state, result: refused(op, 'unsupported') };
    case 'tick':
      if (profile === 'linux') return linux.tick(state, v, op);
      return { state, result: refused(op, 'unsupported') };
    case 'free_page':
      return freePage(state, v, op);
    default:
      return unreachable(op);
  }
}
