// The reference model's state: what Xen and the guests have promised each other, as immutable
// records and maps. No packed counters, no typed arrays. `abstract(impl)` produces this same type
// (the refinement mapping), so it is also the contract between model and impl.
//
// The one raw value kept here is the shared v1 entry ({flags, domid, frame}): it is ABI that a
// guest may write arbitrarily, so the model keeps exactly what the guest and Xen wrote and reads
// it only through the named predicates in ./entry.ts.

import type { IntMap } from './intMap.ts';
import type { DomId, Gfn, Mfn, Ref } from '../ops/op.ts';
import type { FreeList } from './freeList.ts';
import type { PageContents } from './contents.ts';
import type { FlowGhost } from './flow.ts';

/** One v1 shared entry as it sits in the granter's table (struct grant_entry_v1). */
export interface SharedEntry {
  readonly flags: number; // u16, GTF_* bits
  readonly domid: number; // u16
  readonly frame: number; // u32: a gfn (permit_access / accept_transfer slot), or the MFN Xen wrote
}

/** Xen's private active entry for a pinned ref: who holds it, which frame, and the four pin
 * counts by mapping kind (grant_table.c struct active_grant_entry; pin != 0 only). */
export interface ActiveGrant {
  readonly grantee: DomId; // act->domid: the only domain that may add pins until pins reach 0
  readonly mfn: Mfn; // act->mfn: fixed at the first pin; authoritative while pinned
  readonly hostWritable: number; // hstw
  readonly hostReadonly: number; // hstr
  readonly deviceWritable: number; // devw
  readonly deviceReadonly: number; // devr
}

/** One live maptrack entry of the mapping domain (struct grant_mapping, flags != 0). */
export interface GrantMapping {
  readonly granter: DomId; // the domain whose table holds `ref`
  readonly ref: Ref;
  readonly flags: number; // GNTMAP_* bits still held: host_map and/or device_map, readonly, ...
  /** The vCPU that made the mapping, whose free list the handle goes back to (the entry's
   * `vcpu`); absent means vCPU 0, so that one-vCPU states are as they always were. */
  readonly vcpu?: number;
}

/** A mapping domain's maptrack table: handles in use, and each vCPU's free list in Xen's
 * allocation order (front = next handle handed out; the last one is the list's sentinel; an
 * empty list is one never set up: v->maptrack_head == v->maptrack_tail == MAPTRACK_TAIL). */
export interface Maptrack {
  readonly limit: number; // maptrack_limit: handles 0..limit-1 exist
  readonly maxFrames: number; // max_maptrack_frames
  readonly freeList: FreeList; // vCPU 0's
  /** vCPU k's list is otherFreeLists[k-1]; absent when the domain has one vCPU (config.vcpus). */
  readonly otherFreeLists?: readonly FreeList[];
  readonly mappings: IntMap<GrantMapping>; // by handle
}

/** A PV page-table slot holding a grant mapping, keyed by linear page number (host_addr >> 12). */
export interface HostMapping {
  readonly mfn: Mfn;
  readonly writable: boolean;
}

export interface GrantTable {
  readonly nrFrames: number; // nr_grant_frames (never shrinks)
  readonly maxFrames: number; // max_grant_frames
  /** Entries whose 8 bytes are not all zero. */
  readonly entries: ReadonlyMap<Ref, SharedEntry>;
  /** Active entries with pin != 0. */
  readonly active: ReadonlyMap<Ref, ActiveGrant>;
}

export interface DomainState {
  readonly id: DomId;
  readonly privileged: boolean; // the control domain (XSM_TARGET passes for any target)
  /** A PV guest for its frames (config.pv): its gfns are MFNs, its p2m the identity over the
   * frames it owns, so a page it receives is named by its MFN. */
  readonly pv: boolean;
  readonly totPages: number;
  readonly maxPages: number;
  /** gfn -> mfn of the pages this domain can name (for PV: the guest's own p2m, and Xen's m2p). */
  readonly p2m: ReadonlyMap<Gfn, Mfn>;
  readonly grantTable: GrantTable;
  readonly maptrack: Maptrack;
  /** Linear pages 0..hostVaPages-1 have an L1 table; a host mapping elsewhere cannot be made. */
  readonly hostVaPages: number;
  readonly hostMappings: ReadonlyMap<number, HostMapping>;
  /** Ghost variable: refs this guest wrote outside the library protocol (raw_write).
   * Invariants marked (G) do not apply to them. Cleared when the library rewrites the entry
   * while Xen holds no pin on the ref (docs/semantics.md §3). */
  readonly rawWritten: ReadonlySet<Ref>;
  // death, guest and backend are set in every record, undefined when they do not apply, rather
  // than left out: then every domain record has one shape (one V8 hidden class), and the model's,
  // the impl's and the checks' reads of it stay monomorphic whichever suite made it
  // (docs/properties.md, thirteenth pass).
  /** Domain death (./death.ts; docs/semantics.md §17); undefined while the domain runs.
   * 'zombie': destroy_domain ran (domain_kill reached DOMDYING_dead), but other domains still
   * map some of its frames, so it stays in Xen's domain hash; 'gone': its last page was freed
   * and domain_destroy took it out of the hash (grant_table_destroy emptied its tables). */
  readonly death: Death | undefined;
  /** The guest library's own state, for a domain with a non-strict profile (undefined: strict,
   * today's library, which keeps no state of its own). */
  readonly guest: GuestLibState | undefined;
  /** The backend library's state (docs/semantics.md §19), from the domain's first backend_map
   * that reached the hypervisor on (undefined: the domain never acted as a backend). */
  readonly backend: BackendState | undefined;
}

