// The one operation vocabulary: every guest-library call and every hypercall sub-op, as plain
// data. The model, the impl, the generators, traces and the CLI all speak it (DESIGN.md, ops).
// Ops name things concretely (domain id, ref, handle, gfn, address), never "the k-th grant",
// so that deleting an op while shrinking does not change what the later ops mean.

export type DomId = number;
export type Ref = number;
export type Gfn = number;
export type Mfn = number;
export type Handle = number;

// --- Guest-library operations: a domain acting on its own shared grant table -----------------

/** gnttab_grant_foreign_access_ref: let `grantee` map or copy this domain's page at `gfn`. */
export interface GrantAccessOp {
  readonly kind: 'grant_access';
  readonly dom: DomId;
  readonly ref: Ref;
  readonly grantee: DomId;
  readonly gfn: Gfn;
  readonly readonly: boolean;
}

/** gnttab_end_foreign_access_ref: invalidate an access entry, but only if Xen holds no pin. */
export interface EndAccessOp {
  readonly kind: 'end_access';
  readonly dom: DomId;
  readonly ref: Ref;
}

/** gnttab_grant_foreign_transfer_ref: accept one page from `grantee` into the slot `gfn`. */
export interface GrantTransferOp {
  readonly kind: 'grant_transfer';
  readonly dom: DomId;
  readonly ref: Ref;
  readonly grantee: DomId;
  readonly gfn: Gfn;
}

/** gnttab_end_foreign_transfer_ref: cancel an uncommitted transfer, or collect a completed one. */
export interface EndTransferOp {
  readonly kind: 'end_transfer';
  readonly dom: DomId;
  readonly ref: Ref;
}

/** A guest ignoring the protocol: one plain store of all 8 bytes of a v1 entry. */
export interface RawWriteOp {
  readonly kind: 'raw_write';
  readonly dom: DomId;
  readonly ref: Ref;
  readonly flags: number; // u16
  readonly domid: number; // u16
  readonly frame: number; // u32
}

// --- Guest profiles: the allocator and deferred ends of a real guest library (issue 14 §1) ----
// Only a domain with a non-strict profile (config.profiles) has them; elsewhere they return
// 'unsupported'. grant_access and end_access above run that profile's library too
// (docs/semantics.md §18).

/** Allocate `count` refs from the library's free list (Linux gnttab_alloc_grant_references,
 * Mirage Export.get_n_nonblock, Mini-OS get_free_entry for count 1). */
export interface AllocRefsOp {
  readonly kind: 'alloc_refs';
  readonly dom: DomId;
  readonly count: number;
}

/** Give a ref back to the free list (Linux gnttab_free_grant_reference, Mirage Export.put). */
export interface FreeRefOp {
  readonly kind: 'free_ref';
  readonly dom: DomId;
  readonly ref: Ref;
}

/** Linux gnttab_end_foreign_access(ref, page): end now, or hand the ref (and the page
 * reference `gfn`, if given; absent = NULL) to the deferred list. */
export interface EndAccessDeferredOp {
  readonly kind: 'end_access_deferred';
  readonly dom: DomId;
  readonly ref: Ref;
  readonly gfn?: Gfn;
}

/** One run of the library's deferred-end timer (Linux gnttab_handle_deferred). */
export interface TickOp {
  readonly kind: 'tick';
  readonly dom: DomId;
}

/** The driver drops its own reference to its page `gfn` (put_page / free_page): the page goes
 * back to the domain's free memory once the library holds none either. */
export interface FreePageOp {
  readonly kind: 'free_page';
  readonly dom: DomId;
  readonly gfn: Gfn;
}

export type ProfileOp = AllocRefsOp | FreeRefOp | EndAccessDeferredOp | TickOp | FreePageOp;

/** The kinds of ProfileOp. */
export const PROFILE_OP_KINDS = [
  'alloc_refs',
  'free_ref',
  'end_access_deferred',
  'tick',
  'free_page',
] as const satisfies readonly ProfileOp['kind'][];

// --- Backends as actors (issue 14 §3; docs/semantics.md §19) ---------------------------------
// A backend driver in domain `dom` serving requests of `frontend`, as Linux blkback and netback
// do: map a request's refs in one GNTTABOP_map_grant_ref batch, use the pages, unmap them in one
// GNTTABOP_unmap_grant_ref batch. Request `request` maps segment i at the linear page
// backendSegmentPage(request, i) of the backend (blkback's vaddr(pending_req, seg)).

/** The most segments one backend request has (scaled down from blkback's
 * BLKIF_MAX_SEGMENTS_PER_REQUEST = 11, as guestRefs scales the guest table down). */
export const BACKEND_MAX_SEGMENTS = 4;
/** Request ids 0..BACKEND_REQUESTS-1 (blkback's pending_req slots). */
export const BACKEND_REQUESTS = 3;

/** The linear page where request `request` maps its segment `seg` (pages 1..12: page 0 is
 * never used, since an unmap's host_addr 0 means "no host mapping"). */
export function backendSegmentPage(request: number, seg: number): number {
  return 1 + request * BACKEND_MAX_SEGMENTS + seg;
}

