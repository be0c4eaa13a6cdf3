// Properties of single transitions (before, op, result, after), checked once the impl's result
// and abstract(impl) are known to equal the model's, so on the one transition both took:
// well-formed statuses, fresh handles, failure atomicity, no revocation, and the guest-protocol
// rules of xen/include/public/grant_table.h as Linux's drivers/xen/grant-table.c follows them.

import { actingDomain } from '../../src/ops/op.ts';
import type { StepProperty, Transition } from '../../src/harness/invariant.ts';
import { CONTENTS_PROPERTIES } from './contentsProperties.ts';
import type { DomainState, ModelState, SharedEntry } from '../../src/model/state.ts';
import type { SwapGrantRefOp } from '../../src/ops/op.ts';
import {
  GNTST_NAMES,
  GNTST_bad_page,
  GNTST_okay,
  GTF_accept_transfer,
  GTF_reading,
  GTF_transfer_committed,
  GTF_transfer_completed,
  GTF_type_mask,
  GTF_writing,
  GNTMAP_host_map,
  PAGE_SHIFT,
  PAGE_SIZE,
} from '../../src/xen/abi.ts';
import { pteSlot } from '../../src/model/hostPte.ts';
import type { UnmapAndReplaceOp } from '../../src/ops/op.ts';
import type { MapElementResult } from '../../src/ops/result.ts';

/** Flat records (entries, pins, mappings, PTEs) compared field by field. */
function sameRecord(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k]);
}

/** Why not JSON: this runs on every failed op. Unchanged parts are usually the same objects
 * (the model shares structure; the impl's abstraction reuses what did not change). */
function sameMap<V>(
  a: ReadonlyMap<number, V>,
  b: ReadonlyMap<number, V>,
  skip?: ReadonlySet<number>,
): boolean {
  if (a === b) return true;
  for (const [k, v] of a) if (!skip?.has(k) && !(b.has(k) && sameRecord(v, b.get(k)))) return false;
  for (const k of b.keys()) if (!skip?.has(k) && !a.has(k)) return false;
  return true;
}

/** What a failed hypercall must leave alone (map_grant_ref's undo_out): everything but the
 * maptrack free-list order and limit, since a failed map consumes and returns a handle. Raw-
 * written entries are left out: Xen's rollback clears GTF_reading/GTF_writing with an
 * unconditional AND, which also clears bits a hostile guest wrote itself. */
function xenVisibleChange(a: DomainState, b: DomainState, skipEntries = false): string | null {
  if (a === b) return null;
  if (!skipEntries && !sameMap(a.grantTable.entries, b.grantTable.entries, a.rawWritten)) {
    return 'grant entries';
  }
  if (!sameMap(a.grantTable.active, b.grantTable.active)) return 'active entries';
  if (a.grantTable.nrFrames !== b.grantTable.nrFrames) return 'grant frames';
  if (!sameMap(a.maptrack.mappings, b.maptrack.mappings)) return 'mappings';
  if (!sameMap(a.hostMappings, b.hostMappings)) return 'host mappings';
  if (!sameMap(a.p2m, b.p2m)) return 'p2m';
  if (a.totPages !== b.totPages) return 'tot_pages';
  return null;
}

/** `exceptEntriesOf`: a domain whose grant entries are left out, as if `b` held `a`'s. */
function sameXenVisible(a: ModelState, b: ModelState, exceptEntriesOf?: number): string | null {
  for (const d of a.domains) {
    const other = b.domains[d.id];
    const change = other ? xenVisibleChange(d, other, d.id === exceptEntriesOf) : 'domain';
    if (change) return `d${d.id} ${change} changed`;
  }
  if (!sameMap(a.frameOwner, b.frameOwner)) return 'page ownership changed';
  if (a.contents !== b.contents) {
    const keys = new Set([...a.contents.keys(), ...b.contents.keys()]);
    for (const k of keys) {
      if (a.contents.get(k)?.key !== b.contents.get(k)?.key) return 'page contents changed';
    }
  }
  return null;
}

