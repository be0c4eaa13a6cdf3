// GNTTABOP_map_grant_ref: map_grant_ref() (grant_table.c L986-1358) element by element, for a
// PV mapper and a v1 granter. docs/semantics.md §4.

import { withPermit } from '../flow.ts';
import type { DomId, MapGrantRefArgs, MapGrantRefOp } from '../../ops/op.ts';
import type { MapElementResult, MapGrantRefResult } from '../../ops/result.ts';
import {
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTST_bad_domain,
  GNTST_bad_gntref,
  GNTST_bad_page,
  GNTST_general_error,
  GNTST_no_space,
  PAGE_SIZE,
} from '../../xen/abi.ts';
import { hasZombie, reapZombies } from '../death.ts';
import { entryAt } from '../entry.ts';
import { hostSlot } from '../hostPte.ts';
import { domainAt, isIndex, nrEntries } from '../lookup.ts';
import {
  allocateHandle,
  headMapped,
  headReturned,
  ownHead,
  putHandle,
  withMapping,
} from '../maptrack.ts';
import { NO_PINS, addPins, pinIncrement, totalPins, wouldOverflow, writablePins } from '../pins.ts';
import type { ActiveGrant, DomainState, Maptrack, ModelState, SharedEntry } from '../state.ts';
import { reduceStatusForPin, setStatusV1 } from '../status.ts';
import type { Draft } from '../update.ts';
import {
  activeGrant,
  domainDraft,
  mapWith,
  withActive,
  withDomains,
  withEntry,
} from '../update.ts';

/** The state between two elements of one batch. Why not a new ModelState per element: a burst
 * maps hundreds of elements, and no one sees the states in between, so the batch updates one
 * copy of the domains array, owned by this call, in place; the ModelState it returns is as
 * immutable as any other. */
interface Batch {
  state: ModelState; // state.domains === domains; a new flow ghost replaces the state (§15)
  readonly domains: DomainState[];
  /** owned[id]: domains[id] is a copy this call made, that no one else has seen yet, so a later
   * element may change it in place instead of copying it again. */
  readonly owned: boolean[];
}

/** A copy of domain `id` put in the batch's working copy for the caller to change (editDomain
 * without copying the domains array, nor a callback); undefined when there is no such domain. */
function draftDomain(b: Batch, id: DomId): Draft<DomainState> | undefined {
  const domain = b.domains[id];
  if (domain === undefined) return undefined;
  if (b.owned[id] === true) return domain as Draft<DomainState>;
  const draft = domainDraft(domain);
  b.domains[id] = draft;
  b.owned[id] = true;
  return draft;
}

/** Domain `id`'s maptrack replaced in the batch's working copy. */
function setMaptrack(b: Batch, id: DomId, maptrack: Maptrack): void {
  const d = draftDomain(b, id);
  if (d !== undefined) d.maptrack = maptrack;
}

export function mapGrantRef(
  state: ModelState,
  op: MapGrantRefOp,
): { state: ModelState; result: MapGrantRefResult } {
  const results: MapElementResult[] = [];
  const domains = state.domains.slice();
  const start = withDomains(state, domains);
  const batch: Batch = { state: start, domains, owned: [] };
  const vcpu = op.vcpu ?? 0;
  for (const args of op.batch) {
    results.push(mapOne(batch, op.caller, vcpu, args));
    // An overwritten grant PTE may have held a zombie's last page reference (§17)
    if (hasZombie(batch.state)) reapInto(batch);
  }
  // A batch that changed nothing returns the very state it was given, as a per-element step did.
  let changed = batch.state !== start;
  for (let i = 0; !changed && i < domains.length; i++) changed = domains[i] !== state.domains[i];
  return { state: changed ? batch.state : state, result: { kind: 'map_grant_ref', results } };
}

/** reapZombies (../death.ts) on the batch's working copy. */
function reapInto(b: Batch): void {
  const reaped = reapZombies(b.state);
  if (reaped === b.state) return;
  reaped.domains.forEach((d, i) => {
    b.domains[i] = d;
    b.owned[i] = false; // the reaped state may share it
  });
  b.state = withDomains(reaped, b.domains);
}

/** A handle taken for an element. `head`: it is vCPU 0's own head (ownHead) and `maptrack` the
 * table before it was taken (headTaken/headReturned/headMapped finish the job); otherwise
 * `maptrack` is allocateHandle's table after. */
interface Taken {
  readonly handle: number;
  readonly maptrack: Maptrack;
  readonly vcpu: number;
  readonly head: boolean;
}

// Every failure after the handle was taken returns it to the tail of the free list (L1356), so a
// failed map still moves later handle numbers and may have grown maptrack_limit.
function refused(batch: Batch, ld: DomId, taken: Taken, status: number): MapElementResult {
  // the entry's vcpu is the caller's: set with its frame (L699) or by the steal (L601)
  setMaptrack(
    batch,
    ld,
    taken.head
      ? headReturned(taken.maptrack, taken.handle)
      : putHandle(taken.maptrack, taken.handle, taken.vcpu),
  );
  return { status };
}

function setGranterEntry(
  batch: Batch,
  granter: DomId,
  ref: number,
  entry: SharedEntry,
  active: ReadonlyMap<number, ActiveGrant>,
): void {
  const d = draftDomain(batch, granter);
  if (d !== undefined) d.grantTable = withActive(withEntry(d.grantTable, ref, entry), active);
}

