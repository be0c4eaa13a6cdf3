// XSA-224(a) (Xen 8fdfcb2b6b): an unmap with dev_bus_addr 0 left the device mapping in place but
// still dropped its page reference in unmap_common_complete.

import type { Fault } from './fault.ts';
import { completeDroppingDeviceRefs } from './copies/unmapGrantRef.ts';

export const xsa224DevAddrZero: Fault = {
  id: 'xsa-224-devaddr-zero',
  title: 'unmap with dev_bus_addr 0 drops the device mapping anyway',
  source: 'XSA-224(a) (Xen 8fdfcb2b6b)',
  mechanism:
    'An unmap with dev_bus_addr 0 must leave a device mapping alone. Before the fix, dev_bus_addr was checked before clearing the map flag and the pin, but not before dropping page references: unmap_common_complete put the device mapping\'s page (and writable type) reference whenever the mapping held GNTMAP_device_map. Each "okay, no-op" unmap of a device mapping, or each host-only unmap of a host+device mapping, drops one more reference, until the page is freed and reused while a device still maps it.',
  caughtBy: 'invariant page-references (impl)',
  parts: { unmapCommonComplete: completeDroppingDeviceRefs },
};