function statusesOf(t: Transition): readonly number[] | null {
  switch (t.result.kind) {
    case 'map_grant_ref':
      return t.result.results.map((r) => r.status);
    case 'unmap_grant_ref':
    case 'transfer':
    case 'unmap_and_replace':
    case 'swap_grant_ref':
    case 'copy':
      return t.result.statuses;
    case 'setup_table':
    case 'query_size':
      return [t.result.status];
    default:
      return null;
  }
}

function batchLength(t: Transition): number {
  return 'batch' in t.op ? t.op.batch.length : 1;
}

export const wellFormedStatuses: StepProperty = {
  name: 'well-formed-statuses',
  statement: 'every hypercall element gets exactly one status, a GNTST_* code (never positive)',
  source:
    'xen/include/public/grant_table.h (GNTST_*); xen/common/grant_table.c map_grant_ref (a _set_status failure: XSA-316, Xen da0c66c8f4)',
  check(t) {
    // A dying or gone domain's op is never made (docs/semantics.md §17), and nothing changes.
    if (t.result.kind === 'not_running') {
      if (t.before.domains[actingDomain(t.op)]?.death === undefined) {
        return `op ${t.op.kind} of running d${actingDomain(t.op)} answered not_running`;
      }
      return t.before === t.after ? null : 'a not_running op changed the state';
    }
    if (t.result.kind !== t.op.kind) return `op ${t.op.kind} answered by a ${t.result.kind} result`;
    if (t.result.kind === 'map_grant_ref') return mapStatusesProblem(t.result.results, t);
    const statuses = statusesOf(t);
    if (statuses === null) return null;
    if (statuses.length !== batchLength(t)) {
      return `${statuses.length} statuses for a batch of ${batchLength(t)}`;
    }
    let bad: number | undefined; // the first status that is no GNTST_* code (as Array.find)
    for (const s of statuses) {
      if (!GNTST_NAMES.has(s)) {
        bad = s;
        break;
      }
    }
    if (bad !== undefined) return `status ${bad} is not a GNTST_* code`;
    return null;
  },
};

/** well-formed-statuses of a map batch's results, read in place (statusesOf would copy the
 * statuses out of every map's results): the same checks in the same order. */
function mapStatusesProblem(results: readonly MapElementResult[], t: Transition): string | null {
  if (results.length !== batchLength(t)) {
    return `${results.length} statuses for a batch of ${batchLength(t)}`;
  }
  for (const r of results) {
    if (!GNTST_NAMES.has(r.status)) return `status ${r.status} is not a GNTST_* code`;
  }
  for (const r of results) {
    if ((r.status === GNTST_okay) !== 'handle' in r) {
      return `map status ${r.status} ${'handle' in r ? 'with' : 'without'} a handle`;
    }
  }
  return null;
}

/** Did no element fail (no statuses, none, or one okay), as statusesOf would say, without
 * copying a map's statuses? */
function someOkayOrNone(t: Transition): boolean {
  if (t.result.kind === 'map_grant_ref') {
    const results = t.result.results;
    if (results.length === 0) return true;
    for (const r of results) if (r.status === GNTST_okay) return true;
    return false;
  }
  const statuses = statusesOf(t);
  if (statuses === null || statuses.length === 0) return true;
  for (const s of statuses) if (s === GNTST_okay) return true;
  return false;
}

export const freshHandles: StepProperty = {
  name: 'fresh-handles',
  statement:
    'a successful map returns a handle no live mapping holds, and dev_bus_addr = active mfn << 12',
  source:
    'xen/common/grant_table.c map_grant_ref (handle from get_maptrack_handle, dev_bus_addr = mfn_to_maddr(mfn))',
  check(t) {
    if (t.op.kind !== 'map_grant_ref' || t.result.kind !== 'map_grant_ref') return null;
    const before = t.before.domains[t.op.caller]?.maptrack.mappings;
    const results = t.result.results;
    // The handles seen so far: none before the first (most batches hold one element).
    let seen: Set<number> | undefined;
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      if (r === undefined || !('handle' in r)) continue;
      if (before?.has(r.handle) || seen?.has(r.handle))
        return `handle ${r.handle} handed out twice`;
      (seen ??= new Set()).add(r.handle);
      const args = t.op.batch[i];
      const act = args && t.after.domains[args.dom]?.grantTable.active.get(args.ref);
      if (!act)
        return `map element ${i} succeeded but d${args?.dom} ref ${args?.ref} is not pinned`;
      if (r.devBusAddr !== act.mfn * 2 ** PAGE_SHIFT) {
        return `map element ${i}: dev_bus_addr ${r.devBusAddr} for mfn ${act.mfn}`;
      }
    }
    return null;
  },
};

