// The invariant catalogue: each state invariant with its name, one-line statement, source, and
// its check on the model state and on the impl's own structures. The harness runs all of them
// after every step (hypervisor.md §10; guest.md §6.4). An invariant that is a conjunction over
// domains, each reading only its own parts, is declared per domain (domainInvariant), so that a
// step re-checks only the domains it changed.

import type { StateInvariant } from '../../src/harness/invariant.ts';
import { domainInvariant } from '../../src/harness/invariant.ts';
import * as impl from './implChecks.ts';
import * as model from './modelChecks.ts';

export const INVARIANTS: readonly StateInvariant[] = [
  domainInvariant({
    name: 'pin-range',
    statement: 'each of the four pin counters of an active entry is in 0..128',
    source: 'hypervisor.md §10 I5 (GNTPIN_incr2oflow_mask)',
    reads: ['active'],
    perDomain: { onModel: model.pinRange, onImpl: impl.pinRange },
  }),
  {
    name: 'pin-accounting',
    statement:
      'each pin counter equals the number of live mappings of that kind (hstw, hstr, devw, devr)',
    source: 'hypervisor.md §10 I6',
    onModel: model.pinAccounting,
    onImpl: impl.pinAccounting,
    reads: ['active', 'maptrack'],
  },
  {
    name: 'single-grantee',
    statement: "all live mappings of a ref belong to one domain, the active entry's grantee",
    source: 'hypervisor.md §10 I7',
    onModel: model.singleGrantee,
    onImpl: impl.singleGrantee,
    reads: ['active', 'maptrack'],
  },
  domainInvariant({
    name: 'pinned-refs-valid',
    statement: 'a pinned ref is inside its table',
    source: 'hypervisor.md §10 I8',
    reads: ['active', 'grantFrames'],
    perDomain: { onModel: model.pinnedRefsValid, onImpl: impl.pinnedRefsValid },
  }),
  {
    name: 'live-maptrack-entries',
    statement:
      'a live maptrack entry is below the limit, holds host_map or device_map, and names an existing domain and ref',
    source: 'hypervisor.md §10 I11',
    onModel: model.liveMaptrackEntries,
    onImpl: impl.liveMaptrackEntries,
    reads: ['maptrack', 'grantFrames'],
  },
  domainInvariant({
    name: 'maptrack-size',
    statement: 'maptrack_limit is a multiple of 256 and at most 256 * max_maptrack_frames',
    source: 'hypervisor.md §10 I12',
    reads: ['maptrack'],
    perDomain: { onModel: model.maptrackSize, onImpl: impl.maptrackSize },
  }),
  domainInvariant({
    name: 'free-list-integrity',
    statement:
      'the free list is acyclic, ends at the tail, holds no live handle, and free + live = limit',
    source: 'hypervisor.md §10 I13 (XSA-218, XSA-228)',
    reads: ['maptrack'],
    perDomain: { onModel: model.freeListIntegrity, onImpl: impl.freeListIntegrity },
  }),
  domainInvariant({
    name: 'maptrack-capacity',
    statement: 'one vCPU holds at most 256 * max_maptrack_frames - 1 live mappings',
    source: 'hypervisor.md §10 I14',
    reads: ['maptrack'],
    perDomain: { onModel: model.maptrackCapacity, onImpl: impl.maptrackCapacity },
  }),
  domainInvariant({
    name: 'status-bits-mirror-pins',
    statement:
      '(G) GTF_reading iff pinned, GTF_writing iff writable pins, on every non-transfer entry',
    source: 'hypervisor.md §10 I15; guest.md H1 (XSA-218, XSA-230)',
    reads: ['entries', 'active', 'rawWritten'],
    perDomain: { onModel: model.statusBitsMirrorPins, onImpl: impl.statusBitsMirrorPins },
  }),
  {
    name: 'ownership',
    statement: 'every p2m entry names a page its domain owns, and no page is in two p2m tables',
    source: 'hypervisor.md §10 I18',
    onModel: model.ownership,
    onImpl: impl.ownership,
    reads: ['p2m', 'frames'],
  },
  {
    name: 'mapped-pages-stay',
    statement: 'a device-mapped page is still owned by its granter (it cannot be stolen)',
    source: 'hypervisor.md §10 I19 (XSA-287)',
    onModel: model.mappedPagesStay,
    onImpl: impl.mappedPagesStay,
    reads: ['maptrack', 'active', 'frames'],
  },
  {
    name: 'page-references',
    statement:
      'page reference and writable type counts match the device mappings and grant PTEs; referenced pages are never freed',
    source: 'hypervisor.md §10 I17 (XSA-224)',
    onModel: model.pageReferences,
    onImpl: impl.pageReferences,
    reads: ['hostMappings', 'maptrack', 'active', 'frames'],
  },
  domainInvariant({
    name: 'transfer-flag-order',
    statement: '(G) a completed transfer entry is also committed',
    source: 'hypervisor.md §10 I20',
    reads: ['entries', 'rawWritten'],
    perDomain: { onModel: model.transferFlagOrder, onImpl: impl.transferFlagOrder },
  }),
  {
    name: 'page-budget',
    statement: 'tot_pages equals the pages a domain owns and never exceeds max_pages',
    source: 'hypervisor.md §10 I23 (XSA-385)',
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
    source: 'hypervisor.md §10 I2',
    reads: ['grantFrames'],
    perDomain: { onModel: model.grantFrames, onImpl: impl.grantFrames },
  }),
  domainInvariant({
    name: 'reserved-refs-untouched',
    statement: 'the guest library never writes refs 0..7',
    source: 'guest.md §6.4 I2',
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
];
