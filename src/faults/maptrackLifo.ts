// put_maptrack_handle (L615-638) appends a freed handle at the tail (FIFO);
// this one pushes it at the head, so a freed handle is handed out again at once.

import type { ImplParts } from '../impl/index.ts';
import type { Fault } from './fault.ts';

// BUG: LIFO. The tail (Xen's reserved last entry) stays where it was.
// eslint-disable-next-line require-yield -- no lock taken: the one-vCPU faults need no pauses
export const putMaptrackHandle: ImplParts['putMaptrackHandle'] = function* (t, handle) {
  const v = t.vcpu(handle);
  t.setRef(handle, t.headOf(v));
  t.setHead(v, handle);
};

export const maptrackLifo: Fault = {
  id: 'maptrack-lifo',
  title: 'freed maptrack handles are reused at once (LIFO)',
  source: 'put_maptrack_handle: a freed handle goes to the tail of the free list (FIFO)',
  mechanism:
    "Xen appends freed handles at the tail of the vCPU free list, so a handle is not reused until the handles freed before it have been. Pushing at the head hands the same handle out again on the next map: handle numbers differ from Xen's from the first reuse on, and a backend's stale unmap of a just-freed handle hits the new mapping instead of failing with bad_handle.",
  caughtBy: 'result mismatch (handle numbers) / state mismatch (free-list order)',
  parts: { putMaptrackHandle },
  search: { kinds: ['grant_access', 'map_grant_ref'] },
};