export const failureAtomicity: StepProperty = {
  name: 'failure-atomicity',
  statement:
    'a refused guest call or an all-failed map/unmap/setup/query changes nothing; a failed transfer loses at most its page',
  source:
    'xen/common/grant_table.c map_grant_ref (undo_out), unmap_common, gnttab_transfer (a failure after steal_page frees the page); Linux drivers/xen/grant-table.c gnttab_end_foreign_access_ref_v1 (returns 0, entry untouched)',
  check(t) {
    // A step that left the state as it was (most refused calls: the model shares the state)
    // changed nothing; only a failed transfer must have lost its page.
    if (t.before === t.after && t.op.kind !== 'transfer') return null;
    if ('outcome' in t.result) {
      if (t.result.outcome === 'ok' || t.result.outcome === 'ended') return null;
      if (t.result.outcome === 'cancelled' || t.result.outcome === 'completed') return null;
      const changed = sameXenVisible(t.before, t.after);
      return changed && `${t.result.outcome} but ${changed}`;
    }
    if (someOkayOrNone(t)) return null;
    if (t.op.kind === 'transfer') {
      const statuses = statusesOf(t) ?? [];
      if (statuses.length !== 1) return null;
      const caller = t.op.caller;
      const lost =
        (t.before.domains[caller]?.totPages ?? 0) - (t.after.domains[caller]?.totPages ?? 0);
      if (statuses[0] === GNTST_bad_page) {
        const changed = sameXenVisible(t.before, t.after);
        return changed && `transfer failed with bad_page but ${changed}`;
      }
      return lost === 1 ? null : `failed transfer changed d${caller} tot_pages by ${-lost}`;
    }
    if (t.op.kind === 'unmap_and_replace') return replaceFailedAtomically(t, t.op);
    const changed = sameXenVisible(t.before, t.after);
    return changed && `${t.op.kind} failed in every element but ${changed}`;
  },
};

/** The linear pages an unmap_and_replace names as new_addr (steal_linear_address's slots). */
function newAddrPages(op: UnmapAndReplaceOp): Set<number> {
  const pages = new Set<number>();
  for (const e of op.batch) if (e.newAddr !== 0) pages.add(Math.floor(e.newAddr / PAGE_SIZE));
  return pages;
}

/** A failed unmap_and_replace element may have zapped its new_addr's PTE (replace_grant_pv_mapping
 * drops the stolen PTE on failure): those slots may only go empty; nothing else may change. */
function replaceFailedAtomically(t: Transition, op: UnmapAndReplaceOp): string | null {
  const before = t.before.domains[op.caller];
  const after = t.after.domains[op.caller];
  if (!before || !after) return null;
  const stolen = newAddrPages(op);
  for (const page of stolen) {
    const now = after.hostMappings.get(page);
    if (now !== undefined && !sameRecord(now, before.hostMappings.get(page))) {
      return `unmap_and_replace failed in every element but d${op.caller} va page ${page} was rewritten`;
    }
  }
  // Put back what was zapped; then the step must have changed nothing.
  let zapped = false;
  for (const page of stolen) {
    if (after.hostMappings.get(page) !== before.hostMappings.get(page)) zapped = true;
  }
  let afterRestored = t.after; // nothing zapped: nothing to put back
  if (zapped) {
    // A zapped PTE may have held a zombie's last page reference: the page is freed, and with
    // its last page the zombie goes (docs/semantics.md §17). That end is zombie-frames-held's
    // and gone-domains-unnamed's to judge, not this property's.
    for (const page of stolen) {
      const was = before.hostMappings.get(page);
      if (was === undefined || after.hostMappings.get(page) !== undefined) continue;
      const owner = t.before.frameOwner.get(was.mfn);
      if (owner !== undefined && t.before.domains[owner]?.death === 'zombie') return null;
    }
    const restored = new Map(after.hostMappings);
    for (const page of stolen) {
      const was = before.hostMappings.get(page);
      if (was !== undefined) restored.set(page, was);
    }
    const domains = t.after.domains.slice();
    domains[op.caller] = { ...after, hostMappings: restored };
    afterRestored = { ...t.after, domains };
  }
  const changed = sameXenVisible(t.before, afterRestored);
  return changed && `unmap_and_replace failed in every element but ${changed}`;
}

