// The guest loading from its own page: p2m lookup, then the bytes' digest (docs/semantics.md §13).

import type { ReadPageOp } from '../../ops/op.ts';
import type { ReadPageResult } from '../../ops/result.ts';
import type { Hypervisor } from '../hypervisor/hypervisor.ts';
import { inPage, loadDigest } from './memory.ts';

export function readPage(xen: Hypervisor, op: ReadPageOp): ReadPageResult {
  const mfn = xen.domain(op.dom).p2m.get(op.gfn);
  if (mfn === undefined || !xen.frames.valid(mfn)) {
    return { kind: 'read_page', outcome: 'unbacked' };
  }
  if (!inPage(op.off, op.len)) return { kind: 'read_page', outcome: 'out_of_page' };
  return { kind: 'read_page', outcome: 'ok', digest: loadDigest(xen, mfn, op.off, op.len) };
}
