// The page puts of a release build of Xen (put_page / put_page_type without the debug build's
// ASSERTs): a count below zero wraps instead of stopping the run. Faults whose bug drops one
// reference too many use it, so that the checks, not the impl's own assertions, find the bug.

import { freeLastReference } from '../impl/hypervisor/domainDeath.ts';
import type { Hypervisor } from '../impl/hypervisor/hypervisor.ts';
import type { FrameTable } from '../impl/hypervisor/mm.ts';
import type { Mfn } from '../ops/op.ts';

/** Drop one page reference of `mfn`, and its writable type reference when `writable`. */
export function putPageUnchecked(frames: FrameTable, mfn: Mfn, writable: boolean): void {
  if (writable) frames.setWritableTypes(mfn, (frames.writableTypes(mfn) - 1) >>> 0);
  frames.setRefs(mfn, (frames.refs(mfn) - 1) >>> 0);
}

/** put_page of a release build, the whole of it: the last reference frees the page
 * (free_domheap_pages), and a put of no reference wraps the count instead of stopping the run. */
export function putPageRelease(xen: Hypervisor, mfn: Mfn): void {
  const count = xen.frames.refs(mfn);
  xen.frames.setRefs(mfn, (count - 1) >>> 0);
  if (count === 1) freeLastReference(xen, mfn);
}

/** put_page_type (PGT_writable_page) of a release build: wraps below zero. */
export function putPageTypeRelease(xen: Hypervisor, mfn: Mfn): void {
  xen.frames.setWritableTypes(mfn, (xen.frames.writableTypes(mfn) - 1) >>> 0);
}