/** The slots an unmap_and_replace may write: each element's host_addr and new_addr slots, the
 * host_addr read as a linear address or as a PTE address (GNTMAP_contains_pte). */
function namedSlots(t: Transition, op: UnmapAndReplaceOp): Set<number> {
  const slots = new Set<number>();
  const caller = t.before.domains[op.caller];
  for (const e of op.batch) {
    slots.add(Math.floor(e.hostAddr / PAGE_SIZE));
    slots.add(Math.floor(e.newAddr / PAGE_SIZE));
    const pte = caller && pteSlot(caller, e.hostAddr);
    if (pte !== undefined) slots.add(pte);
  }
  return slots;
}

export const replaceTouchesNamedSlots: StepProperty = {
  name: 'replace-touches-named-slots',
  statement:
    "unmap_and_replace changes only the caller's PTEs at its elements' host_addr and new_addr, and a successful element's new PTE is the one new_addr held",
  source: 'xen/arch/x86/pv/grant_table.c replace_grant_pv_mapping, steal_linear_address',
  check(t) {
    const op = t.op;
    if (op.kind !== 'unmap_and_replace' || t.result.kind !== 'unmap_and_replace') return null;
    for (const d of t.before.domains) {
      const after = t.after.domains[d.id];
      if (!after || after.hostMappings === d.hostMappings) continue;
      if (d.id !== op.caller) return `unmap_and_replace by d${op.caller} changed d${d.id}'s PTEs`;
      const named = namedSlots(t, op);
      const pages = new Set([...d.hostMappings.keys(), ...after.hostMappings.keys()]);
      for (const page of pages) {
        if (named.has(page)) continue;
        if (!sameRecord(d.hostMappings.get(page), after.hostMappings.get(page))) {
          return `unmap_and_replace changed d${d.id} va page ${page}, which no element names`;
        }
      }
    }
    // One-element batches: a success leaves at host_addr exactly what new_addr held before.
    const [only] = op.batch;
    const caller = t.before.domains[op.caller];
    if (op.batch.length !== 1 || !only || t.result.statuses[0] !== GNTST_okay || !caller) {
      return null;
    }
    const hostPage = Math.floor(only.hostAddr / PAGE_SIZE);
    const mapping = caller.maptrack.mappings.get(only.handle);
    // host_addr 0, or a handle without a host part: okay, and nothing is replaced
    if (
      only.hostAddr === 0 ||
      only.newAddr === 0 ||
      !mapping ||
      !(mapping.flags & GNTMAP_host_map)
    ) {
      return null;
    }
    const moved = caller.hostMappings.get(Math.floor(only.newAddr / PAGE_SIZE));
    const now = t.after.domains[op.caller]?.hostMappings.get(hostPage);
    return sameRecord(moved, now)
      ? null
      : `unmap_and_replace put a PTE at va page ${hostPage} that new_addr did not hold`;
  },
};

