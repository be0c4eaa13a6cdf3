// The guest storing into its own page: p2m lookup, then the bytes (docs/semantics.md §13).

import type { WritePageOp } from '../../ops/op.ts';
import type { WritePageResult } from '../../ops/result.ts';
import type { Hypervisor } from '../hypervisor/hypervisor.ts';
import { inPage, storeBytes } from './memory.ts';

export function writePage(xen: Hypervisor, op: WritePageOp): WritePageResult {
  const mfn = xen.domain(op.dom).p2m.get(op.gfn);
  if (mfn === undefined || !xen.frames.valid(mfn)) {
    return { kind: 'write_page', outcome: 'unbacked' };
  }
  if (!inPage(op.off, op.len)) return { kind: 'write_page', outcome: 'out_of_page' };
  storeBytes(xen, op.dom, mfn, op.off, op.len, op.byte);
  return { kind: 'write_page', outcome: 'ok' };
}
