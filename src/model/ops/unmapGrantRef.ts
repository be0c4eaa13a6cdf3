// GNTTABOP_unmap_grant_ref: unmap_common (grant_table.c L1384-1575) then unmap_common_complete
// (L1577-1648). Xen runs phase 1 for up to 32 elements before any phase 2; element-by-element is
// equivalent sequentially (docs/semantics.md §5; gnttab_unmap_grant_ref).

import type { DomId, UnmapGrantRefArgs, UnmapGrantRefOp } from '../../ops/op.ts';
import type { UnmapGrantRefResult } from '../../ops/result.ts';
import {
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GNTST_bad_dev_addr,
  GNTST_bad_domain,
  GNTST_bad_handle,
  GNTST_general_error,
  GNTST_okay,
  PAGE_SIZE,
} from '../../xen/abi.ts';
import { hasZombie, reapZombiePage, reapZombies } from '../death.ts';
import { entryAt } from '../entry.ts';
import { replaceGrantPvMapping } from '../hostPte.ts';
import { domainAt, isIndex } from '../lookup.ts';
import { mappingVcpu, putHandle, withMapping } from '../maptrack.ts';
import { pinIncrement, subtractPins, totalPins } from '../pins.ts';
import { reduceStatusForPin } from '../status.ts';
import type { GrantMapping, ModelState } from '../state.ts';
import {
  activeGrant,
  domainDraft,
  editDomain,
  mapWith,
  mapWithout,
  withActive,
  withDomains,
  withEntry,
} from '../update.ts';

export function unmapGrantRef(
  state: ModelState,
  op: UnmapGrantRefOp,
): { state: ModelState; result: UnmapGrantRefResult } {
  const statuses: number[] = [];
  let current = state;
  for (let i = 0; i < op.batch.length; i++) {
    const element = unmapOne(current, op.caller, op.batch[i] as UnmapGrantRefArgs);
    current = reapAtChunkEnd(element.state, i, op.batch.length);
    statuses.push(element.status);
  }
  return { state: current, result: { kind: 'unmap_grant_ref', statuses } };
}

/** GNTTAB_UNMAP_BATCH_SIZE (L274): the elements whose phase 1 runs before any phase 2. */
const UNMAP_CHUNK = 32;

/** After element `i` of `n`: at the end of its chunk, phase 2 (unmap_common_complete) of every
 * element of the chunk has run, and the page references they put may have been a zombie's
 * last (§17). Why not after each element: an element's phase 1 runs before the put of an
 * earlier element of its chunk, so it still finds that zombie (gnttab_unmap_grant_ref,
 * gnttab_unmap_and_replace). */
export function reapAtChunkEnd(state: ModelState, i: number, n: number): ModelState {
  const chunkEnd = (i + 1) % UNMAP_CHUNK === 0 || i === n - 1;
  return chunkEnd && hasZombie(state) ? reapZombies(state) : state;
}

/** unmap_common and unmap_common_complete for one element; `newAddr` is unmap_and_replace's
 * new_addr (0 for GNTTABOP_unmap_grant_ref, whose unmap_grant_ref sets it so). The zombie pages
 * phase 2's puts free are left to the caller (reapAtChunkEnd). */
