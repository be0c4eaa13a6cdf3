// The model of a backend driver (docs/semantics.md §19): Linux blkback's and netback's promise
// at their level. A request is live exactly while every one of its segments is mapped; a map
// batch with a failed element leaves none of the request's refs mapped (xen_blkbk_map marks the
// failed segment BLKBACK_INVALID_HANDLE and dispatch_rw_block_io's fail_flush unmaps the
// others; xenvif_tx_check_gop unmaps the request's mapped slots with xenvif_idx_unmap).
// The hypervisor's part is the model's own map and unmap (../ops), one batch each.

import type { BackendIoOp, BackendMapOp, BackendOp, BackendUnmapOp } from '../../ops/op.ts';
import {
  BACKEND_IO_BYTE,
  BACKEND_IO_LEN,
  BACKEND_MAX_SEGMENTS,
  BACKEND_REQUESTS,
  backendSegmentPage,
  unreachable,
} from '../../ops/op.ts';
import type { BackendIoResult, BackendMapResult, BackendUnmapResult } from '../../ops/result.ts';
import { GNTMAP_host_map, GNTMAP_readonly, GNTST_okay, PAGE_SIZE } from '../../xen/abi.ts';
import { mapGrantRef } from '../ops/mapGrantRef.ts';
import { readMapped } from '../ops/readMapped.ts';
import { unmapGrantRef } from '../ops/unmapGrantRef.ts';
import { writeMapped } from '../ops/writeMapped.ts';
import type { BackendRequest, BackendSegment, BackendState, ModelState } from '../state.ts';
import { editDomain, mapWith, mapWithout } from '../update.ts';

interface Out<R> {
  readonly state: ModelState;
  readonly result: R;
}

const NO_REQUESTS: BackendState = { requests: new Map() };

/** The linear address of request `request`'s segment `seg`. */
function segmentAddr(request: number, seg: number): number {
  return backendSegmentPage(request, seg) * PAGE_SIZE;
}

function requestOf(state: ModelState, dom: number, request: number): BackendRequest | undefined {
  return state.domains[dom]?.backend?.requests.get(request);
}

function withRequests(
  state: ModelState,
  dom: number,
  edit: (requests: ReadonlyMap<number, BackendRequest>) => ReadonlyMap<number, BackendRequest>,
): ModelState {
  return editDomain(state, dom, (d) => {
    d.backend = { requests: edit((d.backend ?? NO_REQUESTS).requests) };
  });
}

/** xen_blkbk_map + fail_flush (xenvif_tx_check_gop): one map batch of every segment; all
 * mapped, the request is live; else the mapped ones are unmapped in one batch, and nothing of
 * the request stays. */
export function backendMap(state: ModelState, op: BackendMapOp): Out<BackendMapResult> {
  const { dom, request, refs } = op;
  const wellFormed =
    Number.isInteger(request) &&
    request >= 0 &&
    request < BACKEND_REQUESTS &&
    refs.length >= 1 &&
    refs.length <= BACKEND_MAX_SEGMENTS;
  if (!wellFormed) return { state, result: { kind: 'backend_map', outcome: 'einval' } };
  if (requestOf(state, dom, request) !== undefined) {
    return { state, result: { kind: 'backend_map', outcome: 'contract' } };
  }
  // gnttab_set_map_op: host_map, readonly for a request that only reads the frontend's pages
  const flags = GNTMAP_host_map | (op.readonly ? GNTMAP_readonly : 0);
  const mapped = mapGrantRef(state, {
    kind: 'map_grant_ref',
    caller: dom,
    batch: refs.map((ref, i) => ({
      dom: op.frontend,
      ref,
      flags,
      hostAddr: segmentAddr(request, i),
    })),
  });
  const statuses = mapped.result.results.map((r) => r.status);
  const segments: BackendSegment[] = [];
  const undo: { handle: number; hostAddr: number; devBusAddr: number }[] = [];
  mapped.result.results.forEach((r, i) => {
    const ref = refs[i];
    if (!('handle' in r) || ref === undefined) return;
    segments.push({ ref, handle: r.handle });
    undo.push({ handle: r.handle, hostAddr: segmentAddr(request, i), devBusAddr: 0 });
  });
  if (statuses.every((s) => s === GNTST_okay)) {
    const live: BackendRequest = { frontend: op.frontend, readonly: op.readonly, segments };
    return {
      state: withRequests(mapped.state, dom, (rs) => mapWith(rs, request, live)),
      result: { kind: 'backend_map', outcome: 'ok', statuses },
    };
  }
  // The failed request: unmap what did map (xen_blkbk_unmap of every valid handle)
  const after =
    undo.length === 0
      ? mapped.state
      : unmapGrantRef(mapped.state, { kind: 'unmap_grant_ref', caller: dom, batch: undo }).state;
  return {
    state: withRequests(after, dom, (rs) => rs),
    result: { kind: 'backend_map', outcome: 'failed', statuses },
  };
}

