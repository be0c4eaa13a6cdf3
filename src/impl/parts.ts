// The replaceable pieces of the impl, named after the Xen (or Linux) function each mirrors. A
// fault (a re-created Xen bug) replaces ONE of them; everything calls through this record, so
// the replacement is seen everywhere. DEFAULT_PARTS holds the correct implementations. A part
// that touches a shared entry or a lock returns Steps (./steps.ts): it pauses there; its
// sequential twin (SequentialParts, ./sequential.ts) returns the result.

import type { GrantPte, XenDomain } from './hypervisor/domain.ts';
import type {
  CopyArgs,
  CopyPtr,
  DomId,
  EndAccessOp,
  EndTransferOp,
  Gfn,
  GrantAccessOp,
  GrantTransferOp,
  Handle,
  MapGrantRefArgs,
  Mfn,
  RawWriteOp,
  Ref,
} from '../ops/op.ts';
import type {
  EndAccessResult,
  EndTransferResult,
  GrantAccessResult,
  GrantTransferResult,
  MapElementResult,
  RawWriteResult,
} from '../ops/result.ts';
import { endAccess } from './guest/endAccess.ts';
import { endTransfer } from './guest/endTransfer.ts';
import { grantAccess } from './guest/grantAccess.ts';
import type { GuestLib } from './guest/guestLib.ts';
import { grantTransfer } from './guest/grantTransfer.ts';
import { rawWrite } from './guest/rawWrite.ts';
import type { CopyBuf } from './hypervisor/copy.ts';
import {
  copyBufBounds,
  copySelfRule,
  gnttabCopyOne,
  releaseGrantForCopy,
} from './hypervisor/copy.ts';
import { getPagedFrame } from './hypervisor/getPagedFrame.ts';
import type { Hypervisor } from './hypervisor/hypervisor.ts';
import {
  deviceMapClaimedRef,
  mapGrantRef,
  mapUnlockOutClear,
  pinIncrementRefused,
} from './hypervisor/mapGrantRef.ts';
import type { MaptrackTable } from './hypervisor/maptrack.ts';
import { getMaptrackHandle, putMaptrackHandle } from './hypervisor/maptrack.ts';
import { stealPage } from './hypervisor/mm.ts';
import {
  createGrantPvMapping,
  grantPteMatches,
  pteAddressAligned,
  replaceGrantPvMapping,
} from './hypervisor/pvMapping.ts';
import { reduceStatusForPin } from './hypervisor/reduceStatusForPin.ts';
import { setStatusV1 } from './hypervisor/setStatus.ts';
import { swapGrantRef, swapRefOutOfRange, swapSharedEntriesV1 } from './hypervisor/swapGrantRef.ts';
import type { GrantTable } from './hypervisor/grantTable.ts';
import {
  prepareForTransfer,
  receiverAtPageLimit,
  transferEntryAccepts,
  transferReceiverDying,
} from './hypervisor/transfer.ts';
import { domainRelinquishResources, gnttabReleaseMappings } from './hypervisor/domainDeath.ts';
import type { UnmapCommon } from './hypervisor/unmapGrantRef.ts';
import {
  unmapCommon,
  unmapCommonComplete,
  unmapCompletePutPages,
  unmapPutHandle,
} from './hypervisor/unmapGrantRef.ts';
import type { SharedGrantMemory } from './sharedMemory.ts';
import type { Steps } from './steps.ts';
import type { LinuxParts } from './guest/profiles/linux.ts';
import type { BackendParts } from './guest/backend/backend.ts';
import { backendMappedSegments } from './guest/backend/backend.ts';
import {
  linuxAddDeferred,
  linuxEndForeignAccessRef,
  linuxPutFreeEntry,
} from './guest/profiles/linux.ts';
import type { MiniOsParts } from './guest/profiles/miniOs.ts';
import { miniOsInitGnttab } from './guest/profiles/miniOs.ts';

