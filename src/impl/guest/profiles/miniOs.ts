// Profile `mini-os` in the impl: Mini-OS gnttab.c as its data structures are: gnttab_list
// with slot 0 as the stack's head (ref 0 is reserved, so its slot is free for that), and the
// counting semaphore gnttab_sem that down() waits on (docs/semantics.md §18.4).

import type { AllocRefsOp, EndAccessOp, GrantAccessOp, Ref } from '../../../ops/op.ts';
import type { AllocRefsResult, EndAccessResult, GrantAccessResult } from '../../../ops/result.ts';
import { GNTTAB_NR_RESERVED_ENTRIES } from '../../../xen/abi.ts';
import { ProfileLibBase } from './library.ts';

/** The parts of this library a fault may replace (src/impl/parts.ts). */
export interface MiniOsParts {
  readonly miniOsInitGnttab: (lib: MiniOsLib) => void;
}

interface SavedStack {
  readonly list: Int32Array;
  readonly sem: number;
}

export class MiniOsLib extends ProfileLibBase {
  readonly profile = 'mini-os';
  /** gnttab_list: list[0] is the head, list[ref] the ref below ref. */
  list: Int32Array;
  /** gnttab_sem's count. */
  sem = 0;

  constructor(parts: MiniOsParts, ...args: ConstructorParameters<typeof ProfileLibBase>) {
    super(...args);
    this.list = new Int32Array(this.size);
    parts.miniOsInitGnttab(this);
  }

  freeList(): Ref[] {
    // The semaphore says how many pops succeed; they pop these refs.
    const out: Ref[] = [];
    let ref = this.list[0] ?? 0;
    for (let i = 0; i < this.sem && i <= this.size; i++) {
      out.push(ref);
      ref = this.list[ref] ?? 0;
    }
    return out;
  }

  protected saveAllocator(): SavedStack {
    return { list: this.list.slice(), sem: this.sem };
  }

  protected loadAllocator(saved: unknown): void {
    const s = saved as SavedStack;
    this.list = s.list.slice();
    this.sem = s.sem;
  }
}

/** put_free_entry: link in front of the head, up(&gnttab_sem). No checks. */
export function putFreeEntry(lib: MiniOsLib, ref: Ref): void {
  lib.list[ref] = lib.list[0] ?? 0;
  lib.list[0] = ref;
  lib.sem++;
}

/** init_gnttab: the semaphore starts at 0 (b99e537) and each of 8..size-1 is put. */
export function miniOsInitGnttab(lib: MiniOsLib): void {
  lib.sem = 0;
  for (let ref = GNTTAB_NR_RESERVED_ENTRIES; ref < lib.size; ref++) putFreeEntry(lib, ref);
}

/** get_free_entry: down() (would block at 0), pop, BUG outside [8, size) (b99e537). */
export function allocRefs(lib: MiniOsLib, op: AllocRefsOp): AllocRefsResult {
  if (op.count !== 1) return { kind: 'alloc_refs', outcome: 'einval' };
  if (lib.sem === 0) return { kind: 'alloc_refs', outcome: 'would_block' };
  const ref = lib.list[0] ?? 0;
  if (ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= lib.size)
    return { kind: 'alloc_refs', outcome: 'crash' };
  lib.sem--;
  lib.list[0] = lib.list[ref] ?? 0;
  return { kind: 'alloc_refs', outcome: 'ok', refs: [ref] };
}

export function grantAccess(lib: MiniOsLib, op: GrantAccessOp): GrantAccessResult {
  if (lib.contract && !lib.mayGrant(op.ref, op.gfn))
    return { kind: 'grant_access', outcome: 'contract' };
  if (!Number.isInteger(op.ref) || op.ref < 0 || op.ref >= lib.size) {
    return { kind: 'grant_access', outcome: 'crash' };
  }
  lib.storeGrant(op.ref, op.grantee, op.gfn, op.readonly);
  lib.granted.set(op.ref, op.gfn);
  return { kind: 'grant_access', outcome: 'ok' };
}

/** gnttab_end_access: BUG on the range, 0 while in use, else CAS and put_free_entry. */
export function endAccess(lib: MiniOsLib, op: EndAccessOp): EndAccessResult {
  if (!Number.isInteger(op.ref) || op.ref < GNTTAB_NR_RESERVED_ENTRIES || op.ref >= lib.size) {
    return { kind: 'end_access', outcome: 'crash' };
  }
  if (lib.contract && !lib.holds(op.ref)) return { kind: 'end_access', outcome: 'contract' };
  if (!lib.endV1(op.ref)) return { kind: 'end_access', outcome: 'in_use' };
  lib.granted.delete(op.ref);
  putFreeEntry(lib, op.ref);
  return { kind: 'end_access', outcome: 'ended' };
}