function mapOne(batch: Batch, ld: DomId, vcpu: number, args: MapGrantRefArgs): MapElementResult {
  const { state } = batch;
  const inc = pinIncrement(args.flags);
  // L1006-1018: neither host_map nor device_map → bad_gntref (not a flags error)
  if (totalPins(inc) === 0) return { status: GNTST_bad_gntref };
  const granter = domainAt(state, args.dom);
  // L1029-1034: unknown domain; DOMID_SELF is not accepted by map
  if (granter === undefined) return { status: GNTST_bad_domain };
  const mapper = domainAt(state, ld);
  // Not a Xen path: a domain that does not exist cannot issue hypercalls (opProblem rejects it).
  if (mapper === undefined) return { status: GNTST_bad_domain };
  // L1045-1052: no maptrack handle for the calling vCPU (each list keeps its last entry; a
  // sentinel steal may still have moved one) → no_space
  let taken: Taken;
  const head = ownHead(mapper.maptrack, vcpu);
  if (head !== undefined) {
    taken = { handle: head, maptrack: mapper.maptrack, vcpu, head: true };
  } else {
    const got = allocateHandle(mapper.maptrack, vcpu);
    if (got.handle === undefined) {
      if (got.maptrack !== mapper.maptrack) setMaptrack(batch, ld, got.maptrack);
      return { status: GNTST_no_space };
    }
    taken = { handle: got.handle, maptrack: got.maptrack, vcpu, head: false };
  }
  const handle = taken.handle;

  const ref = args.ref;
  // L1057-1061: ref beyond the granter's table → bad_gntref
  if (!isIndex(ref, nrEntries(granter.grantTable)))
    return refused(batch, ld, taken, GNTST_bad_gntref);

  const table = granter.grantTable;
  const act = table.active.get(ref); // present iff pin != 0
  const writable = (args.flags & GNTMAP_readonly) === 0;
  // L1067-1074: pinned by another grantee (even if the granter rewrote sha->domid since: no
  // revocation), or a counter being incremented already at 128 → general_error
  if (act !== undefined && (act.grantee !== ld || wouldOverflow(act, inc))) {
    return refused(batch, ld, taken, GNTST_general_error);
  }

  let entry = entryAt(table, ref);
  // L1080-1087: _set_status on the first pin, or on the first writable pin of a read-only one
  if (act === undefined || (writable && writablePins(act) === 0)) {
    const marked = setStatusV1(entry, act !== undefined, writable, ld);
    if (marked === undefined) return refused(batch, ld, taken, GNTST_general_error);
    entry = marked;
  }

  let pinned: ActiveGrant;
  if (act === undefined) {
    // L1089-1098: the entry's frame is a gfn of the granter; only read on the first pin
    const mfn = granter.p2m.get(entry.frame);
    if (mfn === undefined) {
      // unlock_out_clear L1347-1348: reduce_status_for_pin with pin 0 clears the status bits
      const cleared = reduceStatusForPin(entry, NO_PINS, !writable);
      setGranterEntry(batch, granter.id, ref, cleared, table.active);
      return refused(batch, ld, taken, GNTST_bad_page);
    }
    // L1099-1106 and L1110: fill the active entry, then add the pins
    pinned = activeGrant(ld, mfn, addPins(NO_PINS, inc));
  } else {
    // Already pinned: the shared entry's frame is ignored; act->mfn is authoritative.
    pinned = activeGrant(act.grantee, act.mfn, addPins(act, inc));
  }

  // L1119-1214: page references. The page must still belong to the granter ("Could not pin
  // grant frame"). Not a given: a pin whose host PTE was overwritten holds no page reference
  // (x86 put_page_from_l1e; e.g. two host maps at one va page, then one unmapped), so steal_page
  // can transfer the page away while it stays pinned. Host map: create_grant_pv_mapping needs the
  // slot host_addr names (a linear page with an L1 table, or with GNTMAP_contains_pte an aligned
  // PTE address in one of the mapper's L1 frames); it fails with general_error otherwise.
  const isHost = (args.flags & GNTMAP_host_map) !== 0;
  const slot = hostSlot(mapper, args.hostAddr, args.flags);
  if (state.frameOwner.get(pinned.mfn) !== granter.id || (isHost && slot === undefined)) {
    // undo_out L1313-1357: pins back, reduce_status_for_pin, handle returned
    const undone = reduceStatusForPin(entry, act ?? NO_PINS, !writable);
    setGranterEntry(batch, granter.id, ref, undone, table.active);
    return refused(batch, ld, taken, GNTST_general_error);
  }

  setGranterEntry(batch, granter.id, ref, entry, mapWith(table.active, ref, pinned));
  // L1300-1304: record the mapping; maptrack flags are a u16 (guest_avail bits dropped;
  // GNTMAP_contains_pte kept, so unmap reads host_addr as this map did)
  const flags = args.flags & 0xffff;
  const mapping =
    vcpu === 0 ? { granter: granter.id, ref, flags } : { granter: granter.id, ref, flags, vcpu };
  const d = draftDomain(batch, ld);
  if (d !== undefined) {
    d.maptrack = taken.head
      ? headMapped(taken.maptrack, handle, mapping)
      : withMapping(taken.maptrack, handle, mapping);
    // create_grant_pv_mapping replaces whatever PTE was in the slot (put_page_from_l1e for the old one)
    if (isHost && slot !== undefined) {
      d.hostMappings = mapWith(d.hostMappings, slot, { mfn: pinned.mfn, writable });
    }
  }
  // Ghost (docs/semantics.md §15): the granted frame may flow to the mapper, and from it unless
  // read-only.
  const read = withPermit(batch.state, pinned.mfn, ld, false);
  batch.state = args.flags & GNTMAP_readonly ? read : withPermit(read, pinned.mfn, ld, true);
  // L1306-1308: dev_bus_addr is returned for every successful map, device_map or not
  return { status: 0, handle, devBusAddr: pinned.mfn * PAGE_SIZE };
}