export interface ImplParts {
  // --- Hypervisor: maptrack handles (get/put_maptrack_handle) --------------------------------
  /** get_maptrack_handle: a free handle of L for vCPU `vcpu`, or INVALID_MAPTRACK_HANDLE. */
  readonly getMaptrackHandle: (t: MaptrackTable, vcpu: number) => Steps<Handle>;
  /** put_maptrack_handle: append a handle at the tail of its entry's vCPU's free list. */
  readonly putMaptrackHandle: (t: MaptrackTable, handle: Handle) => Steps<void>;

  // --- Hypervisor: map_grant_ref and unmap (unmap_common) ------------------------------------
  /** The GNTPIN_incr2oflow_mask test: must this pin increment be refused? */
  readonly pinIncrementRefused: (pin: number, pinIncr: number) => boolean;
  /** map_grant_ref's unlock_out_clear: get_paged_frame failed; undo _set_status's bits. */
  readonly mapUnlockOutClear: (
    xen: Hypervisor,
    shared: SharedGrantMemory,
    ref: Ref,
    pin: number,
    readonly: boolean,
  ) => Steps<void>;
  /** map_grant_ref: did device_map claim the reference in hand, so host_map needs its own? */
  readonly deviceMapClaimedRef: (flags: number) => boolean;
  /** _set_status_v1: set GTF_reading/GTF_writing, checking type/domid when unpinned. */
  readonly setStatus: (
    shared: SharedGrantMemory,
    ref: Ref,
    pinned: boolean,
    readonly: boolean,
    mapflag: boolean,
    ldomid: DomId,
  ) => Steps<number>;
  /** reduce_status_for_pin: clear the status bits the remaining pins no longer justify. */
  readonly reduceStatusForPin: (
    shared: SharedGrantMemory,
    ref: Ref,
    pin: number,
    readonly: boolean,
  ) => Steps<void>;
  /** get_paged_frame: rd's gfn to an mfn rd owns, with a reference; or a negative GNTST. */
  readonly getPagedFrame: (xen: Hypervisor, rd: DomId, gfn: Gfn) => number;
  /** create_grant_host_mapping (PV create_grant_pv_mapping): write the grant PTE. */
  readonly createGrantHostMapping: (
    xen: Hypervisor,
    ld: DomId,
    hostAddr: number,
    mfn: Mfn,
    flags: number,
  ) => number;
  /** replace_grant_host_mapping (PV replace_grant_pv_mapping): replace a matching grant PTE by
   * the one stolen from new_addr (cleared when new_addr is 0). */
  readonly replaceGrantHostMapping: (
    xen: Hypervisor,
    ld: DomId,
    hostAddr: number,
    mfn: Mfn,
    flags: number,
    newAddr: number,
  ) => number;
  /** IS_ALIGNED(addr, sizeof(l1_pgentry_t)) on a GNTMAP_contains_pte address (XSA-227). */
  readonly pteAddressAligned: (addr: number) => boolean;
  /** replace_grant_pv_mapping: does the PTE found map the grant's frame, present, with its RW? */
  readonly grantPteMatches: (pte: GrantPte | undefined, mfn: Mfn, flags: number) => boolean;
  /** map_grant_ref: one element of GNTTABOP_map_grant_ref. */
  readonly mapGrantRef: (
    xen: Hypervisor,
    ld: DomId,
    op: MapGrantRefArgs,
    vcpu: number,
  ) => Steps<MapElementResult>;
  /** unmap_common: phase 1 of one unmap element (handle freed here). */
  readonly unmapCommon: (xen: Hypervisor, ld: DomId, op: UnmapCommon) => Steps<void>;
  /** unmap_common's put_handle: clear an entry with nothing left; true if its handle is then
   * freed (put_maptrack_handle, after the locks are dropped). */
  readonly unmapPutHandle: (xen: Hypervisor, lgt: MaptrackTable, handle: Handle) => boolean;
  /** unmap_common_complete: phase 2 (page references, pins, status bits). */
  readonly unmapCommonComplete: (xen: Hypervisor, ld: DomId, op: UnmapCommon) => Steps<void>;
  /** unmap_common_complete's put_page(_and_type): the references of the parts phase 1 removed. */
  readonly unmapCompletePutPages: (xen: Hypervisor, ld: DomId, op: UnmapCommon) => void;