/** What backend_io moves per segment: bytes 0..BACKEND_IO_LEN-1 of the page; a write stores
 * BACKEND_IO_BYTE (a read-from-disk request filling the frontend's buffer). */
export const BACKEND_IO_LEN = 16;
export const BACKEND_IO_BYTE = 0xbe;

/** xen_blkbk_map / xenvif_tx_check_gop: map `refs` of `frontend` as one batch for `request`;
 * on a failed element, unmap the elements that succeeded (the request fails). */
export interface BackendMapOp {
  readonly kind: 'backend_map';
  readonly dom: DomId;
  readonly request: number;
  readonly frontend: DomId;
  readonly refs: readonly Ref[];
  readonly readonly: boolean;
}

/** The backend's I/O on a mapped request: read (or write) every segment through its mapping. */
export interface BackendIoOp {
  readonly kind: 'backend_io';
  readonly dom: DomId;
  readonly request: number;
  readonly write: boolean;
}

/** xen_blkbk_unmap / xenvif_idx_unmap: unmap every segment of `request` in one batch; the
 * request is gone. */
export interface BackendUnmapOp {
  readonly kind: 'backend_unmap';
  readonly dom: DomId;
  readonly request: number;
}

export type BackendOp = BackendMapOp | BackendIoOp | BackendUnmapOp;

/** The kinds of BackendOp. */
export const BACKEND_OP_KINDS = [
  'backend_map',
  'backend_io',
  'backend_unmap',
] as const satisfies readonly BackendOp['kind'][];

// --- Guest memory: a domain reading and writing page contents (docs/semantics.md §13) ----------

/** The guest storing `len` bytes of value `byte` at `off` of its own page `gfn`, through its
 * p2m. */
export interface WritePageOp {
  readonly kind: 'write_page';
  readonly dom: DomId;
  readonly gfn: Gfn;
  readonly off: number;
  readonly len: number;
  readonly byte: number; // u8
}

/** The guest reading `len` bytes at `off` of its own page `gfn`: the result is their digest. */
export interface ReadPageOp {
  readonly kind: 'read_page';
  readonly dom: DomId;
  readonly gfn: Gfn;
  readonly off: number;
  readonly len: number;
}

/** The mapper storing bytes through one of its grant mappings: the linear page holding
 * `hostAddr` (the address its map op named), bytes `off`..`off+len-1` of that page. */
export interface WriteMappedOp {
  readonly kind: 'write_mapped';
  readonly dom: DomId;
  readonly hostAddr: number;
  readonly off: number;
  readonly len: number;
  readonly byte: number; // u8
}

/** The mapper reading bytes through one of its grant mappings (as write_mapped). */
export interface ReadMappedOp {
  readonly kind: 'read_mapped';
  readonly dom: DomId;
  readonly hostAddr: number;
  readonly off: number;
  readonly len: number;
}

// --- Hypercalls: GNTTABOP_* sub-ops, issued by `caller`; batched ones take a list ------------

/** One element of GNTTABOP_map_grant_ref (struct gnttab_map_grant_ref inputs). */
export interface MapGrantRefArgs {
  readonly dom: DomId; // the granting domain; DOMID_SELF is not accepted by Xen here
  readonly ref: Ref;
  readonly flags: number; // GNTMAP_* bits
  readonly hostAddr: number; // PV linear address of the mapping (page-aligned in practice)
}

export interface MapGrantRefOp {
  readonly kind: 'map_grant_ref';
  readonly caller: DomId;
  /** The calling vCPU of `caller` (absent: 0): its maptrack free list gives the handles. */
  readonly vcpu?: number;
  readonly batch: readonly MapGrantRefArgs[];
}

/** One element of GNTTABOP_unmap_grant_ref (struct gnttab_unmap_grant_ref inputs). */
export interface UnmapGrantRefArgs {
  readonly handle: Handle;
  readonly hostAddr: number; // 0: leave the host mapping alone
  readonly devBusAddr: number; // 0: leave the device mapping alone
}

export interface UnmapGrantRefOp {
  readonly kind: 'unmap_grant_ref';
  readonly caller: DomId;
  readonly batch: readonly UnmapGrantRefArgs[];
}

/** One element of GNTTABOP_unmap_and_replace (struct gnttab_unmap_and_replace inputs, x86 PV):
 * unmap the host mapping at `hostAddr` and move the PTE at `newAddr` into its slot. */
export interface UnmapAndReplaceArgs {
  readonly handle: Handle;
  readonly hostAddr: number; // 0: okay, nothing happens (new_addr untouched)
  readonly newAddr: number; // 0: the slot is just cleared (a plain host unmap)
}

export interface UnmapAndReplaceOp {
  readonly kind: 'unmap_and_replace';
  readonly caller: DomId;
  readonly batch: readonly UnmapAndReplaceArgs[];
}

/** One element of GNTTABOP_transfer (struct gnttab_transfer inputs; `mfn` is really a gfn). */
export interface TransferArgs {
  readonly gfn: Gfn; // the caller's page to give away
  readonly domid: DomId; // the receiver
  readonly ref: Ref; // the receiver's accept_transfer entry
}