export const noRevocation: StepProperty = {
  name: 'no-revocation',
  statement: 'while a ref stays pinned, its active grantee and frame do not change',
  source:
    'xen/common/grant_table.c map_grant_ref (while pinned: act->domid must match, act->mfn is reused, _set_status only for the first (writable) pin)',
  check(t) {
    if (t.before === t.after) return null; // every active table as it was
    for (const d of t.before.domains) {
      const after = t.after.domains[d.id]?.grantTable.active;
      if (after === d.grantTable.active) continue; // unchanged (shared by the step)
      for (const [ref, act] of d.grantTable.active) {
        const now = after?.get(ref);
        if (now && (now.grantee !== act.grantee || now.mfn !== act.mfn)) {
          return `d${d.id} ref ${ref} pinned throughout but moved to d${now.grantee} mfn ${now.mfn}`;
        }
      }
    }
    return null;
  },
};

export const endNeverWhileMapped: StepProperty = {
  name: 'end-never-while-mapped',
  statement:
    'end_access never succeeds on a pinned entry that shows GTF_reading or GTF_writing (on every pinned entry of a protocol-following guest)',
  source:
    'Linux drivers/xen/grant-table.c gnttab_end_foreign_access_ref_v1, gnttab_try_end_foreign_access (XSA-396); xen/include/public/grant_table.h (invalidating an unused GTF_permit_access entry)',
  check(t) {
    if (t.op.kind !== 'end_access' || t.result.kind !== 'end_access') return null;
    if (t.result.outcome !== 'ended') return null;
    const d = t.before.domains[t.op.dom];
    if (!d || !d.grantTable.active.has(t.op.ref)) return null;
    // The library's compare-and-swap refuses an entry showing either bit
    // (gnttab_end_foreign_access_ref_v1), whoever wrote the rest of it. Only a pinned entry
    // whose bits a raw write cleared (Xen does not set them again while pinned: map_grant_ref
    // calls _set_status only for the first pin) is the guest's own doing.
    const flags = d.grantTable.entries.get(t.op.ref)?.flags ?? 0;
    if (d.rawWritten.has(t.op.ref) && (flags & (GTF_reading | GTF_writing)) === 0) return null;
    return `ended d${d.id} ref ${t.op.ref} while pinned (flags 0x${flags.toString(16)})`;
  },
};

/** Pins of one ref: any, and writable. */
function pinsOf(d: DomainState | undefined, ref: number): { any: boolean; writable: boolean } {
  const act = d?.grantTable.active.get(ref);
  return {
    any: act !== undefined,
    writable: act !== undefined && act.hostWritable + act.deviceWritable > 0,
  };
}

/** What Xen itself writes into a shared entry during a hypercall, whatever the guest wrote there
 * before: a raw write cannot undo it within the hypercall, so this holds on raw-written entries
 * too (it is how the status bits stay checked on them, see docs/properties.md). */
function xenStatusWrite(t: Transition, dom: number, ref: number): string | null {
  const before = pinsOf(t.before.domains[dom], ref);
  const after = pinsOf(t.after.domains[dom], ref);
  const flags = t.after.domains[dom]?.grantTable.entries.get(ref)?.flags ?? 0;
  const at = `d${dom} ref ${ref} (flags 0x${flags.toString(16)})`;
  // map_grant_ref → _set_status_v1 on the first pin, or the first writable pin
  if (!before.any && after.any && !(flags & GTF_reading))
    return `${at}: pinned without GTF_reading`;
  if (
    !before.writable &&
    after.writable &&
    (flags & (GTF_reading | GTF_writing)) !== (GTF_reading | GTF_writing)
  ) {
    return `${at}: write-pinned without GTF_reading|GTF_writing`;
  }
  // unmap_common_complete → reduce_status_for_pin → gnttab_clear_flags
  if (before.any && !after.any && flags & GTF_reading)
    return `${at}: last pin gone, GTF_reading kept`;
  if (before.writable && !after.writable && flags & GTF_writing) {
    return `${at}: last writable pin gone, GTF_writing kept`;
  }
  return null;
}