  // --- Hypervisor: transfer (gnttab_transfer) -------------------------------------------------
  /** steal_page: take a page with exactly its base references from d; 0 or -EINVAL. */
  readonly stealPage: (xen: Hypervisor, d: DomId, mfn: Mfn) => number;
  /** gnttab_prepare_for_transfer's test: may sender `ld` commit this flags+domid word? */
  readonly transferEntryAccepts: (scombo: number, ld: DomId) => boolean;
  /** gnttab_prepare_for_transfer: commit receiver `rd`'s entry for sender `ld`, under rd's
   * grant lock (taken with no page_alloc_lock held: XSA-73). */
  readonly prepareForTransfer: (xen: Hypervisor, rd: DomId, ld: DomId, ref: Ref) => Steps<boolean>;
  /** gnttab_transfer's max_pages test (L2383-2385): the receiver cannot take one more page. */
  readonly receiverAtPageLimit: (e: XenDomain) => boolean;

  // --- Hypervisor: domain death (./hypervisor/domainDeath.ts; docs/semantics.md §17) ---------
  /** gnttab_release_mappings: a dying domain's own mappings give back their pins. */
  readonly gnttabReleaseMappings: (xen: Hypervisor, d: XenDomain) => void;
  /** domain_relinquish_resources: the dying domain's grant PTEs and its pages' base references. */
  readonly domainRelinquishResources: (xen: Hypervisor, d: XenDomain) => void;
  /** gnttab_transfer's `e->is_dying` test: must a receiver refuse the page? */
  readonly transferReceiverDying: (e: XenDomain) => boolean;

  // --- Hypervisor: swap_grant_ref ------------------------------------------------------------
  /** swap_grant_ref: one element, on caller `d`'s own table, under its write lock and both
   * active entries' locks. */
  readonly swapGrantRef: (xen: Hypervisor, d: DomId, refA: Ref, refB: Ref) => Steps<number>;
  /** swap_grant_ref's bounds check (XSA-18): is this ref beyond the caller's table? */
  readonly swapRefOutOfRange: (gt: GrantTable, ref: Ref) => boolean;
  /** swap_grant_ref's version branch: exchange the two shared entries (v1: 8 bytes each). */
  readonly swapSharedEntries: (gt: GrantTable, refA: Ref, refB: Ref) => Steps<void>;
  // --- Hypervisor: copy -------------------------------------------------------------------------
  /** gnttab_copy_one: one element of GNTTABOP_copy, with the batch's two cached buffers. */
  readonly gnttabCopyOne: (
    xen: Hypervisor,
    caller: DomId,
    op: CopyArgs,
    dest: CopyBuf,
    src: CopyBuf,
  ) => Steps<number>;
  /** The DOMID_SELF rule for an element whose domain pair is cached: okay or permission_denied. */
  readonly copySelfRule: (ptr: CopyPtr, gref: boolean, lockedAnew: boolean) => number;
  /** gnttab_copy_buf's bounds: page (bad_copy_arg), then windows (general_error), else okay. */
  readonly copyBufBounds: (op: CopyArgs, dest: CopyBuf, src: CopyBuf) => number;
  /** release_grant_for_copy: drop a copy buffer's pin and reduce the status bits. */
  readonly releaseGrantForCopy: (
    xen: Hypervisor,
    rd: DomId,
    ref: Ref,
    readonly: boolean,
  ) => Steps<void>;

