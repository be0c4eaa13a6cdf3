// What each op returns, as data. Guest-library calls return library outcomes; hypercalls return
// one GNTST_* status per batch element (a hypercall's own errno is not modelled: batches are
// always well formed). Model and impl must return equal results for the same op.

import type { Handle } from './op.ts';

/** A guest-library call refused by the library itself: reserved ref, ref beyond the table, or an
 * entry in the wrong state for this call. Nothing is written. */
export type GuestRefusal = 'einval';

export interface GrantAccessResult {
  readonly kind: 'grant_access';
  /** in_use: Mirage's Invalid_argument "already in use" (the library has a page for the ref). */
  readonly outcome: 'ok' | GuestRefusal | 'in_use' | ProfileRefusal;
}

// --- Guest profiles (issue 14 §1; docs/semantics.md §18) --------------------------------------

/** What a profile's library does besides returning: unsupported (the domain's profile has no
 * such call), contract (a driver following the library's contract never makes this call, so
 * the harness's driver does not: nothing happens; config.rawLibraryCalls turns it off), crash
 * (the library's BUG_ON / assert: the guest would die; nothing is written). */
export type ProfileRefusal = 'unsupported' | 'contract' | 'crash';

export type AllocRefsResult =
  /** The refs handed out, in the order the library returns them. */
  | { readonly kind: 'alloc_refs'; readonly outcome: 'ok'; readonly refs: readonly number[] }
  /** enospc: Linux -ENOSPC. would_block: Mini-OS's semaphore would sleep (nothing changes).
   * einval: a count the library has no rule for (Linux n = 0, Mini-OS n != 1). */
  | {
      readonly kind: 'alloc_refs';
      readonly outcome: 'enospc' | 'would_block' | 'einval' | ProfileRefusal;
    };

export interface FreeRefResult {
  readonly kind: 'free_ref';
  readonly outcome: 'ok' | ProfileRefusal;
}

export interface EndAccessDeferredResult {
  readonly kind: 'end_access_deferred';
  /** ended: freed at once. deferred: queued on the deferred list. (Linux returns void.) */
  readonly outcome: 'ended' | 'deferred' | ProfileRefusal;
}

export type TickResult =
  /** reclaimed: ends that completed in this tick; pending: the list's length after it. */
  | {
      readonly kind: 'tick';
      readonly outcome: 'ok';
      readonly reclaimed: number;
      readonly pending: number;
    }
  | { readonly kind: 'tick'; readonly outcome: ProfileRefusal };

export interface FreePageResult {
  readonly kind: 'free_page';
  readonly outcome: 'ok' | ProfileRefusal;
}

export type ProfileResult =
  AllocRefsResult | FreeRefResult | EndAccessDeferredResult | TickResult | FreePageResult;

// --- Backends as actors (issue 14 §3; docs/semantics.md §19) ---------------------------------

/** backend_map: the map batch's GNTST_* statuses, one per ref. ok: every element mapped, the
 * request is live; failed: some element did not, and the backend unmapped the others (none of
 * the request's refs stays mapped). contract: a backend never reuses a live request's slot. */
export type BackendMapResult =
  | {
      readonly kind: 'backend_map';
      readonly outcome: 'ok' | 'failed';
      readonly statuses: readonly number[];
    }
  | { readonly kind: 'backend_map'; readonly outcome: 'contract' | 'einval' };

/** backend_io: ok (a read gives each segment's digest, in order), or the first segment's
 * refusal (no_mapping: its PTE went; the backend does not write through a read-only request:
 * contract, as for a request that is not live). */
export type BackendIoResult =
  | { readonly kind: 'backend_io'; readonly outcome: 'ok'; readonly digests?: readonly string[] }
  | {
      readonly kind: 'backend_io';
      readonly outcome: 'no_mapping' | 'out_of_page' | 'readonly' | 'contract';
    };

/** backend_unmap: the unmap batch's GNTST_* statuses; the request is gone either way. */
export type BackendUnmapResult =
  | {
      readonly kind: 'backend_unmap';
      readonly outcome: 'ok';
      readonly statuses: readonly number[];
    }
  | { readonly kind: 'backend_unmap'; readonly outcome: 'contract' };

export type BackendResult = BackendMapResult | BackendIoResult | BackendUnmapResult;

