// XSA-224(c) class (Xen 11fc7ccb72, 75b384ece6): wrong page reference accounting on maps that ask
// for a host and a device mapping at once.

import type { ImplParts } from '../impl/index.ts';
import type { Fault } from './fault.ts';

// BUG: the host mapping shares the reference the device mapping claimed.
const deviceMapClaimedRef: ImplParts['deviceMapClaimedRef'] = () => false;

export const xsa224OneRefForHostAndDevice: Fault = {
  id: 'xsa-224-one-ref-host-and-device',
  title: 'a host+device map takes one page reference for two mappings',
  source: 'XSA-224(c) class (Xen 11fc7ccb72, 75b384ece6)',
  mechanism:
    'get_paged_frame hands map_grant_ref one page reference, which the device mapping claims; the host mapping must take a second one ("only need another reference if device_map claimed the one in hand"). Without it, a host+device mapping holds one reference, each of its two unmaps drops one, and the page loses a base reference: it can be freed or stolen while still mapped.',
  caughtBy: 'invariant page-references (impl) / state mismatch',
  parts: { deviceMapClaimedRef },
  search: { kinds: ['grant_access', 'map_grant_ref'] },
};