export const xenEntryWrites: StepProperty = {
  name: 'xen-entry-writes',
  statement:
    "Xen's own writes to a shared entry, on every entry, raw-written ones included: a map that pins a ref sets GTF_reading (GTF_writing for the first writable pin), an unmap that drops the last (writable) pin clears it; a successful transfer leaves its entry committed and completed",
  source:
    'grant_table.c _set_status_v1, map_grant_ref, reduce_status_for_pin, gnttab_clear_flags, gnttab_transfer',
  check(t) {
    const op = t.op;
    if (
      op.kind === 'map_grant_ref' ||
      op.kind === 'unmap_grant_ref' ||
      op.kind === 'unmap_and_replace'
    ) {
      // Only the pins of refs this batch touches can change: compare every active entry of the
      // domains whose active table changed.
      // A ref whose active entry is the same object before and after kept its pins, and
      // xenStatusWrite asks only about pins that changed: only the others are read, in the
      // order of the union of both key sets (the before keys, then the new ones).
      for (const d of t.before.domains) {
        const after = t.after.domains[d.id];
        if (!after || after.grantTable.active === d.grantTable.active) continue;
        const was = d.grantTable.active;
        const now = after.grantTable.active;
        for (const [ref, act] of was) {
          if (now.get(ref) === act) continue;
          const message = xenStatusWrite(t, d.id, ref);
          if (message !== null) return message;
        }
        for (const ref of now.keys()) {
          if (was.has(ref)) continue;
          const message = xenStatusWrite(t, d.id, ref);
          if (message !== null) return message;
        }
      }
      return null;
    }
    if (op.kind === 'transfer' && t.result.kind === 'transfer') {
      for (const [i, status] of t.result.statuses.entries()) {
        const args = op.batch[i];
        if (status !== GNTST_okay || args === undefined) continue;
        const flags = t.after.domains[args.domid]?.grantTable.entries.get(args.ref)?.flags ?? 0;
        const done = GTF_transfer_committed | GTF_transfer_completed;
        if ((flags & done) !== done) {
          return `transfer into d${args.domid} ref ${args.ref} succeeded, flags 0x${flags.toString(16)}`;
        }
      }
    }
    return null;
  },
};

export const committedTransferUntouched: StepProperty = {
  name: 'committed-transfer-untouched',
  statement: 'the guest library never modifies a committed, not yet completed transfer entry',
  source:
    'xen/include/public/grant_table.h (GTF_transfer_committed: not modified until GTF_transfer_completed); Linux drivers/xen/grant-table.c gnttab_end_foreign_transfer_ref_v1',
  check(t) {
    // A step that kept the state kept every entry (sameRecord of an entry and itself).
    if (t.before === t.after) return null;
    const op = t.op;
    // Read, not tested with `in` (a megamorphic test on every op): an op without `dom` or
    // `ref` reads undefined, which names no domain or entry, as the test would have said.
    const { dom, ref } = op as { readonly dom?: number; readonly ref?: number };
    if (op.kind === 'raw_write' || dom === undefined || ref === undefined) return null;
    const before = t.before.domains[dom]?.grantTable.entries.get(ref);
    if (!before || (before.flags & GTF_type_mask) !== GTF_accept_transfer) return null;
    if (!(before.flags & GTF_transfer_committed) || before.flags & GTF_transfer_completed)
      return null;
    const after = t.after.domains[dom]?.grantTable.entries.get(ref);
    return sameRecord(before, after) ? null : `${op.kind} modified committed d${dom} ref ${ref}`;
  },
};

/** The caller's entries as the batch's okay elements should leave them: each swap of two
 * distinct refs exchanges them, in batch order. */
function expectedSwapEntries(
  before: DomainState,
  op: SwapGrantRefOp,
  statuses: readonly number[],
): ReadonlyMap<number, SharedEntry> {
  let entries: Map<number, SharedEntry> | undefined; // copied at the first exchange
  for (const [i, status] of statuses.entries()) {
    const args = op.batch[i];
    if (status !== GNTST_okay || args === undefined || args.refA === args.refB) continue;
    entries ??= new Map(before.grantTable.entries);
    const a = entries.get(args.refA);
    const b = entries.get(args.refB);
    entries.delete(args.refA);
    entries.delete(args.refB);
    if (b) entries.set(args.refA, b);
    if (a) entries.set(args.refB, a);
  }
  return entries ?? before.grantTable.entries;
}

