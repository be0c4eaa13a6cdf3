// Profile `mirage` in the impl: mirage-xen lib/xen.ml module Export (a Queue of free refs and
// the exports array) over lib/bindings/gnttab.c's v1 stubs (docs/semantics.md §18.5).

import type { AllocRefsOp, EndAccessOp, FreeRefOp, GrantAccessOp, Ref } from '../../../ops/op.ts';
import type {
  AllocRefsResult,
  EndAccessResult,
  FreeRefResult,
  GrantAccessResult,
} from '../../../ops/result.ts';
import { GNTTAB_NR_RESERVED_ENTRIES } from '../../../xen/abi.ts';
import { ProfileLibBase } from './library.ts';

export class MirageLib extends ProfileLibBase {
  readonly profile = 'mirage';
  /** The free Queue, front first. */
  queue: Ref[] = [];

  constructor(...args: ConstructorParameters<typeof ProfileLibBase>) {
    super(...args);
    for (let ref = GNTTAB_NR_RESERVED_ENTRIES; ref < this.size; ref++) this.queue.push(ref);
  }

  freeList(): Ref[] {
    return [...this.queue];
  }

  protected saveAllocator(): readonly Ref[] {
    return [...this.queue];
  }

  protected loadAllocator(saved: unknown): void {
    this.queue = [...(saved as readonly Ref[])];
  }
}

function stubRange(lib: MirageLib, ref: Ref): boolean {
  return Number.isInteger(ref) && ref >= GNTTAB_NR_RESERVED_ENTRIES && ref < lib.size;
}

/** get_n_nonblock: take refs one by one; short of `count`, push them back (reversed) and []. */
export function allocRefs(lib: MirageLib, op: AllocRefsOp): AllocRefsResult {
  const taken: Ref[] = [];
  while (taken.length < op.count) {
    const ref = lib.queue.shift();
    if (ref === undefined) {
      for (let i = taken.length - 1; i >= 0; i--) lib.queue.push(taken[i] ?? 0);
      return { kind: 'alloc_refs', outcome: 'ok', refs: [] };
    }
    taken.push(ref);
  }
  return { kind: 'alloc_refs', outcome: 'ok', refs: taken };
}

/** put: to the back, unchecked. */
export function freeRef(lib: MirageLib, op: FreeRefOp): FreeRefResult {
  if (lib.contract && (!lib.holds(op.ref) || lib.granted.has(op.ref))) {
    return { kind: 'free_ref', outcome: 'contract' };
  }
  lib.queue.push(op.ref);
  return { kind: 'free_ref', outcome: 'ok' };
}

export function grantAccess(lib: MirageLib, op: GrantAccessOp): GrantAccessResult {
  if (!stubRange(lib, op.ref)) return { kind: 'grant_access', outcome: 'crash' };
  if (lib.contract && !lib.mayGrant(op.ref, op.gfn))
    return { kind: 'grant_access', outcome: 'contract' };
  if (lib.exports.has(op.ref)) return { kind: 'grant_access', outcome: 'in_use' };
  lib.exports.set(op.ref, op.gfn);
  lib.storeGrant(op.ref, op.grantee, op.gfn, op.readonly);
  lib.granted.set(op.ref, op.gfn);
  return { kind: 'grant_access', outcome: 'ok' };
}

/** try_end_access ~release_ref:true. */
export function endAccess(lib: MirageLib, op: EndAccessOp): EndAccessResult {
  if (!stubRange(lib, op.ref)) return { kind: 'end_access', outcome: 'crash' };
  if (lib.contract && !lib.holds(op.ref)) return { kind: 'end_access', outcome: 'contract' };
  if (!lib.endV1(op.ref)) return { kind: 'end_access', outcome: 'in_use' };
  lib.exports.delete(op.ref);
  lib.granted.delete(op.ref);
  lib.queue.push(op.ref);
  return { kind: 'end_access', outcome: 'ended' };
}
