// The backend invariants (issue 14 §3; docs/semantics.md §19), checked on the model's
// BackendState and, independently, on the impl's driver (its request slots and their handles),
// Xen's maptrack entries and the domain's grant PTEs. Both sides reduce to one BackendFacts
// record, read from their own structures, and the rules run on that.
//
// XSA-361/362/365/367: a backend that does not inspect every status of a map batch, or loses the
// handles of the elements that succeeded when another failed, leaves mappings no request owns:
// they can never be unmapped, and the frontend's grants stay pinned for good.

import type { CheckMessage } from '../../src/harness/invariant.ts';
import type { ImplView } from '../../src/harness/implView.ts';
import type { XenDomain } from '../../src/impl/index.ts';
import type { DomainState } from '../../src/model/state.ts';
import type { DomId, Handle, Ref } from '../../src/ops/op.ts';
import { backendSegmentPage } from '../../src/ops/op.ts';
import { GNTMAP_host_map, GNTMAP_readonly } from '../../src/xen/abi.ts';

interface Segment {
  readonly request: number;
  readonly seg: number;
  readonly frontend: DomId;
  readonly readonly: boolean;
  readonly ref: Ref;
  readonly handle: Handle;
}

interface BackendFacts {
  readonly dom: DomId;
  readonly segments: readonly Segment[];
  /** The domain's live maptrack handles. */
  readonly live: readonly Handle[];
  /** A live maptrack entry: its granter, ref and GNTMAP_* flags. */
  readonly mapping: (
    handle: Handle,
  ) => { readonly granter: DomId; readonly ref: Ref; readonly flags: number } | undefined;
  /** Is there a grant PTE at this linear page? */
  readonly pte: (page: number) => boolean;
}

function modelFacts(d: DomainState): BackendFacts | undefined {
  const b = d.backend;
  // A dying domain's mappings went with gnttab_release_mappings (§17): its driver never runs
  if (b === undefined || d.death !== undefined) return undefined;
  const segments: Segment[] = [];
  for (const [request, r] of b.requests) {
    r.segments.forEach((s, seg) =>
      segments.push({ request, seg, frontend: r.frontend, readonly: r.readonly, ...s }),
    );
  }
  return {
    dom: d.id,
    segments,
    live: [...d.maptrack.mappings.keys()],
    mapping: (h) => d.maptrack.mappings.get(h),
    pte: (page) => d.hostMappings.has(page),
  };
}

function implFacts(view: ImplView, d: XenDomain): BackendFacts | undefined {
  const lib = view.system.guests[d.id]?.backend;
  if (lib === undefined || d.isDying !== 0) return undefined;
  const segments: Segment[] = [];
  for (const [request, slot] of lib.slots) {
    slot.refs.forEach((ref, seg) =>
      segments.push({
        request,
        seg,
        frontend: slot.frontend,
        readonly: slot.readonly,
        ref,
        handle: slot.handles[seg] ?? -1,
      }),
    );
  }
  const t = d.maptrack;
  return {
    dom: d.id,
    segments,
    live: view.live(d.id),
    mapping: (h) =>
      h >= 0 && h < t.limit && t.flags(h) !== 0
        ? { granter: t.domid(h), ref: t.ref(h), flags: t.flags(h) }
        : undefined,
    pte: (page) => d.pageTable.has(page),
  };
}

/** Every segment of a live request is mapped: its handle is a live maptrack entry of the
 * frontend's ref, a host mapping as the request asked (read-only or not), with its PTE at the
 * segment's page; no two segments share a handle. */
function requestsFullyMapped(f: BackendFacts | undefined): CheckMessage {
  if (f === undefined) return null;
  const seen = new Set<Handle>();
  for (const s of f.segments) {
    const at = `d${f.dom} request ${s.request} segment ${s.seg} (ref ${s.ref})`;
    if (seen.has(s.handle)) return `${at}: handle ${s.handle} held by another segment`;
    seen.add(s.handle);
    const m = f.mapping(s.handle);
    if (m === undefined) return `${at}: handle ${s.handle} is not mapped (half-mapped request)`;
    if (m.granter !== s.frontend || m.ref !== s.ref) {
      return `${at}: handle ${s.handle} maps d${m.granter} ref ${m.ref}`;
    }
    const ro = (m.flags & GNTMAP_readonly) !== 0;
    if ((m.flags & GNTMAP_host_map) === 0 || ro !== s.readonly) {
      return `${at}: handle ${s.handle} has flags 0x${m.flags.toString(16)}`;
    }
    if (!f.pte(backendSegmentPage(s.request, s.seg))) return `${at}: no grant PTE at its page`;
  }
  return null;
}

/** Every grant mapping a backend domain holds belongs to a live request: a failed request left
 * none behind, an unmapped one none (no leaked mapping, no page pinned for good). */
function mappingsOwned(f: BackendFacts | undefined): CheckMessage {
  if (f === undefined) return null;
  const owned = new Set(f.segments.map((s) => s.handle));
  for (const h of f.live) {
    if (owned.has(h)) continue;
    const m = f.mapping(h);
    const what = m === undefined ? '' : ` (d${m.granter} ref ${m.ref})`;
    return `d${f.dom} handle ${h}${what} is mapped but belongs to no live request (leaked)`;
  }
  return null;
}

export const model = {
  requestsFullyMapped: (d: DomainState): CheckMessage => requestsFullyMapped(modelFacts(d)),
  mappingsOwned: (d: DomainState): CheckMessage => mappingsOwned(modelFacts(d)),
};

export const impl = {
  requestsFullyMapped: (view: ImplView, d: XenDomain): CheckMessage =>
    requestsFullyMapped(implFacts(view, d)),
  mappingsOwned: (view: ImplView, d: XenDomain): CheckMessage => mappingsOwned(implFacts(view, d)),
};
