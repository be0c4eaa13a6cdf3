// A variant of the copy domain cache: the DOMID_SELF rule ("only DOMID_SELF may name a gmfn")
// checked only when an element's domain pair differs from the cached one, so that a later
// element of the batch names another domain's gmfn without any grant.

import { copySelfRule as realRule } from '../impl/hypervisor/copy.ts';
import type { ImplParts } from '../impl/index.ts';
import { GNTST_okay } from '../xen/abi.ts';
import type { Fault } from './fault.ts';

// BUG: a cached domain pair skips the rule.
const copySelfRule: ImplParts['copySelfRule'] = (ptr, gref, lockedAnew) =>
  lockedAnew ? realRule(ptr, gref, lockedAnew) : GNTST_okay;

export const copyDomainCacheSelfRule: Fault = {
  id: 'copy-domain-cache-self-rule',
  title: "a copy reads or writes another domain's page with no grant, after a cached domain pair",
  source:
    'gnttab_copy_one / gnttab_copy_lock_domain (grant_table.c): a variant of the domain cache',
  mechanism:
    "In this variant gnttab_copy_one checks that a gmfn side is named DOMID_SELF only when it locks the element's domains anew, i.e. when the domain pair differs from the previous element's. An element naming domain X's grant, then one naming a gmfn under X's numeric id, passes the cache: the gmfn is looked up in X's p2m, and the caller copies from (or into) X's page with no grant for it.",
  caughtBy:
    'result mismatch (okay vs permission_denied), with flows-permitted (impl) where the element moves bytes across domains',
  parts: { copySelfRule },
  search: { kinds: ['grant_access', 'copy'], extensions: ['copies'] },
};