export interface EndAccessResult {
  readonly kind: 'end_access';
  /** ended: the entry is now invalid. in_use: GTF_reading or GTF_writing set, nothing changed. */
  readonly outcome: 'ended' | 'in_use' | GuestRefusal | ProfileRefusal;
}

export interface GrantTransferResult {
  readonly kind: 'grant_transfer';
  readonly outcome: 'ok' | GuestRefusal;
}

export type EndTransferResult =
  | { readonly kind: 'end_transfer'; readonly outcome: 'cancelled' | 'pending' | GuestRefusal }
  /** The transfer completed: `frame` is what Xen wrote into the entry (the MFN, PV receiver). */
  | { readonly kind: 'end_transfer'; readonly outcome: 'completed'; readonly frame: number };

export interface RawWriteResult {
  readonly kind: 'raw_write';
  readonly outcome: 'ok' | GuestRefusal;
}

/** A guest memory access refused: the gfn names no page of the domain, the linear page holds
 * no grant mapping, the mapping is read-only (a write), or off + len passes the page's end.
 * Nothing is written (docs/semantics.md §13). */
export type PageRefusal = 'unbacked' | 'out_of_page';
export type MappedRefusal = 'no_mapping' | 'readonly' | 'out_of_page';

export interface WritePageResult {
  readonly kind: 'write_page';
  readonly outcome: 'ok' | PageRefusal;
}

/** A read returns a digest of the bytes read (src/model/contents.ts digestRuns). */
export type ReadPageResult =
  | { readonly kind: 'read_page'; readonly outcome: 'ok'; readonly digest: string }
  | { readonly kind: 'read_page'; readonly outcome: PageRefusal };

export interface WriteMappedResult {
  readonly kind: 'write_mapped';
  readonly outcome: 'ok' | MappedRefusal;
}

export type ReadMappedResult =
  | { readonly kind: 'read_mapped'; readonly outcome: 'ok'; readonly digest: string }
  | { readonly kind: 'read_mapped'; readonly outcome: Exclude<MappedRefusal, 'readonly'> };

/** A successful map returns the maptrack handle and dev_bus_addr = mfn << 12. */
export type MapElementResult =
  | { readonly status: 0; readonly handle: Handle; readonly devBusAddr: number }
  | { readonly status: number }; // negative GNTST_*

export interface MapGrantRefResult {
  readonly kind: 'map_grant_ref';
  readonly results: readonly MapElementResult[];
}

export interface UnmapGrantRefResult {
  readonly kind: 'unmap_grant_ref';
  readonly statuses: readonly number[];
}

export interface TransferResult {
  readonly kind: 'transfer';
  readonly statuses: readonly number[];
}

export interface SetupTableResult {
  readonly kind: 'setup_table';
  readonly status: number;
  /** On success: the table's frame count after the call (the frame list itself is not modelled). */
  readonly nrFrames?: number;
}

export interface QuerySizeResult {
  readonly kind: 'query_size';
  readonly status: number;
  readonly nrFrames?: number;
  readonly maxNrFrames?: number;
}

export interface UnmapAndReplaceResult {
  readonly kind: 'unmap_and_replace';
  readonly statuses: readonly number[];
}

export interface SwapGrantRefResult {
  readonly kind: 'swap_grant_ref';
  readonly statuses: readonly number[];
}

export interface CopyResult {
  readonly kind: 'copy';
  readonly statuses: readonly number[];
}

/** XEN_DOMCTL_destroydomain's return: 0, or a negative errno (-ESRCH no such domain, -EPERM
 * an unprivileged caller, -EINVAL a domain killing itself). */
export interface DestroyDomainResult {
  readonly kind: 'destroy_domain';
  readonly status: number;
}

/** Any op whose acting domain is dying or gone: domain_kill paused it for good, so the call is
 * never made (docs/semantics.md §17). Nothing changes. */
export interface NotRunningResult {
  readonly kind: 'not_running';
}

export type OpResult =
  | GrantAccessResult
  | EndAccessResult
  | GrantTransferResult
  | EndTransferResult
  | RawWriteResult
  | WritePageResult
  | ReadPageResult
  | WriteMappedResult
  | ReadMappedResult
  | MapGrantRefResult
  | UnmapGrantRefResult
  | TransferResult
  | SetupTableResult
  | QuerySizeResult
  | UnmapAndReplaceResult
  | SwapGrantRefResult
  | CopyResult
  | DestroyDomainResult
  | NotRunningResult
  | ProfileResult
  | BackendResult;