/** The request's I/O: every segment read (or written) through its mapping, in order. */
export function backendIo(state: ModelState, op: BackendIoOp): Out<BackendIoResult> {
  const live = requestOf(state, op.dom, op.request);
  if (live === undefined || (op.write && live.readonly)) {
    return { state, result: { kind: 'backend_io', outcome: 'contract' } };
  }
  let current = state;
  const digests: string[] = [];
  for (let i = 0; i < live.segments.length; i++) {
    const hostAddr = segmentAddr(op.request, i);
    if (op.write) {
      const w = writeMapped(current, {
        kind: 'write_mapped',
        dom: op.dom,
        hostAddr,
        off: 0,
        len: BACKEND_IO_LEN,
        byte: BACKEND_IO_BYTE,
      });
      if (w.result.outcome !== 'ok') {
        return { state: current, result: { kind: 'backend_io', outcome: w.result.outcome } };
      }
      current = w.state;
    } else {
      const r = readMapped(current, {
        kind: 'read_mapped',
        dom: op.dom,
        hostAddr,
        off: 0,
        len: BACKEND_IO_LEN,
      });
      if (r.result.outcome !== 'ok') {
        return { state: current, result: { kind: 'backend_io', outcome: r.result.outcome } };
      }
      digests.push(r.result.digest);
    }
  }
  return {
    state: current,
    result: op.write
      ? { kind: 'backend_io', outcome: 'ok' }
      : { kind: 'backend_io', outcome: 'ok', digests },
  };
}

/** xen_blkbk_unmap (xenvif_idx_unmap): one unmap batch of every segment; the request is gone,
 * whatever the statuses. */
export function backendUnmap(state: ModelState, op: BackendUnmapOp): Out<BackendUnmapResult> {
  const live = requestOf(state, op.dom, op.request);
  if (live === undefined) return { state, result: { kind: 'backend_unmap', outcome: 'contract' } };
  const unmapped = unmapGrantRef(state, {
    kind: 'unmap_grant_ref',
    caller: op.dom,
    batch: live.segments.map((s, i) => ({
      handle: s.handle,
      hostAddr: segmentAddr(op.request, i),
      devBusAddr: 0,
    })),
  });
  return {
    state: withRequests(unmapped.state, op.dom, (rs) => mapWithout(rs, op.request)),
    result: { kind: 'backend_unmap', outcome: 'ok', statuses: unmapped.result.statuses },
  };
}

export function backendStep(state: ModelState, op: BackendOp): Out<BackendResult> {
  switch (op.kind) {
    case 'backend_map':
      return backendMap(state, op);
    case 'backend_io':
      return backendIo(state, op);
    case 'backend_unmap':
      return backendUnmap(state, op);
    default:
      return unreachable(op);
  }
}

type BackendResult = BackendMapResult | BackendIoResult | BackendUnmapResult;
