// XSA-287 (Xen 3d4868a481): steal_page could take a page that still had references beyond its
// allocation ones, so a transfer moved a page that was still grant-mapped.

import type { ImplParts } from '../impl/index.ts';
import { EINVAL, NO_OWNER, PAGE_BASE_REFS } from '../impl/hypervisor/mm.ts';
import type { Fault } from './fault.ts';

const stealPage: ImplParts['stealPage'] = (xen, d, mfn) => {
  const frames = xen.frames;
  if (frames.ownerOf(mfn) !== d) return EINVAL;
  // BUG: "at least" the base references; mapping references are dropped with the page.
  if (frames.refs(mfn) < PAGE_BASE_REFS) return EINVAL;
  frames.setOwner(mfn, NO_OWNER);
  frames.setRefs(mfn, 1);
  frames.setWritableTypes(mfn, 0);
  xen.domain(d).totPages -= 1;
  return 0;
};

export const xsa287StealMappedPage: Fault = {
  id: 'xsa-287-steal-mapped-page',
  title: 'transfer steals a page that is still grant-mapped',
  source: 'XSA-287 (Xen 3d4868a481)',
  mechanism:
    "steal_page must refuse a page holding any reference beyond PGC_allocated and the owner's own: every other reference is a mapping that would outlive the move. Accepting more lets GNTTABOP_transfer give away (or free) a page that a device or a PTE still maps, so the receiver and the old mapper share it.",
  caughtBy: 'result mismatch (okay vs bad_page) / mapped-pages-stay',
  parts: { stealPage },
  search: { kinds: ['grant_access', 'map_grant_ref', 'transfer'] },
};
