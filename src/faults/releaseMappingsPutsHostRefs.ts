// Xen db74dfce16 (2005, "Fix gnttab_release_mappings -- it doesn't need to drop page refcnts
// for host mappings as they are already destroyed by put_page_from_l1e()"): teardown dropped a
// PV host mapping's page reference twice, once in gnttab_release_mappings and once with the PTE.

import type { ImplParts } from '../impl/index.ts';
import { gnttabReleaseMappings } from '../impl/hypervisor/domainDeath.ts';
import { putPage } from '../impl/hypervisor/mm.ts';
import { GNTMAP_host_map } from '../xen/abi.ts';
import type { Fault } from './fault.ts';

const releaseMappings: ImplParts['gnttabReleaseMappings'] = (xen, d) => {
  const mt = d.maptrack;
  // BUG: every host mapping's page reference is put here too, though the PV grant
  // PTE that holds it is put again when the page tables go (domain_relinquish_resources).
  for (let handle = mt.limit - 1; handle >= 0; handle--) {
    const flags = mt.flags(handle);
    if ((flags & GNTMAP_host_map) === 0) continue;
    const rd = xen.rcuLockDomainById(mt.domid(handle));
    if (rd === undefined) continue;
    const mfn = rd.grantTable.active.mfnOf(mt.ref(handle));
    if (!xen.frames.valid(mfn)) continue;
    putPage(xen, mfn);
  }
  gnttabReleaseMappings(xen, d);
};

export const releaseMappingsPutsHostRefs: Fault = {
  id: 'release-mappings-puts-host-refs',
  title: 'teardown drops a host mapping’s page reference twice',
  source: 'Xen db74dfce16 (2005)',
  mechanism:
    "For a PV domain a host grant mapping's page reference belongs to its PTE, and put_page_from_l1e drops it when the dying domain's page tables go. gnttab_release_mappings dropping it as well leaves the granter's page one reference short: it is freed while still allocated or mapped once the granter lets go of it.",
  caughtBy: 'invariant page-references (impl)',
  parts: { gnttabReleaseMappings: releaseMappings },
  search: { kinds: ['grant_access', 'map_grant_ref', 'destroy_domain'] },
};