/** The entries the okay swaps leave at the refs they name (undefined: none there), the same
 * exchanges as expectedSwapEntries without copying the table. */
function swappedEntries(
  before: DomainState,
  op: SwapGrantRefOp,
  statuses: readonly number[],
): Map<number, SharedEntry | undefined> {
  const entries = before.grantTable.entries;
  const swapped = new Map<number, SharedEntry | undefined>();
  for (let i = 0; i < statuses.length; i++) {
    const args = op.batch[i];
    if (statuses[i] !== GNTST_okay || args === undefined || args.refA === args.refB) continue;
    const a = swapped.has(args.refA) ? swapped.get(args.refA) : entries.get(args.refA);
    const b = swapped.has(args.refB) ? swapped.get(args.refB) : entries.get(args.refB);
    swapped.set(args.refA, b);
    swapped.set(args.refB, a);
  }
  return swapped;
}

/** Are the entries after the swaps certainly the expected ones (expectedSwapEntries, compared
 * with sameMap)? The named refs hold what the swaps give, every other entry is the same object
 * as before, and no other ref gained one. False means "compare in full". */
function swapsAsExpected(
  before: ReadonlyMap<number, SharedEntry>,
  swapped: ReadonlyMap<number, SharedEntry | undefined>,
  after: ReadonlyMap<number, SharedEntry>,
): boolean {
  for (const [ref, entry] of swapped) if (!sameRecord(entry, after.get(ref))) return false;
  for (const [ref, entry] of before)
    if (!swapped.has(ref) && after.get(ref) !== entry) return false;
  for (const ref of after.keys()) if (!swapped.has(ref) && !before.has(ref)) return false;
  return true;
}

export const swapExchangesOnlyTwoEntries: StepProperty = {
  name: 'swap-exchanges-only-two-entries',
  statement:
    "swap_grant_ref changes nothing but the caller's shared entries: each okay element exchanges its two entries whole, and only entries that no pin holds",
  source: 'grant_table.c swap_grant_ref (XSA-18, XSA-134)',
  check(t) {
    if (t.op.kind !== 'swap_grant_ref' || t.result.kind !== 'swap_grant_ref') return null;
    const op = t.op;
    const before = t.before.domains[op.caller];
    const after = t.after.domains[op.caller];
    if (!before || !after) return null;
    for (const [i, status] of t.result.statuses.entries()) {
      const args = op.batch[i];
      if (status !== GNTST_okay || args === undefined || args.refA === args.refB) continue;
      for (const ref of [args.refA, args.refB]) {
        if (before.grantTable.active.has(ref)) {
          return `element ${i} moved d${op.caller} ref ${ref} while it was pinned`;
        }
      }
    }
    const statuses = t.result.statuses;
    const expected = swapsAsExpected(
      before.grantTable.entries,
      swappedEntries(before, op, statuses),
      after.grantTable.entries,
    )
      ? undefined // as the whole comparison below would find
      : expectedSwapEntries(before, op, statuses);
    if (expected && !sameMap(expected, after.grantTable.entries)) {
      for (const ref of new Set([...expected.keys(), ...after.grantTable.entries.keys()])) {
        const want = expected.get(ref);
        const got = after.grantTable.entries.get(ref);
        if (!sameRecord(want, got)) {
          return `d${op.caller} ref ${ref} holds ${JSON.stringify(got ?? null)}, the swaps give ${JSON.stringify(want ?? null)}`;
        }
      }
    }
    // Everything else as it was: the caller's entries left out (as if they were as before).
    const others = sameXenVisible(t.before, t.after, op.caller);
    return others && `swap ${others}`;
  },
};

export const STEP_PROPERTIES: readonly StepProperty[] = [
  wellFormedStatuses,
  freshHandles,
  failureAtomicity,
  noRevocation,
  endNeverWhileMapped,
  committedTransferUntouched,
  xenEntryWrites,
  replaceTouchesNamedSlots,
  swapExchangesOnlyTwoEntries,
  ...CONTENTS_PROPERTIES,
];
