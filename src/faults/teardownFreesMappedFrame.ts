// Synthetic (issue 14 §5 asks for "XSA-380's functional part", which has none: XSA-380 fixed
// gnttab_release_mappings' missing preemption, a denial of service, Xen b1ee10be56 and
// 9781b51efd; docs/guest-libraries.md §6.4): domain_relinquish_resources frees every page of
// the dying domain, ignoring the references other domains' grant mappings hold.

import type { ImplParts } from '../impl/index.ts';
import { freeDomheapPage } from '../impl/hypervisor/mm.ts';
import { putPage, putPageType } from '../impl/hypervisor/mm.ts';
import { mapWithout } from '../impl/hypervisor/domain.ts';
import { relinquishWith } from '../impl/hypervisor/domainDeath.ts';
import type { Fault } from './fault.ts';

const domainRelinquishResources: ImplParts['domainRelinquishResources'] = relinquishWith({
  putPageType,
  putPage,
  releaseOwned(xen, d, mfn) {
    // BUG: the page is freed outright, whatever references grant mappings still hold on it.
    freeDomheapPage(xen, mfn);
    d.totPages -= 1;
    for (const [gfn, m] of d.p2m) if (m === mfn) d.p2m = mapWithout(d.p2m, gfn);
  },
});

export const teardownFreesMappedFrame: Fault = {
  id: 'teardown-frees-mapped-frame',
  title: 'domain teardown frees a frame another domain still maps (synthetic)',
  source:
    'synthetic: issue 14 §5\'s "XSA-380 functional part" (XSA-380 itself, Xen b1ee10be56 and 9781b51efd, is a DoS with no such part)',
  mechanism:
    "domain_relinquish_resources must only drop the dying domain's own references (PGC_allocated and its page tables'): a page another domain maps keeps its mapping's reference, so it outlives the domain (a zombie). Freeing every page outright leaves the grantee's PTE or device mapping pointing at a freed, scrubbed frame that the allocator may hand to anyone.",
  caughtBy: 'state mismatch (the zombie keeps the mapped frame) / mapped-frames-allocated',
  parts: { domainRelinquishResources },
  search: { kinds: ['grant_access', 'map_grant_ref', 'destroy_domain'], extensions: ['deaths'] },
};
