// The mapper loading through a grant PTE, read-only or writable (docs/semantics.md §13).

import type { ReadMappedOp } from '../../ops/op.ts';
import type { ReadMappedResult } from '../../ops/result.ts';
import { PAGE_SIZE } from '../../xen/abi.ts';
import type { Hypervisor } from '../hypervisor/hypervisor.ts';
import { inPage, loadDigest } from './memory.ts';

export function readMapped(xen: Hypervisor, op: ReadMappedOp): ReadMappedResult {
  const pte = xen.domain(op.dom).pageTable.get(Math.floor(op.hostAddr / PAGE_SIZE));
  if (pte === undefined) return { kind: 'read_mapped', outcome: 'no_mapping' };
  if (!inPage(op.off, op.len)) return { kind: 'read_mapped', outcome: 'out_of_page' };
  return { kind: 'read_mapped', outcome: 'ok', digest: loadDigest(xen, pte.mfn, op.off, op.len) };
}
