// Profile `linux` in the impl: Linux drivers/xen/grant-table.c (6.x) as its data structures
// are: gnttab_list, one "next" slot per ref threading the free list from gnttab_free_head to
// GNTTAB_LIST_END, with gnttab_free_count; the deferred list and its timer (docs/semantics.md
// §18.3). The table does not grow (grantcheck's library table is at max_grant_frames).

import type { Gfn, Ref } from '../../../ops/op.ts';
import type {
  AllocRefsOp,
  EndAccessDeferredOp,
  EndAccessOp,
  FreeRefOp,
  GrantAccessOp,
  TickOp,
} from '../../../ops/op.ts';
import type {
  AllocRefsResult,
  EndAccessDeferredResult,
  EndAccessResult,
  FreeRefResult,
  GrantAccessResult,
  TickResult,
} from '../../../ops/result.ts';
import { GNTTAB_NR_RESERVED_ENTRIES } from '../../../xen/abi.ts';
import { ProfileLibBase } from './library.ts';

/** GNTTAB_LIST_END (0xffffffff in Linux): the chain terminator. */
export const GNTTAB_LIST_END = -1;
/** warn_delay's start. */
const WARN_DELAY = 60;

/** The parts of this library a fault may replace (src/impl/parts.ts). */
export interface LinuxParts {
  readonly linuxPutFreeEntry: (lib: LinuxLib, ref: Ref) => void;
  readonly linuxEndForeignAccessRef: (lib: LinuxLib, ref: Ref) => boolean;
  readonly linuxAddDeferred: (lib: LinuxLib, ref: Ref, page: Gfn | null) => void;
}

interface SavedList {
  readonly next: Int32Array;
  readonly head: number;
  readonly count: number;
}

export class LinuxLib extends ProfileLibBase {
  readonly profile = 'linux';
  /** gnttab_list. */
  next: Int32Array;
  head = GNTTAB_LIST_END;
  count = 0;

  constructor(...args: ConstructorParameters<typeof ProfileLibBase>) {
    super(...args);
    this.next = new Int32Array(this.size).fill(GNTTAB_LIST_END);
    // gnttab_init -> gnttab_set_free(GNTTAB_NR_RESERVED_ENTRIES, size - reserved): ascending.
    for (let ref = this.size - 1; ref >= GNTTAB_NR_RESERVED_ENTRIES; ref--) {
      this.next[ref] = this.head;
      this.head = ref;
      this.count++;
    }
  }

  freeList(): Ref[] {
    const out: Ref[] = [];
    const seen = new Set<Ref>();
    for (let ref = this.head; ref !== GNTTAB_LIST_END && out.length <= this.size;) {
      out.push(ref);
      if (seen.has(ref)) break; // a cycle (a double free): the repeat shows it
      seen.add(ref);
      ref = this.next[ref] ?? GNTTAB_LIST_END;
    }
    return out;
  }

  protected saveAllocator(): SavedList {
    return { next: this.next.slice(), head: this.head, count: this.count };
  }

  protected loadAllocator(saved: unknown): void {
    const s = saved as SavedList;
    this.next = s.next.slice();
    this.head = s.head;
    this.count = s.count;
  }
}

/** put_free_entry: refs below GNTTAB_NR_RESERVED_ENTRIES never go on the list (8c9eb0e3731d). */
export function linuxPutFreeEntry(lib: LinuxLib, ref: Ref): void {
  if (ref < GNTTAB_NR_RESERVED_ENTRIES) return;
  lib.next[ref] = lib.head;
  lib.head = ref;
  lib.count++;
}

/** gnttab_end_foreign_access_ref_v1. */
export function linuxEndForeignAccessRef(lib: LinuxLib, ref: Ref): boolean {
  return lib.endV1(ref);
}

/** gnttab_add_deferred: with no page, the library takes its own reference on the entry's
 * frame (read_frame + get_page, 42baefac638f); the record goes to the tail. */
export function linuxAddDeferred(lib: LinuxLib, ref: Ref, page: Gfn | null): void {
  const held = page ?? lib.memory.loadFrame(ref);
  lib.deferred.push({ ref, page: held, warnDelay: WARN_DELAY, idleTicks: 0 });
}

function inRange(lib: LinuxLib, ref: Ref): boolean {
  return Number.isInteger(ref) && ref >= 0 && ref < lib.size;
}

