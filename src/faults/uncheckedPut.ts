// The page puts of a release build of Xen (put_page / put_page_type without the debug build's
// ASSERTs): a count below zero wraps instead of stopping the run. Faults whose bug drops one
// reference too many use it, so that the checks, not the impl's own assertions, find the bug.

import type { FrameTable } from '../impl/hypervisor/mm.ts';
import type { Mfn } from '../ops/op.ts';

/** Drop one page reference of `mfn`, and its writable type reference when `writable`. */
export function putPageUnchecked(frames: FrameTable, mfn: Mfn, writable: boolean): void {
  if (writable) frames.setWritableTypes(mfn, (frames.writableTypes(mfn) - 1) >>> 0);
  frames.setRefs(mfn, (frames.refs(mfn) - 1) >>> 0);
}
