// A backend that stops inspecting a map batch at its first failed element (XSA-361 class:
// CVE-2021-26932, and the same mistake in blkback's XSA-365 and netback's XSA-367): the elements
// after the failure are never looked at, so the ones that did map keep no handle; the request is
// failed and unmapped as far as the backend knows, and those mappings are leaked for good.

import type { BackendParts } from '../impl/guest/backend/backend.ts';
import { GNTST_okay } from '../xen/abi.ts';
import type { Fault } from './fault.ts';

/** The status loop that bails out at the first error. */
export const backendMappedSegments: BackendParts['backendMappedSegments'] = (results) => {
  const mapped: number[] = [];
  for (const [i, r] of results.entries()) {
    // BUG: later elements are not inspected, so their handles are lost
    if (r.status !== GNTST_okay) break;
    mapped.push(i);
  }
  return mapped;
};

export const xsa361BackendBatchHalfMapped: Fault = {
  id: 'xsa-361-backend-batch-half-mapped',
  title: 'backend stops at the first failed map element and leaks the later ones',
  source:
    'XSA-361 (CVE-2021-26932); the same class in blkback (XSA-365) and netback (XSA-367, Linux "xen-netback: respect gnttab_map_refs()\'s return value")',
  mechanism:
    'after one failed element of a map batch, later elements were not inspected, so the ones that mapped kept no handle: the request failed, its unmap missed them, and the frontend pages stayed mapped for good.',
  caughtBy: 'state mismatch (mappings the model unmapped); then backend-mappings-owned',
  parts: { backendMappedSegments },
  search: { kinds: ['grant_access', 'backend_map'] },
  suite: 'backends',
};