// --- Backends as actors (issue 14 §3; docs/semantics.md §19) ----------------------------------

/** One segment of a live backend request: the frontend's ref and the maptrack handle of its
 * mapping (at the linear page backendSegmentPage(request, i)). */
export interface BackendSegment {
  readonly ref: Ref;
  readonly handle: number;
}

/** A live request (blkback's pending_req with every segment mapped). */
export interface BackendRequest {
  readonly frontend: DomId;
  readonly readonly: boolean;
  readonly segments: readonly BackendSegment[];
}

/** A backend driver's requests, by id: a request is here exactly while all its segments are
 * mapped (the backend's promise). */
export interface BackendState {
  readonly requests: ReadonlyMap<number, BackendRequest>;
}

// --- Guest profiles (issue 14 §1-§2; docs/semantics.md §18) ------------------------------------

export type LibraryProfile = 'linux' | 'mini-os' | 'mirage';

/** One end waiting on Linux's deferred list (struct deferred_entry). */
export interface DeferredEnd {
  readonly ref: Ref;
  /** The page the record holds a reference to (the caller's, or the library's own since
   * 42baefac638f); absent: none (a NULL page before that fix). */
  readonly gfn?: Gfn;
  /** warn_delay: a u16 counting down from 60; "still pending" is logged when it reaches 0. */
  readonly warnDelay: number;
  /** Ghost: ticks this end has survived while its entry was not in use (the liveness bound). */
  readonly idleTicks: number;
}

/** A non-strict guest library: its allocator, deferred ends, and what it and the driver hold.
 * The refs 0..size-1 are the library's table: reserved (0..7), free, deferred, or held by the
 * driver (the rest), each exactly once (the allocator invariant). */
export interface GuestLibState {
  readonly profile: LibraryProfile;
  readonly size: number;
  /** linux: free_per_iteration, the most deferred ends one tick examines (0: unlimited). */
  readonly budget: number;
  /** The driver keeps the library's contract (config.rawLibraryCalls unset). */
  readonly contract: boolean;
  /** The free list in the order the library hands refs out (front first). */
  readonly free: readonly Ref[];
  /** linux: the deferred list, head first. */
  readonly deferred: readonly DeferredEnd[];
  /** linux: "still pending" warnings logged so far. */
  readonly warnings: number;
  /** mirage: Export's exports array (ref -> the page it keeps alive until a successful end). */
  readonly exports: ReadonlyMap<Ref, Gfn>;
  /** Driver ghost: the refs the driver granted and has not ended (or handed to the library),
   * with the page each names. */
  readonly granted: ReadonlyMap<Ref, Gfn>;
  /** Driver ghost: pages the driver has dropped its own reference to. */
  readonly droppedPages: ReadonlySet<Gfn>;
}

/** What is left of a destroyed domain (DomainState.death). */
export type Death = 'zombie' | 'gone';

export interface ModelState {
  readonly domains: readonly DomainState[]; // indexed by domain id
  /** Owner of every allocated page. A page freed by a failed transfer is absent. */
  readonly frameOwner: ReadonlyMap<Mfn, DomId>;
  /** The bytes of every frame that holds a non-zero byte, by MFN (./contents.ts): contents
   * belong to the machine frame, so a transfer moves them with the page. A page freed by a
   * failed transfer is scrubbed (absent here). */
  readonly contents: ReadonlyMap<Mfn, PageContents>;
  /** Ghost (./flow.ts): the bytes' origin labels and the flows grants permitted; undefined
   * means none (set in every state all the same, as DomainState's optional parts are). Not in
   * the key, not compared with the impl's. */
  readonly flow: FlowGhost | undefined;
}
