// A backend driver in a domain (docs/semantics.md §19), as Linux blkback and netback drive the
// hypervisor: one GNTTABOP_map_grant_ref batch per request (xen_blkbk_map; netback's
// xenvif_tx_build_gops), each element's status checked, the request failed if any element
// failed and then its mapped elements unmapped (dispatch_rw_block_io's fail_flush →
// xen_blkbk_unmap; xenvif_tx_check_gop → xenvif_idx_unmap); I/O through the mappings; one
// GNTTABOP_unmap_grant_ref batch at completion. It issues the impl hypervisor's real hypercalls
// (GrantSystem.apply) and keeps its own request table, as blkback's pending_req does.

import type {
  Op,
  BackendIoOp,
  BackendMapOp,
  BackendUnmapOp,
  DomId,
  Handle,
  Ref,
} from '../../../ops/op.ts';
import {
  BACKEND_IO_BYTE,
  BACKEND_IO_LEN,
  BACKEND_MAX_SEGMENTS,
  BACKEND_REQUESTS,
  backendSegmentPage,
} from '../../../ops/op.ts';
import type {
  BackendIoResult,
  BackendMapResult,
  BackendUnmapResult,
  MapElementResult,
  OpResult,
} from '../../../ops/result.ts';
import type { BackendRequest, BackendState } from '../../../model/state.ts';
import { GNTMAP_host_map, GNTMAP_readonly, GNTST_okay, PAGE_SIZE } from '../../../xen/abi.ts';

/** BLKBACK_INVALID_HANDLE: a segment whose map failed has no handle to unmap. */
export const BLKBACK_INVALID_HANDLE = -1;

/** One request slot (blkback's pending_req): the frontend, and per segment its ref and handle
 * (BLKBACK_INVALID_HANDLE while not mapped). */
interface RequestSlot {
  readonly frontend: DomId;
  readonly readonly: boolean;
  readonly refs: readonly Ref[];
  readonly handles: Handle[];
}

export interface BackendParts {
  /** The segments of a map batch the backend knows are mapped (it records their handles and
   * will unmap them): in xen_blkbk_map, every element whose status is GNTST_okay. */
  readonly backendMappedSegments: (results: readonly MapElementResult[]) => readonly number[];
}

/** xen_blkbk_map's loop over the statuses: every element is inspected; one that is okay keeps
 * its handle, one that failed gets BLKBACK_INVALID_HANDLE (and fails the request). */
export const backendMappedSegments: BackendParts['backendMappedSegments'] = (results) => {
  const mapped: number[] = [];
  results.forEach((r, i) => {
    if (r.status === GNTST_okay) mapped.push(i);
  });
  return mapped;
};

/** What the backend needs of the system: its hypercalls, run to their end. */
export interface BackendHost {
  readonly apply: (op: Op) => OpResult;
  readonly parts: BackendParts;
}

function segmentAddr(request: number, seg: number): number {
  return backendSegmentPage(request, seg) * PAGE_SIZE;
}

export class BackendLib {
  /** Live requests by id: every segment mapped. */
  readonly slots = new Map<number, RequestSlot>();

  constructor(readonly dom: DomId) {}

  /** The request table as the model states it. */
  abstract(): BackendState {
    const requests = new Map<number, BackendRequest>();
    for (const id of [...this.slots.keys()].sort((a, b) => a - b)) {
      const slot = this.slots.get(id);
      if (slot === undefined) continue;
      requests.set(id, {
        frontend: slot.frontend,
        readonly: slot.readonly,
        segments: slot.refs.map((ref, i) => ({ ref, handle: slot.handles[i] ?? -1 })),
      });
    }
    return { requests };
  }

  save(): ReadonlyMap<number, RequestSlot> {
    return new Map([...this.slots].map(([id, s]) => [id, { ...s, handles: [...s.handles] }]));
  }

  load(saved: ReadonlyMap<number, RequestSlot>): void {
    this.slots.clear();
    for (const [id, s] of saved) this.slots.set(id, { ...s, handles: [...s.handles] });
  }
}

export type BackendSnapshot = ReadonlyMap<number, RequestSlot>;

/** xen_blkbk_map and its caller's fail_flush: map every segment in one batch; a request with a
 * failed segment is failed, and the segments it knows are mapped are unmapped in one batch. */
