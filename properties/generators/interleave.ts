// Op generators for interleaved runs (src/interleave/random.ts): short programs of single-element
// ops that act for one actor's domain and aim at the few entries the actors race on, so that
// the races are likely rather than rare (the sequential suites' generators spread over every
// ref, batch shape and hostile address instead).

import fc from 'fast-check';
import type { DomId, Op, OpKind } from '../../src/ops/op.ts';
import {
  DOMID_SELF,
  GNTCOPY_dest_gref,
  GNTCOPY_source_gref,
  GNTMAP_device_map,
  GNTMAP_host_map,
  GNTMAP_readonly,
  GTF_permit_access,
  GTF_reading,
  PAGE_SIZE,
} from '../../src/xen/abi.ts';

export interface RaceTargets {
  /** The refs every actor aims at (each domain's table has them). */
  readonly refs: readonly number[];
  /** The domains taking part: an actor's grants, maps, copies and transfers name these. */
  readonly doms: readonly DomId[];
  /** Gfns an actor grants, copies, writes or gives away (each domain has pages 0..). */
  readonly gfns: readonly number[];
  /** Gfns an accept_transfer entry names for the page to arrive at: kept apart from `gfns`.
   * A transfer takes the page out of the sender's p2m when it starts and adds the received one
   * at its end, so a guest giving away the very slot a page is arriving at sees an outcome no
   * atomic order gives (docs/interleave.md, "Limits"). */
  readonly slots: readonly number[];
  /** dev_bus_addr values an unmap names besides 0 (which leaves a device part in place): the
   * device addresses the granted pages are mapped at (mfn << PAGE_SHIFT), so that an unmap can
   * remove a device mapping. Absent: unmaps name 0 only. */
  readonly devBusAddrs?: readonly number[];
}

/** A generator of `kind` ops acting for `dom`. */
export function raceOpArbitrary(kind: OpKind, dom: DomId, t: RaceTargets): fc.Arbitrary<Op> {
  const ref = fc.constantFrom(...t.refs);
  const peer = fc.constantFrom(...t.doms.filter((d) => d !== dom), dom);
  const gfn = fc.constantFrom(...t.gfns);
  const hostAddr = fc.constantFrom(0x1000, 0x2000);
  switch (kind) {
    case 'grant_access':
      return fc
        .record({ ref, grantee: peer, gfn, readonly: fc.boolean() })
        .map((r): Op => ({ kind, dom, ...r }));
    case 'end_access':
    case 'end_transfer':
      return ref.map((r): Op => ({ kind, dom, ref: r }));
    case 'grant_transfer':
      return fc
        .record({ ref, grantee: peer, gfn: fc.constantFrom(...t.slots) })
        .map((r): Op => ({ kind, dom, ...r }));
    case 'raw_write':
      return fc
        .record({
          ref,
          flags: fc.constantFrom(0, GTF_permit_access, GTF_permit_access | GTF_reading),
          domid: peer,
          frame: gfn,
        })
        .map((r): Op => ({ kind, dom, ...r }));
    case 'map_grant_ref':
      return fc
        .record({
          dom: peer,
          ref,
          flags: fc.constantFrom(
            GNTMAP_host_map,
            GNTMAP_host_map | GNTMAP_readonly,
            GNTMAP_device_map,
            GNTMAP_host_map | GNTMAP_device_map,
          ),
          hostAddr,
        })
        .map((args): Op => ({ kind, caller: dom, batch: [args] }));
    case 'unmap_grant_ref':
      return fc
        .record({
          handle: fc.constantFrom(0, 1),
          hostAddr,
          devBusAddr:
            t.devBusAddrs === undefined ? fc.constant(0) : fc.constantFrom(0, ...t.devBusAddrs),
        })
        .map((args): Op => ({ kind, caller: dom, batch: [args] }));
    case 'unmap_and_replace':
      return fc
        .record({ handle: fc.constantFrom(0, 1), hostAddr, newAddr: fc.constant(0) })
        .map((args): Op => ({ kind, caller: dom, batch: [args] }));
    case 'transfer':
      return fc
        .record({ gfn, domid: peer, ref })
        .map((args): Op => ({ kind, caller: dom, batch: [args] }));
    case 'copy':
      return fc
        .record({ granter: peer, ref, gfn, fromGrant: fc.boolean() })
        .map(({ granter, ref: r, gfn: g, fromGrant }): Op => {
          const grant = { u: r, domid: granter, offset: 0 };
          const own = { u: g, domid: DOMID_SELF, offset: 0 };
          return {
            kind,
            caller: dom,
            batch: [
              fromGrant
                ? { source: grant, dest: own, len: 8, flags: GNTCOPY_source_gref }
                : { source: own, dest: grant, len: 8, flags: GNTCOPY_dest_gref },
            ],
          };
        });
    case 'swap_grant_ref':
      return fc
        .record({ refA: ref, refB: ref })
        .map((args): Op => ({ kind, caller: dom, batch: [args] }));
    case 'setup_table':
      return fc
        .record({ target: peer, nrFrames: fc.constantFrom(1, 2) })
        .map(({ target, nrFrames }): Op => ({ kind, caller: dom, dom: target, nrFrames }));
    case 'query_size':
      return peer.map((target): Op => ({ kind, caller: dom, dom: target }));
    case 'destroy_domain':
      return peer.map((target): Op => ({ kind, caller: dom, dom: target }));
    case 'write_page':
      return fc
        .record({ gfn, byte: fc.constantFrom(1, 2) })
        .map((r): Op => ({ kind, dom, gfn: r.gfn, off: 0, len: 8, byte: r.byte }));
    case 'read_page':
      return gfn.map((g): Op => ({ kind, dom, gfn: g, off: 0, len: 8 }));
    case 'write_mapped':
      return fc
        .record({ hostAddr, byte: fc.constantFrom(1, 2) })
        .map((r): Op => ({ kind, dom, hostAddr: r.hostAddr, off: 0, len: 8, byte: r.byte }));
    case 'read_mapped':
      return hostAddr.map((a): Op => ({ kind, dom, hostAddr: a, off: PAGE_SIZE - 8, len: 8 }));
    // Guest profiles (issue 14): the libraries do not pause, so races see them as atomic
    case 'alloc_refs':
      return fc.constantFrom(1, 2).map((count): Op => ({ kind, dom, count }));
    case 'free_ref':
      return ref.map((r): Op => ({ kind, dom, ref: r }));
    case 'end_access_deferred':
      return ref.map((r): Op => ({ kind, dom, ref: r }));
    case 'tick':
      return fc.constant<Op>({ kind, dom });
    case 'free_page':
      return gfn.map((g): Op => ({ kind, dom, gfn: g }));
    // Backends (issue 14 §3): the driver does not pause either
    case 'backend_map':
      return fc
        .record({ frontend: peer, refs: fc.array(ref, { minLength: 1, maxLength: 2 }) })
        .map((r): Op => ({
          kind,
          dom,
          request: 0,
          frontend: r.frontend,
          refs: r.refs,
          readonly: false,
        }));
    case 'backend_io':
      return fc.boolean().map((write): Op => ({ kind, dom, request: 0, write }));
    case 'backend_unmap':
      return fc.constant<Op>({ kind, dom, request: 0 });
  }
}
