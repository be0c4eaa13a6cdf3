// The mapper storing through a grant PTE: the L1 slot of the linear page holding hostAddr (as
// create_grant_pv_mapping wrote it); a PTE without _PAGE_RW faults (docs/semantics.md §13).

import type { WriteMappedOp } from '../../ops/op.ts';
import type { WriteMappedResult } from '../../ops/result.ts';
import { PAGE_SIZE } from '../../xen/abi.ts';
import type { Hypervisor } from '../hypervisor/hypervisor.ts';
import { inPage, storeBytes } from './memory.ts';

export function writeMapped(xen: Hypervisor, op: WriteMappedOp): WriteMappedResult {
  const pte = xen.domain(op.dom).pageTable.get(Math.floor(op.hostAddr / PAGE_SIZE));
  if (pte === undefined) return { kind: 'write_mapped', outcome: 'no_mapping' };
  if (!pte.writable) return { kind: 'write_mapped', outcome: 'readonly' };
  if (!inPage(op.off, op.len)) return { kind: 'write_mapped', outcome: 'out_of_page' };
  storeBytes(xen, op.dom, pte.mfn, op.off, op.len, op.byte);
  return { kind: 'write_mapped', outcome: 'ok' };
}