  // --- Guest library (Linux drivers/xen/grant-table.c) ------------------------------------------
  /** gnttab_grant_foreign_access_ref */
  readonly guestGrantAccess: (guest: GuestLib, op: GrantAccessOp) => Steps<GrantAccessResult>;
  /** gnttab_end_foreign_access_ref */
  readonly guestEndAccess: (guest: GuestLib, op: EndAccessOp) => Steps<EndAccessResult>;
  /** gnttab_grant_foreign_transfer_ref */
  readonly guestGrantTransfer: (guest: GuestLib, op: GrantTransferOp) => Steps<GrantTransferResult>;
  /** gnttab_end_foreign_transfer_ref */
  readonly guestEndTransfer: (guest: GuestLib, op: EndTransferOp) => Steps<EndTransferResult>;
  /** A protocol-ignoring 8-byte store. */
  readonly guestRawWrite: (guest: GuestLib, op: RawWriteOp) => Steps<RawWriteResult>;

  // --- Guest profiles (issue 14; src/impl/guest/profiles): the real libraries' parts ---------
  readonly linuxPutFreeEntry: LinuxParts['linuxPutFreeEntry'];
  readonly linuxEndForeignAccessRef: LinuxParts['linuxEndForeignAccessRef'];
  readonly linuxAddDeferred: LinuxParts['linuxAddDeferred'];
  readonly miniOsInitGnttab: MiniOsParts['miniOsInitGnttab'];

  // --- Backends as actors (issue 14 §3; src/impl/guest/backend) --------------------------------
  readonly backendMappedSegments: BackendParts['backendMappedSegments'];
}

/** A part as its sequential twin (bin/gen-sequential.ts) has it: steps become plain results. */
export type Sequential<F> = F extends (...args: infer A) => Steps<infer R> ? (...args: A) => R : F;

/** The parts table the sequential twins call through (Hypervisor.sequentialParts). */
export type SequentialParts = { readonly [K in keyof ImplParts]: Sequential<ImplParts[K]> };

/** The parts that are steps (that pause), so have twins; the type keeps this list exact. */
export const STEP_PARTS: {
  readonly [
    K in keyof ImplParts as ImplParts[K] extends (...args: never[]) => Steps<unknown> ? K : never
  ]: true;
} = {
  getMaptrackHandle: true,
  putMaptrackHandle: true,
  mapUnlockOutClear: true,
  setStatus: true,
  reduceStatusForPin: true,
  mapGrantRef: true,
  unmapCommon: true,
  unmapCommonComplete: true,
  prepareForTransfer: true,
  swapGrantRef: true,
  swapSharedEntries: true,
  gnttabCopyOne: true,
  releaseGrantForCopy: true,
  guestGrantAccess: true,
  guestEndAccess: true,
  guestGrantTransfer: true,
  guestEndTransfer: true,
  guestRawWrite: true,
};

export const DEFAULT_PARTS: ImplParts = {
  getMaptrackHandle,
  putMaptrackHandle,
  pinIncrementRefused,
  mapUnlockOutClear,
  deviceMapClaimedRef,
  setStatus: setStatusV1,
  reduceStatusForPin,
  getPagedFrame,
  createGrantHostMapping: createGrantPvMapping,
  replaceGrantHostMapping: replaceGrantPvMapping,
  pteAddressAligned,
  grantPteMatches,
  mapGrantRef,
  unmapCommon,
  unmapPutHandle,
  unmapCommonComplete,
  unmapCompletePutPages,
  stealPage,
  transferEntryAccepts,
  prepareForTransfer,
  receiverAtPageLimit,
  gnttabReleaseMappings,
  domainRelinquishResources,
  transferReceiverDying,
  swapGrantRef,
  swapRefOutOfRange,
  swapSharedEntries: swapSharedEntriesV1,
  gnttabCopyOne,
  copySelfRule,
  copyBufBounds,
  releaseGrantForCopy,
  guestGrantAccess: grantAccess,
  guestEndAccess: endAccess,
  guestGrantTransfer: grantTransfer,
  guestEndTransfer: endTransfer,
  guestRawWrite: rawWrite,
  linuxPutFreeEntry,
  linuxEndForeignAccessRef,
  linuxAddDeferred,
  miniOsInitGnttab,
  backendMappedSegments,
};
