// Xen db74dfce16 (2005, "Fix gnttab_release_mappings -- it doesn't need to drop page refcnts
// for host mappings as they are already destroyed by put_page_from_l1e()"): teardown dropped a
// PV host mapping's page reference twice, once in gnttab_release_mappings and once with the PTE.
// Xen 4.17.7's gnttab_release_mappings puts a host mapping's page only when
// gnttab_release_host_mappings(d) (paging_mode_external: HVM), never for a PV domain.

import type { ImplParts } from '../impl/index.ts';
import { gnttabReleaseMappings, relinquishWith } from '../impl/hypervisor/domainDeath.ts';
import { GNTMAP_host_map } from '../xen/abi.ts';
import type { Fault } from './fault.ts';
import { putPageRelease, putPageTypeRelease } from './uncheckedPut.ts';

const releaseMappings: ImplParts['gnttabReleaseMappings'] = (xen, d) => {
  const mt = d.maptrack;
  const hostMapped: number[] = [];
  for (let handle = mt.limit - 1; handle >= 0; handle--) {
    if ((mt.flags(handle) & GNTMAP_host_map) === 0) continue;
    const rd = xen.rcuLockDomainById(mt.domid(handle));
    if (rd === undefined) continue;
    const mfn = rd.grantTable.active.mfnOf(mt.ref(handle));
    if (xen.frames.valid(mfn)) hostMapped.push(mfn);
  }
  gnttabReleaseMappings(xen, d);
  // BUG: every host mapping's page reference is put here too, though the PV grant PTE that
  // holds it is put again when the page tables go (domain_relinquish_resources). After the
  // correct release rather than inside it, so that a device mapping's put there never meets a
  // page this freed (the kill is one step: its end state is the same).
  for (const mfn of hostMapped) putPageRelease(xen, mfn);
};

/** domain_relinquish_resources (domainDeath.ts) with a release build's puts: not a second bug,
 * but a page the extra put above freed (a zombie's, or one the mapper granted itself) would
 * otherwise stop the run on the impl's put_page assertion instead of reaching the checks. */
const domainRelinquishResources: ImplParts['domainRelinquishResources'] = relinquishWith({
  putPageType: putPageTypeRelease,
  putPage: putPageRelease,
  releaseOwned(xen, d, mfn) {
    putPageRelease(xen, mfn); // PGC_allocated
    if (xen.frames.ownerOf(mfn) === d.id) putPageRelease(xen, mfn); // the owner's own
  },
});

export const releaseMappingsPutsHostRefs: Fault = {
  id: 'release-mappings-puts-host-refs',
  title: 'teardown drops a host mapping’s page reference twice',
  source: 'Xen db74dfce16 (2005)',
  mechanism:
    "For a PV domain a host grant mapping's page reference belongs to its PTE, and put_page_from_l1e drops it when the dying domain's page tables go. gnttab_release_mappings dropping it as well leaves the granter's page one reference short: it is freed while still allocated or mapped once the granter lets go of it.",
  caughtBy: 'invariant page-references (impl)',
  parts: { gnttabReleaseMappings: releaseMappings, domainRelinquishResources },
  search: { kinds: ['grant_access', 'map_grant_ref', 'destroy_domain'], extensions: ['deaths'] },
};