export interface TransferOp {
  readonly kind: 'transfer';
  readonly caller: DomId;
  readonly batch: readonly TransferArgs[];
}

/** GNTTABOP_setup_table (count is always 1): grow `dom`'s table to `nrFrames` frames. */
export interface SetupTableOp {
  readonly kind: 'setup_table';
  readonly caller: DomId;
  readonly dom: DomId; // DOMID_SELF accepted
  readonly nrFrames: number;
}

/** GNTTABOP_query_size (count is always 1). */
export interface QuerySizeOp {
  readonly kind: 'query_size';
  readonly caller: DomId;
  readonly dom: DomId; // DOMID_SELF accepted
}

/** One element of GNTTABOP_swap_grant_ref (struct gnttab_swap_grant_ref inputs): two refs of
 * the caller's own table. */
export interface SwapGrantRefArgs {
  readonly refA: Ref;
  readonly refB: Ref;
}

export interface SwapGrantRefOp {
  readonly kind: 'swap_grant_ref';
  readonly caller: DomId;
  readonly batch: readonly SwapGrantRefArgs[];
}

/** One side of a copy (struct gnttab_copy_ptr): `u` is the union — a grant ref of `domid` when
 * the side's GNTCOPY_*_gref flag is set, else a gmfn (which Xen accepts only with DOMID_SELF). */
export interface CopyPtr {
  readonly u: number;
  readonly domid: DomId;
  readonly offset: number; // u16
}

/** One element of GNTTABOP_copy (struct gnttab_copy inputs). */
export interface CopyArgs {
  readonly source: CopyPtr;
  readonly dest: CopyPtr;
  readonly len: number; // u16
  readonly flags: number; // u16: GNTCOPY_source_gref | GNTCOPY_dest_gref; other bits ignored
}

export interface CopyOp {
  readonly kind: 'copy';
  readonly caller: DomId;
  readonly batch: readonly CopyArgs[];
}

// --- Domain death (issue 14 §4; docs/semantics.md §17) ---------------------------------------

/** XEN_DOMCTL_destroydomain (domctl.c → domain_kill): the toolstack in `caller` (the control
 * domain) kills `dom`. It is a hypercall of `caller`, so `caller` is its acting domain; `dom`,
 * paused from the first step, never acts again. */
export interface DestroyDomainOp {
  readonly kind: 'destroy_domain';
  readonly caller: DomId;
  readonly dom: DomId;
}

/** Domain-level hypercalls (not GNTTABOP_* sub-ops): do_domctl's, dispatched apart. */
export type DomctlOp = DestroyDomainOp;

export type GuestOp =
  | GrantAccessOp
  | EndAccessOp
  | GrantTransferOp
  | EndTransferOp
  | RawWriteOp
  | WritePageOp
  | ReadPageOp
  | WriteMappedOp
  | ReadMappedOp
  | ProfileOp
  | BackendOp;
export type HypercallOp =
  | MapGrantRefOp
  | UnmapGrantRefOp
  | TransferOp
  | SetupTableOp
  | QuerySizeOp
  | UnmapAndReplaceOp
  | SwapGrantRefOp
  | CopyOp;
export type Op = GuestOp | HypercallOp | DomctlOp;
export type OpKind = Op['kind'];

/** The most elements one batch hypercall op may carry in a trace or on the wire (./schema.ts):
 * grantcheck's own bound on what it reads, not Xen's (Xen bounds `count` only by `(int)count < 0`). */
export const MAX_BATCH = 1024;

export const OP_KINDS: readonly Exclude<OpKind, ProfileOp['kind'] | BackendOp['kind']>[] = [
  'grant_access',
  'end_access',
  'grant_transfer',
  'end_transfer',
  'raw_write',
  'write_page',
  'read_page',
  'write_mapped',
  'read_mapped',
  'map_grant_ref',
  'unmap_grant_ref',
  'transfer',
  'setup_table',
  'query_size',
  'unmap_and_replace',
  'swap_grant_ref',
  'copy',
  'destroy_domain',
];

/** Every op kind: OP_KINDS (what a strict system runs; the random suites' default alphabet,
 * kept as it was so that pinned seeds draw the same ops), the guest-profile kinds and the
 * backend kinds (only the backends suite draws them). */
export const ALL_OP_KINDS: readonly OpKind[] = [
  ...OP_KINDS,
  ...PROFILE_OP_KINDS,
  ...BACKEND_OP_KINDS,
];

/** A hypercall (a GNTTABOP_* sub-op or a domctl, issued by `caller`), as against a
 * guest-library call (of `dom`). */
export function isHypercall(op: Op): op is HypercallOp | DomctlOp {
  return 'caller' in op;
}

/** The domain on whose behalf an op runs (the guest, or the hypercall's caller: for
 * destroy_domain the toolstack's domain, not the one it kills). */
export function actingDomain(op: Op): DomId {
  return isHypercall(op) ? op.caller : op.dom;
}

/** For the `never` arm of an exhaustive switch over op kinds. */
export function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
