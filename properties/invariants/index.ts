// The invariant catalogue: each state invariant with its name, one-line statement, source, and
// its check on the model state and on the impl's own structures. The harness runs all of them
// after every step (each `source` names Xen's code). An invariant that is a conjunction over
// domains, each reading only its own parts, is declared per domain (domainInvariant), so that a
// step re-checks only the domains it changed.

import type { StateInvariant } from '../../src/harness/invariant.ts';
import { domainInvariant } from '../../src/harness/invariant.ts';
import * as impl from './implChecks.ts';
import * as model from './modelChecks.ts';
import * as death from './deathChecks.ts';
import * as profile from './profileChecks.ts';
import * as backend from './backendChecks.ts';

export const INVARIANTS: readonly StateInvariant[] = [
  domainInvariant({
    name: 'pin-range',
    statement: 'each of the four pin counters of an active entry is in 0..128',
    source:
      'xen/common/grant_table.c map_grant_ref, acquire_grant_for_copy (GNTPIN_incr2oflow_mask; Xen 8cec5d065c)',
    reads: ['active'],
    perDomain: { onModel: model.pinRange, onImpl: impl.pinRange },
  }),
  {
    name: 'pin-accounting',
    statement:
      'each pin counter equals the number of live mappings of that kind (hstw, hstr, devw, devr)',
    source:
      'xen/common/grant_table.c map_grant_ref (act->pin += pin_incr), unmap_common_complete (act->pin -= GNTPIN_*_inc)',
    onModel: model.pinAccounting,
    onModelSince: model.pinAccountingSince,
    onImpl: impl.pinAccounting,
    reads: ['active', 'maptrack'],
  },
  {
    name: 'single-grantee',
    statement: "all live mappings of a ref belong to one domain, the active entry's grantee",
    source:
      'xen/common/grant_table.c map_grant_ref (a pinned entry refuses a mapper other than act->domid), _set_status_v1 (domid check on the first pin)',
    onModel: model.singleGrantee,
    onModelSince: model.singleGranteeSince,
    onImpl: impl.singleGrantee,
    reads: ['active', 'maptrack'],
  },
  domainInvariant({
    name: 'pinned-refs-valid',
    statement: 'a pinned ref is inside its table',
    source:
      'xen/common/grant_table.c map_grant_ref (ref >= nr_grant_entries: GNTST_bad_gntref), gnttab_grow_table (a table only grows)',
    reads: ['active', 'grantFrames'],
    perDomain: { onModel: model.pinnedRefsValid, onImpl: impl.pinnedRefsValid },
  }),
  {
    name: 'live-maptrack-entries',
    statement:
      'a live maptrack entry is below the limit, holds host_map or device_map, and names an existing domain and ref',
    source:
      'xen/common/grant_table.c map_grant_ref (the maptrack entry is written last, with host_map or device_map), get_maptrack_handle, unmap_common',
    onModel: model.liveMaptrackEntries,
    onModelSince: model.liveMaptrackEntriesSince,
    onImpl: impl.liveMaptrackEntries,
    reads: ['maptrack', 'grantFrames'],
  },
  domainInvariant({
    name: 'maptrack-size',
    statement: 'maptrack_limit is a multiple of 256 and at most 256 * max_maptrack_frames',
    source:
      'xen/common/grant_table.c get_maptrack_handle (MAPTRACK_PER_PAGE entries a frame, while nr_maptrack_frames < max_maptrack_frames)',
    reads: ['maptrack'],
    perDomain: { onModel: model.maptrackSize, onImpl: impl.maptrackSize },
  }),
  domainInvariant({
    name: 'free-list-integrity',
    statement:
      "each vCPU's free list is acyclic, ends at its tail and holds no live handle (a free entry names its list's vCPU), and free + live = limit",
    source:
      'xen/common/grant_table.c _get_maptrack_handle, put_maptrack_handle, unmap_common (XSA-218, Xen b7f6cbb9d4), steal_maptrack_handle (XSA-228, Xen 02cbeeb620)',
    reads: ['maptrack'],
    perDomain: { onModel: model.freeListIntegrity, onImpl: impl.freeListIntegrity },
  }),
  domainInvariant({
    name: 'maptrack-capacity',
    statement: 'one vCPU holds at most 256 * max_maptrack_frames - 1 live mappings',
    source:
      'xen/common/grant_table.c _get_maptrack_handle (always keeps one entry on the free list), get_maptrack_handle',
    reads: ['maptrack'],
    perDomain: { onModel: model.maptrackCapacity, onImpl: impl.maptrackCapacity },
  }),
  domainInvariant({
    name: 'status-bits-mirror-pins',
    statement:
      '(G) GTF_reading iff pinned, GTF_writing iff writable pins, on every non-transfer entry',
    source:
      'xen/common/grant_table.c _set_status_v1, reduce_status_for_pin (XSA-218, Xen 9a0bd460cf; XSA-230, Xen 6e2a4c7356); xen/include/public/grant_table.h (GTF_reading, GTF_writing)',
    reads: ['entries', 'active', 'rawWritten'],
    perDomain: { onModel: model.statusBitsMirrorPins, onImpl: impl.statusBitsMirrorPins },
  }),
  {
    name: 'ownership',
    statement: 'every p2m entry names a page its domain owns, and no page is in two p2m tables',
    source:
      'xen/common/grant_table.c gnttab_transfer (steal_page, guest_physmap_remove_page checked: XSA-222, Xen a0cce6048d; assign_pages, guest_physmap_add_page)',
    onModel: model.ownership,
    onImpl: impl.ownership,
    reads: ['p2m', 'frames'],
  },
  {
    name: 'mapped-pages-stay',
    statement: 'a device-mapped page is still owned by its granter (it cannot be stolen)',
    source:
      'xen/arch/x86/mm.c steal_page (exactly the allocation reference and its own: XSA-287, Xen 3d4868a481); xen/common/grant_table.c map_grant_ref (a device mapping holds a page reference)',
    onModel: model.mappedPagesStay,
    onModelSince: model.mappedPagesStaySince,
    onImpl: impl.mappedPagesStay,
    reads: ['maptrack', 'active', 'frames'],
  },
  {
    name: 'page-references',
    statement:
      'page reference and writable type counts match the device mappings and grant PTEs; referenced pages are never freed',
    source:
      'xen/common/grant_table.c map_grant_ref (get_page, get_page_type), unmap_common_complete (put_page, put_page_type) (XSA-224, Xen 8fdfcb2b6b, 75b384ece6)',
    onModel: model.pageReferences,
    onModelSince: model.pageReferencesSince,
    onImpl: impl.pageReferences,
    reads: ['hostMappings', 'maptrack', 'active', 'frames'],
  },
  domainInvariant({
    name: 'transfer-flag-order',
    statement: '(G) a completed transfer entry is also committed',
    source:
      'xen/common/grant_table.c gnttab_prepare_for_transfer (GTF_transfer_committed), gnttab_transfer (frame, smp_wmb, then GTF_transfer_completed)',
    reads: ['entries', 'rawWritten'],
    perDomain: { onModel: model.transferFlagOrder, onImpl: impl.transferFlagOrder },
  }),
  {
    name: 'page-budget',
    statement: 'tot_pages equals the pages a domain owns and never exceeds max_pages',
    source:
      'xen/common/grant_table.c gnttab_transfer (domain_tot_pages(e) >= e->max_pages: GNTST_general_error); xen/common/page_alloc.c assign_pages (XSA-385, Xen 143501861d)',
    onModel: model.pageBudget,
    onImpl: impl.pageBudget,
    reads: ['totPages', 'frames'],
  },
  {
    name: 'freed-pages-scrubbed',
    statement: 'a page with no owner holds only zeros (a freed page is scrubbed)',
    source: 'common/page_alloc.c free_domheap_pages (scrub = 1 for an ownerless page)',
    onModel: model.freedPagesScrubbed,
    onImpl: impl.freedPagesScrubbed,
    reads: ['frames', 'contents'],
  },
  {
    name: 'flows-permitted',
    statement:
      'data flows between a frame and a domain other than its owner only through a grant (or a transfer) of that frame: every store across a domain boundary read its origin frame and wrote its frame so, and every grant PTE names a frame its domain owns or was granted',
    source:
      'grant_table.c gnttab_copy_lock_domain (only DOMID_SELF names a gmfn), gnttab_copy_buf (both ranges within the page), map_grant_ref, gnttab_transfer',
    onModel: model.flowsPermitted,
    onImpl: impl.flowsPermitted,
    reads: ['frames', 'flows', 'hostMappings'],
  },
  domainInvariant({
    name: 'grant-frames',
    statement: '1 <= nr_grant_frames <= max_grant_frames',
    source:
      'xen/common/grant_table.c grant_table_init (INITIAL_NR_GRANT_FRAMES), gnttab_setup_table (nr_frames > max_grant_frames: GNTST_general_error; grows only)',
    reads: ['grantFrames'],
    perDomain: { onModel: model.grantFrames, onImpl: impl.grantFrames },
  }),
  domainInvariant({
    name: 'reserved-refs-untouched',
    statement: 'the guest library never writes refs 0..7',
    source:
      'Linux drivers/xen/grant-table.c gnttab_init (the free list starts at NR_RESERVED_ENTRIES); xen/include/public/grant_table.h (GNTTAB_NR_RESERVED_ENTRIES)',
    reads: ['entries', 'rawWritten'],
    perDomain: { onModel: model.reservedRefsUntouched, onImpl: impl.reservedRefsUntouched },
  }),
  domainInvariant({
    name: 'host-slots-in-window',
    statement:
      "grant PTEs sit only in the domain's own window: linear pages 0..hostVaPages-1, whichever way host_addr named them",
    source: 'xen/arch/x86/pv/grant_table.c create_grant_pv_mapping (XSA-227)',
    reads: ['hostMappings'],
    perDomain: { onModel: model.hostSlotsInWindow, onImpl: impl.hostSlotsInWindow },
  }),
  // --- Domain death (docs/semantics.md §17; issue 14 §4) ---------------------------------------
  {
    name: 'mapped-frames-allocated',
    statement: 'no frame is freed while a grant PTE or a device mapping of it exists',
    source:
      'xen/common/grant_table.c map_grant_ref (each mapping holds a page reference), gnttab_release_mappings; common/domain.c domain_relinquish_resources (a page goes with its last reference)',
    onModel: death.mappedFramesAllocated,
    onImpl: death.mappedFramesAllocatedImpl,
    reads: ['active', 'maptrack', 'hostMappings', 'frames'],
  },
  {
    name: 'zombie-frames-held',
    statement:
      "a zombie owns exactly the frames that are still mapped (at least one), a gone domain none: a zombie's frames are freed exactly when their last mapping goes",
    source:
      'common/page_alloc.c free_domheap_pages (tot_pages 0 drops the domain reference), common/domain.c domain_kill, put_domain, domain_destroy',
    onModel: death.zombieFramesHeld,
    onImpl: death.zombieFramesHeldImpl,
    reads: ['active', 'maptrack', 'hostMappings', 'totPages', 'frames'],
  },
  {
    name: 'gone-domains-unnamed',
    statement:
      'a gone domain has no pin, maptrack entry or grant PTE, and no mapping that holds a page reference names it (only a host mapping whose PTE its mapper overwrote may: Xen crashes that mapper if it unmaps it)',
    source:
      'xen/common/grant_table.c gnttab_release_mappings, grant_table_destroy, unmap_common (domain_crash when the granter is gone)',
    onModel: death.goneDomainsUnnamed,
    onImpl: death.goneDomainsUnnamedImpl,
    reads: ['active', 'maptrack', 'hostMappings'],
  },
  // --- Guest profiles (issue 14 §2; docs/semantics.md §18.6): domains with a real library ---
  domainInvariant({
    name: 'profile-free-not-granted',
    statement:
      "a ref on the library free list is never granted (no valid entry, no pin, not the driver's)",
    source:
      'Linux drivers/xen/grant-table.c put_free_entry, gnttab_end_foreign_access; Mini-OS gnttab.c gnttab_end_access; mirage-xen lib/xen.ml Export.try_end_access',
    reads: ['guest', 'entries', 'active', 'rawWritten'],
    perDomain: { onModel: profile.model.freeNotGranted, onImpl: profile.impl.freeNotGranted },
  }),
  domainInvariant({
    name: 'profile-reserved-never-handed-out',
    statement:
      'a reserved ref (0..7) is never on the free or deferred list nor granted by the driver',
    source:
      'Linux put_free_entry (8c9eb0e3731d); Mini-OS get_free_entry (b99e537); xen/include/public/grant_table.h GNTTAB_NR_RESERVED_ENTRIES',
    reads: ['guest'],
    perDomain: {
      onModel: profile.model.reservedNeverHandedOut,
      onImpl: profile.impl.reservedNeverHandedOut,
    },
  }),
  domainInvariant({
    name: 'profile-refs-accounted',
    statement: 'free + held + deferred + reserved = the table: no ref listed twice or outside it',
    source:
      'Linux gnttab_free_count / get_free_entries; Mini-OS gnttab_sem; mirage-xen Export free list',
    reads: ['guest'],
    perDomain: { onModel: profile.model.refsAccounted, onImpl: profile.impl.refsAccounted },
  }),
  domainInvariant({
    name: 'profile-page-not-freed-while-granted',
    statement:
      'a page no one holds a reference to is named by no valid entry and mapped by no one (XSA-396)',
    source:
      'Linux gnttab_end_foreign_access, gnttab_add_deferred (XSA-396: 6b1775f26a2d, 42baefac638f); include/xen/grant_table.h',
    reads: ['guest', 'entries', 'active', 'rawWritten', 'p2m'],
    perDomain: {
      onModel: profile.model.pageNotFreedWhileGranted,
      onImpl: profile.impl.pageNotFreedWhileGranted,
    },
  }),
  domainInvariant({
    name: 'profile-deferred-live',
    statement:
      'a deferred end whose entry is no longer in use completes within floor(p / free_per_iteration) ticks',
    source: 'Linux gnttab_handle_deferred (569ca5b3f94c, c04e9894846c)',
    reads: ['guest'],
    perDomain: { onModel: profile.model.deferredLive, onImpl: profile.impl.deferredLive },
  }),
  // --- Backends as actors (issue 14 §3; docs/semantics.md §19): domains with a driver ---
  domainInvariant({
    name: 'backend-request-fully-mapped',
    statement:
      "every segment of a backend's live request is mapped: its handle maps the frontend's ref, with its PTE",
    source:
      'Linux drivers/block/xen-blkback/blkback.c xen_blkbk_map (XSA-365), drivers/net/xen-netback/netback.c xenvif_tx_check_gop (XSA-367)',
    reads: ['backend', 'maptrack', 'hostMappings'],
    perDomain: {
      onModel: backend.model.requestsFullyMapped,
      onImpl: backend.impl.requestsFullyMapped,
    },
  }),
  domainInvariant({
    name: 'backend-mappings-owned',
    statement:
      'every grant mapping a backend domain holds belongs to a live request: a failed or finished request leaves none (XSA-361)',
    source:
      'Linux blkback.c dispatch_rw_block_io fail_flush → xen_blkbk_unmap, netback.c xenvif_idx_unmap; XSA-361 (gnttab_set_map_op preset status), XSA-362/365/367',
    reads: ['backend', 'maptrack'],
    perDomain: { onModel: backend.model.mappingsOwned, onImpl: backend.impl.mappingsOwned },
  }),
];