/** gnttab_alloc_grant_references (get_free_entries): count 0 is refused (stated rule). */
export function allocRefs(lib: LinuxLib, op: AllocRefsOp): AllocRefsResult {
  if (op.count === 0) return { kind: 'alloc_refs', outcome: 'einval' };
  if (lib.count < op.count) return { kind: 'alloc_refs', outcome: 'enospc' };
  const refs: Ref[] = [];
  let ref = lib.head;
  for (let i = 0; i < op.count; i++) {
    refs.push(ref);
    const following = lib.next[ref] ?? GNTTAB_LIST_END;
    if (i === op.count - 1) lib.next[ref] = GNTTAB_LIST_END; // the caller's chain ends here
    ref = following;
  }
  lib.head = ref;
  lib.count -= op.count;
  return { kind: 'alloc_refs', outcome: 'ok', refs };
}

export function freeRef(lib: LinuxLib, parts: LinuxParts, op: FreeRefOp): FreeRefResult {
  if (op.ref >= GNTTAB_NR_RESERVED_ENTRIES && lib.contract) {
    if (!lib.holds(op.ref) || lib.granted.has(op.ref))
      return { kind: 'free_ref', outcome: 'contract' };
  }
  if (op.ref >= GNTTAB_NR_RESERVED_ENTRIES && !inRange(lib, op.ref)) {
    return { kind: 'free_ref', outcome: 'crash' };
  }
  parts.linuxPutFreeEntry(lib, op.ref);
  return { kind: 'free_ref', outcome: 'ok' };
}

export function grantAccess(lib: LinuxLib, op: GrantAccessOp): GrantAccessResult {
  if (lib.contract && !lib.mayGrant(op.ref, op.gfn))
    return { kind: 'grant_access', outcome: 'contract' };
  if (!inRange(lib, op.ref)) return { kind: 'grant_access', outcome: 'crash' };
  lib.storeGrant(op.ref, op.grantee, op.gfn, op.readonly);
  lib.granted.set(op.ref, op.gfn);
  return { kind: 'grant_access', outcome: 'ok' };
}

export function endAccess(lib: LinuxLib, parts: LinuxParts, op: EndAccessOp): EndAccessResult {
  if (lib.contract && !lib.holds(op.ref)) return { kind: 'end_access', outcome: 'contract' };
  if (!inRange(lib, op.ref)) return { kind: 'end_access', outcome: 'crash' };
  if (!parts.linuxEndForeignAccessRef(lib, op.ref))
    return { kind: 'end_access', outcome: 'in_use' };
  lib.granted.delete(op.ref);
  return { kind: 'end_access', outcome: 'ended' };
}

/** gnttab_end_foreign_access(ref, page). */
export function endAccessDeferred(
  lib: LinuxLib,
  parts: LinuxParts,
  op: EndAccessDeferredOp,
): EndAccessDeferredResult {
  const page = op.gfn ?? null;
  if (
    lib.contract &&
    (!lib.holds(op.ref) || (page !== null && !lib.mayEndWithPage(page, op.ref)))
  ) {
    return { kind: 'end_access_deferred', outcome: 'contract' };
  }
  if (!inRange(lib, op.ref)) return { kind: 'end_access_deferred', outcome: 'crash' };
  lib.granted.delete(op.ref);
  // The caller's page reference is the library's from here on.
  if (page !== null) lib.dropped.add(page);
  if (parts.linuxEndForeignAccessRef(lib, op.ref)) {
    parts.linuxPutFreeEntry(lib, op.ref);
    return { kind: 'end_access_deferred', outcome: 'ended' }; // put_page(page): dropped
  }
  parts.linuxAddDeferred(lib, op.ref, page);
  return { kind: 'end_access_deferred', outcome: 'deferred' };
}

/** gnttab_handle_deferred: one timer run. */
export function tick(lib: LinuxLib, parts: LinuxParts, budget: number, _op: TickOp): TickResult {
  let reclaimed = 0;
  let examined = 0;
  let first: object | undefined;
  while (lib.deferred.length > 0 && (budget === 0 || examined < budget)) {
    const entry = lib.deferred[0];
    if (entry === undefined || entry === first) break;
    lib.deferred.shift();
    examined++;
    if (parts.linuxEndForeignAccessRef(lib, entry.ref)) {
      parts.linuxPutFreeEntry(lib, entry.ref);
      reclaimed++; // put_page(entry->page); the record is freed
      continue;
    }
    entry.warnDelay = (entry.warnDelay - 1) & 0xffff;
    if (entry.warnDelay === 0) lib.warnings++; // pr_info "g.e. %#x still pending"
    entry.idleTicks = 0;
    first ??= entry;
    lib.deferred.push(entry);
  }
  for (const d of lib.deferred) d.idleTicks = lib.inUse(d.ref) ? 0 : d.idleTicks + 1;
  return { kind: 'tick', outcome: 'ok', reclaimed, pending: lib.deferred.length };
}