export function unmapOne(
  state: ModelState,
  ld: DomId,
  args: UnmapGrantRefArgs,
  newAddr = 0,
): { state: ModelState; status: number } {
  const mapper = domainAt(state, ld);
  // Not a Xen path: a domain that does not exist cannot issue hypercalls (opProblem rejects it).
  if (mapper === undefined) return { state, status: GNTST_bad_domain };
  const mt = mapper.maptrack;
  // L1401-1407: handle beyond maptrack_limit → bad_handle
  if (!isIndex(args.handle, mt.limit)) return { state, status: GNTST_bad_handle };
  const mapping = mt.mappings.get(args.handle);
  // L1412-1418: free entry (flags 0) → bad_handle
  if (mapping === undefined) return { state, status: GNTST_bad_handle };
  const granter = domainAt(state, mapping.granter);
  // L1421-1427: the granter is gone (§17: reachable only for a mapping that held no page
  // reference, a host mapping whose PTE was overwritten). Xen crashes the caller
  // (domain_crash) and writes no status; the model reports bad_domain and changes nothing.
  if (granter === undefined) return { state, status: GNTST_bad_domain };
  const act = granter.grantTable.active.get(mapping.ref);
  // L1455-1485: the entry no longer matches its pin. Unreachable: a live mapping always holds a
  // pin on a ref of an existing domain (invariants I6, I11).
  if (act === undefined) return { state, status: GNTST_bad_handle };

  const mfn = act.mfn; // L1487: the active entry's frame, not the shared entry's
  const hasHost = (mapping.flags & GNTMAP_host_map) !== 0;
  const hasDevice = (mapping.flags & GNTMAP_device_map) !== 0;
  const readonly = (mapping.flags & GNTMAP_readonly) !== 0;

  // L1489-1493: a wrong dev_bus_addr (full compare) aborts everything, the host part included
  if (args.devBusAddr !== 0 && hasDevice && args.devBusAddr !== mfn * PAGE_SIZE) {
    return { state, status: GNTST_bad_dev_addr };
  }
  let hostMappings = mapper.hostMappings;
  const removeHost = args.hostAddr !== 0 && hasHost;
  if (removeHost) {
    // unmap_common → replace_grant_pv_mapping (pv.c), host_addr read under the mapping's own
    // flags (GNTMAP_contains_pte); a failed replace may still have zapped new_addr's slot
    const replaced = replaceGrantPvMapping(mapper, args.hostAddr, mfn, newAddr, mapping.flags);
    if (!replaced.ok) {
      if (replaced.hostMappings === hostMappings) return { state, status: GNTST_general_error };
      const zapped = editDomain(state, ld, (d) => {
        d.hostMappings = replaced.hostMappings;
      });
      // The stolen PTE's put (phase 1) may drop the last reference of a zombie's page (§17):
      // that page alone goes now. The puts of the chunk's earlier elements come in their
      // phase 2, after this element's phase 1 (reapAtChunkEnd).
      const { dropped } = replaced;
      return {
        state: dropped === undefined ? zapped : reapZombiePage(zapped, dropped.mfn),
        status: GNTST_general_error,
      };
    }
    hostMappings = replaced.hostMappings;
  }
  const removeDevice = args.devBusAddr !== 0 && hasDevice;
  // Both addresses 0, or addresses for kinds the mapping lacks: okay, nothing changes.
  if (!removeHost && !removeDevice) return { state, status: GNTST_okay };

  const done = (removeHost ? GNTMAP_host_map : 0) | (removeDevice ? GNTMAP_device_map : 0);
  const remaining = mapping.flags & ~done;
  // One copy of the domains array and of each domain changed (the mapper, the granter; one
  // domain when it unmaps its own grant), with no callbacks: a hot path.
  const domains = state.domains.slice();
  const mapperDraft = domainDraft(mapper);
  // L1512-1524: the handle is freed (to the tail) once neither kind remains
  mapperDraft.maptrack =
    (remaining & (GNTMAP_host_map | GNTMAP_device_map)) === 0
      ? putHandle(mt, args.handle, mappingVcpu(mapping))
      : withMapping(mt, args.handle, withMappingFlags(mapping, remaining));
  mapperDraft.hostMappings = hostMappings;
  domains[ld] = mapperDraft;

  // unmap_common_complete: drop the pins of the removed kinds, then reduce_status_for_pin
  const pins = subtractPins(act, pinIncrement(done | (readonly ? GNTMAP_readonly : 0)));
  const ref = mapping.ref;
  const granterDraft = granter.id === ld ? mapperDraft : domainDraft(granter);
  const table = granterDraft.grantTable;
  const entry = reduceStatusForPin(entryAt(table, ref), pins, readonly);
  const active =
    totalPins(pins) === 0
      ? mapWithout(table.active, ref)
      : mapWith(table.active, ref, activeGrant(act.grantee, act.mfn, pins));
  granterDraft.grantTable = withActive(withEntry(table, ref, entry), active);
  domains[granter.id] = granterDraft;
  // unmap_common_complete's put_page may drop a zombie's last page reference (§17): the caller
  // reaps at the end of the element's chunk
  return { state: withDomains(state, domains), status: GNTST_okay };
}

/** `mapping` with its flags replaced (written out, not spread: a hot path; update.ts says why). */
function withMappingFlags(mapping: GrantMapping, flags: number): GrantMapping {
  const { granter, ref, vcpu } = mapping;
  return vcpu === undefined ? { granter, ref, flags } : { granter, ref, flags, vcpu };
}
