// XSA-224(a) (Xen 8fdfcb2b6b): an unmap with dev_bus_addr 0 left the device mapping in place but
// still dropped its page reference in unmap_common_complete.

import type { ImplParts } from '../impl/index.ts';
import { unmapCompletePutPages as correctPuts } from '../impl/hypervisor/unmapGrantRef.ts';
import { GNTMAP_device_map, GNTMAP_readonly, GNTST_okay } from '../xen/abi.ts';
import type { Fault } from './fault.ts';
import { putPageUnchecked } from './uncheckedPut.ts';

// BUG: the device part's references go whenever the mapping has one, whether or not phase 1
// removed it. Unchecked, as in a release build of Xen, so that the counts underflow the way
// Xen's did instead of tripping the impl's put_page assertion in the middle of a batch.
const unmapCompletePutPages: ImplParts['unmapCompletePutPages'] = (xen, ld, op) => {
  correctPuts(xen, ld, op);
  if (op.status !== GNTST_okay || op.done & GNTMAP_device_map) return;
  const flags = xen.domain(ld).maptrack.flags(op.handle);
  const frames = xen.frames;
  if (!(flags & GNTMAP_device_map) || !frames.valid(op.mfn)) return;
  putPageUnchecked(frames, op.mfn, !(flags & GNTMAP_readonly));
};

export const xsa224DevAddrZero: Fault = {
  id: 'xsa-224-devaddr-zero',
  title: 'unmap with dev_bus_addr 0 drops the device mapping anyway',
  source: 'XSA-224(a) (Xen 8fdfcb2b6b)',
  mechanism:
    'An unmap with dev_bus_addr 0 must leave a device mapping alone. Before the fix, dev_bus_addr was checked before clearing the map flag and the pin, but not before dropping page references: unmap_common_complete put the device mapping\'s page (and writable type) reference whenever the mapping held GNTMAP_device_map. Each "okay, no-op" unmap of a device mapping, or each host-only unmap of a host+device mapping, drops one more reference, until the page is freed and reused while a device still maps it.',
  caughtBy: 'invariant page-references (impl)',
  parts: { unmapCompletePutPages },
  search: { kinds: ['grant_access', 'map_grant_ref', 'unmap_grant_ref'] },
};
