// A guest's loads and stores: through its p2m to its own frames, or through a grant PTE of its
// page table to a granted frame (what the MMU does for the guest; docs/semantics.md §13). The
// bytes are the frame table's real page buffers (../hypervisor/mm.ts).

import type { DomId, Mfn } from '../../ops/op.ts';
import type { Run } from '../../model/contents.ts';
import { digestRuns } from '../../model/contents.ts';
import { PAGE_SIZE } from '../../xen/abi.ts';
import type { Hypervisor } from '../hypervisor/hypervisor.ts';

/** Bytes [off, off+len) of one page: no negative bound, not past the page's end. */
export function inPage(off: number, len: number): boolean {
  return off >= 0 && len >= 0 && off + len <= PAGE_SIZE;
}

/** The bytes [off, off+len) of `bytes` (undefined: zeros) as runs of one non-zero value,
 * relative to `off` (the model's representation, src/model/contents.ts). */
export function runsOf(bytes: Uint8Array | undefined, off: number, len: number): Run[] {
  const runs: Run[] = [];
  if (bytes === undefined) return runs;
  const end = off + len;
  let i = off;
  while (i < end) {
    const b = bytes[i] ?? 0;
    let j = i + 1;
    while (j < end && bytes[j] === b) j++;
    if (b !== 0) runs.push({ start: i - off, end: j - off, byte: b });
    i = j;
  }
  return runs;
}

/** Store `len` bytes of `byte` at `off` of frame `mfn`, by domain `by` (ghost: a store into a
 * frame `by` does not own is labelled). */
export function storeBytes(
  xen: Hypervisor,
  by: DomId,
  mfn: Mfn,
  off: number,
  len: number,
  byte: number,
) {
  if (len === 0) return;
  xen.frames.recordStore(mfn, undefined, by);
  const existing = xen.frames.bytesOf(mfn);
  // Zeros into a page never written leave it all zero: no buffer needed.
  if (existing === undefined && (byte & 0xff) === 0) return;
  xen.frames.writableBytes(mfn).fill(byte & 0xff, off, off + len);
}

/** The digest of `len` bytes at `off` of frame `mfn`. */
export function loadDigest(xen: Hypervisor, mfn: Mfn, off: number, len: number): string {
  return digestRuns(len, runsOf(xen.frames.bytesOf(mfn), off, len));
}