export function backendMap(lib: BackendLib, host: BackendHost, op: BackendMapOp): BackendMapResult {
  const { request, refs } = op;
  if (
    !Number.isInteger(request) ||
    request < 0 ||
    request >= BACKEND_REQUESTS ||
    refs.length < 1 ||
    refs.length > BACKEND_MAX_SEGMENTS
  ) {
    return { kind: 'backend_map', outcome: 'einval' };
  }
  // A pending_req comes off the free list: a live slot is never reused
  if (lib.slots.has(request)) return { kind: 'backend_map', outcome: 'contract' };
  // gnttab_set_map_op (status preset to 1 since XSA-361: no stale "okay")
  const flags = GNTMAP_host_map | (op.readonly ? GNTMAP_readonly : 0);
  const result = host.apply({
    kind: 'map_grant_ref',
    caller: lib.dom,
    batch: refs.map((ref, i) => ({
      dom: op.frontend,
      ref,
      flags,
      hostAddr: segmentAddr(request, i),
    })),
  });
  const results = result.kind === 'map_grant_ref' ? result.results : [];
  const statuses = refs.map((_, i) => results[i]?.status ?? 1);
  const handles: Handle[] = refs.map(() => BLKBACK_INVALID_HANDLE);
  for (const i of host.parts.backendMappedSegments(results)) {
    const r = results[i];
    if (r !== undefined && 'handle' in r) handles[i] = r.handle;
  }
  if (statuses.every((s) => s === GNTST_okay)) {
    lib.slots.set(request, { frontend: op.frontend, readonly: op.readonly, refs, handles });
    return { kind: 'backend_map', outcome: 'ok', statuses };
  }
  // fail_flush → xen_blkbk_unmap: every segment with a valid handle, in one batch
  const batch = handles.flatMap((handle, i) =>
    handle === BLKBACK_INVALID_HANDLE
      ? []
      : [{ handle, hostAddr: segmentAddr(request, i), devBusAddr: 0 }],
  );
  if (batch.length > 0) host.apply({ kind: 'unmap_grant_ref', caller: lib.dom, batch });
  return { kind: 'backend_map', outcome: 'failed', statuses };
}

/** The request's I/O (blkback's bio over vaddr(pending_req, seg); netback's copy into the skb):
 * each segment read or written through its mapping. */
export function backendIo(lib: BackendLib, host: BackendHost, op: BackendIoOp): BackendIoResult {
  const slot = lib.slots.get(op.request);
  if (slot === undefined || (op.write && slot.readonly)) {
    return { kind: 'backend_io', outcome: 'contract' };
  }
  const digests: string[] = [];
  for (let i = 0; i < slot.refs.length; i++) {
    const hostAddr = segmentAddr(op.request, i);
    const r = host.apply(
      op.write
        ? {
            kind: 'write_mapped',
            dom: lib.dom,
            hostAddr,
            off: 0,
            len: BACKEND_IO_LEN,
            byte: BACKEND_IO_BYTE,
          }
        : { kind: 'read_mapped', dom: lib.dom, hostAddr, off: 0, len: BACKEND_IO_LEN },
    );
    if (r.kind !== 'write_mapped' && r.kind !== 'read_mapped') {
      throw new Error(`backend_io: ${r.kind} from a page access`);
    }
    if (r.outcome !== 'ok') return { kind: 'backend_io', outcome: r.outcome };
    if (r.kind === 'read_mapped' && r.outcome === 'ok') digests.push(r.digest);
  }
  return op.write
    ? { kind: 'backend_io', outcome: 'ok' }
    : { kind: 'backend_io', outcome: 'ok', digests };
}

/** xen_blkbk_unmap (netback: xenvif_idx_unmap): one unmap batch of the request's handles; the
 * slot goes back to the free list. */
export function backendUnmap(
  lib: BackendLib,
  host: BackendHost,
  op: BackendUnmapOp,
): BackendUnmapResult {
  const slot = lib.slots.get(op.request);
  if (slot === undefined) return { kind: 'backend_unmap', outcome: 'contract' };
  const result = host.apply({
    kind: 'unmap_grant_ref',
    caller: lib.dom,
    batch: slot.handles.map((handle, i) => ({
      handle,
      hostAddr: segmentAddr(op.request, i),
      devBusAddr: 0,
    })),
  });
  lib.slots.delete(op.request);
  const statuses = result.kind === 'unmap_grant_ref' ? result.statuses : [];
  return { kind: 'backend_unmap', outcome: 'ok', statuses };
}
